/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One string field out of the first bytes of a JSON document, by a dotted
 * path of object keys ("data.object.metadata.trace_parent"). Pure, bounded,
 * no allocation, no recursion: the bytes come from the network (a webhook
 * body), so every input, hostile or cut short, gives an answer in one pass.
 *
 * Rules: keys are compared after decoding their escapes (so "trace\u005fparent"
 * matches trace_parent); at each level the first member with the key is the
 * one followed (duplicates after it are not looked at); arrays and every
 * value off the path are skipped, checked only as far as skipping needs;
 * the bytes after the field are not read, so a document cut after it still
 * gives it. A path does not index arrays and its keys cannot contain '.'.
 */
#ifndef WS_JSONPATH_H
#define WS_JSONPATH_H

#include <stddef.h>
#include <stdint.h>

/* WS_JSON_MAX_DEPTH: containers nested inside a skipped value; deeper is -E2BIG, not walked. */
#include "json.h"

#define WS_JSONPATH_MAX_KEYS 8
#define WS_JSONPATH_KEY_MAX 63 /* bytes of one key */

struct ws_jsonpath {
	size_t nkeys;
	uint8_t len[WS_JSONPATH_MAX_KEYS];
	char key[WS_JSONPATH_MAX_KEYS][WS_JSONPATH_KEY_MAX + 1]; /* NUL-terminated */
};

/*
 * Parses "a.b.c" (len bytes): 1..8 non-empty keys of printable ASCII other
 * than '.', '"' and '\'. 0, or -EINVAL.
 */
int ws_jsonpath_parse(const char *spec, size_t len, struct ws_jsonpath *out);

/*
 * The string value at path in buf[0..len): decoded (escapes resolved,
 * \u escapes as UTF-8, a lone surrogate as U+FFFD) into out, NUL-terminated.
 * Returns its length, or:
 *   -ENOENT  no such member, not a string, or buf ends before the value does
 *            (a truncated body is "not found", never an error)
 *   -EINVAL  the bytes read on the way are not JSON
 *   -E2BIG   a skipped value nests deeper than WS_JSON_MAX_DEPTH
 *   -ENOSPC  the value and its NUL do not fit in outsz (out holds nothing useful)
 */
int ws_json_find_string(const char *buf, size_t len, const struct ws_jsonpath *path, char *out,
			size_t outsz);

#endif /* WS_JSONPATH_H */
