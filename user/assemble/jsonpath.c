// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The JSON path extractor (contract in jsonpath.h), on the scanner in
 * json.h: down the path's objects member by member, every other value
 * skipped. Running out of bytes anywhere is -ENOENT: the caller only ever
 * has a body's first bytes.
 */
#include <errno.h>
#include <string.h>

#include "json.h"
#include "jsonpath.h"

/* The scanner's "cut" is our "not found". */
static int cut_is_absent(int r)
{
	return r == -ENODATA ? -ENOENT : r;
}

int ws_jsonpath_parse(const char *spec, size_t len, struct ws_jsonpath *out)
{
	struct ws_jsonpath p;
	size_t i = 0;

	if (!spec || !out)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	for (;;) {
		size_t start = i;

		while (i < len && spec[i] != '.') {
			unsigned char ch = spec[i];

			if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
				return -EINVAL;
			i++;
		}
		if (i == start || i - start > WS_JSONPATH_KEY_MAX ||
		    p.nkeys == WS_JSONPATH_MAX_KEYS)
			return -EINVAL;
		memcpy(p.key[p.nkeys], spec + start, i - start);
		p.len[p.nkeys++] = i - start;
		if (i == len)
			break;
		i++; /* the dot; a trailing one leaves an empty key: refused above */
	}
	*out = p;
	return 0;
}

int ws_json_find_string(const char *buf, size_t len, const struct ws_jsonpath *path, char *out,
			size_t outsz)
{
	char key[WS_JSONPATH_KEY_MAX];
	struct ws_json j;
	size_t n;
	int r;

	if (!path || !path->nkeys || path->nkeys > WS_JSONPATH_MAX_KEYS || !out || !outsz)
		return -EINVAL;
	ws_json_init(&j, buf, len, false);
	for (size_t k = 0; k < path->nkeys; k++) {
		bool first = true;

		if ((r = ws_json_peek(&j)) < 0)
			return cut_is_absent(r);
		if (r != '{')
			return -ENOENT; /* the path runs through something that is not an object */
		j.pos++;
		for (;;) {
			r = ws_json_member(&j, &first, key, sizeof(key), &n);
			if (r <= 0)
				return r ? cut_is_absent(r) : -ENOENT;
			if (n == path->len[k] && !memcmp(key, path->key[k], n))
				break; /* its value is the next level */
			if ((r = ws_json_skip(&j, WS_JSON_MAX_DEPTH)))
				return cut_is_absent(r);
		}
	}
	if ((r = ws_json_peek(&j)) < 0)
		return cut_is_absent(r);
	if (r != '"')
		return -ENOENT;
	if ((r = ws_json_string(&j, out, outsz - 1, &n)))
		return cut_is_absent(r);
	if (n > outsz - 1 || n > INT32_MAX)
		return -ENOSPC;
	out[n] = '\0';
	return (int)n;
}
