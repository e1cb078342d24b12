/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Writes one ExportTraceServiceRequest straight from a batch of spans, in
 * protobuf wire format, with no message tree. The request is written back to
 * front, so the length of every nested message is known by the time its
 * prefix is written and one pass over the spans suffices. (Building
 * protobuf-c's tree, sizing it and packing it cost about a quarter of the
 * agent's CPU; protobuf-c stays as the tests' decoder.) Fields go out in
 * field-number order, as protobuf-c and the reference encoders write them.
 * Strings go out as they are when they are valid UTF-8, which OTLP requires;
 * others are repaired on the way, each bad byte becoming U+FFFD.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_group.h"
#include "otlp_pb.h"
#include "resource.h"
#include "span.h"
#include "utf8.h"

#ifndef WS_VERSION
#define WS_VERSION "0.0.0-dev"
#endif

/* Wire types. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* Field numbers of opentelemetry/proto, v1. */
enum {
	F_REQ_RESOURCE_SPANS = 1,
	F_RS_RESOURCE = 1,
	F_RS_SCOPE_SPANS = 2,
	F_RES_ATTRIBUTES = 1,
	F_SS_SCOPE = 1,
	F_SS_SPANS = 2,
	F_SCOPE_NAME = 1,
	F_SCOPE_VERSION = 2,
	F_SPAN_TRACE_ID = 1,
	F_SPAN_SPAN_ID = 2,
	F_SPAN_TRACE_STATE = 3,
	F_SPAN_PARENT_SPAN_ID = 4,
	F_SPAN_NAME = 5,
	F_SPAN_KIND = 6,
	F_SPAN_START = 7,
	F_SPAN_END = 8,
	F_SPAN_ATTRIBUTES = 9,
	F_SPAN_DROPPED_ATTRIBUTES = 10,
	F_SPAN_EVENTS = 11,
	F_SPAN_LINKS = 13,
	F_SPAN_STATUS = 15,
	F_SPAN_FLAGS = 16,
	F_EVENT_TIME = 1,
	F_EVENT_NAME = 2,
	F_EVENT_ATTRIBUTES = 3,
	F_LINK_TRACE_ID = 1,
	F_LINK_SPAN_ID = 2,
	F_LINK_FLAGS = 6,
	F_STATUS_CODE = 3,
	F_KV_KEY = 1,
	F_KV_VALUE = 2,
	F_ANY_STRING = 1,
	F_ANY_INT = 3,
};

/*
 * The back-to-front writer: p moves down from end toward start. Room is
 * made once per piece (a span, a resource, the scope) for a bound on what
 * it can write (the buffer grows, the written tail moving to the new end);
 * the piece is then written through a plain cursor with no check per byte,
 * which kept the cursor in memory and cost a quarter of the encoding. After
 * a failed growth the writer stops writing and remembers it.
 */
struct rw {
	struct ws_buf *b;
	uint8_t *p;
	bool failed;
};

static inline size_t rw_pos(const struct rw *w)
{
	/* Bytes written so far: positions stay valid when the buffer moves. */
	return (size_t)(w->b->data + w->b->cap - w->p);
}

static bool __attribute__((noinline)) rw_grow(struct rw *w, size_t n)
{
	size_t used = rw_pos(w), old_cap = w->b->cap;

	if (w->failed)
		return false;
	if (ws_buf_reserve(w->b, used + n + used / 2 + 1024)) {
		w->failed = true;
		return false;
	}
	/* ws_buf_reserve kept the bytes at the front: the tail goes to the new end. */
	memmove(w->b->data + w->b->cap - used, w->b->data + old_cap - used, used);
	w->p = w->b->data + w->b->cap - used;
	return true;
}

static inline bool rw_room(struct rw *w, size_t n)
{
	return (!w->failed && (size_t)(w->p - w->b->data) >= n) || rw_grow(w, n);
}

/*
 * Bounds for rw_room: a tag (fields up to 16: two bytes) and a length
 * varint take at most FIELD_HEAD; repaired text is at most three times as
 * long as what it repairs (each bad byte becomes a three-byte U+FFFD).
 */
#define FIELD_HEAD 12
#define TEXT_MAX(len) (FIELD_HEAD + 3 * (size_t)(len))
/* A KeyValue: its key, its AnyValue (a text or a varint) and two wrappers. */
#define KV_MAX(klen, vlen) (4 * FIELD_HEAD + 3 * (size_t)(klen) + TEXT_MAX(vlen))

/* The unchecked writers: each takes the cursor and returns it moved down. */
static inline uint8_t *put_raw(uint8_t *p, const void *d, size_t n)
{
	p -= n;
	memcpy(p, d, n);
	return p;
}

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	if (v < 0x80) {
		*--p = (uint8_t)v;
		return p;
	}
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	return put_raw(p, tmp, n);
}

static inline uint8_t *put_tag(uint8_t *p, unsigned int field, unsigned int wt)
{
	return put_varint(p, (uint64_t)field << 3 | wt);
}

/* Closes a length-delimited field whose content lies between p and mark. */
static inline uint8_t *put_len_field(uint8_t *p, unsigned int field, const uint8_t *mark)
{
	p = put_varint(p, (size_t)(mark - p));
	return put_tag(p, field, WT_LEN);
}

static inline uint8_t *put_bytes_field(uint8_t *p, unsigned int field, const void *d, size_t n)
{
	p = put_raw(p, d, n);
	p = put_varint(p, n);
	return put_tag(p, field, WT_LEN);
}

static inline uint8_t *put_fixed64_field(uint8_t *p, unsigned int field, uint64_t v)
{
	uint64_t le = htole64(v);

	p = put_raw(p, &le, sizeof(le));
	return put_tag(p, field, WT_I64);
}

static inline uint8_t *put_fixed32_field(uint8_t *p, unsigned int field, uint32_t v)
{
	uint32_t le = htole32(v);

	p = put_raw(p, &le, sizeof(le));
	return put_tag(p, field, WT_I32);
}

static inline uint8_t *put_varint_field(uint8_t *p, unsigned int field, uint64_t v)
{
	p = put_varint(p, v);
	return put_tag(p, field, WT_VARINT);
}

/* Room: TEXT_MAX(len). rlen is ws_utf8_repair_len() of it. */
static uint8_t *put_text_rlen(uint8_t *p, unsigned int field, const char *text, size_t len,
			      size_t rlen)
{
	if (rlen == len) {
		p = put_raw(p, text, len);
	} else {
		p -= rlen;
		ws_utf8_repair(p, (const unsigned char *)text, len);
	}
	p = put_varint(p, rlen);
	return put_tag(p, field, WT_LEN);
}

static uint8_t *put_text_field(uint8_t *p, unsigned int field, const char *text, size_t len)
{
	const unsigned char *u = (const unsigned char *)text;

	return put_text_rlen(p, field, text, len, ws_utf8_repair_len(u, len));
}

/* A length-delimited field's one-byte tag and one-byte length (field < 16, n < 128). */
static inline uint8_t *put_head1(uint8_t *p, unsigned int field, size_t n)
{
	p -= 2;
	p[0] = (uint8_t)(field << 3 | WT_LEN);
	p[1] = (uint8_t)n;
	return p;
}

/*
 * An attribute key: a literal or a token the configuration checked, so
 * ASCII by construction (span.h) and written without the UTF-8 check.
 */
static inline uint8_t *put_key(uint8_t *p, const char *key, size_t klen)
{
	return put_bytes_field(p, F_KV_KEY, key, klen);
}

/*
 * A KeyValue with a string AnyValue, as field `field` (< 16) of the
 * enclosing message. Most fit in 128 bytes: every length is then one byte,
 * written as such. ascii: the span found the value plain ASCII when it
 * copied it in (span.h), so it needs no UTF-8 check here.
 */
static uint8_t *put_kv_str_long(uint8_t *p, unsigned int field, const char *key, size_t klen,
				const char *val, size_t len, size_t rlen)
{
	uint8_t *kv = p;

	p = put_text_rlen(p, F_ANY_STRING, val, len, rlen);
	p = put_len_field(p, F_KV_VALUE, kv);
	p = put_key(p, key, klen);
	return put_len_field(p, field, kv);
}

static inline uint8_t *put_kv_str(uint8_t *p, unsigned int field, const char *key, size_t klen,
				  const char *val, size_t len, bool ascii)
{
	size_t rlen = ascii ? len : ws_utf8_repair_len((const unsigned char *)val, len);

	if (rlen != len || klen + len + 6 >= 128)
		return put_kv_str_long(p, field, key, klen, val, len, rlen);
	p = put_raw(p, val, len);
	p = put_head1(p, F_ANY_STRING, len);
	p = put_head1(p, F_KV_VALUE, len + 2);
	p = put_raw(p, key, klen);
	p = put_head1(p, F_KV_KEY, klen);
	return put_head1(p, field, klen + len + 6);
}

static uint8_t *put_kv_int(uint8_t *p, unsigned int field, const char *key, size_t klen,
			   int64_t val)
{
	uint8_t *kv = p;

	/* int64: negative values are ten-byte two's complement varints */
	p = put_varint_field(p, F_ANY_INT, (uint64_t)val);
	if (klen + 15 < 128) {
		size_t any = (size_t)(kv - p);

		p = put_head1(p, F_KV_VALUE, any);
		p = put_raw(p, key, klen);
		p = put_head1(p, F_KV_KEY, klen);
		return put_head1(p, field, klen + any + 4);
	}
	p = put_len_field(p, F_KV_VALUE, kv);
	p = put_key(p, key, klen);
	return put_len_field(p, field, kv);
}

/*
 * The resource's attributes (resource.c has the list), written last to
 * first. Keys from an environment are text like any other: checked.
 */
static void put_resource(struct rw *w, const struct ws_resource *r)
{
	struct ws_res_kv kv[WS_RES_KVS_MAX];
	size_t klen[WS_RES_KVS_MAX];
	size_t n = ws_resource_kvs(r, kv), room = 2 * FIELD_HEAD;
	uint8_t *p, *mark;

	for (size_t i = 0; i < n; i++) {
		klen[i] = strlen(kv[i].key);
		room += KV_MAX(klen[i], kv[i].str ? kv[i].len : 0);
	}
	if (!rw_room(w, room))
		return;
	p = mark = w->p;
	while (n-- > 0) {
		uint8_t *at = p;

		if (kv[n].str)
			p = put_text_field(p, F_ANY_STRING, kv[n].str, kv[n].len);
		else
			p = put_varint_field(p, F_ANY_INT, (uint64_t)kv[n].ival);
		p = put_len_field(p, F_KV_VALUE, at);
		if (kv[n].agent_key)
			p = put_key(p, kv[n].key, klen[n]);
		else
			p = put_text_field(p, F_KV_KEY, kv[n].key, klen[n]);
		p = put_len_field(p, F_RES_ATTRIBUTES, at);
	}
	w->p = put_len_field(p, F_RS_RESOURCE, mark);
}

#define EXC_TYPE_KEY "exception.type"
#define EXC_MSG_KEY "exception.message"

/* Room: exception_max(s). */
static uint8_t *put_exception_event(uint8_t *p, const struct ws_span *s)
{
	uint8_t *ev = p;

	if (ws_span_in_arena(s, s->exc_msg_off, s->exc_msg_len))
		p = put_kv_str(p, F_EVENT_ATTRIBUTES, EXC_MSG_KEY, sizeof(EXC_MSG_KEY) - 1,
			       s->strbuf + s->exc_msg_off, s->exc_msg_len, false);
	if (ws_span_in_arena(s, s->exc_type_off, s->exc_type_len))
		p = put_kv_str(p, F_EVENT_ATTRIBUTES, EXC_TYPE_KEY, sizeof(EXC_TYPE_KEY) - 1,
			       s->strbuf + s->exc_type_off, s->exc_type_len, false);
	p = put_text_field(p, F_EVENT_NAME, "exception", 9);
	p = put_fixed64_field(p, F_EVENT_TIME, s->exc_time_unix_ns);
	return put_len_field(p, F_SPAN_EVENTS, ev);
}

static size_t exception_max(const struct ws_span *s)
{
	return KV_MAX(sizeof(EXC_MSG_KEY), s->exc_msg_len) +
	       KV_MAX(sizeof(EXC_TYPE_KEY), s->exc_type_len) + TEXT_MAX(9) + 3 * FIELD_HEAD;
}

/* Room: LINK_MAX. */
static uint8_t *put_link(uint8_t *p, const struct ws_span_link *l)
{
	uint8_t *mark = p;

	if (l->trace_flags)
		p = put_fixed32_field(p, F_LINK_FLAGS, l->trace_flags);
	p = put_bytes_field(p, F_LINK_SPAN_ID, l->span_id, sizeof(l->span_id));
	p = put_bytes_field(p, F_LINK_TRACE_ID, l->trace_id, sizeof(l->trace_id));
	return put_len_field(p, F_SPAN_LINKS, mark);
}

#define LINK_MAX                                                                                   \
	(4 * FIELD_HEAD + 4 + sizeof(((struct ws_span_link *)0)->span_id) +                        \
	 sizeof(((struct ws_span_link *)0)->trace_id))
/* Everything of a span but its attributes, tracestate and exception event. */
#define SPAN_FIXED_MAX                                                                             \
	(16 * FIELD_HEAD + WS_SPAN_MAX_LINKS * LINK_MAX +                                          \
	 TEXT_MAX(sizeof(((struct ws_span *)0)->name)) + 2 * 8 + 4 + 8 + 8 + 16)

static void put_span(struct rw *w, const struct ws_span *s)
{
	size_t nattrs = s->nattrs < WS_SPAN_MAX_ATTRS ? s->nattrs : WS_SPAN_MAX_ATTRS;
	size_t nlinks = s->nlinks < WS_SPAN_MAX_LINKS ? s->nlinks : WS_SPAN_MAX_LINKS;
	size_t klen[WS_SPAN_MAX_ATTRS];
	uint32_t dropped = s->dropped_attrs;
	size_t room = SPAN_FIXED_MAX + TEXT_MAX(s->tracestate_len), i;
	size_t used = s->strbuf_used < WS_SPAN_STRBUF ? s->strbuf_used : WS_SPAN_STRBUF;
	uint8_t *p, *mark;

	/*
	 * An attribute outside the arena would be a bug upstream: drop it,
	 * don't read it. ws_attr_readable() with the arena's end read once:
	 * off and len are 16 bits, so their sum does not wrap.
	 */
	for (i = 0; i < nattrs; i++) {
		const struct ws_attr *at = &s->attrs[i];
		size_t vlen = at->type == WS_ATTR_STR ? at->len : 0;

		if (!at->key || (at->type != WS_ATTR_INT &&
				 (at->type != WS_ATTR_STR || (size_t)at->off + vlen > used))) {
			dropped++;
			klen[i] = SIZE_MAX;
			continue;
		}
		klen[i] = ws_attr_klen(at);
		room += KV_MAX(klen[i], vlen);
	}
	if (s->exc_time_unix_ns)
		room += exception_max(s);
	if (!rw_room(w, room))
		return;
	p = mark = w->p;

	/* Low 8 bits: W3C trace-flags. Whether the parent is remote is not known here. */
	if (s->trace_flags)
		p = put_fixed32_field(p, F_SPAN_FLAGS, s->trace_flags);
	/* Unset is the default: the Status message is left out then. */
	if (s->status != WS_STATUS_UNSET) {
		uint8_t *st = p;

		p = put_varint_field(p, F_STATUS_CODE, s->status);
		p = put_len_field(p, F_SPAN_STATUS, st);
	}
	for (i = nlinks; i-- > 0;)
		p = put_link(p, &s->links[i]);
	if (s->exc_time_unix_ns)
		p = put_exception_event(p, s);
	if (dropped)
		p = put_varint_field(p, F_SPAN_DROPPED_ATTRIBUTES, dropped);
	/* Attributes go out last to first, so they read in the order they were added. */
	for (i = nattrs; i-- > 0;) {
		const struct ws_attr *at = &s->attrs[i];

		if (klen[i] == SIZE_MAX)
			continue;
		if (at->type == WS_ATTR_STR)
			p = put_kv_str(p, F_SPAN_ATTRIBUTES, at->key, klen[i], s->strbuf + at->off,
				       at->len, at->ascii);
		else
			p = put_kv_int(p, F_SPAN_ATTRIBUTES, at->key, klen[i], at->ival);
	}
	p = put_fixed64_field(p, F_SPAN_END, s->end_unix_ns);
	p = put_fixed64_field(p, F_SPAN_START, s->start_unix_ns);
	if (s->kind)
		p = put_varint_field(p, F_SPAN_KIND, s->kind);
	/* The name: NUL-terminated unless full. */
	p = put_text_field(p, F_SPAN_NAME, s->name, strnlen(s->name, sizeof(s->name)));
	/* A root span's parent is absent on the wire, not eight zero bytes. */
	if (!ws_span_is_root(s))
		p = put_bytes_field(p, F_SPAN_PARENT_SPAN_ID, s->parent_span_id,
				    sizeof(s->parent_span_id));
	if (s->tracestate_len && ws_span_in_arena(s, s->tracestate_off, s->tracestate_len))
		p = put_text_field(p, F_SPAN_TRACE_STATE, s->strbuf + s->tracestate_off,
				   s->tracestate_len);
	p = put_bytes_field(p, F_SPAN_SPAN_ID, s->span_id, sizeof(s->span_id));
	p = put_bytes_field(p, F_SPAN_TRACE_ID, s->trace_id, sizeof(s->trace_id));
	w->p = put_len_field(p, F_SS_SPANS, mark);
}

/* The InstrumentationScope: the same bytes in every ScopeSpans. */
static void put_scope(struct rw *w)
{
	uint8_t *p, *mark;

	if (!rw_room(w, TEXT_MAX(sizeof(WS_VERSION)) + TEXT_MAX(8) + FIELD_HEAD))
		return;
	p = mark = w->p;
	p = put_text_field(p, F_SCOPE_VERSION, WS_VERSION, sizeof(WS_VERSION) - 1);
	p = put_text_field(p, F_SCOPE_NAME, "wirespan", 8);
	w->p = put_len_field(p, F_SS_SCOPE, mark);
}

/* Closes a length-delimited field whose content was written since position mark. */
static void close_field(struct rw *w, unsigned int field, size_t mark)
{
	if (rw_room(w, FIELD_HEAD))
		w->p = put_len_field(w->p, field, w->p + (rw_pos(w) - mark));
}

int ws_buf_reserve(struct ws_buf *b, size_t cap)
{
	size_t ncap = b->cap ? b->cap : 4096;
	uint8_t *p;

	if (cap <= b->cap)
		return 0;
	while (ncap < cap) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	p = realloc(b->data, ncap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

void ws_buf_release(struct ws_buf *b)
{
	free(b->data);
	free(b->scratch);
	*b = (struct ws_buf)WS_BUF_INIT;
}

int ws_otlp_encode_end(struct ws_span *const *spans, size_t n, struct ws_buf *out,
		       const uint8_t **data, size_t *len)
{
	struct ws_otlp_groups grp;
	struct rw w;
	size_t gi;
	int err;

	out->len = 0;
	*data = out->data;
	*len = 0;
	if (!n)
		return 0;
	err = ws_otlp_group(spans, n, out, &grp);
	if (err)
		return err;
	/* A guess that holds most batches whole: ~400 bytes a span. */
	err = ws_buf_reserve(out, 512 * n + 1024);
	if (err)
		return err;
	w = (struct rw){ .b = out, .p = out->data + out->cap };

	/* Back to front: the last group first, its last span first. */
	for (gi = grp.n; gi-- > 0;) {
		const struct ws_otlp_group *g = &grp.group[gi];
		size_t rs = rw_pos(&w), ss, i;

		ss = rw_pos(&w);
		for (i = g->nspans; i-- > 0;)
			put_span(&w, spans[grp.order[g->first + i]]);
		put_scope(&w);
		close_field(&w, F_RS_SCOPE_SPANS, ss);
		put_resource(&w, g->res);
		close_field(&w, F_REQ_RESOURCE_SPANS, rs);
	}
	if (w.failed)
		return -ENOMEM;
	*data = w.p;
	*len = rw_pos(&w);
	return 0;
}

int ws_otlp_encode(struct ws_span *const *spans, size_t n, struct ws_buf *out)
{
	const uint8_t *data;
	size_t len;
	int err = ws_otlp_encode_end(spans, n, out, &data, &len);

	if (err || !len)
		return err;
	/* The request ends at the buffer's end: move it to the front, where callers read it. */
	memmove(out->data, data, len);
	out->len = len;
	return 0;
}
