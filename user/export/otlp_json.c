/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Writes one OTLP/JSON ExportTraceServiceRequest straight into the output
 * buffer: no tree, no intermediate strings. Every write goes through one
 * checked append that grows the buffer (or fails with -ENOMEM), so no input
 * can write past it; strings reserve their worst case (six bytes a byte,
 * "\u00XX") once and are escaped in place. The request carries what the
 * protobuf encoding carries, field for field: the integration tests decode
 * both and compare them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_group.h"
#include "otlp_json.h"
#include "resource.h"
#include "span.h"
#include "utf8.h"

#ifndef WS_VERSION
#define WS_VERSION "0.0.0-dev"
#endif

/* A writer: the first failure sticks, later writes do nothing. */
struct jw {
	struct ws_buf *b;
	int err;
};

/* Room for n more bytes; false (and w->err set) when there is none to be had. */
static bool room(struct jw *w, size_t n)
{
	struct ws_buf *b = w->b;
	size_t want, ncap;
	uint8_t *p;

	if (w->err)
		return false;
	if (n <= b->cap - b->len)
		return true;
	if (n > SIZE_MAX - b->len)
		goto nomem;
	want = b->len + n;
	ncap = b->cap ? b->cap : 4096;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2)
			goto nomem;
		ncap *= 2;
	}
	p = realloc(b->data, ncap);
	if (!p)
		goto nomem;
	b->data = p;
	b->cap = ncap;
	return true;
nomem:
	w->err = -ENOMEM;
	return false;
}

static void put(struct jw *w, const void *p, size_t n)
{
	if (!room(w, n))
		return;
	memcpy(w->b->data + w->b->len, p, n);
	w->b->len += n;
}

/* A string literal, its length known at compile time ("" lit "" refuses anything else). */
#define PUT(w, lit) put((w), "" lit "", sizeof(lit) - 1)

static void put_u64(struct jw *w, uint64_t v, bool quoted)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	if (quoted)
		tmp[--i] = '"';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (quoted)
		tmp[--i] = '"';
	put(w, tmp + i, sizeof(tmp) - i);
}

/* int64 as the JSON mapping wants it: a quoted decimal, sign included. */
static void put_i64(struct jw *w, int64_t v)
{
	/* The magnitude of INT64_MIN only fits unsigned. */
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	if (v < 0)
		PUT(w, "\"-");
	else
		PUT(w, "\"");
	put_u64(w, m, false);
	PUT(w, "\"");
}

static void put_hex(struct jw *w, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *o;

	if (!room(w, 2 * n + 2))
		return;
	o = (char *)w->b->data + w->b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		*o++ = digits[p[i] >> 4];
		*o++ = digits[p[i] & 15];
	}
	*o++ = '"';
	w->b->len += 2 * n + 2;
}

/*
 * A quoted JSON string of p[0..len): '"', '\\' and control characters
 * escaped, every byte that is not part of well-formed UTF-8 (and NUL)
 * replaced by U+FFFD. At most six bytes out per byte in, reserved up front.
 */
static void put_str(struct jw *w, const char *text, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, n;
	char *o, *start;

	if (len > (SIZE_MAX - 2) / 6) {
		w->err = -ENOMEM;
		return;
	}
	if (!room(w, 6 * len + 2))
		return;
	start = o = (char *)w->b->data + w->b->len;
	*o++ = '"';
	while (i < len) {
		unsigned char c = p[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c && c < 0x20) {
			*o++ = '\\';
			switch (c) {
			case '\b':
				*o++ = 'b';
				break;
			case '\f':
				*o++ = 'f';
				break;
			case '\n':
				*o++ = 'n';
				break;
			case '\r':
				*o++ = 'r';
				break;
			case '\t':
				*o++ = 't';
				break;
			default:
				memcpy(o, "u00", 3);
				o += 3;
				*o++ = hex[c >> 4];
				*o++ = hex[c & 15];
			}
			i++;
			continue;
		}
		o = ws_utf8_repair_step(o, p + i, len - i, &n);
		i += n;
	}
	*o++ = '"';
	w->b->len += (size_t)(o - start);
}

/* A fixed char array of a resource or span: the text up to its first NUL. */
static void put_field(struct jw *w, const char *field, size_t size)
{
	put_str(w, field, strnlen(field, size));
}

static void put_key(struct jw *w, const char *key)
{
	PUT(w, "{\"key\":");
	put_str(w, key, strlen(key));
}

static void attr_str(struct jw *w, const char *key, const char *val, size_t len)
{
	put_key(w, key);
	PUT(w, ",\"value\":{\"stringValue\":");
	put_str(w, val, len);
	PUT(w, "}}");
}

static void attr_int(struct jw *w, const char *key, int64_t val)
{
	put_key(w, key);
	PUT(w, ",\"value\":{\"intValue\":");
	put_i64(w, val);
	PUT(w, "}}");
}

/* The resource's attributes (resource.c has the list, every encoder writes it). */
static void put_resource(struct jw *w, const struct ws_resource *r)
{
	struct ws_res_kv kv[WS_RES_KVS_MAX];
	size_t n = ws_resource_kvs(r, kv);

	PUT(w, "{\"resource\":{\"attributes\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			PUT(w, ",");
		if (kv[i].str)
			attr_str(w, kv[i].key, kv[i].str, kv[i].len);
		else
			attr_int(w, kv[i].key, kv[i].ival);
	}
	PUT(w, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"wirespan\",\"version\":");
	put_str(w, WS_VERSION, strlen(WS_VERSION));
	PUT(w, "},\"spans\":[");
}

/* Attributes; those that cannot be read are counted as dropped, not sent. */
static uint32_t put_attrs(struct jw *w, const struct ws_span *s)
{
	size_t nattrs = s->nattrs < WS_SPAN_MAX_ATTRS ? s->nattrs : WS_SPAN_MAX_ATTRS;
	uint32_t dropped = 0;
	bool first = true;

	for (size_t i = 0; i < nattrs; i++) {
		const struct ws_attr *a = &s->attrs[i];

		if (!ws_attr_readable(s, a)) {
			dropped++;
			continue;
		}
		if (first)
			PUT(w, ",\"attributes\":[");
		else
			PUT(w, ",");
		first = false;
		if (a->type == WS_ATTR_STR)
			attr_str(w, a->key, s->strbuf + a->off, a->len);
		else
			attr_int(w, a->key, a->ival);
	}
	if (!first)
		PUT(w, "]");
	return dropped;
}

/* The "exception" event (semantic conventions: exception.type, exception.message). */
static void put_exception(struct jw *w, const struct ws_span *s)
{
	uint32_t dropped = 0;
	bool first = true;

	PUT(w, ",\"events\":[{\"timeUnixNano\":");
	put_u64(w, s->exc_time_unix_ns, true);
	PUT(w, ",\"name\":\"exception\"");
	if (ws_span_in_arena(s, s->exc_type_off, s->exc_type_len)) {
		PUT(w, ",\"attributes\":[");
		first = false;
		attr_str(w, "exception.type", s->strbuf + s->exc_type_off, s->exc_type_len);
	} else {
		dropped++;
	}
	if (ws_span_in_arena(s, s->exc_msg_off, s->exc_msg_len)) {
		if (first)
			PUT(w, ",\"attributes\":[");
		else
			PUT(w, ",");
		first = false;
		attr_str(w, "exception.message", s->strbuf + s->exc_msg_off, s->exc_msg_len);
	} else {
		dropped++;
	}
	if (!first)
		PUT(w, "]");
	if (dropped) {
		PUT(w, ",\"droppedAttributesCount\":");
		put_u64(w, dropped, false);
	}
	PUT(w, "}]");
}

static void put_links(struct jw *w, const struct ws_span *s)
{
	size_t n = s->nlinks < WS_SPAN_MAX_LINKS ? s->nlinks : WS_SPAN_MAX_LINKS;

	for (size_t i = 0; i < n; i++) {
		const struct ws_span_link *l = &s->links[i];

		if (i)
			PUT(w, ",{\"traceId\":");
		else
			PUT(w, ",\"links\":[{\"traceId\":");
		put_hex(w, l->trace_id, sizeof(l->trace_id));
		PUT(w, ",\"spanId\":");
		put_hex(w, l->span_id, sizeof(l->span_id));
		/* Low 8 bits: W3C trace-flags, as on the span itself. */
		if (l->trace_flags) {
			PUT(w, ",\"flags\":");
			put_u64(w, l->trace_flags, false);
		}
		PUT(w, "}");
	}
	if (n)
		PUT(w, "]");
}

static void put_span(struct jw *w, const struct ws_span *s)
{
	uint32_t dropped;

	PUT(w, "{\"traceId\":");
	put_hex(w, s->trace_id, sizeof(s->trace_id));
	PUT(w, ",\"spanId\":");
	put_hex(w, s->span_id, sizeof(s->span_id));
	if (s->tracestate_len && ws_span_in_arena(s, s->tracestate_off, s->tracestate_len)) {
		PUT(w, ",\"traceState\":");
		put_str(w, s->strbuf + s->tracestate_off, s->tracestate_len);
	}
	/* A root span's parent is absent, not sixteen zeros. */
	if (!ws_span_is_root(s)) {
		PUT(w, ",\"parentSpanId\":");
		put_hex(w, s->parent_span_id, sizeof(s->parent_span_id));
	}
	if (s->trace_flags) {
		PUT(w, ",\"flags\":");
		put_u64(w, s->trace_flags, false);
	}
	PUT(w, ",\"name\":");
	put_field(w, s->name, sizeof(s->name));
	PUT(w, ",\"kind\":");
	put_u64(w, s->kind, false);
	PUT(w, ",\"startTimeUnixNano\":");
	put_u64(w, s->start_unix_ns, true);
	PUT(w, ",\"endTimeUnixNano\":");
	put_u64(w, s->end_unix_ns, true);
	dropped = put_attrs(w, s) + s->dropped_attrs;
	if (dropped) {
		PUT(w, ",\"droppedAttributesCount\":");
		put_u64(w, dropped, false);
	}
	if (s->exc_time_unix_ns)
		put_exception(w, s);
	put_links(w, s);
	/* Unset is the default: no Status then, as in the protobuf encoding. */
	if (s->status != WS_STATUS_UNSET) {
		PUT(w, ",\"status\":{\"code\":");
		put_u64(w, s->status, false);
		PUT(w, "}");
	}
	PUT(w, "}");
}

int ws_otlp_json_encode(struct ws_span *const *spans, size_t n, struct ws_buf *out)
{
	struct jw w = { .b = out };
	struct ws_otlp_groups grp;
	int err;

	out->len = 0;
	if (!n) {
		PUT(&w, "{}");
		return w.err;
	}
	err = ws_otlp_group(spans, n, out, &grp);
	if (err)
		return err;
	PUT(&w, "{\"resourceSpans\":[");
	for (size_t g = 0; g < grp.n && !w.err; g++) {
		const uint32_t *order = grp.order + grp.group[g].first;

		if (g)
			PUT(&w, ",");
		put_resource(&w, grp.group[g].res);
		for (uint32_t i = 0; i < grp.group[g].nspans; i++) {
			if (i)
				PUT(&w, ",");
			put_span(&w, spans[order[i]]);
		}
		PUT(&w, "]}]}");
	}
	PUT(&w, "]}");
	if (w.err)
		out->len = 0;
	return w.err;
}
