/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
// fuzz-links: user/assemble/jsonpath.c user/lib/json.c
/*
 * libFuzzer target for the JSON path extractor. Byte 0 picks the path (a
 * fixed one, or the input's own text up to the first newline) and the out
 * size; the rest is the document, copied into a buffer of exactly its size
 * so any read past it is caught. Checks: only the documented answers; a
 * found value fits and is NUL-terminated; the same call gives the same
 * answer; every tried prefix of the document gives the full answer or
 * "not found" (a truncated body never yields another value or an error
 * the whole document does not have).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"

#define ASSERT(c)                                                                                  \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static const char *const paths[] = {
	"a",
	"data.object.metadata.trace_parent",
	"a.b",
	"x.y.z.a.b.c.d.e",
};

static char out[512], out2[512];

static int run(const char *doc, size_t len, const struct ws_jsonpath *p, char *o, size_t osz)
{
	char *b = malloc(len ? len : 1);
	int r;

	memcpy(b, doc, len);
	r = ws_json_find_string(b, len, p, o, osz);
	free(b);
	ASSERT(r >= 0 || r == -ENOENT || r == -EINVAL || r == -E2BIG || r == -ENOSPC);
	if (r >= 0)
		ASSERT((size_t)r < osz && o[r] == '\0');
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data + 1;
	size_t len = size ? size - 1 : 0, osz;
	struct ws_jsonpath p;
	int full, r;

	if (!size)
		return 0;
	osz = data[0] & 0x8 ? 1 + (data[0] >> 4) * 4 : sizeof(out);
	if ((data[0] & 7) < sizeof(paths) / sizeof(paths[0])) {
		ASSERT(!ws_jsonpath_parse(paths[data[0] & 7], strlen(paths[data[0] & 7]), &p));
	} else {
		const char *nl = memchr(doc, '\n', len);
		size_t pl = nl ? (size_t)(nl - doc) : len;

		if (ws_jsonpath_parse(doc, pl, &p))
			return 0;
		ASSERT(p.nkeys >= 1 && p.nkeys <= WS_JSONPATH_MAX_KEYS);
		doc += nl ? pl + 1 : pl;
		len -= nl ? pl + 1 : pl;
	}

	full = run(doc, len, &p, out, osz);
	r = run(doc, len, &p, out2, osz);
	ASSERT(r == full && (r < 0 || !memcmp(out, out2, r)));

	/* Prefixes: a few spread over the document, and the last bytes one by one. */
	for (size_t k = 0; k < len; k += len / 7 + 1) {
		r = run(doc, k, &p, out2, osz);
		ASSERT(r == full || r == -ENOENT);
		ASSERT(r < 0 || !memcmp(out, out2, r));
	}
	for (size_t k = len > 8 ? len - 8 : 0; k < len; k++) {
		r = run(doc, k, &p, out2, osz);
		ASSERT(r == full || r == -ENOENT);
		ASSERT(r < 0 || !memcmp(out, out2, r));
	}
	return 0;
}
