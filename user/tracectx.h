/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * W3C Trace Context: traceparent parsing by the specification's rules
 * (version 00, future versions, invalid values), and span/trace id generation.
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

/* Random non-zero ids from a fast per-thread generator seeded by getrandom(). */
void ws_ids_trace(uint8_t out[16]);
void ws_ids_span(uint8_t out[8]);

/* Lower-case hex of n bytes into out (2n chars + NUL). */
void ws_hex(const uint8_t *in, size_t n, char *out);

#endif /* WS_TRACECTX_H */
