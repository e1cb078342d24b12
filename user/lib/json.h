/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A JSON scanner (RFC 8259) for the readers that pick a few fields out of a
 * document: webhook bodies (jsonpath), container runtimes' files (jsonpick),
 * collectors' answers (otlp_resp). A cursor over bytes the caller owns;
 * bounded, no allocation, no recursion, so hostile or cut input costs one
 * pass and no C stack. The caller drives it: peek at the next byte, then
 * read the string, number or object member there, or skip the whole value.
 *
 * Errors tell the callers' cases apart, each maps them to its own contract:
 *   -ENODATA  the bytes end before the token does (a prefix of JSON, maybe)
 *   -EINVAL   the bytes are not JSON
 *   -E2BIG    a skipped value nests deeper than allowed
 */
#ifndef WS_JSON_H
#define WS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The documented nesting limit of the readers built on this. */
#define WS_JSON_MAX_DEPTH 64
/* What ws_json_skip() can track at most (ws_json_valid() allows one more than the limit). */
#define WS_JSON_MAX_NEST 128

struct ws_json {
	const unsigned char *p;
	size_t len, pos; /* p[pos..len) is still to read */
	bool utf8;	 /* strings must be valid UTF-8 (otherwise any byte >= 0x20 passes) */
};

static inline void ws_json_init(struct ws_json *j, const void *p, size_t len, bool utf8)
{
	*j = (struct ws_json){ p, p ? len : 0, 0, utf8 };
}

/* Skips whitespace: the next byte (not consumed), or -ENODATA at the end. */
int ws_json_peek(struct ws_json *j);

/*
 * The string at pos (its '"'), decoded: escapes resolved, \u escapes as
 * UTF-8, a surrogate pair as one code point, a lone surrogate as U+FFFD.
 * The first min(*len, cap) decoded bytes go to out (no NUL; out may be NULL
 * when cap is 0); *len gets the whole decoded length. 0 or an error.
 */
int ws_json_string(struct ws_json *j, char *out, size_t cap, size_t *len);

/*
 * The number at pos (-?int frac? exp?). *is_int: it is a plain integer that
 * fits int64_t, then in *iv (iv may be NULL). A number that ends where the
 * bytes end counts as whole. 0 or an error.
 */
int ws_json_number(struct ws_json *j, int64_t *iv, bool *is_int);

/* Consumes "null" at pos when it is there. */
bool ws_json_null(struct ws_json *j);

/*
 * Checks and skips the value after whitespace, containers and all, when it
 * nests at most max_depth (<= WS_JSON_MAX_NEST) containers counting itself.
 */
int ws_json_skip(struct ws_json *j, unsigned max_depth);

/*
 * The next member of the object whose '{' has been consumed: 1 with its key
 * read as by ws_json_string() and its ':' consumed (the value is next), 0 at
 * the closing '}' (consumed). *first is true before the first call.
 */
int ws_json_member(struct ws_json *j, bool *first, char *key, size_t cap, size_t *keylen);

#endif /* WS_JSON_H */
