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
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "hashmix.h"
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
 * The back-to-front writer: p moves down from end toward start. Every put
 * makes room first (the buffer grows, the written tail moving to the new
 * end), so no bound has to be computed up front. After a failed growth the
 * writer stops writing and remembers it.
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
	return (size_t)(w->p - w->b->data) >= n || rw_grow(w, n);
}

static inline void put_raw(struct rw *w, const void *d, size_t n)
{
	if (!rw_room(w, n))
		return;
	w->p -= n;
	memcpy(w->p, d, n);
}

static inline void put_varint(struct rw *w, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	if (v < 0x80) {
		if (rw_room(w, 1))
			*--w->p = (uint8_t)v;
		return;
	}
	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	put_raw(w, tmp, n);
}

static inline void put_tag(struct rw *w, unsigned int field, unsigned int wt)
{
	put_varint(w, (uint64_t)field << 3 | wt);
}

/* Closes a length-delimited field whose content was written since mark. */
static inline void put_len_field(struct rw *w, unsigned int field, size_t mark)
{
	put_varint(w, rw_pos(w) - mark);
	put_tag(w, field, WT_LEN);
}

static inline void put_bytes_field(struct rw *w, unsigned int field, const void *d, size_t n)
{
	put_raw(w, d, n);
	put_varint(w, n);
	put_tag(w, field, WT_LEN);
}

static inline void put_fixed64_field(struct rw *w, unsigned int field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	put_raw(w, le, sizeof(le));
	put_tag(w, field, WT_I64);
}

static inline void put_fixed32_field(struct rw *w, unsigned int field, uint32_t v)
{
	uint8_t le[4];

	for (int i = 0; i < 4; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	put_raw(w, le, sizeof(le));
	put_tag(w, field, WT_I32);
}

static inline void put_varint_field(struct rw *w, unsigned int field, uint64_t v)
{
	put_varint(w, v);
	put_tag(w, field, WT_VARINT);
}

/* Eight bytes of ASCII without NUL: the common case, checked a word at a time. */
static inline bool ascii8(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return !(w & 0x8080808080808080ULL) &&
	       !((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL);
}

/*
 * The length of p[0..len) once repaired: len when it can go out as it is.
 * A receiver that checks UTF-8 (the Collector does) rejects the whole
 * request over one bad byte, which raw HTTP headers and file names can well
 * contain.
 */
static size_t text_len(const unsigned char *p, size_t len)
{
	size_t i = 0, n, out = 0;

	while (len - i >= 8 && ascii8(p + i))
		i += 8;
	out = i;
	while (i < len) {
		if (p[i] - 1u < 0x7f) {
			i++;
			out++;
			continue;
		}
		n = ws_utf8_seq(p + i, len - i);
		if (n) {
			i += n;
			out += n;
		} else {
			i++;
			out += 3;
		}
	}
	return out;
}

/* Writes the repaired copy of p[0..len), rlen bytes long, at dst. */
static void text_repair(uint8_t *dst, const unsigned char *p, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		n = p[i] - 1u < 0x7f ? 1 : ws_utf8_seq(p + i, len - i);
		if (n) {
			memcpy(dst, p + i, n);
			dst += n;
			i += n;
		} else {
			memcpy(dst, WS_UTF8_REPLACEMENT, 3);
			dst += 3;
			i++;
		}
	}
}

static void put_text_field(struct rw *w, unsigned int field, const char *text, size_t len)
{
	size_t rlen = text_len((const unsigned char *)text, len);

	if (rlen == len) {
		put_raw(w, text, len);
	} else if (rw_room(w, rlen)) {
		w->p -= rlen;
		text_repair(w->p, (const unsigned char *)text, len);
	}
	put_varint(w, rlen);
	put_tag(w, field, WT_LEN);
}

/* A fixed char array of a resource, or a span's name: NUL-terminated unless full. */
static void put_field_text(struct rw *w, unsigned int field, const char *f, size_t size)
{
	put_text_field(w, field, f, strnlen(f, size));
}

/*
 * An attribute key: a literal or a token the configuration checked, so
 * ASCII by construction (span.h) and written without the UTF-8 check.
 */
static inline void put_key(struct rw *w, const char *key)
{
	put_bytes_field(w, F_KV_KEY, key, strlen(key));
}

/* A KeyValue with a string AnyValue, as field `field` of the enclosing message. */
static void put_kv_str(struct rw *w, unsigned int field, const char *key, const char *val,
		       size_t len)
{
	size_t kv = rw_pos(w), any;

	any = rw_pos(w);
	put_text_field(w, F_ANY_STRING, val, len);
	put_len_field(w, F_KV_VALUE, any);
	put_key(w, key);
	put_len_field(w, field, kv);
}

static void put_kv_int(struct rw *w, unsigned int field, const char *key, int64_t val)
{
	size_t kv = rw_pos(w), any;

	any = rw_pos(w);
	/* int64: negative values are ten-byte two's complement varints */
	put_varint_field(w, F_ANY_INT, (uint64_t)val);
	put_len_field(w, F_KV_VALUE, any);
	put_key(w, key);
	put_len_field(w, field, kv);
}

/*
 * The resource's attributes (resource.c has the list), written last to
 * first. Keys from an environment are text like any other: checked.
 */
static void put_resource(struct rw *w, const struct ws_resource *r)
{
	struct ws_res_kv kv[WS_RES_KVS_MAX];
	size_t mark = rw_pos(w), n = ws_resource_kvs(r, kv);

	while (n-- > 0) {
		size_t at = rw_pos(w), any = at;

		if (kv[n].str)
			put_text_field(w, F_ANY_STRING, kv[n].str, kv[n].len);
		else
			put_varint_field(w, F_ANY_INT, (uint64_t)kv[n].ival);
		put_len_field(w, F_KV_VALUE, any);
		if (kv[n].agent_key)
			put_key(w, kv[n].key);
		else
			put_text_field(w, F_KV_KEY, kv[n].key, strlen(kv[n].key));
		put_len_field(w, F_RES_ATTRIBUTES, at);
	}
	put_len_field(w, F_RS_RESOURCE, mark);
}

static void put_exception_event(struct rw *w, const struct ws_span *s)
{
	size_t ev = rw_pos(w);

	if (ws_span_in_arena(s, s->exc_msg_off, s->exc_msg_len))
		put_kv_str(w, F_EVENT_ATTRIBUTES, "exception.message", s->strbuf + s->exc_msg_off,
			   s->exc_msg_len);
	if (ws_span_in_arena(s, s->exc_type_off, s->exc_type_len))
		put_kv_str(w, F_EVENT_ATTRIBUTES, "exception.type", s->strbuf + s->exc_type_off,
			   s->exc_type_len);
	put_text_field(w, F_EVENT_NAME, "exception", 9);
	put_fixed64_field(w, F_EVENT_TIME, s->exc_time_unix_ns);
	put_len_field(w, F_SPAN_EVENTS, ev);
}

static void put_link(struct rw *w, const struct ws_span_link *l)
{
	size_t mark = rw_pos(w);

	if (l->trace_flags)
		put_fixed32_field(w, F_LINK_FLAGS, l->trace_flags);
	put_bytes_field(w, F_LINK_SPAN_ID, l->span_id, sizeof(l->span_id));
	put_bytes_field(w, F_LINK_TRACE_ID, l->trace_id, sizeof(l->trace_id));
	put_len_field(w, F_SPAN_LINKS, mark);
}

static void put_span(struct rw *w, const struct ws_span *s)
{
	size_t nattrs = s->nattrs < WS_SPAN_MAX_ATTRS ? s->nattrs : WS_SPAN_MAX_ATTRS;
	size_t nlinks = s->nlinks < WS_SPAN_MAX_LINKS ? s->nlinks : WS_SPAN_MAX_LINKS;
	uint32_t dropped = s->dropped_attrs;
	size_t mark = rw_pos(w), i;

	/* Low 8 bits: W3C trace-flags. Whether the parent is remote is not known here. */
	if (s->trace_flags)
		put_fixed32_field(w, F_SPAN_FLAGS, s->trace_flags);
	/* Unset is the default: the Status message is left out then. */
	if (s->status != WS_STATUS_UNSET) {
		size_t st = rw_pos(w);

		put_varint_field(w, F_STATUS_CODE, s->status);
		put_len_field(w, F_SPAN_STATUS, st);
	}
	for (i = nlinks; i-- > 0;)
		put_link(w, &s->links[i]);
	if (s->exc_time_unix_ns)
		put_exception_event(w, s);
	/* An attribute outside the arena would be a bug upstream: drop it, don't read it. */
	for (i = 0; i < nattrs; i++)
		dropped += !ws_attr_readable(s, &s->attrs[i]);
	if (dropped)
		put_varint_field(w, F_SPAN_DROPPED_ATTRIBUTES, dropped);
	/* Attributes go out last to first, so they read in the order they were added. */
	for (i = nattrs; i-- > 0;) {
		const struct ws_attr *at = &s->attrs[i];

		if (!ws_attr_readable(s, at))
			continue;
		if (at->type == WS_ATTR_STR)
			put_kv_str(w, F_SPAN_ATTRIBUTES, at->key, s->strbuf + at->off, at->len);
		else
			put_kv_int(w, F_SPAN_ATTRIBUTES, at->key, at->ival);
	}
	put_fixed64_field(w, F_SPAN_END, s->end_unix_ns);
	put_fixed64_field(w, F_SPAN_START, s->start_unix_ns);
	if (s->kind)
		put_varint_field(w, F_SPAN_KIND, s->kind);
	put_field_text(w, F_SPAN_NAME, s->name, sizeof(s->name));
	/* A root span's parent is absent on the wire, not eight zero bytes. */
	if (!ws_span_is_root(s))
		put_bytes_field(w, F_SPAN_PARENT_SPAN_ID, s->parent_span_id,
				sizeof(s->parent_span_id));
	if (s->tracestate_len && ws_span_in_arena(s, s->tracestate_off, s->tracestate_len))
		put_text_field(w, F_SPAN_TRACE_STATE, s->strbuf + s->tracestate_off,
			       s->tracestate_len);
	put_bytes_field(w, F_SPAN_SPAN_ID, s->span_id, sizeof(s->span_id));
	put_bytes_field(w, F_SPAN_TRACE_ID, s->trace_id, sizeof(s->trace_id));
	put_len_field(w, F_SS_SPANS, mark);
}

/* The InstrumentationScope: the same bytes in every ScopeSpans. */
static void put_scope(struct rw *w)
{
	size_t mark = rw_pos(w);

	put_text_field(w, F_SCOPE_VERSION, WS_VERSION, sizeof(WS_VERSION) - 1);
	put_text_field(w, F_SCOPE_NAME, "wirespan", 8);
	put_len_field(w, F_SS_SCOPE, mark);
}

static inline size_t ptr_hash(const void *p, size_t mask)
{
	/* Resources are heap blocks: the low bits carry little, so mix them all in. */
	return (size_t)ws_mix64((uintptr_t)p) & mask;
}

static int scratch_reserve(struct ws_buf *b, size_t cap)
{
	void *p;

	if (cap <= b->scratch_cap)
		return 0;
	/* Batch sizes vary: grow geometrically, not once per slightly bigger batch. */
	if (cap < b->scratch_cap * 2)
		cap = b->scratch_cap * 2;
	p = realloc(b->scratch, cap);
	if (!p)
		return -ENOMEM;
	b->scratch = p;
	b->scratch_cap = cap;
	return 0;
}

/* One distinct resource of the batch and where its spans start in the order list. */
struct group {
	const struct ws_resource *res;
	uint32_t nspans;
	uint32_t first;
};

/*
 * Groups the spans by resource, keeping batch order within a group: fills
 * order[] with span indexes, group after group. The hash table (open
 * addressing, at most half full) and the tables live in b->scratch.
 */
static int group_spans(struct ws_span *const *spans, size_t n, struct ws_buf *b,
		       struct group **groups_out, uint32_t **order_out, size_t *ngroups)
{
	size_t nslots = 16, mask, i, ng = 0;
	size_t slots_sz, grp_sz, groups_sz, order_sz;
	uint32_t *slots, *span_grp, *order;
	struct group *groups;
	int err;

	while (nslots < 2 * n)
		nslots <<= 1;
	slots_sz = nslots * sizeof(uint32_t);
	grp_sz = n * sizeof(uint32_t);
	order_sz = n * sizeof(uint32_t);
	groups_sz = n * sizeof(struct group);
	err = scratch_reserve(b, groups_sz + slots_sz + grp_sz + order_sz);
	if (err)
		return err;
	/* struct group first: it has the strictest alignment */
	groups = b->scratch;
	slots = (uint32_t *)((char *)b->scratch + groups_sz);
	span_grp = slots + nslots;
	order = span_grp + n;
	memset(slots, 0, slots_sz);

	mask = nslots - 1;
	for (i = 0; i < n; i++) {
		const struct ws_resource *res = spans[i]->res;
		size_t h = ptr_hash(res, mask);

		/* slots hold group index + 1; 0 is empty */
		while (slots[h] && groups[slots[h] - 1].res != res)
			h = (h + 1) & mask;
		if (!slots[h]) {
			groups[ng] = (struct group){ .res = res };
			slots[h] = (uint32_t)++ng;
		}
		span_grp[i] = slots[h] - 1;
		groups[span_grp[i]].nspans++;
	}
	for (i = 1; i < ng; i++)
		groups[i].first = groups[i - 1].first + groups[i - 1].nspans;
	for (i = 0; i < ng; i++)
		groups[i].nspans = 0; /* refilled below as a cursor */
	for (i = 0; i < n; i++) {
		struct group *g = &groups[span_grp[i]];

		order[g->first + g->nspans++] = (uint32_t)i;
	}
	*groups_out = groups;
	*order_out = order;
	*ngroups = ng;
	return 0;
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

int ws_otlp_encode(struct ws_span *const *spans, size_t n, struct ws_buf *out)
{
	struct group *groups;
	uint32_t *order;
	size_t ngroups, gi, len;
	struct rw w;
	int err;

	out->len = 0;
	/* Indexes are 32-bit; no batch comes near. */
	if (n > UINT32_MAX / 2)
		return -ENOMEM;
	if (!n)
		return 0;
	err = group_spans(spans, n, out, &groups, &order, &ngroups);
	if (err)
		return err;
	/* A guess that holds most batches whole: ~400 bytes a span. */
	err = ws_buf_reserve(out, 512 * n + 1024);
	if (err)
		return err;
	w = (struct rw){ .b = out, .p = out->data + out->cap };

	for (gi = ngroups; gi-- > 0;) {
		const struct group *g = &groups[gi];
		size_t rs = rw_pos(&w), ss, i;

		ss = rw_pos(&w);
		for (i = g->nspans; i-- > 0;)
			put_span(&w, spans[order[g->first + i]]);
		put_scope(&w);
		put_len_field(&w, F_RS_SCOPE_SPANS, ss);
		put_resource(&w, g->res);
		put_len_field(&w, F_REQ_RESOURCE_SPANS, rs);
	}
	if (w.failed)
		return -ENOMEM;
	/* The request ends at the buffer's end: move it to the front, where callers read it. */
	len = rw_pos(&w);
	memmove(out->data, w.p, len);
	out->len = len;
	return 0;
}
