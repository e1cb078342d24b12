/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A reader of the protobuf wire format for the few small messages the agent
 * receives (a collector's answer, a gRPC error's details): field by field
 * over a bounded byte range, unknown fields skipped, nothing allocated.
 * Anything cut or malformed is -EBADMSG, never a read past the end.
 */
#ifndef WS_PBWIRE_H
#define WS_PBWIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

enum { WS_PB_VARINT = 0, WS_PB_I64 = 1, WS_PB_LEN = 2, WS_PB_I32 = 5 };

struct ws_pb_reader {
	const uint8_t *p, *end;
};

/* One field: its number, wire type, and value (varint/fixed in v, bytes in data/len). */
struct ws_pb_field {
	uint32_t num;
	uint32_t type;
	uint64_t v;
	const uint8_t *data;
	size_t len;
};

static inline int ws_pb_varint(struct ws_pb_reader *r, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (r->p == r->end)
			return -EBADMSG;
		b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -EBADMSG; /* more than ten bytes */
}

/* The next field: 1, 0 at the end, -EBADMSG (groups, which OTLP never uses, included). */
static inline int ws_pb_next(struct ws_pb_reader *r, struct ws_pb_field *f)
{
	uint64_t key, len;

	if (r->p == r->end)
		return 0;
	if (ws_pb_varint(r, &key) || key >> 32 || (key >> 3) == 0)
		return -EBADMSG;
	f->num = (uint32_t)(key >> 3);
	f->type = (uint32_t)(key & 7);
	f->v = 0;
	f->data = NULL;
	f->len = 0;
	switch (f->type) {
	case WS_PB_VARINT:
		return ws_pb_varint(r, &f->v) ? -EBADMSG : 1;
	case WS_PB_I64:
	case WS_PB_I32: {
		size_t n = f->type == WS_PB_I64 ? 8 : 4;

		if ((size_t)(r->end - r->p) < n)
			return -EBADMSG;
		for (size_t i = 0; i < n; i++)
			f->v |= (uint64_t)r->p[i] << (8 * i);
		r->p += n;
		return 1;
	}
	case WS_PB_LEN:
		if (ws_pb_varint(r, &len) || len > (uint64_t)(r->end - r->p))
			return -EBADMSG;
		f->data = r->p;
		f->len = (size_t)len;
		r->p += len;
		return 1;
	default:
		return -EBADMSG;
	}
}

#endif /* WS_PBWIRE_H */
