// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A JSON walker that reads only what it needs: members whose key is not on
 * the path are skipped (checked for shape, not decoded), and the walk stops
 * at the value it was asked for. Recursion follows nesting and is capped at
 * WS_JSON_MAX_DEPTH.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "jsonpick.h"

#define KEY_MAX 256 /* longer keys cannot be on any path we are given */

struct jp {
	const char *p, *end;
	int depth;
};

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool eat(struct jp *j, char c)
{
	skip_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static int hex4(const char *p, const char *end, uint32_t *v)
{
	*v = 0;
	if (end - p < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*v |= (c | 0x20) - 'a' + 10;
		else
			return -EINVAL;
	}
	return 0;
}

static size_t utf8_put(uint32_t cp, char u[4])
{
	if (cp < 0x80) {
		u[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (char)(0xf0 | cp >> 18);
	u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The code point of the escape after "\u" at j->p (a surrogate pair taken whole). */
static int unicode_escape(struct jp *j, uint32_t *cp)
{
	uint32_t lo;

	if (hex4(j->p, j->end, cp))
		return -EINVAL;
	j->p += 4;
	if (*cp < 0xd800 || *cp > 0xdfff)
		return 0;
	if (*cp <= 0xdbff && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' &&
	    !hex4(j->p + 2, j->end, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
		j->p += 6;
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
		return 0;
	}
	*cp = 0xfffd; /* a lone surrogate is no character */
	return 0;
}

/*
 * The string at j->p, unescaped into out when out is not NULL (*len bytes,
 * NUL-terminated). The whole string is consumed even when it does not fit:
 * then -ENOSPC. -EINVAL when it is not a well-formed JSON string.
 */
static int string(struct jp *j, char *out, size_t outsz, size_t *len)
{
	size_t o = 0;
	bool full = false;

	if (!eat(j, '"'))
		return -EINVAL;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;
		char u[4];
		size_t n = 1;
		uint32_t cp;

		if (c == '"') {
			if (out)
				out[o] = '\0';
			*len = o;
			return full ? -ENOSPC : 0;
		}
		if (c < 0x20)
			return -EINVAL;
		u[0] = (char)c;
		if (c == '\\') {
			if (j->p == j->end)
				return -EINVAL;
			c = (unsigned char)*j->p++;
			switch (c) {
			case '"': case '\\': case '/': u[0] = (char)c; break;
			case 'b': u[0] = '\b'; break;
			case 'f': u[0] = '\f'; break;
			case 'n': u[0] = '\n'; break;
			case 'r': u[0] = '\r'; break;
			case 't': u[0] = '\t'; break;
			case 'u':
				if (unicode_escape(j, &cp))
					return -EINVAL;
				n = utf8_put(cp, u);
				break;
			default:
				return -EINVAL;
			}
		}
		if (!out || full)
			continue;
		if (n >= outsz - o) {
			full = true;
			continue;
		}
		memcpy(out + o, u, n);
		o += n;
	}
	return -EINVAL; /* cut before the closing quote */
}

static int skip_value(struct jp *j);

/* After '{' or '[': the members or elements up to the closing bracket. */
static int skip_container(struct jp *j, char close, bool object)
{
	size_t len;
	int err;

	if (++j->depth > WS_JSON_MAX_DEPTH)
		return -EINVAL;
	if (eat(j, close)) {
		j->depth--;
		return 0;
	}
	do {
		if (object) {
			skip_ws(j);
			err = string(j, NULL, 0, &len);
			if (err)
				return err;
			if (!eat(j, ':'))
				return -EINVAL;
		}
		err = skip_value(j);
		if (err)
			return err;
	} while (eat(j, ','));
	if (!eat(j, close))
		return -EINVAL;
	j->depth--;
	return 0;
}

static int skip_value(struct jp *j)
{
	const char *start;
	size_t len;

	skip_ws(j);
	if (j->p == j->end)
		return -EINVAL;
	switch (*j->p) {
	case '{':
		j->p++;
		return skip_container(j, '}', true);
	case '[':
		j->p++;
		return skip_container(j, ']', false);
	case '"':
		return string(j, NULL, 0, &len);
	}
	/* a number, true, false or null: its characters, checked loosely */
	start = j->p;
	while (j->p < j->end && (strchr("+-.", *j->p) || (*j->p >= '0' && *j->p <= '9') ||
				 ((*j->p | 0x20) >= 'a' && (*j->p | 0x20) <= 'z')))
		j->p++;
	return j->p > start ? 0 : -EINVAL;
}

/* At an object: the member path[0], then on down the path. */
static int find(struct jp *j, const char *const *path, size_t depth, char *out, size_t outsz)
{
	char key[KEY_MAX];
	size_t len;
	int err;

	skip_ws(j);
	if (j->p == j->end)
		return -EINVAL; /* cut */
	if (!eat(j, '{'))
		return -ENOENT; /* on the path, but not an object */
	if (++j->depth > WS_JSON_MAX_DEPTH)
		return -EINVAL;
	if (eat(j, '}'))
		return -ENOENT;
	do {
		skip_ws(j);
		err = string(j, key, sizeof(key), &len);
		if (err == -EINVAL)
			return err;
		if (!eat(j, ':'))
			return -EINVAL;
		/* a key too long for key[] is not ours: -ENOSPC, skipped */
		if (!err && len == strlen(path[0]) && !memcmp(key, path[0], len)) {
			skip_ws(j);
			if (depth > 1)
				return find(j, path + 1, depth - 1, out, outsz);
			if (j->p == j->end || *j->p != '"')
				return -ENOENT;
			err = string(j, out, outsz, &len);
			return err ? err : (int)len;
		}
		err = skip_value(j);
		if (err)
			return err;
	} while (eat(j, ','));
	return eat(j, '}') ? -ENOENT : -EINVAL;
}

int ws_json_pick(const char *json, size_t len, const char *const *path, size_t depth, char *out,
		 size_t outsz)
{
	struct jp j;
	int err;

	if (!json || !path || !depth || depth > 8 || !out || !outsz || outsz > INT32_MAX)
		return -EINVAL;
	j = (struct jp){ .p = json, .end = json + len };
	for (size_t i = 0; i < depth; i++)
		if (!path[i])
			return -EINVAL;
	out[0] = '\0';
	err = find(&j, path, depth, out, outsz);
	if (err < 0)
		out[0] = '\0'; /* no half value for a caller that looks anyway */
	return err;
}
