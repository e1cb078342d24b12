// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A JSON walker that reads only what it needs (the scanner in json.h):
 * members whose key is not on the path are skipped (checked for shape, not
 * decoded), and the walk stops at the value it was asked for. The path's
 * objects count towards WS_JSON_MAX_DEPTH with what is nested in them.
 */
#include <errno.h>
#include <string.h>

#include "json.h"
#include "jsonpick.h"

#define KEY_MAX 255 /* longer keys cannot be on any path we are given */

/* At an object, path[0] of it, then on down the path; level counts the objects above. */
static int find(struct ws_json *j, const char *const *path, size_t depth, char *out, size_t outsz)
{
	char key[KEY_MAX];
	unsigned level = 0;
	size_t len;
	int r;

	for (;;) {
		bool first = true;

		r = ws_json_peek(j);
		if (r == -ENODATA)
			return -EINVAL; /* cut */
		if (r != '{')
			return -ENOENT; /* on the path, but not an object */
		j->pos++;
		level++;
		for (;;) {
			r = ws_json_member(j, &first, key, sizeof(key), &len);
			if (r < 0)
				return -EINVAL;
			if (!r)
				return -ENOENT;
			/* a key too long for key[] is not ours: skipped */
			if (len <= sizeof(key) && len == strlen(path[0]) &&
			    !memcmp(key, path[0], len))
				break;
			if (ws_json_skip(j, WS_JSON_MAX_DEPTH - level))
				return -EINVAL;
		}
		if (depth == 1)
			break;
		path++;
		depth--;
	}
	if (ws_json_peek(j) != '"')
		return -ENOENT; /* not a string, or cut before it: not there either way */
	if (ws_json_string(j, out, outsz - 1, &len))
		return -EINVAL;
	if (len > outsz - 1)
		return -ENOSPC;
	out[len] = '\0';
	return (int)len;
}

int ws_json_pick(const char *json, size_t len, const char *const *path, size_t depth, char *out,
		 size_t outsz)
{
	struct ws_json j;
	int err;

	if (!json || !path || !depth || depth > 8 || !out || !outsz || outsz > INT32_MAX)
		return -EINVAL;
	ws_json_init(&j, json, len, false);
	for (size_t i = 0; i < depth; i++)
		if (!path[i])
			return -EINVAL;
	out[0] = '\0';
	err = find(&j, path, depth, out, outsz);
	if (err < 0)
		out[0] = '\0'; /* no half value for a caller that looks anyway */
	return err;
}
