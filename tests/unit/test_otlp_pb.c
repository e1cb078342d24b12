/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the OTLP protobuf encoder and the OTLP/HTTP exporter. Encoded
 * requests are decoded with protobuf-c's generated unpack from the project's
 * .proto files and compared field by field; the exporter is run against a
 * minimal HTTP/1.1 responder on a loopback socket. Two environment variables
 * serve the integration tests, which check the same bytes with another
 * decoder: WS_OTLP_SAMPLE_OUT=path writes the encoded sample batch to path,
 * WS_OTLP_EXPORT_TO=url exports it with the real exporter (exit 1 on failure).
 *
 * Past 800 lines on purpose: the protobuf exporter's cases, including the
 * real HTTP responders they run against, share one harness.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#include "check.h"
#include "exporter.h"
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
typedef Opentelemetry__Proto__Resource__V1__Resource pb_resource;
typedef Opentelemetry__Proto__Common__V1__KeyValue pb_kv;
typedef Opentelemetry__Proto__Common__V1__AnyValue pb_any;

#define ANY_STR OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
#define ANY_INT OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE

/* Resources are static: spans point at them without a reference (see span_free). */
static struct ws_resource res_a = {
	.refs = 1,
	.pid = 4242,
	.service_name = "checkout",
	.exe_name = "python3.11",
	.exe_path = "/usr/bin/python3.11",
	.host_name = "node-1",
};

static struct ws_resource res_b = {
	.refs = 1,
	.pid = 77,
	.service_name = "nginx",
	.exe_name = "nginx",
	.exe_path = "",
	.host_name = "node-1",
};

static struct ws_span *span_make(struct ws_resource *res, uint8_t id, uint8_t parent, uint8_t kind,
				 const char *name)
{
	struct ws_span *s = ws_span_new();

	if (!s)
		abort();
	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(0xa0 + i);
	memset(s->span_id, id, sizeof(s->span_id));
	if (parent)
		memset(s->parent_span_id, parent, sizeof(s->parent_span_id));
	s->kind = kind;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->start_unix_ns = 1700000000000000000ULL + id * 1000ULL;
	s->end_unix_ns = s->start_unix_ns + 2500000ULL;
	s->res = res;
	return s;
}

/* The resources are static: drop the borrowed pointer so ws_span_free does not put it. */
static void span_free(struct ws_span *s)
{
	if (s)
		s->res = NULL;
	ws_span_free(s);
}

/*
 * The sample batch, also what the integration tests decode in Python: keep
 * tests/integration/test_otlp_receiver.py in step with it.
 */
#define SAMPLE_N 3
static void sample_make(struct ws_span *sp[SAMPLE_N])
{
	static const char ts[] = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";

	/* a server span continuing a remote trace, with a tracestate */
	sp[0] = span_make(&res_a, 0x11, 0x01, WS_KIND_SERVER, "GET");
	sp[0]->trace_flags = 1;
	sp[0]->status = WS_STATUS_UNSET;
	ws_span_add_str(sp[0], "http.request.method", "GET", 3);
	ws_span_add_str(sp[0], "url.path", "/api/cart", 9);
	ws_span_add_int(sp[0], "http.response.status_code", 200);
	ws_span_add_int(sp[0], "server.port", 8080);
	ws_span_set_tracestate(sp[0], ts, strlen(ts));

	/* a root client span from another process, failed */
	sp[1] = span_make(&res_b, 0x22, 0, WS_KIND_CLIENT, "POST");
	sp[1]->status = WS_STATUS_ERROR;
	ws_span_add_str(sp[1], "http.request.method", "POST", 4);
	ws_span_add_str(sp[1], "server.address", "backend.internal", 16);
	ws_span_add_int(sp[1], "http.response.status_code", 503);
	ws_span_add_int(sp[1], "big", -9000000000LL);

	/* the first process again: must join the first ResourceSpans */
	sp[2] = span_make(&res_a, 0x33, 0x11, WS_KIND_CLIENT, "HTTP");
	sp[2]->trace_flags = 1;
	ws_span_add_str(sp[2], "url.full", "http://x/\xc3\xa9t\xc3\xa9", 14);
}

static void sample_free(struct ws_span *sp[SAMPLE_N])
{
	for (int i = 0; i < SAMPLE_N; i++)
		span_free(sp[i]);
}

static pb_request *decode(const struct ws_buf *b)
{
	return opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
		NULL, b->len, b->data);
}

static void decoded_free(pb_request *r)
{
	if (r)
		protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* Encodes the one span *s and decodes the body: its span message, or NULL (a failed check). */
static pb_span *encode_one(struct ws_span **s, struct ws_buf *b, pb_request **r)
{
	CHECK_INT(ws_otlp_encode(s, 1, b), 0);
	*r = decode(b);
	CHECK(*r && (*r)->n_resource_spans == 1);
	if (!*r || (*r)->n_resource_spans != 1)
		return NULL;
	return (*r)->resource_spans[0]->scope_spans[0]->spans[0];
}

static const pb_any *kv_find(pb_kv **kvs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kvs[i]->key, key))
			return kvs[i]->value;
	return NULL;
}

#define CHECK_ATTR_STR(kvs, n, key, want)                                                          \
	do {                                                                                       \
		const pb_any *v_ = kv_find(kvs, n, key);                                           \
		CHECK(v_ && v_->value_case == ANY_STR);                                            \
		if (v_ && v_->value_case == ANY_STR)                                               \
			CHECK_STR(v_->string_value, want);                                         \
	} while (0)

#define CHECK_ATTR_INT(kvs, n, key, want)                                                          \
	do {                                                                                       \
		const pb_any *v_ = kv_find(kvs, n, key);                                           \
		CHECK(v_ && v_->value_case == ANY_INT);                                            \
		if (v_ && v_->value_case == ANY_INT)                                               \
			CHECK_INT(v_->int_value, want);                                            \
	} while (0)

static bool bytes_are(const ProtobufCBinaryData *b, const uint8_t *want, size_t len)
{
	return b->len == len && !memcmp(b->data, want, len);
}

static void check_resource(const pb_resource_spans *rs, const struct ws_resource *r)
{
	pb_kv **a = rs->resource->attributes;
	size_t n = rs->resource->n_attributes;

	CHECK_ATTR_STR(a, n, "service.name", r->service_name);
	CHECK_ATTR_INT(a, n, "process.pid", r->pid);
	CHECK_ATTR_STR(a, n, "process.executable.name", r->exe_name);
	if (r->exe_path[0])
		CHECK_ATTR_STR(a, n, "process.executable.path", r->exe_path);
	else
		CHECK(!kv_find(a, n, "process.executable.path"));
	CHECK_ATTR_STR(a, n, "host.name", r->host_name);
	CHECK_ATTR_STR(a, n, "telemetry.sdk.name", "wirespan");
	CHECK_ATTR_STR(a, n, "telemetry.sdk.version", WS_VERSION);
	CHECK(!kv_find(a, n, "telemetry.sdk.language"));
	CHECK_INT(rs->n_scope_spans, 1);
	CHECK(rs->scope_spans[0]->scope);
	CHECK_STR(rs->scope_spans[0]->scope->name, "wirespan");
	CHECK_STR(rs->scope_spans[0]->scope->version, WS_VERSION);
}

/* Every field of a decoded span against the span it was encoded from. */
static void check_span(const pb_span *m, const struct ws_span *s)
{
	static const uint8_t zero[8];

	CHECK(bytes_are(&m->trace_id, s->trace_id, 16));
	CHECK(bytes_are(&m->span_id, s->span_id, 8));
	if (!memcmp(s->parent_span_id, zero, 8))
		CHECK_INT(m->parent_span_id.len, 0);
	else
		CHECK(bytes_are(&m->parent_span_id, s->parent_span_id, 8));
	CHECK_STR(m->name, s->name);
	CHECK_INT(m->kind, s->kind);
	CHECK_INT(m->flags, s->trace_flags);
	CHECK(m->start_time_unix_nano == s->start_unix_ns);
	CHECK(m->end_time_unix_nano == s->end_unix_ns);
	if (s->tracestate_len)
		CHECK(strlen(m->trace_state) == s->tracestate_len &&
		      !memcmp(m->trace_state, s->strbuf + s->tracestate_off, s->tracestate_len));
	else
		CHECK_STR(m->trace_state, "");
	if (s->status == WS_STATUS_UNSET) {
		CHECK(!m->status);
	} else {
		CHECK(m->status);
		if (m->status) {
			CHECK_INT(m->status->code, s->status);
			CHECK_STR(m->status->message, "");
		}
	}
	CHECK_INT(m->dropped_attributes_count, s->dropped_attrs);
	CHECK_INT(m->n_attributes, s->nattrs);
	for (size_t i = 0; i < m->n_attributes && i < s->nattrs; i++) {
		const struct ws_attr *a = &s->attrs[i];
		const pb_any *v = m->attributes[i]->value;

		/* same order as in the span */
		CHECK_STR(m->attributes[i]->key, a->key);
		CHECK(v);
		if (!v)
			continue;
		if (a->type == WS_ATTR_STR) {
			CHECK_INT(v->value_case, ANY_STR);
			if (v->value_case == ANY_STR)
				CHECK(strlen(v->string_value) == a->len &&
				      !memcmp(v->string_value, ws_attr_str(s, a), a->len));
		} else {
			CHECK_INT(v->value_case, ANY_INT);
			if (v->value_case == ANY_INT)
				CHECK_INT(v->int_value, a->ival);
		}
	}
	CHECK_INT(m->n_links, s->nlinks);
	for (size_t i = 0; i < m->n_links && i < s->nlinks; i++) {
		CHECK(bytes_are(&m->links[i]->trace_id, s->links[i].trace_id, 16));
		CHECK(bytes_are(&m->links[i]->span_id, s->links[i].span_id, 8));
		CHECK_INT(m->links[i]->flags, s->links[i].trace_flags);
	}
	CHECK_INT(m->n_events, s->exc_time_unix_ns ? 1 : 0);
	if (m->n_events == 1 && s->exc_time_unix_ns) {
		const Opentelemetry__Proto__Trace__V1__Span__Event *e = m->events[0];

		CHECK_STR(e->name, "exception");
		CHECK(e->time_unix_nano == s->exc_time_unix_ns);
		CHECK_INT(e->n_attributes, 2);
		if (e->n_attributes == 2) {
			CHECK_STR(e->attributes[0]->key, "exception.type");
			CHECK(e->attributes[0]->value &&
			      strlen(e->attributes[0]->value->string_value) == s->exc_type_len &&
			      !memcmp(e->attributes[0]->value->string_value,
				      s->strbuf + s->exc_type_off, s->exc_type_len));
			CHECK_STR(e->attributes[1]->key, "exception.message");
			CHECK(e->attributes[1]->value &&
			      strlen(e->attributes[1]->value->string_value) == s->exc_msg_len &&
			      !memcmp(e->attributes[1]->value->string_value,
				      s->strbuf + s->exc_msg_off, s->exc_msg_len));
		}
	}
}

/*
 * The encoder writes what protobuf-c would: decoding the bytes and packing
 * the result again with protobuf-c gives the same bytes, so fields are in
 * canonical order, defaults are left out and every varint is minimal.
 */
static void check_canonical(const struct ws_buf *b)
{
	pb_request *r = decode(b);
	uint8_t *again;
	size_t len;

	CHECK(r);
	if (!r)
		return;
	len = protobuf_c_message_get_packed_size(&r->base);
	again = malloc(len ? len : 1);
	CHECK(again);
	if (again) {
		CHECK_INT(protobuf_c_message_pack(&r->base, again), len);
		CHECK_INT(len, b->len);
		CHECK(len == b->len && !memcmp(again, b->data, len));
	}
	free(again);
	decoded_free(r);
}

/* One span alone in a request: decoded field by field, and canonical. */
static void check_encodes_alone(struct ws_span *s)
{
	struct ws_buf b = WS_BUF_INIT;
	pb_request *r;

	CHECK_INT(ws_otlp_encode(&s, 1, &b), 0);
	r = decode(&b);
	CHECK(r && r->n_resource_spans == 1);
	if (r && r->n_resource_spans == 1)
		check_span(r->resource_spans[0]->scope_spans[0]->spans[0], s);
	decoded_free(r);
	check_canonical(&b);
	ws_buf_release(&b);
}

TEST(encode_sample)
{
	struct ws_buf b = WS_BUF_INIT;
	struct ws_span *sp[SAMPLE_N];
	pb_request *r;

	sample_make(sp);
	CHECK_INT(ws_otlp_encode(sp, SAMPLE_N, &b), 0);
	r = decode(&b);
	CHECK(r);
	if (r) {
		CHECK_INT(r->n_resource_spans, 2);
	}
	if (r && r->n_resource_spans == 2) {
		pb_resource_spans *a = r->resource_spans[0], *bb = r->resource_spans[1];

		/* groups in order of first appearance, spans in batch order */
		check_resource(a, &res_a);
		check_resource(bb, &res_b);
		CHECK_INT(a->scope_spans[0]->n_spans, 2);
		CHECK_INT(bb->scope_spans[0]->n_spans, 1);
		if (a->scope_spans[0]->n_spans == 2) {
			check_span(a->scope_spans[0]->spans[0], sp[0]);
			check_span(a->scope_spans[0]->spans[1], sp[2]);
		}
		if (bb->scope_spans[0]->n_spans == 1)
			check_span(bb->scope_spans[0]->spans[0], sp[1]);
	}
	decoded_free(r);
	check_canonical(&b);
	sample_free(sp);
	ws_buf_release(&b);
}

TEST(encode_empty)
{
	struct ws_buf b = WS_BUF_INIT;
	pb_request *r;

	CHECK_INT(ws_otlp_encode(NULL, 0, &b), 0);
	CHECK_INT(b.len, 0);
	r = decode(&b);
	CHECK(r);
	if (r)
		CHECK_INT(r->n_resource_spans, 0);
	decoded_free(r);
	ws_buf_release(&b);
}

/* A span from a process we know nothing about still gets a valid resource. */
TEST(encode_null_resource)
{
	struct ws_buf b = WS_BUF_INIT;
	struct ws_span *s = span_make(NULL, 5, 0, WS_KIND_SERVER, "GET");
	pb_request *r;

	CHECK_INT(ws_otlp_encode(&s, 1, &b), 0);
	r = decode(&b);
	CHECK(r && r->n_resource_spans == 1);
	if (r && r->n_resource_spans == 1) {
		pb_resource *res = r->resource_spans[0]->resource;

		CHECK_ATTR_STR(res->attributes, res->n_attributes, "service.name",
			       "unknown_service");
		CHECK(!kv_find(res->attributes, res->n_attributes, "process.pid"));
		check_span(r->resource_spans[0]->scope_spans[0]->spans[0], s);
	}
	decoded_free(r);
	span_free(s);
	ws_buf_release(&b);
}

/*
 * A resource with everything: container id and name, and a full set of
 * OTEL_RESOURCE_ATTRIBUTES with the longest values (the arena bound must
 * hold them all) and bytes that are not UTF-8 (repaired like any text).
 */
TEST(encode_resource_attributes)
{
	static struct ws_resource res = {
		.refs = 1,
		.pid = 9,
		.service_name = "web",
		.exe_name = "nginx",
		.host_name = "node-1",
		.container_id = "3f4e5d6c7b8a99887766554433221100aabbccddeeff00112233445566778899",
		.container_name = "web",
	};
	static struct ws_res_attrs set;
	char key[16], val[WS_RES_VALUE_MAX];
	struct ws_buf b = WS_BUF_INIT;
	struct ws_span *s;
	pb_request *r;

	memset(val, '\xff', sizeof(val)); /* every byte becomes a 3-byte U+FFFD */
	ws_res_attrs_init(&set);
	CHECK_INT(ws_res_attrs_set(&set, "team", 4, "pay", 3), 0);
	CHECK_INT(ws_res_attrs_set(&set, "k\xc3", 2, val, 3), 0);
	for (int i = 2; i < WS_RES_ATTRS_MAX; i++) {
		int kl = snprintf(key, sizeof(key), "k%d", i);

		/* as many long values as the set's buffer holds, then short ones */
		ws_res_attrs_set(&set, key, kl, val, i < 5 ? sizeof(val) : 1);
	}
	CHECK_INT(set.n, WS_RES_ATTRS_MAX);
	res.nattrs = set.n;
	res.attr = set.a;
	res.attr_buf = set.buf;
	s = span_make(&res, 7, 0, WS_KIND_SERVER, "GET");
	CHECK_INT(ws_otlp_encode(&s, 1, &b), 0);
	r = decode(&b);
	CHECK(r && r->n_resource_spans == 1);
	if (r && r->n_resource_spans == 1) {
		pb_kv **a = r->resource_spans[0]->resource->attributes;
		size_t n = r->resource_spans[0]->resource->n_attributes;

		check_resource(r->resource_spans[0], &res);
		CHECK_ATTR_STR(a, n, "container.id", res.container_id);
		CHECK_ATTR_STR(a, n, "container.name", "web");
		CHECK_ATTR_STR(a, n, "team", "pay");
		CHECK_ATTR_STR(a, n, "k\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
		CHECK_ATTR_STR(a, n, "k31", "\xef\xbf\xbd");
		/* 8 measured (no executable path here) + the set */
		CHECK_INT(n, 8 + WS_RES_ATTRS_MAX);
	}
	decoded_free(r);
	span_free(s);
	ws_buf_release(&b);
}

/* Many processes in one batch: grouping must not mix them up however they hash. */
TEST(encode_many_resources)
{
	enum { NRES = 100, NSPANS = 300 };
	static struct ws_resource res[NRES];
	struct ws_span *sp[NSPANS];
	struct ws_buf b = WS_BUF_INIT;
	pb_request *r;
	size_t i, j;

	for (i = 0; i < NRES; i++) {
		res[i] = (struct ws_resource){ .refs = 1, .pid = (uint32_t)(1000 + i) };
		snprintf(res[i].service_name, sizeof(res[i].service_name), "svc-%zu", i);
		snprintf(res[i].exe_name, sizeof(res[i].exe_name), "exe-%zu", i);
	}
	/* span i belongs to resource (i * 7) % NRES: groups appear in that order */
	for (i = 0; i < NSPANS; i++) {
		sp[i] = span_make(&res[(i * 7) % NRES], (uint8_t)(i + 1), 0, WS_KIND_SERVER, "GET");
		sp[i]->start_unix_ns = i;
	}
	CHECK_INT(ws_otlp_encode(sp, NSPANS, &b), 0);
	r = decode(&b);
	CHECK(r && r->n_resource_spans == NRES);
	for (i = 0; r && i < r->n_resource_spans && i < NRES; i++) {
		pb_scope_spans *ss = r->resource_spans[i]->scope_spans[0];
		pb_resource *rr = r->resource_spans[i]->resource;
		size_t want_res = (i * 7) % NRES;
		uint64_t prev = 0;

		CHECK_ATTR_INT(rr->attributes, rr->n_attributes, "process.pid", 1000 + want_res);
		CHECK_INT(ss->n_spans, NSPANS / NRES);
		for (j = 0; j < ss->n_spans; j++) {
			uint64_t idx = ss->spans[j]->start_time_unix_nano;

			CHECK_INT((idx * 7) % NRES, want_res);
			CHECK(j == 0 || idx > prev);
			prev = idx;
		}
	}
	decoded_free(r);
	for (i = 0; i < NSPANS; i++)
		span_free(sp[i]);
	ws_buf_release(&b);
}

/* Buffers are reused: a smaller batch after a bigger one must not grow them. */
TEST(encode_reuses_buffers)
{
	struct ws_buf b = WS_BUF_INIT;
	struct ws_span *sp[SAMPLE_N];
	size_t cap, scap, len;
	pb_request *r;

	sample_make(sp);
	CHECK_INT(ws_otlp_encode(sp, SAMPLE_N, &b), 0);
	len = b.len;
	cap = b.cap;
	scap = b.scratch_cap;
	CHECK_INT(ws_otlp_encode(sp, 1, &b), 0);
	CHECK(b.len < len);
	CHECK_INT(b.cap, cap);
	CHECK_INT(b.scratch_cap, scap);
	r = decode(&b);
	CHECK(r && r->n_resource_spans == 1);
	if (r && r->n_resource_spans == 1)
		check_span(r->resource_spans[0]->scope_spans[0]->spans[0], sp[0]);
	decoded_free(r);
	CHECK_INT(ws_otlp_encode(sp, SAMPLE_N, &b), 0);
	CHECK_INT(b.len, len);
	sample_free(sp);
	ws_buf_release(&b);
}

/* Left at the buffer's end, the request is the same bytes ws_otlp_encode moves to the front. */
TEST(encode_end_leaves_the_same_bytes_at_the_end)
{
	struct ws_buf a = WS_BUF_INIT, b = WS_BUF_INIT;
	struct ws_span *sp[SAMPLE_N];
	const uint8_t *data;
	size_t len;

	sample_make(sp);
	CHECK_INT(ws_otlp_encode(sp, SAMPLE_N, &a), 0);
	CHECK_INT(ws_otlp_encode_end(sp, SAMPLE_N, &b, &data, &len), 0);
	CHECK_INT(len, a.len);
	CHECK_INT(b.len, 0);
	CHECK(data == b.data + b.cap - len);
	CHECK(len == a.len && !memcmp(data, a.data, len));
	CHECK_INT(ws_otlp_encode_end(NULL, 0, &b, &data, &len), 0);
	CHECK_INT(len, 0);
	sample_free(sp);
	ws_buf_release(&a);
	ws_buf_release(&b);
}

/* OTLP strings must be UTF-8 (receivers reject the request otherwise) and cannot hold NUL. */
TEST(encode_repairs_text)
{
	struct ws_buf b = WS_BUF_INIT;
	struct ws_span *s = span_make(&res_a, 9, 0, WS_KIND_SERVER, "GET");
	pb_request *r;
	pb_span *m;

	ws_span_add_str(s, "ok", "h\xc3\xa9llo \xf0\x9f\x98\x80", 11);
	ws_span_add_str(s, "bad",
			"a\xff"
			"b\xc3",
			4); /* a stray byte, a cut sequence */
	ws_span_add_str(s, "nul", "x\0y", 3);
	ws_span_add_str(s, "overlong", "\xc0\xaf\xed\xa0\x80", 5); /* overlong '/', surrogate */
	ws_span_add_str(s, "empty", "", 0);
	m = encode_one(&s, &b, &r);
	if (m) {
		pb_kv **kv = m->attributes;
		size_t n = m->n_attributes;

		CHECK_ATTR_STR(kv, n, "ok", "h\xc3\xa9llo \xf0\x9f\x98\x80");
		CHECK_ATTR_STR(kv, n, "bad",
			       "a\xef\xbf\xbd"
			       "b\xef\xbf\xbd");
		CHECK_ATTR_STR(kv, n, "nul", "x\xef\xbf\xbdy");
		CHECK_ATTR_STR(kv, n, "overlong",
			       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
		CHECK_ATTR_STR(kv, n, "empty", "");
	}
	decoded_free(r);
	span_free(s);
	ws_buf_release(&b);
}

/* One bad byte anywhere in a string of any length (word checks, the tail word, bytes): repaired. */
TEST(encode_repairs_a_bad_byte_at_every_position)
{
	for (size_t len = 1; len <= 40; len++) {
		for (size_t at = 0; at < len; at++) {
			struct ws_span *s = span_make(&res_a, 9, 0, WS_KIND_SERVER, "GET");
			struct ws_buf b = WS_BUF_INIT;
			char val[40], want[48];
			pb_request *r;

			memset(val, 'a', len);
			val[at] = (char)0xff;
			memset(want, 'a', len + 2);
			memcpy(want + at, "\xef\xbf\xbd", 3);
			want[len + 2] = '\0';
			ws_span_add_str(s, "v", val, len);
			CHECK_INT(ws_otlp_encode(&s, 1, &b), 0);
			r = decode(&b);
			CHECK(r && r->n_resource_spans == 1);
			if (r && r->n_resource_spans == 1) {
				pb_span *m = r->resource_spans[0]->scope_spans[0]->spans[0];

				CHECK_ATTR_STR(m->attributes, m->n_attributes, "v", want);
			}
			decoded_free(r);
			span_free(s);
			ws_buf_release(&b);
		}
	}
}

/* A full span: all attributes, the string arena filled to its last byte. */
TEST(encode_full_span)
{
	static const char *const keys[WS_SPAN_MAX_ATTRS] = {
		"k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09", "k10", "k11",
		"k12", "k13", "k14", "k15", "k16", "k17", "k18", "k19", "k20", "k21", "k22", "k23",
	};
	struct ws_span *s = span_make(&res_b, 3, 4, WS_KIND_CLIENT, "DELETE");
	char val[WS_ATTR_VALUE_MAX];
	size_t per = WS_SPAN_STRBUF / WS_SPAN_MAX_ATTRS, i;

	memset(val, 'v', sizeof(val));
	for (i = 0; i < WS_SPAN_MAX_ATTRS; i++) {
		size_t left = WS_SPAN_STRBUF - (size_t)s->strbuf_used;
		size_t len = i + 1 < WS_SPAN_MAX_ATTRS ? per : left;

		val[0] = (char)('A' + i);
		CHECK_INT(ws_span_add_str(s, keys[i], val, len), 0);
	}
	CHECK_INT(s->strbuf_used, WS_SPAN_STRBUF);
	CHECK_INT(ws_span_add_int(s, "one.too.many", 1), -ENOSPC);
	s->status = WS_STATUS_OK;
	check_encodes_alone(s);
	span_free(s);
}

/*
 * A shrunk span with a string offset past what it holds (a bug upstream):
 * the attribute is dropped and counted, nothing outside the span is read
 * (the ASan run would abort).
 */
TEST(encode_drops_strings_past_the_arena)
{
	struct ws_buf b = WS_BUF_INIT;
	struct ws_span *s = span_make(&res_a, 7, 0, WS_KIND_SERVER, "GET");
	pb_request *r;
	pb_span *m;

	ws_span_add_str(s, "ok", "fine", 4);
	s->attrs[s->nattrs++] = (struct ws_attr){
		.key = "bad", .type = WS_ATTR_STR, .off = s->strbuf_used + 16, .len = 8
	};
	s->tracestate_off = s->strbuf_used + 4;
	s->tracestate_len = 3;
	s = ws_span_shrink(s);
	m = encode_one(&s, &b, &r);
	if (m) {
		CHECK_INT(m->n_attributes, 1);
		CHECK_INT(m->dropped_attributes_count, 1);
		CHECK_STR(m->trace_state, "");
	}
	decoded_free(r);
	span_free(s);
	ws_buf_release(&b);
}

/*
 * Which made-up attributes are readable, at the arena's end: a value
 * ending on its last byte, or empty at its end, goes out; one byte past it,
 * a missing key or an unknown type is dropped and counted; an int's
 * offset does not matter.
 */
TEST(encode_reads_attributes_up_to_the_arena_end)
{
	struct ws_buf b = WS_BUF_INIT;
	struct ws_span *s = span_make(&res_a, 7, 0, WS_KIND_SERVER, "GET");
	uint16_t used;
	pb_request *r;
	pb_span *m;

	ws_span_add_str(s, "ok", "abcdef", 6);
	s = ws_span_shrink(s);
	used = s->strbuf_used;
	s->nattrs = 0;
	s->attrs[s->nattrs++] = (struct ws_attr){
		.key = "end", .type = WS_ATTR_STR, .off = used - 2, .len = 2
	};
	s->attrs[s->nattrs++] = (struct ws_attr){
		.key = "empty", .type = WS_ATTR_STR, .off = used, .len = 0
	};
	s->attrs[s->nattrs++] = (struct ws_attr){
		.key = "past", .type = WS_ATTR_STR, .off = used - 1, .len = 2
	};
	s->attrs[s->nattrs++] = (struct ws_attr){ .type = WS_ATTR_STR, .len = 1 };
	s->attrs[s->nattrs++] = (struct ws_attr){ .key = "odd", .type = 9, .len = 1 };
	s->attrs[s->nattrs++] = (struct ws_attr){
		.key = "int", .type = WS_ATTR_INT, .off = 60000, .len = 60000, .ival = 5
	};
	m = encode_one(&s, &b, &r);
	if (m) {
		CHECK_INT(m->n_attributes, 3);
		CHECK_INT(m->dropped_attributes_count, 3);
		if (m->n_attributes == 3) {
			CHECK_STR(m->attributes[0]->key, "end");
			CHECK_STR(m->attributes[0]->value->string_value, "ef");
			CHECK_STR(m->attributes[1]->key, "empty");
			CHECK_STR(m->attributes[2]->key, "int");
			CHECK_INT(m->attributes[2]->value->int_value, 5);
		}
	}
	decoded_free(r);
	span_free(s);
	ws_buf_release(&b);
}

/*
 * Keys carry their length when added; an attribute made some other way
 * (klen 0) has its key measured, and a runtime key (not a literal) is
 * measured when added: all three go out whole.
 */
TEST(encode_keys_of_known_and_unknown_length)
{
	struct ws_buf b = WS_BUF_INIT;
	struct ws_span *s = span_make(&res_a, 7, 0, WS_KIND_SERVER, "GET");
	char runtime_key[] = "partner.request_id";
	pb_request *r;
	pb_span *m;

	ws_span_add_str(s, "known.key", "v1", 2);
	ws_span_add_str(s, runtime_key, "v2", 2);
	s->attrs[s->nattrs++] = (struct ws_attr){ .key = "made.by.hand",
						  .type = WS_ATTR_INT,
						  .ival = 3 };
	s = ws_span_shrink(s);
	m = encode_one(&s, &b, &r);
	if (m) {
		CHECK_INT(m->n_attributes, 3);
		if (m->n_attributes == 3) {
			CHECK_STR(m->attributes[0]->key, "known.key");
			CHECK_STR(m->attributes[1]->key, "partner.request_id");
			CHECK_STR(m->attributes[2]->key, "made.by.hand");
			CHECK_INT(m->attributes[2]->value->int_value, 3);
		}
	}
	decoded_free(r);
	span_free(s);
	ws_buf_release(&b);
}

/*
 * A value flagged ascii when added goes out unchecked; cleared, the same
 * value takes the checking path: both give the same bytes, at lengths on
 * both sides of the one-byte length, and a value that is not ASCII (no
 * flag) is still repaired.
 */
TEST(encode_ascii_flag_gives_the_bytes_of_the_checked_path)
{
	static const size_t lens[] = { 0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 100, 121, 122, 200 };
	struct ws_buf fast = WS_BUF_INIT, slow = WS_BUF_INIT;
	struct ws_span *s = span_make(&res_a, 7, 0, WS_KIND_SERVER, "GET");
	char val[200];
	size_t i;

	for (i = 0; i < sizeof(val); i++)
		val[i] = (char)('!' + i % 90);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		CHECK_INT(ws_span_add_str(s, "k", val, lens[i]), 0);
	CHECK_INT(ws_span_add_str(s, "bad",
				  "a\xff"
				  "b",
				  3),
		  0);
	for (i = 0; i + 1 < s->nattrs; i++)
		CHECK_INT(s->attrs[i].ascii, 1);
	CHECK_INT(s->attrs[i].ascii, 0);
	CHECK_INT(ws_otlp_encode(&s, 1, &fast), 0);
	for (i = 0; i < s->nattrs; i++)
		s->attrs[i].ascii = 0;
	CHECK_INT(ws_otlp_encode(&s, 1, &slow), 0);
	CHECK_INT(fast.len, slow.len);
	CHECK(fast.len == slow.len && !memcmp(fast.data, slow.data, fast.len));
	CHECK(memmem(fast.data, fast.len,
		     "a\xef\xbf\xbd"
		     "b",
		     5) != NULL);
	span_free(s);
	ws_buf_release(&fast);
	ws_buf_release(&slow);
}

/* Links and the exception event, next to everything else a span holds. */
TEST(encode_links_and_exception)
{
	static const uint8_t tid[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
					 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	static const uint8_t tid2[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static const uint8_t sid[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
	struct ws_span *s = span_make(&res_a, 5, 6, WS_KIND_CLIENT, "POST");

	ws_span_add_str(s, "server.address", "api.stripe.com", 14);
	ws_span_add_str(s, "error.type", "connection_refused", 18);
	CHECK_INT(ws_span_add_link(s, tid, sid, 1), 0);
	CHECK_INT(ws_span_add_link(s, tid2, sid, 0), 0);
	CHECK_INT(ws_span_add_link(s, tid, sid, 1), -ENOSPC);
	CHECK_INT(ws_span_set_exception(s, 1700000000123456789ULL, "ECONNREFUSED",
					"connection refused by 10.0.0.7:443"),
		  0);
	s->status = WS_STATUS_ERROR;
	check_encodes_alone(s);
	span_free(s);
}

/*
 * A batch far past the encoder's first guess of its size (every byte of
 * every value repaired to three), written into a buffer that has to grow
 * many times while the request is being written back to front.
 */
TEST(encode_grows_buffer)
{
	enum { N = 40 };
	struct ws_buf b = WS_BUF_INIT;
	struct ws_span *sp[N];
	char bad[WS_ATTR_VALUE_MAX];
	pb_request *r;
	size_t i, seen = 0;

	memset(bad, 0xff, sizeof(bad));
	for (i = 0; i < N; i++) {
		sp[i] = span_make(i % 3 ? &res_a : &res_b, (uint8_t)(i + 1), 0, WS_KIND_SERVER,
				  "GET");
		ws_span_add_str(sp[i], "a", bad, sizeof(bad));
		ws_span_add_str(sp[i], "b", bad, sizeof(bad));
	}
	CHECK_INT(ws_otlp_encode(sp, N, &b), 0);
	CHECK(b.len > N * 2 * 3 * sizeof(bad));
	r = decode(&b);
	CHECK(r && r->n_resource_spans == 2);
	for (i = 0; r && i < r->n_resource_spans; i++) {
		pb_scope_spans *ss = r->resource_spans[i]->scope_spans[0];

		for (size_t j = 0; j < ss->n_spans; j++) {
			const pb_any *v = kv_find(ss->spans[j]->attributes,
						  ss->spans[j]->n_attributes, "b");

			CHECK(v && v->value_case == ANY_STR &&
			      strlen(v->string_value) == 3 * sizeof(bad));
			seen++;
		}
	}
	CHECK_INT(seen, N);
	decoded_free(r);
	check_canonical(&b);
	for (i = 0; i < N; i++)
		span_free(sp[i]);
	ws_buf_release(&b);
}

/*
 * A minimal HTTP/1.1 responder for the exporter tests: one connection at a
 * time, requests read by Content-Length, every one answered with status (or
 * never answered, when status is 0). It keeps the last request it read.
 */
struct responder {
	int lfd;
	int port;
	int status; /* read and written with __atomic: the test changes it mid-run */
	bool stop;  /* likewise */
	int accepts;
	int requests;
	char head[4096];
	uint8_t *body;
	size_t body_len;
	pthread_t thr;
};

static bool read_request(struct responder *rs, int fd)
{
	size_t got = 0, want, clen = 0;
	char *end, *cl;

	for (;;) {
		ssize_t n;

		if (got + 1 >= sizeof(rs->head))
			return false;
		n = read(fd, rs->head + got, sizeof(rs->head) - 1 - got);
		if (n <= 0)
			return false;
		got += n;
		rs->head[got] = '\0';
		end = strstr(rs->head, "\r\n\r\n");
		if (end)
			break;
	}
	cl = strcasestr(rs->head, "\r\nContent-Length:");
	if (cl)
		clen = strtoul(cl + 17, NULL, 10);
	end += 4;
	want = clen;
	free(rs->body);
	rs->body = malloc(want + 1);
	if (!rs->body)
		return false;
	rs->body_len = got - (size_t)(end - rs->head);
	if (rs->body_len > want)
		return false; /* pipelining: never done by the exporter */
	memcpy(rs->body, end, rs->body_len);
	*end = '\0';
	while (rs->body_len < want) {
		ssize_t n = read(fd, rs->body + rs->body_len, want - rs->body_len);

		if (n <= 0)
			return false;
		rs->body_len += n;
	}
	return true;
}

static void *responder_main(void *arg)
{
	struct responder *rs = arg;

	while (!__atomic_load_n(&rs->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = rs->lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(rs->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		rs->accepts++;
		while (!__atomic_load_n(&rs->stop, __ATOMIC_ACQUIRE) && read_request(rs, fd)) {
			int status = __atomic_load_n(&rs->status, __ATOMIC_ACQUIRE);
			char resp[128];
			int len;

			rs->requests++;
			if (!status) {
				while (!__atomic_load_n(&rs->stop, __ATOMIC_ACQUIRE))
					usleep(10000);
				break;
			}
			len = snprintf(resp, sizeof(resp),
				       "HTTP/1.1 %d X\r\nContent-Type: application/x-protobuf\r\n"
				       "Content-Length: 0\r\n\r\n",
				       status);
			if (write(fd, resp, len) != len)
				break;
		}
		close(fd);
	}
	return NULL;
}

static int responder_start(struct responder *rs, int status)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	memset(rs, 0, sizeof(*rs));
	rs->status = status;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rs->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rs->lfd < 0 || bind(rs->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(rs->lfd, 8) || getsockname(rs->lfd, (struct sockaddr *)&sa, &sl))
		return -errno;
	rs->port = ntohs(sa.sin_port);
	return -pthread_create(&rs->thr, NULL, responder_main, rs);
}

/* Stops the thread; what it recorded stays readable until responder_free(). */
static void responder_stop(struct responder *rs)
{
	__atomic_store_n(&rs->stop, true, __ATOMIC_RELEASE);
	pthread_join(rs->thr, NULL);
	close(rs->lfd);
}

static void responder_free(struct responder *rs)
{
	free(rs->body);
	rs->body = NULL;
}

/* What the exporter under test counted: zeroed by each exporter_to(). */
static struct ws_export_counters ctr;

static struct ws_exporter *exporter_to(int port, long timeout_ms)
{
	struct ws_otlp_http_opts o = { .timeout_ms = timeout_ms, .counters = &ctr };
	char url[64];

	memset(&ctr, 0, sizeof(ctr));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/traces", port);
	o.endpoint = url; /* copied by libcurl */
	return ws_otlp_http_exporter_new(&o);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(export_delivers)
{
	struct ws_buf want = WS_BUF_INIT;
	struct ws_span *sp[SAMPLE_N];
	struct ws_exporter *e;
	struct responder rs;

	sample_make(sp);
	CHECK_INT(responder_start(&rs, 200), 0);
	e = exporter_to(rs.port, 2000);
	CHECK(e);
	if (e) {
		CHECK_STR(e->name, "otlp");
		CHECK_INT(e->export(e, sp, SAMPLE_N), 0);
		CHECK_INT(e->export(e, sp, 1), 0);
		CHECK_INT(e->export(e, sp, 0), 0); /* nothing to send: no request */
		e->shutdown(e);
	}
	responder_stop(&rs);
	CHECK_INT(rs.requests, 2);
	CHECK_INT(rs.accepts, 1); /* keep-alive: one connection for both */
	CHECK(!strncmp(rs.head, "POST /v1/traces HTTP/1.1\r\n", 26));
	CHECK(strcasestr(rs.head, "\r\nContent-Type: application/x-protobuf\r\n"));
	CHECK(strcasestr(rs.head, "\r\nUser-Agent: wirespan/" WS_VERSION "\r\n"));
	CHECK(!strcasestr(rs.head, "\r\nExpect:"));
	/* the body is exactly the encoding of the last batch */
	CHECK_INT(ws_otlp_encode(sp, 1, &want), 0);
	CHECK(rs.body_len == want.len && !memcmp(rs.body, want.data, want.len));
	responder_free(&rs);
	ws_buf_release(&want);
	sample_free(sp);
}

TEST(export_http_error)
{
	struct ws_span *sp[SAMPLE_N];
	struct ws_exporter *e;
	struct responder rs;

	sample_make(sp);
	/* 400: the collector refuses the batch itself; retrying cannot help */
	CHECK_INT(responder_start(&rs, 400), 0);
	e = exporter_to(rs.port, 2000);
	CHECK(e);
	if (e) {
		/* one request each (no retry), logged once, not three times */
		for (int i = 0; i < 3; i++)
			CHECK_INT(e->export(e, sp, SAMPLE_N), -EIO);
		__atomic_store_n(&rs.status, 204, __ATOMIC_RELEASE);
		CHECK_INT(e->export(e, sp, SAMPLE_N), 0);
		e->shutdown(e);
	}
	responder_stop(&rs);
	responder_free(&rs);
	CHECK_INT(rs.requests, 4);
	/* counted by kind, and the refused spans with them */
	CHECK_INT(ctr.errors[WS_EXPORT_ERR_HTTP_REJECTED], 3);
	CHECK_INT(ctr.refused, 3 * SAMPLE_N);
	CHECK_INT(ctr.retries, 0);
	sample_free(sp);
}

/* Runs fn with stderr going to a file; returns what it wrote (static buffer). */
static const char *capture_stderr(void (*fn)(void *), void *arg)
{
	static char out[8192];
	FILE *f = tmpfile();
	int saved;
	size_t n = 0;

	out[0] = '\0';
	if (!f)
		return out;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(f), STDERR_FILENO);
	fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

struct export_loop {
	struct ws_exporter *e;
	struct ws_span **spans;
	int times;
	int failed;
};

static void export_many(void *arg)
{
	struct export_loop *l = arg;

	for (int i = 0; i < l->times; i++)
		if (l->e->export(l->e, l->spans, 1) == -EIO)
			l->failed++;
}

/* The same failure over and over: logged the first time and every 100th, with its count. */
TEST(export_log_rate_limited)
{
	struct ws_span *sp[SAMPLE_N];
	static const char first[] = "wirespan: otlp export failed: HTTP status 500, 1 time\n";
	struct export_loop l = { .times = 150 };
	struct responder rs;
	const char *log;

	sample_make(sp);
	CHECK_INT(responder_start(&rs, 500), 0);
	l.e = exporter_to(rs.port, 2000);
	l.spans = sp;
	CHECK(l.e);
	if (l.e) {
		log = capture_stderr(export_many, &l);
		CHECK_INT(l.failed, 150);
		/* A streak is logged at its start, then at most once a minute: one line here. */
		CHECK_STR(log, first);
		l.e->shutdown(l.e);
	}
	responder_stop(&rs);
	responder_free(&rs);
	sample_free(sp);
}

TEST(export_refused)
{
	struct ws_span *sp[SAMPLE_N];
	struct ws_exporter *e;
	struct responder rs;
	int port;

	/* a port that was just free and is closed again */
	CHECK_INT(responder_start(&rs, 200), 0);
	port = rs.port;
	responder_stop(&rs);
	responder_free(&rs);
	sample_make(sp);
	e = exporter_to(port, 2000);
	CHECK(e);
	if (e) {
		double t0 = now_s(), dt;

		/* retried (the collector may be starting) until the batch's time is up */
		CHECK_INT(e->export(e, sp, SAMPLE_N), -ETIMEDOUT);
		dt = now_s() - t0;
		CHECK(dt >= 0.4 && dt < 2.5);
		e->shutdown(e);
	}
	sample_free(sp);
	/* every attempt failed to connect; all but the first were retries */
	CHECK(ctr.errors[WS_EXPORT_ERR_CONNECT] >= 2);
	CHECK_INT(ctr.retries, ctr.errors[WS_EXPORT_ERR_CONNECT] - 1);
	CHECK_INT(ctr.refused, 0);
}

/* A receiver that never answers costs one timeout, not a hung export thread. */
TEST(export_timeout)
{
	struct ws_span *sp[SAMPLE_N];
	struct ws_exporter *e;
	struct responder rs;
	double t0, dt = 0;

	sample_make(sp);
	CHECK_INT(responder_start(&rs, 0), 0);
	e = exporter_to(rs.port, 300);
	CHECK(e);
	if (e) {
		t0 = now_s();
		/* one timeout; a retry would not fit in what is left of the budget */
		CHECK_INT(e->export(e, sp, SAMPLE_N), -ETIMEDOUT);
		dt = now_s() - t0;
		CHECK(dt >= 0.25 && dt < 2.0);
		e->shutdown(e);
	}
	CHECK_INT(ctr.errors[WS_EXPORT_ERR_TIMEOUT], 1);
	responder_stop(&rs);
	responder_free(&rs);
	sample_free(sp);
}

TEST(exporter_bad_opts)
{
	struct ws_otlp_http_opts o = { .endpoint = "" };

	errno = 0;
	CHECK(!ws_otlp_http_exporter_new(NULL));
	CHECK_INT(errno, EINVAL);
	errno = 0;
	CHECK(!ws_otlp_http_exporter_new(&o));
	CHECK_INT(errno, EINVAL);
}

static const struct check_case cases[] = {
	CASE(encode_sample),
	CASE(encode_empty),
	CASE(encode_null_resource),
	CASE(encode_resource_attributes),
	CASE(encode_many_resources),
	CASE(encode_reuses_buffers),
	CASE(encode_end_leaves_the_same_bytes_at_the_end),
	CASE(encode_repairs_text),
	CASE(encode_repairs_a_bad_byte_at_every_position),
	CASE(encode_full_span),
	CASE(encode_drops_strings_past_the_arena),
	CASE(encode_reads_attributes_up_to_the_arena_end),
	CASE(encode_keys_of_known_and_unknown_length),
	CASE(encode_ascii_flag_gives_the_bytes_of_the_checked_path),
	CASE(encode_links_and_exception),
	CASE(encode_grows_buffer),
	CASE(export_delivers),
	CASE(export_http_error),
	CASE(export_log_rate_limited),
	CASE(export_refused),
	CASE(export_timeout),
	CASE(exporter_bad_opts),
};

/* WS_OTLP_SAMPLE_OUT: the encoded sample batch, for the integration tests' decoder. */
static int write_sample(const char *path)
{
	struct ws_buf b = WS_BUF_INIT;
	struct ws_span *sp[SAMPLE_N];
	FILE *f;
	int err;

	sample_make(sp);
	err = ws_otlp_encode(sp, SAMPLE_N, &b);
	sample_free(sp);
	if (err) {
		fprintf(stderr, "encoding the sample: %s\n", strerror(-err));
		return 1;
	}
	f = fopen(path, "wb");
	if (f) {
		err = fwrite(b.data, 1, b.len, f) == b.len ? 0 : -EIO;
		if (fclose(f) && !err)
			err = -errno;
	} else {
		err = -errno;
	}
	if (err)
		fprintf(stderr, "%s: %s\n", path, strerror(-err));
	ws_buf_release(&b);
	return err ? 1 : 0;
}

/* WS_OTLP_EXPORT_TO: the sample batch through the real exporter, to a real receiver. */
static int export_sample(const char *url)
{
	struct ws_otlp_http_opts o = { .endpoint = url, .timeout_ms = 5000 };
	struct ws_span *sp[SAMPLE_N];
	struct ws_exporter *e;
	int err;

	e = ws_otlp_http_exporter_new(&o);
	if (!e) {
		fprintf(stderr, "exporter: %s\n", strerror(errno));
		return 1;
	}
	sample_make(sp);
	err = e->export(e, sp, SAMPLE_N);
	sample_free(sp);
	e->shutdown(e);
	return err ? 1 : 0;
}

int main(void)
{
	const char *sample_out = getenv("WS_OTLP_SAMPLE_OUT");
	const char *export_to = getenv("WS_OTLP_EXPORT_TO");

	if (sample_out && sample_out[0])
		return write_sample(sample_out);
	if (export_to && export_to[0])
		return export_sample(export_to);
	return check_run("otlp_pb", cases, sizeof(cases) / sizeof(cases[0]));
}
