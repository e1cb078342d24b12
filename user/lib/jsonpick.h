/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One string out of a JSON document: the value at a path of object keys,
 * unescaped. Enough to read a container's name from its runtime's files
 * (Docker's config.v2.json, an OCI bundle's config.json annotations) without
 * a JSON library. Pure, bounded (nesting, sizes), and fuzzed: those files are
 * written by other programs and may be cut or odd.
 */
#ifndef WS_JSONPICK_H
#define WS_JSONPICK_H

#include <stddef.h>

#include "json.h" /* WS_JSON_MAX_DEPTH: deeper documents are refused, not walked */

/*
 * Looks in json[0..len) for the value at path[0] of the top-level object,
 * then path[1] of that object's value, and so on (depth keys, 1..8). When
 * it is a string, writes it unescaped (\uXXXX as UTF-8, a lone surrogate as
 * U+FFFD) and NUL-terminated into out. The first matching key at each level
 * wins. Returns the length written, -ENOENT when the path is absent or not
 * a string, -ENOSPC when the string does not fit in outsz - 1 bytes, or
 * -EINVAL when the document is not JSON up to where it was read (cut, too
 * deep, a bad escape).
 */
int ws_json_pick(const char *json, size_t len, const char *const *path, size_t depth, char *out,
		 size_t outsz);

#endif /* WS_JSONPICK_H */
