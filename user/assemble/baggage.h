/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * W3C Baggage: the members of a baggage header whose keys the operator
 * allowed, and the percent-decoding of their values. Baggage is
 * caller-supplied data, so nothing of it is taken unless asked for by key.
 */
#ifndef WS_BAGGAGE_H
#define WS_BAGGAGE_H

#include <stddef.h>

#define WS_BAGGAGE_MAX_KEYS 16
#define WS_BAGGAGE_MAX_MEMBERS 64 /* the spec's minimum: more are not walked */
#define WS_BAGGAGE_MAX_BYTES 8192 /* likewise, for the header value */

/* Allowed keys; keys[i] (klens[i] bytes, not NUL-terminated) point into the parsed csv. */
struct ws_baggage_allow {
	const char *keys[WS_BAGGAGE_MAX_KEYS];
	size_t klens[WS_BAGGAGE_MAX_KEYS];
	size_t nkeys;
};

/*
 * Parses a comma-separated allowlist such as "partnerId, tenant". OWS around
 * a key is trimmed, empty entries are skipped, a key listed twice is kept
 * once. NULL or "" give an empty allowlist. -EINVAL (out untouched) when a
 * key is not an RFC 9110 token or there are more than WS_BAGGAGE_MAX_KEYS
 * keys. The keys point into csv: the caller keeps it alive and unchanged.
 */
int ws_baggage_parse_allowlist(const char *csv, struct ws_baggage_allow *out);

/*
 * key/klen: the allowlist's copy of the key (lives as long as its csv).
 * val/vlen: the raw value, still percent-encoded, pointing into the header:
 * only baggage-octets (printable ASCII without space, '"', ',', ';', '\'),
 * possibly empty. Decode it with ws_pct_decode().
 */
typedef void (*ws_baggage_cb)(void *ctx, const char *key, size_t klen, const char *val,
			      size_t vlen);

/*
 * Walks the list-members (key OWS "=" OWS value *(OWS ";" OWS property)) of
 * a baggage header value and calls cb for each one whose key is on the
 * allowlist (exact, case-sensitive). OWS around keys and values is trimmed,
 * properties are ignored. A member without '=', with a key that is not a
 * token or with a value holding a char that is not a baggage-octet is
 * skipped. A key that appears more than once is reported once: the first
 * valid occurrence wins. The caller joins several baggage header lines with
 * ','.
 *
 * Returns the number of calls made, or -E2BIG when the header is longer than
 * WS_BAGGAGE_MAX_BYTES or holds more than WS_BAGGAGE_MAX_MEMBERS non-empty
 * members: then only the members that end within the first
 * WS_BAGGAGE_MAX_BYTES bytes, up to the first WS_BAGGAGE_MAX_MEMBERS, were
 * walked (their calls were made), the rest dropped as the spec permits.
 * An empty or NULL allowlist returns 0 at once without reading hdr.
 * -EINVAL when hdr is NULL with len > 0 or cb is NULL.
 */
int ws_baggage_each_allowed(const char *hdr, size_t len, const struct ws_baggage_allow *allow,
			    ws_baggage_cb cb, void *ctx);

/*
 * Percent-decodes in[0..len) into out (RFC 3986 %XX, either case; '+' stays
 * '+'), making it safe to display and valid UTF-8: a '%' not followed by two
 * hex digits is kept literally, control chars (C0, DEL, and C1 as UTF-8)
 * become '?', and bytes that do not form UTF-8 become U+FFFD as the Baggage
 * spec requires. Stops before a character that would not fit in outsz, so
 * the output never ends in a cut character. Returns the bytes written; out
 * is not NUL-terminated.
 */
size_t ws_pct_decode(const char *in, size_t len, char *out, size_t outsz);

#endif /* WS_BAGGAGE_H */
