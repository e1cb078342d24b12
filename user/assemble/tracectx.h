/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * W3C Trace Context: traceparent parsing and tracestate validation by the
 * specification's rules (Trace Context Level 2: its tracestate keys allow '@'
 * anywhere after the first char, which subsumes level 1's tenant@system), and
 * span/trace id generation.
 */
#ifndef WS_TRACECTX_H
#define WS_TRACECTX_H

#include <stddef.h>
#include <stdint.h>

struct ws_traceparent {
	uint8_t version;
	uint8_t trace_id[16];
	uint8_t parent_id[8];
	uint8_t flags;
};

/*
 * Parses a traceparent header value. 0 when valid, -EINVAL otherwise (all-zero
 * ids, version ff, wrong lengths, upper-case hex, a version 00 value with
 * trailing data). A future version is parsed by its first four fields when
 * the spec allows it.
 */
int ws_traceparent_parse(const char *val, size_t len, struct ws_traceparent *out);

#define WS_TRACESTATE_MAX_MEMBERS 32

/*
 * Validates a tracestate header value and writes its normalized form to out:
 * the list-members in their order, joined by ',', without OWS and without
 * empty members, then a NUL. Returns that length (0 for an empty or blank
 * list), -EINVAL when the list is invalid (a bad key or value, more than 32
 * list-members, a duplicate key: the caller drops the whole tracestate, the
 * traceparent stays valid), or -ENOSPC when it is valid but the normalized
 * list and its NUL exceed outsz. out is written only on success. With out
 * NULL and outsz 0 the value is only checked and the length returned.
 *
 * Several tracestate header lines are one list (RFC 9110 5.3): the caller
 * joins their values in order with ',' and checks the result once, so the
 * limits and the duplicate rule apply to the combined list. Empty lines are
 * harmless: empty members are skipped.
 */
int ws_tracestate_check(const char *val, size_t len, char *out, size_t outsz);

/* Random non-zero ids from a fast per-thread generator seeded by getrandom(). */
void ws_ids_trace(uint8_t out[16]);
void ws_ids_span(uint8_t out[8]);

/* Lower-case hex of n bytes into out (2n chars + NUL). */
void ws_hex(const uint8_t *in, size_t n, char *out);

#endif /* WS_TRACECTX_H */
