/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Builds the protobuf-c message tree of one ExportTraceServiceRequest from a
 * batch of spans and packs it. The tree lives in a bump arena kept in the
 * output buffer and bounded before anything is built, so a batch costs no
 * allocation once the buffers have grown to the batch size. Strings are
 * borrowed from the spans and resources, and copied only when they are not
 * NUL-terminated in place (protobuf-c takes C strings) or not valid UTF-8
 * (OTLP requires it: the copy repairs them).
 */
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#include "hashmix.h"
#include "otlp_pb.h"
#include "resource.h"
#include "span.h"

#ifndef WS_VERSION
#define WS_VERSION "0.0.0-dev"
#endif

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest pb_request;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans pb_resource_spans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans pb_scope_spans;
typedef Opentelemetry__Proto__Trace__V1__Span pb_span;
typedef Opentelemetry__Proto__Trace__V1__Status pb_status;
typedef Opentelemetry__Proto__Resource__V1__Resource pb_resource;
typedef Opentelemetry__Proto__Common__V1__InstrumentationScope pb_scope;
typedef Opentelemetry__Proto__Common__V1__KeyValue pb_kv;
typedef Opentelemetry__Proto__Common__V1__AnyValue pb_any;

/* One attribute: the KeyValue and the AnyValue it points to, allocated together. */
struct kv_pair {
	pb_kv kv;
	pb_any any;
};

/* Every message of one resource's ResourceSpans except the span list. */
struct res_msgs {
	pb_resource_spans rs;
	pb_resource res;
	pb_scope_spans ss;
	pb_scope_spans *ss_ptr; /* ResourceSpans holds a list of ScopeSpans pointers */
};

/*
 * service.name, process.pid, process.executable.name and .path, host.name,
 * container.id and .name, telemetry.sdk.name and .version; then the
 * resource's OTEL_RESOURCE_ATTRIBUTES.
 */
#define RES_FIXED_ATTRS 9
/* Every arena block is rounded to this, so the size computed up front always holds. */
#define ARENA_ALIGN 16
#define ARENA_SZ(x) (((size_t)(x) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

_Static_assert(ARENA_ALIGN % alignof(max_align_t) == 0, "arena blocks must suit any type");

/*
 * A resource's four strings, each of which may need a repaired copy: every
 * byte of a string that is not UTF-8 can turn into a 3-byte U+FFFD.
 */
#define RES_FIELD_SZ(f) ARENA_SZ(3 * sizeof(((struct ws_resource *)0)->f) + 1)
#define RES_MAX_STR                                                                        \
	(RES_FIELD_SZ(service_name) + RES_FIELD_SZ(exe_name) + RES_FIELD_SZ(exe_path) +    \
	 RES_FIELD_SZ(host_name) + RES_FIELD_SZ(container_id) + RES_FIELD_SZ(container_name))

struct arena {
	char *base;
	size_t used;
	size_t cap;
};

static void *arena_alloc(struct arena *a, size_t size)
{
	size_t sz = ARENA_SZ(size);
	void *p;

	/* Unreachable when the size computed up front is right: fail rather than overrun. */
	if (sz > a->cap - a->used)
		return NULL;
	p = a->base + a->used;
	a->used += sz;
	return p;
}

/*
 * Length of the well-formed UTF-8 sequence at p (len > 0 bytes available),
 * 0 when there is none. NUL counts as none: protobuf-c strings end at it.
 */
static size_t utf8_seq(const unsigned char *p, size_t len)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Eight bytes of ASCII without NUL: the common case, checked a word at a time. */
static inline bool ascii8(const unsigned char *p, uint64_t *w)
{
	memcpy(w, p, 8);
	return !(*w & 0x8080808080808080ULL) &&
	       !((*w - 0x0101010101010101ULL) & ~*w & 0x8080808080808080ULL);
}

/*
 * Whether p[0..len) can go out as it is. OTLP strings must be UTF-8, and a
 * receiver that checks (the Collector does) rejects the whole request over
 * one bad byte, which raw HTTP headers and file names can well contain.
 */
static bool text_ok(const unsigned char *p, size_t len)
{
	size_t i = 0, n;
	uint64_t w;

	while (len - i >= 8 && ascii8(p + i, &w))
		i += 8;
	while (i < len) {
		if (p[i] - 1u < 0x7f) {
			i++;
			continue;
		}
		n = utf8_seq(p + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/*
 * Arena bytes text may need as a C string. Not checked here but bounded:
 * every byte repaired to U+FFFD takes three.
 */
static inline size_t text_bound(size_t len)
{
	return ARENA_SZ(3 * len + 1);
}

/*
 * A valid UTF-8 C string for p[0..len): p itself when it is valid and p[len]
 * is readable and already its NUL, else a copy in which every byte that is
 * not part of a well-formed sequence becomes U+FFFD. The copy checks as it
 * goes, in one pass, and gives back the bytes of text_bound() it did not use.
 */
static char *arena_text(struct arena *a, const char *text, size_t len, bool nul_readable)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, n, o = 0;
	uint64_t w;
	char *s;

	if (nul_readable && text[len] == '\0' && text_ok(p, len))
		return (char *)text; /* protobuf-c only reads through its char * */
	s = arena_alloc(a, 3 * len + 1);
	if (!s)
		return NULL;
	while (len - i >= 8 && ascii8(p + i, &w)) {
		memcpy(s + i, &w, 8);
		i += 8;
	}
	o = i;
	while (i < len) {
		if (p[i] - 1u < 0x7f) {
			s[o++] = (char)p[i++];
			continue;
		}
		n = utf8_seq(p + i, len - i);
		if (n) {
			memcpy(s + o, p + i, n);
			o += n;
			i += n;
		} else {
			memcpy(s + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	s[o] = '\0';
	/* s is the last block: shrink it to what was written */
	a->used = (size_t)(s - a->base) + ARENA_SZ(o + 1);
	return s;
}

/* For the fixed char arrays of a resource and a span's name. */
static char *arena_field(struct arena *a, const char *field, size_t size)
{
	size_t len = strnlen(field, size);

	return arena_text(a, field, len, len < size);
}

/* One distinct resource of the batch: the spans that share it, in batch order. */
struct group {
	const struct ws_resource *res;
	uint32_t nspans;
	uint32_t filled;
	pb_span **spans;
};

static inline size_t ptr_hash(const void *p, size_t mask)
{
	/* Resources are heap blocks: the low bits carry little, so mix them all in. */
	return (size_t)ws_mix64((uintptr_t)p) & mask;
}

/* Where the parts of the scratch memory start: offsets, as it may move. */
struct layout {
	size_t nslots;
	size_t slots_off, span_grp_off, groups_off, msgs_off;
	size_t ngroups;
};

static int scratch_reserve(struct ws_buf *b, size_t cap)
{
	void *p;

	if (cap <= b->scratch_cap)
		return 0;
	/* Batch sizes vary: grow geometrically, not once per slightly bigger batch. */
	if (cap < b->scratch_cap * 2)
		cap = b->scratch_cap * 2;
	/* realloc keeps phase one's tables, which phase two still reads */
	p = realloc(b->scratch, cap);
	if (!p)
		return -ENOMEM;
	b->scratch = p;
	b->scratch_cap = cap;
	return 0;
}

/*
 * Phase one: assigns every span a group. The hash table (open addressing,
 * at most half full), the group of each span and the groups live at the
 * start of the scratch memory; the message arena follows at l->msgs_off.
 */
static int group_spans(struct ws_span *const *spans, size_t n, struct ws_buf *b,
		       struct layout *l)
{
	uint32_t *slots, *span_grp;
	struct group *groups;
	size_t mask, i;
	int err;

	l->nslots = 16;
	while (l->nslots < 2 * n)
		l->nslots <<= 1;
	l->slots_off = 0;
	l->span_grp_off = l->slots_off + ARENA_SZ(l->nslots * sizeof(uint32_t));
	l->groups_off = l->span_grp_off + ARENA_SZ(n * sizeof(uint32_t));
	l->msgs_off = l->groups_off + ARENA_SZ(n * sizeof(struct group));

	err = scratch_reserve(b, l->msgs_off);
	if (err)
		return err;
	slots = (uint32_t *)((char *)b->scratch + l->slots_off);
	span_grp = (uint32_t *)((char *)b->scratch + l->span_grp_off);
	groups = (struct group *)((char *)b->scratch + l->groups_off);
	memset(slots, 0, l->nslots * sizeof(uint32_t));

	mask = l->nslots - 1;
	l->ngroups = 0;
	for (i = 0; i < n; i++) {
		const struct ws_resource *res = spans[i]->res;
		size_t h = ptr_hash(res, mask);
		uint32_t g;

		/* slots hold group index + 1; 0 is empty */
		while (slots[h] && groups[slots[h] - 1].res != res)
			h = (h + 1) & mask;
		if (!slots[h]) {
			groups[l->ngroups] = (struct group){ .res = res };
			slots[h] = (uint32_t)++l->ngroups;
		}
		g = slots[h] - 1;
		groups[g].nspans++;
		span_grp[i] = g;
	}
	return 0;
}

/* Arena bytes for the strings of span s that may need copying: an upper bound. */
static size_t span_str_bound(const struct ws_span *s)
{
	size_t sz = text_bound(sizeof(s->name));
	unsigned int i;

	if (s->tracestate_len && (size_t)s->tracestate_off + s->tracestate_len <= sizeof(s->strbuf))
		sz += text_bound(s->tracestate_len);
	for (i = 0; i < s->nattrs && i < WS_SPAN_MAX_ATTRS; i++) {
		const struct ws_attr *at = &s->attrs[i];

		if (at->type == WS_ATTR_STR && (size_t)at->off + at->len <= sizeof(s->strbuf))
			sz += text_bound(at->len);
	}
	return sz;
}

static size_t span_msgs_size(const struct ws_span *s)
{
	size_t nattrs = s->nattrs < WS_SPAN_MAX_ATTRS ? s->nattrs : WS_SPAN_MAX_ATTRS;

	return ARENA_SZ(sizeof(pb_span)) + ARENA_SZ(sizeof(pb_status)) +
	       ARENA_SZ(nattrs * sizeof(pb_kv *)) + nattrs * ARENA_SZ(sizeof(struct kv_pair)) +
	       span_str_bound(s);
}

static size_t res_extra_attrs(const struct ws_resource *r)
{
	return r ? r->nattrs : 0;
}

static size_t group_msgs_size(const struct group *g)
{
	size_t nattrs = RES_FIXED_ATTRS + res_extra_attrs(g->res), sz;

	sz = ARENA_SZ(sizeof(struct res_msgs)) + ARENA_SZ(nattrs * sizeof(pb_kv *)) +
	     nattrs * ARENA_SZ(sizeof(struct kv_pair)) + RES_MAX_STR +
	     ARENA_SZ(g->nspans * sizeof(pb_span *));
	for (size_t i = 0; i < res_extra_attrs(g->res); i++)
		sz += text_bound(g->res->attr[i].klen) + text_bound(g->res->attr[i].vlen);
	return sz;
}

static void set_str(struct kv_pair *p, const char *key, char *val)
{
	p->kv = (pb_kv)OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT;
	p->any = (pb_any)OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
	p->kv.key = (char *)key;
	p->kv.value = &p->any;
	p->any.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
	p->any.string_value = val;
}

static void set_int(struct kv_pair *p, const char *key, int64_t val)
{
	p->kv = (pb_kv)OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT;
	p->any = (pb_any)OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
	p->kv.key = (char *)key;
	p->kv.value = &p->any;
	p->any.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
	p->any.int_value = val;
}

/*
 * Resource attributes per the semantic conventions. telemetry.sdk.language is
 * left out: its list of values has no C, and a wrong language would mislead.
 */
static int build_resource(struct arena *a, const struct ws_resource *r, pb_resource *res)
{
	size_t max = RES_FIXED_ATTRS + res_extra_attrs(r);
	pb_kv **attrs = arena_alloc(a, max * sizeof(pb_kv *));
	struct kv_pair *p = arena_alloc(a, max * sizeof(struct kv_pair));
	size_t n = 0;
	char *s;

	if (!attrs || !p)
		return -ENOMEM;

	/* The spec's fallback when the service is unknown. */
	s = r && r->service_name[0] ? arena_field(a, r->service_name, sizeof(r->service_name))
				    : (char *)"unknown_service";
	if (!s)
		return -ENOMEM;
	set_str(&p[n++], "service.name", s);
	if (r) {
		set_int(&p[n++], "process.pid", r->pid);
		if (r->exe_name[0]) {
			s = arena_field(a, r->exe_name, sizeof(r->exe_name));
			if (!s)
				return -ENOMEM;
			set_str(&p[n++], "process.executable.name", s);
		}
		if (r->exe_path[0]) {
			s = arena_field(a, r->exe_path, sizeof(r->exe_path));
			if (!s)
				return -ENOMEM;
			set_str(&p[n++], "process.executable.path", s);
		}
		if (r->host_name[0]) {
			s = arena_field(a, r->host_name, sizeof(r->host_name));
			if (!s)
				return -ENOMEM;
			set_str(&p[n++], "host.name", s);
		}
		if (r->container_id[0]) {
			s = arena_field(a, r->container_id, sizeof(r->container_id));
			if (!s)
				return -ENOMEM;
			set_str(&p[n++], "container.id", s);
		}
		if (r->container_name[0]) {
			s = arena_field(a, r->container_name, sizeof(r->container_name));
			if (!s)
				return -ENOMEM;
			set_str(&p[n++], "container.name", s);
		}
	}
	set_str(&p[n++], "telemetry.sdk.name", (char *)"wirespan");
	set_str(&p[n++], "telemetry.sdk.version", (char *)WS_VERSION);
	/* Keys and values come from environments: repaired to UTF-8 like any text. */
	for (size_t i = 0; i < res_extra_attrs(r); i++) {
		const struct ws_res_attr *at = &r->attr[i];
		char *k = arena_text(a, ws_resource_attr_key(r, i), at->klen, true);
		char *v = arena_text(a, ws_resource_attr_val(r, i), at->vlen, true);

		if (!k || !v)
			return -ENOMEM;
		set_str(&p[n++], k, v);
	}

	for (size_t i = 0; i < n; i++)
		attrs[i] = &p[i].kv;
	res->n_attributes = n;
	res->attributes = attrs;
	return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static pb_span *build_span(struct arena *a, const struct ws_span *s)
{
	size_t nattrs = s->nattrs < WS_SPAN_MAX_ATTRS ? s->nattrs : WS_SPAN_MAX_ATTRS;
	pb_span *m = arena_alloc(a, sizeof(*m));
	pb_kv **attrs = arena_alloc(a, nattrs * sizeof(pb_kv *));
	struct kv_pair *p = arena_alloc(a, nattrs * sizeof(struct kv_pair));
	uint32_t dropped = s->dropped_attrs;
	size_t i, na = 0;

	if (!m || !attrs || !p)
		return NULL;
	*m = (pb_span)OPENTELEMETRY__PROTO__TRACE__V1__SPAN__INIT;

	m->trace_id.data = (uint8_t *)s->trace_id;
	m->trace_id.len = sizeof(s->trace_id);
	m->span_id.data = (uint8_t *)s->span_id;
	m->span_id.len = sizeof(s->span_id);
	/* A root span's parent is absent on the wire, not eight zero bytes. */
	if (!all_zero(s->parent_span_id, sizeof(s->parent_span_id))) {
		m->parent_span_id.data = (uint8_t *)s->parent_span_id;
		m->parent_span_id.len = sizeof(s->parent_span_id);
	}
	if (s->tracestate_len &&
	    (size_t)s->tracestate_off + s->tracestate_len <= sizeof(s->strbuf)) {
		size_t end = (size_t)s->tracestate_off + s->tracestate_len;

		m->trace_state = arena_text(a, s->strbuf + s->tracestate_off, s->tracestate_len,
					    end < sizeof(s->strbuf));
		if (!m->trace_state)
			return NULL;
	}
	/* Low 8 bits: W3C trace-flags. Whether the parent is remote is not known here. */
	m->flags = s->trace_flags;
	m->name = arena_field(a, s->name, sizeof(s->name));
	if (!m->name)
		return NULL;
	m->kind = (Opentelemetry__Proto__Trace__V1__Span__SpanKind)s->kind;
	m->start_time_unix_nano = s->start_unix_ns;
	m->end_time_unix_nano = s->end_unix_ns;

	for (i = 0; i < nattrs; i++) {
		const struct ws_attr *at = &s->attrs[i];
		size_t end = (size_t)at->off + at->len;
		char *v;

		switch (at->type) {
		case WS_ATTR_STR:
			/* Outside the arena would be a bug upstream: drop, don't read it. */
			if (end > sizeof(s->strbuf)) {
				dropped++;
				continue;
			}
			v = arena_text(a, s->strbuf + at->off, at->len, end < sizeof(s->strbuf));
			if (!v)
				return NULL;
			set_str(&p[na], at->key, v);
			break;
		case WS_ATTR_INT:
			set_int(&p[na], at->key, at->ival);
			break;
		default:
			dropped++;
			continue;
		}
		attrs[na] = &p[na].kv;
		na++;
	}
	m->n_attributes = na;
	m->attributes = attrs;
	m->dropped_attributes_count = dropped;

	/* Unset is the default: leave the Status message out then. */
	if (s->status != WS_STATUS_UNSET) {
		pb_status *st = arena_alloc(a, sizeof(*st));

		if (!st)
			return NULL;
		*st = (pb_status)OPENTELEMETRY__PROTO__TRACE__V1__STATUS__INIT;
		st->code = (Opentelemetry__Proto__Trace__V1__Status__StatusCode)s->status;
		m->status = st;
	}
	return m;
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
	pb_request req =
		OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	pb_scope scope = OPENTELEMETRY__PROTO__COMMON__V1__INSTRUMENTATION_SCOPE__INIT;
	struct layout l;
	struct group *groups;
	uint32_t *span_grp;
	pb_resource_spans **rs_list;
	struct arena a;
	size_t i, need, size;
	int err;

	out->len = 0;
	/* Group indexes are 32-bit; no batch comes near. */
	if (n > UINT32_MAX / 2)
		return -ENOMEM;
	err = group_spans(spans, n, out, &l);
	if (err)
		return err;

	need = ARENA_SZ(l.ngroups * sizeof(pb_resource_spans *));
	groups = (struct group *)((char *)out->scratch + l.groups_off);
	for (i = 0; i < l.ngroups; i++)
		need += group_msgs_size(&groups[i]);
	for (i = 0; i < n; i++)
		need += span_msgs_size(spans[i]);
	err = scratch_reserve(out, l.msgs_off + need);
	if (err)
		return err;

	groups = (struct group *)((char *)out->scratch + l.groups_off);
	span_grp = (uint32_t *)((char *)out->scratch + l.span_grp_off);
	a = (struct arena){ .base = (char *)out->scratch + l.msgs_off, .cap = need };

	/* Read-only for pack, so every ScopeSpans shares this one. */
	scope.name = (char *)"wirespan";
	scope.version = (char *)WS_VERSION;

	rs_list = arena_alloc(&a, l.ngroups * sizeof(*rs_list));
	if (!rs_list)
		return -ENOMEM;
	for (i = 0; i < l.ngroups; i++) {
		struct group *g = &groups[i];
		struct res_msgs *rm = arena_alloc(&a, sizeof(*rm));

		g->spans = arena_alloc(&a, g->nspans * sizeof(pb_span *));
		if (!rm || !g->spans)
			return -ENOMEM;
		rm->rs = (pb_resource_spans)OPENTELEMETRY__PROTO__TRACE__V1__RESOURCE_SPANS__INIT;
		rm->res = (pb_resource)OPENTELEMETRY__PROTO__RESOURCE__V1__RESOURCE__INIT;
		rm->ss = (pb_scope_spans)OPENTELEMETRY__PROTO__TRACE__V1__SCOPE_SPANS__INIT;
		err = build_resource(&a, g->res, &rm->res);
		if (err)
			return err;
		rm->ss.scope = &scope;
		rm->ss.n_spans = g->nspans;
		rm->ss.spans = g->spans;
		rm->ss_ptr = &rm->ss;
		rm->rs.resource = &rm->res;
		rm->rs.n_scope_spans = 1;
		rm->rs.scope_spans = &rm->ss_ptr;
		rs_list[i] = &rm->rs;
	}
	for (i = 0; i < n; i++) {
		struct group *g = &groups[span_grp[i]];
		pb_span *m = build_span(&a, spans[i]);

		if (!m)
			return -ENOMEM;
		g->spans[g->filled++] = m;
	}
	req.n_resource_spans = l.ngroups;
	req.resource_spans = rs_list;

	size = protobuf_c_message_get_packed_size(&req.base);
	if (!size)
		return 0;
	err = ws_buf_reserve(out, size);
	if (err)
		return err;
	out->len = protobuf_c_message_pack(&req.base, out->data);
	return 0;
}
