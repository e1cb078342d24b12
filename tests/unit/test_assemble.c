/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of span assembly, driven by hand-built ring buffer records: server
 * and client spans with their attributes, status rules, trace context,
 * keep-alive, pipelining, messages split over many records, chunked and
 * close-delimited bodies, 1xx, HEAD, upgrades, truncation gaps, malformed
 * records, the pipeline bound, eviction and expiry, address families.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assemble.h"
#include "baggage.h"
#include "check.h"
#include "tmptree.h"
#include "partners.h"
#include "procstat.h"
#include "resource.h"
#include "span.h"
#include "webhooks.h"
#include "wirespan.h"

#define COMM "svc-test"
#define TGID 4242
#define TID 4243
#define MAX_SPANS 1024

/* ---- the span sink ---- */

static struct ws_span *spans[MAX_SPANS];
static size_t nspans;
static size_t spans_overflow;

static void collect(void *ctx, struct ws_span *s)
{
	(void)ctx;
	if (nspans < MAX_SPANS)
		spans[nspans++] = s;
	else {
		spans_overflow++;
		ws_span_free(s);
	}
}

static void spans_clear(void)
{
	for (size_t i = 0; i < nspans; i++)
		ws_span_free(spans[i]);
	nspans = 0;
	spans_overflow = 0;
}

static struct ws_assembler *asm_open_opts(struct ws_assembler_opts *o)
{
	struct ws_assembler *a;

	spans_clear();
	a = ws_assembler_new(o, collect, NULL);
	CHECK(a != NULL);
	return a;
}

static struct ws_assembler *asm_open(void)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent", .mono_to_unix_ns = 0 };

	return asm_open_opts(&o);
}

static void asm_close(struct ws_assembler *a)
{
	ws_assembler_free(a);
	spans_clear();
}

static uint64_t stat_of(const struct ws_assembler *a, enum ws_asm_stat i)
{
	uint64_t st[WS_ASM_STAT__COUNT];

	ws_assembler_stats(a, st);
	return st[i];
}

/* ---- the record builder ---- */

struct cn {
	uint64_t sock;
	uint32_t tgid, tid;
	uint64_t g; /* the goroutine its records carry (a Go process's), or 0 */
	char comm[16];
	struct ws_tuple t;
};

static struct ws_tuple tuple4(const char *saddr, uint16_t sport, const char *daddr, uint16_t dport)
{
	struct ws_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	inet_pton(AF_INET, saddr, t.saddr);
	inet_pton(AF_INET, daddr, t.daddr);
	t.sport = sport;
	t.dport = dport;
	return t;
}

static struct ws_tuple tuple6(const char *saddr, uint16_t sport, const char *daddr, uint16_t dport)
{
	struct ws_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET6;
	inet_pton(AF_INET6, saddr, t.saddr);
	inet_pton(AF_INET6, daddr, t.daddr);
	t.sport = sport;
	t.dport = dport;
	return t;
}

/* The traced process is a server on 127.0.0.1:8080; its peer is 192.168.1.50:54321. */
static struct cn server_cn(uint64_t sock)
{
	struct cn c;

	memset(&c, 0, sizeof(c));
	c.sock = sock;
	c.tgid = TGID;
	c.tid = TID;
	strcpy(c.comm, COMM);
	c.t = tuple4("127.0.0.1", 8080, "192.168.1.50", 54321);
	return c;
}

/* The traced process is a client on 192.168.1.50:54321 talking to 127.0.0.1:8080. */
static struct cn client_cn(uint64_t sock)
{
	struct cn c = server_cn(sock);

	c.t = tuple4("192.168.1.50", 54321, "127.0.0.1", 8080);
	return c;
}

/* 8-byte aligned, as the ring buffer hands records out. */
static _Alignas(8) unsigned char recbuf[sizeof(struct ws_data_rec) + 65536];

static size_t build_data(void *buf, const struct cn *c, int dir, uint64_t ts, const void *payload,
			 size_t cap, size_t io)
{
	struct ws_data_rec *r = buf;

	memset(r, 0, sizeof(*r));
	r->hdr.type = WS_REC_DATA;
	r->hdr.flags = io > cap ? WS_F_TRUNCATED : 0;
	r->hdr.len = sizeof(struct ws_data_rec) - sizeof(struct ws_rec_hdr) + cap;
	r->hdr.ts_ns = ts;
	r->hdr.tgid = c->tgid;
	r->hdr.tid = c->tid;
	r->hdr.sock_id = c->sock;
	r->tuple = c->t;
	r->io_len = io;
	r->cap_len = cap;
	r->dir = dir;
	r->role = WS_ROLE_UNKNOWN;
	r->source = WS_SRC_SOCK_TP;
	r->goroutine = c->g;
	memcpy(r->comm, c->comm, sizeof(r->comm));
	if (cap)
		memcpy(r + 1, payload, cap);
	return sizeof(*r) + cap;
}

static int rec_data(struct ws_assembler *a, const struct cn *c, int dir, uint64_t ts,
		    const void *payload, size_t cap, size_t io)
{
	size_t n;

	if (cap > sizeof(recbuf) - sizeof(struct ws_data_rec)) {
		CHECK(!"payload too big for recbuf");
		return -1;
	}
	n = build_data(recbuf, c, dir, ts, payload, cap, io);
	return ws_assembler_record(a, recbuf, n);
}

static int rec_str(struct ws_assembler *a, const struct cn *c, int dir, uint64_t ts, const char *s)
{
	return rec_data(a, c, dir, ts, s, strlen(s), strlen(s));
}

static int rec_close_flags(struct ws_assembler *a, const struct cn *c, uint64_t ts,
			   uint16_t flags)
{
	_Alignas(8) struct ws_close_rec r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = WS_REC_CLOSE;
	r.hdr.flags = flags;
	r.hdr.len = sizeof(r) - sizeof(r.hdr);
	r.hdr.ts_ns = ts;
	r.hdr.tgid = c->tgid;
	r.hdr.tid = c->tid;
	r.hdr.sock_id = c->sock;
	r.tuple = c->t;
	return ws_assembler_record(a, &r, sizeof(r));
}

static int rec_close(struct ws_assembler *a, const struct cn *c, uint64_t ts)
{
	return rec_close_flags(a, c, ts, 0);
}

/* Server side: requests come in, responses go out. Client side: the reverse. */
#define SRV_REQ(a, c, ts, s) CHECK_INT(rec_str((a), (c), WS_DIR_INGRESS, (ts), (s)), 0)
#define SRV_RESP(a, c, ts, s) CHECK_INT(rec_str((a), (c), WS_DIR_EGRESS, (ts), (s)), 0)
#define CLI_REQ(a, c, ts, s) CHECK_INT(rec_str((a), (c), WS_DIR_EGRESS, (ts), (s)), 0)
#define CLI_RESP(a, c, ts, s) CHECK_INT(rec_str((a), (c), WS_DIR_INGRESS, (ts), (s)), 0)

/* ---- attribute checks ---- */

#define CHECK_ATTR_STR(s, key, want)                                                       \
	do {                                                                               \
		const struct ws_attr *ca_ = ws_span_attr((s), (key));                       \
		if (!ca_) {                                                                \
			fprintf(stderr, "    %s:%d: attribute %s missing\n", __FILE__,        \
				__LINE__, (key));                                          \
			check_failed_in_test = 1;                                          \
		} else {                                                                   \
			CHECK_INT(ca_->type, WS_ATTR_STR);                                 \
			CHECK_MEM(ws_attr_str((s), ca_), ca_->len, (want));                \
		}                                                                          \
	} while (0)

#define CHECK_ATTR_INT(s, key, want)                                                       \
	do {                                                                               \
		const struct ws_attr *ca_ = ws_span_attr((s), (key));                       \
		if (!ca_) {                                                                \
			fprintf(stderr, "    %s:%d: attribute %s missing\n", __FILE__,        \
				__LINE__, (key));                                          \
			check_failed_in_test = 1;                                          \
		} else {                                                                   \
			CHECK_INT(ca_->type, WS_ATTR_INT);                                 \
			CHECK_INT(ca_->ival, (want));                                      \
		}                                                                          \
	} while (0)

#define CHECK_NO_ATTR(s, key)                                                              \
	do {                                                                               \
		const struct ws_attr *ca_ = ws_span_attr((s), (key));                       \
		if (ca_) {                                                                 \
			fprintf(stderr, "    %s:%d: attribute %s present, should not be\n",   \
				__FILE__, __LINE__, (key));                                \
			check_failed_in_test = 1;                                          \
		}                                                                          \
	} while (0)

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static size_t attr_count(const struct ws_span *s, const char *key)
{
	size_t n = 0;

	for (uint16_t i = 0; i < s->nattrs; i++)
		if (!strcmp(s->attrs[i].key, key))
			n++;
	return n;
}

/* The span i, or NULL (and a failure) when fewer were built. */
static struct ws_span *span_at(size_t i)
{
	return i < nspans ? spans[i] : NULL;
}

#define REQ_HELLO                                                                          \
	"GET /hello?name=bob&x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"                     \
	"User-Agent: curl/7.88\r\nAccept: */*\r\n\r\n"
#define RESP_OK "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

/* ---- basic spans ---- */

TEST(server_get_span_has_all_attributes)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(1);
	struct ws_span *s;

	SRV_REQ(a, &c, 1000, REQ_HELLO);
	CHECK_INT(nspans, 0);
	SRV_RESP(a, &c, 5000, RESP_OK);
	CHECK_INT(nspans, 1);
	s = span_at(0);
	if (s) {
		CHECK_INT(s->kind, WS_KIND_SERVER);
		CHECK_STR(s->name, "GET");
		CHECK_INT(s->start_unix_ns, 1000);
		CHECK_INT(s->end_unix_ns, 5000);
		CHECK_INT(s->exec.id, TID);
		CHECK_ATTR_STR(s, "http.request.method", "GET");
		CHECK_ATTR_STR(s, "url.path", "/hello");
		CHECK_ATTR_STR(s, "url.query", "name=REDACTED&x=REDACTED");
		CHECK_ATTR_STR(s, "url.scheme", "http");
		CHECK_ATTR_STR(s, "server.address", "127.0.0.1");
		CHECK_ATTR_INT(s, "server.port", 8080);
		CHECK_ATTR_STR(s, "client.address", "192.168.1.50");
		CHECK_ATTR_STR(s, "network.peer.address", "192.168.1.50");
		CHECK_ATTR_INT(s, "network.peer.port", 54321);
		CHECK_ATTR_STR(s, "network.protocol.version", "1.1");
		CHECK_ATTR_STR(s, "user_agent.original", "curl/7.88");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_INT(attr_count(s, "http.response.status_code"), 1);
		CHECK_NO_ATTR(s, "error.type");
		CHECK_NO_ATTR(s, "url.full");
		CHECK_NO_ATTR(s, "http.request.method_original");
		CHECK_INT(s->status, WS_STATUS_UNSET);
		CHECK(all_zero(s->parent_span_id, 8));
		CHECK(!all_zero(s->trace_id, 16));
		CHECK(!all_zero(s->span_id, 8));
		CHECK_INT(s->trace_flags, 1);
		CHECK_INT(s->tracestate_len, 0);
		CHECK_INT(s->dropped_attrs, 0);
		CHECK(s->res != NULL);
		if (s->res) {
			CHECK_STR(s->res->service_name, COMM);
			CHECK_INT(s->res->pid, TGID);
		}
	}
	CHECK_INT(stat_of(a, WS_ASM_RECORDS), 2);
	CHECK_INT(stat_of(a, WS_ASM_SPANS), 1);
	CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), 0);
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	CHECK_INT(stat_of(a, WS_ASM_RESP_NO_REQ), 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	CHECK_INT(ws_assembler_nconns(a), 1);
	asm_close(a);
}

TEST(client_get_span_has_url_full)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(2);
	struct ws_span *s;

	CLI_REQ(a, &c, 1000, REQ_HELLO);
	CLI_RESP(a, &c, 5000, RESP_OK);
	CHECK_INT(nspans, 1);
	s = span_at(0);
	if (s) {
		CHECK_INT(s->kind, WS_KIND_CLIENT);
		CHECK_STR(s->name, "GET");
		CHECK_INT(s->start_unix_ns, 1000);
		CHECK_INT(s->end_unix_ns, 5000);
		CHECK_ATTR_STR(s, "http.request.method", "GET");
		CHECK_ATTR_STR(s, "url.full", "http://127.0.0.1:8080/hello?name=REDACTED&x=REDACTED");
		CHECK_ATTR_STR(s, "server.address", "127.0.0.1");
		CHECK_ATTR_INT(s, "server.port", 8080);
		CHECK_ATTR_STR(s, "network.peer.address", "127.0.0.1");
		CHECK_ATTR_INT(s, "network.peer.port", 8080);
		CHECK_ATTR_STR(s, "network.protocol.version", "1.1");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_NO_ATTR(s, "url.path");
		CHECK_NO_ATTR(s, "url.query");
		CHECK_NO_ATTR(s, "user_agent.original");
		CHECK_NO_ATTR(s, "client.address");
		CHECK_NO_ATTR(s, "error.type");
		CHECK_INT(s->status, WS_STATUS_UNSET);
		CHECK(all_zero(s->parent_span_id, 8));
		CHECK(!all_zero(s->trace_id, 16));
		CHECK(s->res && !strcmp(s->res->service_name, COMM));
	}
	asm_close(a);
}

TEST(no_host_header_uses_the_connection_address)
{
	struct ws_assembler *a = asm_open();
	struct cn sc = server_cn(1), cc = client_cn(2);
	struct ws_span *s;

	SRV_REQ(a, &sc, 1000, "GET /a HTTP/1.1\r\n\r\n");
	SRV_RESP(a, &sc, 2000, RESP_OK);
	CLI_REQ(a, &cc, 3000, "GET /b HTTP/1.1\r\n\r\n");
	CLI_RESP(a, &cc, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "server.address", "127.0.0.1");
		CHECK_ATTR_INT(s, "server.port", 8080);
		CHECK_ATTR_STR(s, "url.path", "/a");
		CHECK_NO_ATTR(s, "url.query");
	}
	if ((s = span_at(1))) {
		CHECK_ATTR_STR(s, "server.address", "127.0.0.1");
		CHECK_ATTR_INT(s, "server.port", 8080);
		CHECK_ATTR_STR(s, "url.full", "http://127.0.0.1:8080/b");
	}
	asm_close(a);
}

/* IPv4 addresses are formatted by hand: one, two and three digit parts, zero and 255. */
TEST(ipv4_addresses_of_every_width)
{
	struct ws_assembler *a = asm_open();
	struct cn sc = server_cn(1);
	struct ws_span *s;

	sc.t = tuple4("10.200.0.255", 80, "1.22.103.9", 40000);
	SRV_REQ(a, &sc, 1000, "GET /a HTTP/1.1\r\n\r\n");
	SRV_RESP(a, &sc, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "server.address", "10.200.0.255");
		CHECK_ATTR_STR(s, "client.address", "1.22.103.9");
	}
	asm_close(a);
}

TEST(client_absolute_form_target_gives_url_full)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(1);
	struct ws_span *s;

	CLI_REQ(a, &c, 1000,
		"GET http://user:pw@example.com/p?k=v HTTP/1.1\r\nHost: example.com\r\n\r\n");
	CLI_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		/*
		 * The connection goes to the proxy: its port is not the origin's.
		 * No port in the URI means the scheme's default.
		 */
		CHECK_ATTR_STR(s, "url.full", "http://example.com/p?k=REDACTED");
		CHECK_ATTR_STR(s, "server.address", "example.com");
		CHECK_ATTR_INT(s, "server.port", 80);
	}
	asm_close(a);
}

TEST(mono_to_unix_offset_is_applied)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent",
				       .mono_to_unix_ns = 1700000000000000000ll };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn c = server_cn(1);
	struct ws_span *s;

	SRV_REQ(a, &c, 1000, REQ_HELLO);
	SRV_RESP(a, &c, 5000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_INT(s->start_unix_ns, 1700000000000001000ll);
		CHECK_INT(s->end_unix_ns, 1700000000000005000ll);
	}
	asm_close(a);
}

TEST(record_data_is_not_written)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(1);
	static _Alignas(8) unsigned char buf[1024], copy[1024];
	size_t n;

	n = build_data(buf, &c, WS_DIR_INGRESS, 1000, REQ_HELLO, strlen(REQ_HELLO),
		       strlen(REQ_HELLO));
	memcpy(copy, buf, n);
	CHECK_INT(ws_assembler_record(a, buf, n), 0);
	CHECK(!memcmp(buf, copy, n));
	n = build_data(buf, &c, WS_DIR_EGRESS, 2000, RESP_OK, strlen(RESP_OK), strlen(RESP_OK));
	memcpy(copy, buf, n);
	CHECK_INT(ws_assembler_record(a, buf, n), 0);
	CHECK(!memcmp(buf, copy, n));
	CHECK_INT(nspans, 1);
	asm_close(a);
}

/* ---- status ---- */

struct status_row {
	int server;
	int code;
	int want_status;
	const char *want_error; /* NULL: no error.type */
};

static const struct status_row status_rows[] = {
	{ 1, 200, WS_STATUS_UNSET, NULL },  { 1, 302, WS_STATUS_UNSET, NULL },
	{ 1, 404, WS_STATUS_UNSET, NULL },  { 1, 499, WS_STATUS_UNSET, NULL },
	{ 1, 500, WS_STATUS_ERROR, "500" }, { 1, 503, WS_STATUS_ERROR, "503" },
	{ 0, 200, WS_STATUS_UNSET, NULL },  { 0, 302, WS_STATUS_UNSET, NULL },
	{ 0, 404, WS_STATUS_ERROR, "404" }, { 0, 400, WS_STATUS_ERROR, "400" },
	{ 0, 500, WS_STATUS_ERROR, "500" },
};

TEST(status_rules_table)
{
	for (size_t i = 0; i < sizeof(status_rows) / sizeof(status_rows[0]); i++) {
		const struct status_row *r = &status_rows[i];
		struct ws_assembler *a = asm_open();
		struct cn c = r->server ? server_cn(1) : client_cn(1);
		int reqdir = r->server ? WS_DIR_INGRESS : WS_DIR_EGRESS;
		char resp[128];
		struct ws_span *s;
		int before = check_failed_in_test;

		check_failed_in_test = 0;
		snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n", r->code);
		CHECK_INT(rec_str(a, &c, reqdir, 1000, REQ_HELLO), 0);
		CHECK_INT(rec_str(a, &c, !reqdir, 2000, resp), 0);
		CHECK_INT(nspans, 1);
		if ((s = span_at(0))) {
			CHECK_INT(s->status, r->want_status);
			CHECK_ATTR_INT(s, "http.response.status_code", r->code);
			if (r->want_error)
				CHECK_ATTR_STR(s, "error.type", r->want_error);
			else
				CHECK_NO_ATTR(s, "error.type");
		}
		if (check_failed_in_test)
			fprintf(stderr, "    row %zu: %s %d\n", i, r->server ? "server" : "client",
				r->code);
		check_failed_in_test |= before;
		asm_close(a);
	}
}

/* ---- trace context ---- */

TEST(traceparent_is_adopted_with_tracestate)
{
	static const uint8_t want_trace[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
						0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	static const uint8_t want_parent[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(1);
	struct ws_span *s;

	SRV_REQ(a, &c, 1000,
		"GET / HTTP/1.1\r\nHost: x\r\n"
		"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
		"tracestate: congo=t61rcWkgMzE,rojo=00f067aa0ba902b7\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK(!memcmp(s->trace_id, want_trace, 16));
		CHECK(!memcmp(s->parent_span_id, want_parent, 8));
		CHECK(memcmp(s->span_id, want_parent, 8) != 0);
		CHECK(!all_zero(s->span_id, 8));
		CHECK_INT(s->trace_flags, 1);
		CHECK(s->tracestate_len > 0);
		CHECK_MEM(s->strbuf + s->tracestate_off, s->tracestate_len,
			  "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
	}
	asm_close(a);
}

TEST(traceparent_flags_zero_is_kept)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(1);
	struct ws_span *s;

	CLI_REQ(a, &c, 1000,
		"GET / HTTP/1.1\r\nHost: x\r\n"
		"TraceParent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00\r\n\r\n");
	CLI_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_INT(s->trace_flags, 0);
		CHECK_INT(s->trace_id[0], 0x4b);
		CHECK_INT(s->parent_span_id[1], 0xf0);
		CHECK_INT(s->tracestate_len, 0);
	}
	asm_close(a);
}

TEST(invalid_traceparent_starts_a_new_trace)
{
	static const char *bad[] = {
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",		 /* short */
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01", /* zero trace */
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", /* upper case */
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", /* version ff */
		"garbage",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ws_assembler *a = asm_open();
		struct cn c = server_cn(1);
		char req[512];
		struct ws_span *s;

		snprintf(req, sizeof(req),
			 "GET / HTTP/1.1\r\nHost: x\r\ntraceparent: %s\r\ntracestate: a=b\r\n\r\n",
			 bad[i]);
		SRV_REQ(a, &c, 1000, req);
		SRV_RESP(a, &c, 2000, RESP_OK);
		CHECK_INT(nspans, 1);
		if ((s = span_at(0))) {
			CHECK(!all_zero(s->trace_id, 16));
			CHECK(s->trace_id[0] != 0x4b || s->trace_id[1] != 0xf9);
			CHECK(all_zero(s->parent_span_id, 8));
			CHECK_INT(s->tracestate_len, 0);
		}
		asm_close(a);
	}
}

TEST(each_span_gets_its_own_ids)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(1);

	SRV_REQ(a, &c, 1000, REQ_HELLO);
	SRV_RESP(a, &c, 2000, RESP_OK);
	SRV_REQ(a, &c, 3000, REQ_HELLO);
	SRV_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2) {
		CHECK(memcmp(spans[0]->trace_id, spans[1]->trace_id, 16) != 0);
		CHECK(memcmp(spans[0]->span_id, spans[1]->span_id, 8) != 0);
	}
	asm_close(a);
}

/* ---- keep-alive, pipelining, splitting ---- */

TEST(keep_alive_fifty_exchanges)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(7);
	char req[128], path[64];

	for (int i = 0; i < 50; i++) {
		snprintf(req, sizeof(req), "GET /k%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		SRV_REQ(a, &c, 1000 + i * 100, req);
		SRV_RESP(a, &c, 1050 + i * 100, RESP_OK);
	}
	CHECK_INT(nspans, 50);
	for (size_t i = 0; i < nspans; i++) {
		snprintf(path, sizeof(path), "/k%zu", i);
		CHECK_ATTR_STR(spans[i], "url.path", path);
		CHECK_INT(spans[i]->start_unix_ns, 1000 + i * 100);
		CHECK_INT(spans[i]->end_unix_ns, 1050 + i * 100);
	}
	CHECK_INT(ws_assembler_nconns(a), 1);
	CHECK_INT(stat_of(a, WS_ASM_SPANS), 50);
	asm_close(a);
}

TEST(pipelined_requests_pair_in_order)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(8);
	char reqs[2048], resps[2048], path[64];
	size_t rl = 0, pl = 0;

	for (int i = 0; i < 10; i++) {
		rl += snprintf(reqs + rl, sizeof(reqs) - rl, "GET /p%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		pl += snprintf(resps + pl, sizeof(resps) - pl,
			       "HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%.*s", 210 + i, i, i,
			       "xxxxxxxxxx");
	}
	SRV_REQ(a, &c, 1000, reqs);
	CHECK_INT(nspans, 0);
	SRV_RESP(a, &c, 2000, resps);
	CHECK_INT(nspans, 10);
	for (size_t i = 0; i < nspans; i++) {
		snprintf(path, sizeof(path), "/p%zu", i);
		CHECK_ATTR_STR(spans[i], "url.path", path);
		CHECK_ATTR_INT(spans[i], "http.response.status_code", 210 + i);
		CHECK_INT(spans[i]->start_unix_ns, 1000);
		CHECK_INT(spans[i]->end_unix_ns, 2000);
	}
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	CHECK_INT(stat_of(a, WS_ASM_RESP_NO_REQ), 0);
	asm_close(a);
}

/*
 * The FIFO starts small and grows while it has wrapped: two requests, one
 * answer, then three more requests before the rest are answered. Every
 * span must still pair with its own response, in order.
 */
TEST(pipeline_grows_after_wrapping)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(8);
	char path[64];
	uint64_t ts = 1000;

	SRV_REQ(a, &c, ts++, "GET /p0 HTTP/1.1\r\n\r\nGET /p1 HTTP/1.1\r\n\r\n");
	SRV_RESP(a, &c, ts++, "HTTP/1.1 200 X\r\nContent-Length: 0\r\n\r\n");
	SRV_REQ(a, &c, ts++,
		"GET /p2 HTTP/1.1\r\n\r\nGET /p3 HTTP/1.1\r\n\r\nGET /p4 HTTP/1.1\r\n\r\n");
	CHECK_INT(nspans, 1);
	for (int i = 1; i < 5; i++) {
		char resp[64];

		snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n", 200 + i);
		SRV_RESP(a, &c, ts++, resp);
	}
	CHECK_INT(nspans, 5);
	for (size_t i = 0; i < nspans; i++) {
		snprintf(path, sizeof(path), "/p%zu", i);
		CHECK_ATTR_STR(spans[i], "url.path", path);
		CHECK_ATTR_INT(spans[i], "http.response.status_code", 200 + i);
	}
	CHECK_INT(stat_of(a, WS_ASM_PIPELINE_FULL), 0);
	asm_close(a);
}

TEST(pipelined_post_bodies_and_responses_one_by_one)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(8);
	char reqs[2048], resp[128], path[64];
	size_t rl = 0;

	for (int i = 0; i < 5; i++)
		rl += snprintf(reqs + rl, sizeof(reqs) - rl,
			       "POST /b%d HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nb%03d", i, i);
	CLI_REQ(a, &c, 1000, reqs);
	for (int i = 0; i < 5; i++) {
		snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n", 201 + i);
		CLI_RESP(a, &c, 2000 + i, resp);
	}
	CHECK_INT(nspans, 5);
	for (size_t i = 0; i < nspans; i++) {
		snprintf(path, sizeof(path), "http://h:8080/b%zu", i);
		CHECK_ATTR_STR(spans[i], "url.full", path);
		CHECK_STR(spans[i]->name, "POST");
		CHECK_ATTR_INT(spans[i], "http.response.status_code", 201 + i);
		CHECK_INT(spans[i]->end_unix_ns, 2000 + i);
	}
	asm_close(a);
}

TEST(request_split_one_byte_per_record)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(9);
	const char *req = REQ_HELLO;
	size_t n = strlen(req);
	struct ws_span *s;

	for (size_t i = 0; i < n; i++)
		CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 1000 + i, req + i, 1, 1), 0);
	CHECK_INT(nspans, 0);
	SRV_RESP(a, &c, 9000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_INT(s->start_unix_ns, 1000);
		CHECK_INT(s->end_unix_ns, 9000);
		CHECK_ATTR_STR(s, "url.path", "/hello");
		CHECK_ATTR_STR(s, "user_agent.original", "curl/7.88");
	}
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	asm_close(a);
}

TEST(response_split_one_byte_per_record_ends_at_last_byte)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(9);
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	size_t n = strlen(resp);
	struct ws_span *s;

	CLI_REQ(a, &c, 1000, REQ_HELLO);
	for (size_t i = 0; i < n; i++) {
		CHECK_INT(nspans, 0);
		CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 2000 + i, resp + i, 1, 1), 0);
	}
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_INT(s->start_unix_ns, 1000);
		CHECK_INT(s->end_unix_ns, 2000 + n - 1);
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
	}
	asm_close(a);
}

TEST(second_request_start_is_its_own_first_record)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(9);

	SRV_REQ(a, &c, 1000, "GET /one HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	SRV_REQ(a, &c, 3000, "GET /two HTTP/1.1\r\n");
	SRV_REQ(a, &c, 3500, "Host: h\r\n\r\n");
	SRV_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2) {
		CHECK_INT(spans[1]->start_unix_ns, 3000);
		CHECK_ATTR_STR(spans[1], "url.path", "/two");
	}
	asm_close(a);
}

/* ---- bodies ---- */

TEST(chunked_response_split_across_records)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(10);
	struct ws_span *s;

	SRV_REQ(a, &c, 1000, REQ_HELLO);
	SRV_RESP(a, &c, 2000, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
	SRV_RESP(a, &c, 3000, "lo\r\n");
	SRV_RESP(a, &c, 4000, "1");
	SRV_RESP(a, &c, 4100, "0\r\n0123456789abcdef\r");
	CHECK_INT(nspans, 0);
	SRV_RESP(a, &c, 5000, "\n0\r\n");
	CHECK_INT(nspans, 0);
	SRV_RESP(a, &c, 6000, "\r\n");
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_INT(s->start_unix_ns, 1000);
		CHECK_INT(s->end_unix_ns, 6000);
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
	}
	/* The connection is still in sync. */
	SRV_REQ(a, &c, 7000, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 8000, RESP_OK);
	CHECK_INT(nspans, 2);
	if ((s = span_at(1)))
		CHECK_ATTR_STR(s, "url.path", "/next");
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	asm_close(a);
}

TEST(chunked_request_body_then_response)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(10);

	SRV_REQ(a, &c, 1000,
		"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
	SRV_REQ(a, &c, 1100, "0\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	SRV_REQ(a, &c, 3000, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2) {
		CHECK_ATTR_STR(spans[0], "url.path", "/up");
		CHECK_ATTR_STR(spans[1], "url.path", "/after");
	}
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	asm_close(a);
}

TEST(continue_100_then_200_is_one_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(11);
	struct ws_span *s;

	SRV_REQ(a, &c, 1000,
		"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
	SRV_RESP(a, &c, 2000, "HTTP/1.1 100 Continue\r\n\r\n");
	CHECK_INT(nspans, 0);
	SRV_REQ(a, &c, 3000, "hello");
	SRV_RESP(a, &c, 4000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_INT(attr_count(s, "http.response.status_code"), 1);
		CHECK_INT(s->start_unix_ns, 1000);
		CHECK_INT(s->end_unix_ns, 4000);
		CHECK_STR(s->name, "POST");
	}
	CHECK_INT(stat_of(a, WS_ASM_RESP_NO_REQ), 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	asm_close(a);
}

TEST(continue_100_and_200_in_one_record)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(11);
	struct ws_span *s;

	CLI_REQ(a, &c, 1000, "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
	CLI_RESP(a, &c, 2000,
		 "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
		 "HTTP/1.1 204 No Content\r\n\r\n");
	CHECK_INT(nspans, 1);
	if ((s = span_at(0)))
		CHECK_ATTR_INT(s, "http.response.status_code", 204);
	asm_close(a);
}

TEST(head_request_response_has_no_body)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(12);
	struct ws_span *s;

	SRV_REQ(a, &c, 1000, "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 2000, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
	CHECK_INT(nspans, 1);
	SRV_REQ(a, &c, 3000, "GET /g HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if ((s = span_at(0))) {
		CHECK_STR(s->name, "HEAD");
		CHECK_ATTR_STR(s, "url.path", "/h");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_INT(attr_count(s, "http.response.status_code"), 1);
		CHECK_INT(s->start_unix_ns, 1000);
		CHECK_INT(s->end_unix_ns, 2000);
	}
	if ((s = span_at(1))) {
		CHECK_STR(s->name, "GET");
		CHECK_ATTR_STR(s, "url.path", "/g");
		CHECK_INT(s->start_unix_ns, 3000);
		CHECK_INT(s->end_unix_ns, 4000);
	}
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	asm_close(a);
}

TEST(head_and_get_pipelined)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(12);

	CLI_REQ(a, &c, 1000,
		"HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /g HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 2000,
		 "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
		 "HTTP/1.1 201 OK\r\nContent-Length: 2\r\n\r\nok");
	CHECK_INT(nspans, 2);
	if (nspans == 2) {
		CHECK_STR(spans[0]->name, "HEAD");
		CHECK_ATTR_INT(spans[0], "http.response.status_code", 200);
		CHECK_STR(spans[1]->name, "GET");
		CHECK_ATTR_INT(spans[1], "http.response.status_code", 201);
	}
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	asm_close(a);
}

TEST(no_content_204_and_304_have_no_body)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(12);

	SRV_REQ(a, &c, 1000, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 2000, "HTTP/1.1 204 No Content\r\n\r\n");
	SRV_REQ(a, &c, 3000, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 4000, "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n");
	SRV_REQ(a, &c, 5000, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 6000, RESP_OK);
	CHECK_INT(nspans, 3);
	if (nspans == 3) {
		CHECK_ATTR_INT(spans[0], "http.response.status_code", 204);
		CHECK_INT(spans[0]->end_unix_ns, 2000);
		CHECK_ATTR_INT(spans[1], "http.response.status_code", 304);
		CHECK_INT(spans[1]->end_unix_ns, 4000);
		CHECK_ATTR_STR(spans[2], "url.path", "/c");
		CHECK_INT(spans[2]->end_unix_ns, 6000);
	}
	asm_close(a);
}

TEST(close_delimited_response_ends_at_last_data_record)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(13);
	struct ws_span *s;

	SRV_REQ(a, &c, 1000, "GET /old HTTP/1.0\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 2000, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ");
	SRV_RESP(a, &c, 3000, "world");
	CHECK_INT(nspans, 0);
	CHECK_INT(rec_close(a, &c, 9000), 0);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_INT(s->start_unix_ns, 1000);
		CHECK_INT(s->end_unix_ns, 3000);
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_ATTR_STR(s, "network.protocol.version", "1.0");
	}
	CHECK_INT(ws_assembler_nconns(a), 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	asm_close(a);
}

TEST(close_delimited_response_on_client)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(13);
	struct ws_span *s;

	CLI_REQ(a, &c, 1000, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 2000, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody");
	CHECK_INT(nspans, 0);
	CHECK_INT(rec_close(a, &c, 9000), 0);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0)))
		CHECK_INT(s->end_unix_ns, 2000);
	asm_close(a);
}

/* ---- lost halves ---- */

TEST(close_mid_request_builds_no_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(14);

	SRV_REQ(a, &c, 1000, REQ_HELLO);
	CHECK_INT(ws_assembler_nconns(a), 1);
	CHECK_INT(rec_close(a, &c, 2000), 0);
	CHECK_INT(nspans, 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	CHECK_INT(ws_assembler_nconns(a), 0);
	/* A second close of the same socket is harmless. */
	CHECK_INT(rec_close(a, &c, 2100), 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	asm_close(a);
}

TEST(close_mid_head_builds_no_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(14);

	SRV_REQ(a, &c, 1000, "GET /part HTTP/1.1\r\nHost: h\r\n");
	CHECK_INT(rec_close(a, &c, 2000), 0);
	CHECK_INT(nspans, 0);
	CHECK_INT(ws_assembler_nconns(a), 0);
	CHECK_INT(stat_of(a, WS_ASM_SPANS), 0);
	asm_close(a);
}

/* The answer was given (its head is out); the peer went away during the body. */
TEST(close_mid_response_body_still_ends_the_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(14);

	SRV_REQ(a, &c, 1000, REQ_HELLO);
	SRV_RESP(a, &c, 2000, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a bit");
	CHECK_INT(rec_close(a, &c, 3000), 0);
	CHECK_INT(nspans, 1);
	if (nspans == 1)
		CHECK_INT(spans[0]->end_unix_ns, 2000);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	CHECK_INT(ws_assembler_nconns(a), 0);
	asm_close(a);
}

TEST(close_of_unknown_socket_is_ignored)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(99);

	CHECK_INT(rec_close(a, &c, 1000), 0);
	CHECK_INT(ws_assembler_nconns(a), 0);
	CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), 0);
	CHECK_INT(stat_of(a, WS_ASM_RECORDS), 1);
	asm_close(a);
}

TEST(response_without_request_builds_no_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(15);
	struct ws_span *s;

	SRV_RESP(a, &c, 1000, RESP_OK);
	CHECK_INT(nspans, 0);
	CHECK_INT(stat_of(a, WS_ASM_RESP_NO_REQ), 1);
	/* The next exchange still pairs. */
	SRV_REQ(a, &c, 2000, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 3000, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_INT(s->kind, WS_KIND_SERVER);
		CHECK_ATTR_STR(s, "url.path", "/after");
		CHECK_ATTR_INT(s, "http.response.status_code", 201);
		CHECK_INT(s->start_unix_ns, 2000);
		CHECK_INT(s->end_unix_ns, 3000);
	}
	CHECK_INT(stat_of(a, WS_ASM_RESP_NO_REQ), 1);
	asm_close(a);
}

TEST(garbage_counts_a_parse_error_and_other_conns_still_work)
{
	struct ws_assembler *a = asm_open();
	struct cn g = server_cn(16), c = server_cn(17);
	static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 junk\r\n\r\n";
	struct ws_span *s;

	CHECK_INT(rec_data(a, &g, WS_DIR_INGRESS, 1000, garbage, sizeof(garbage) - 1,
			   sizeof(garbage) - 1),
		  0);
	CHECK(stat_of(a, WS_ASM_PARSE_ERRORS) >= 1);
	CHECK_INT(nspans, 0);
	SRV_REQ(a, &c, 2000, REQ_HELLO);
	SRV_RESP(a, &c, 3000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.path", "/hello");
		CHECK_INT(s->start_unix_ns, 2000);
	}
	asm_close(a);
}

TEST(malformed_response_drops_its_request_only)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(18);
	struct ws_span *s;

	CLI_REQ(a, &c, 1000, "GET /lost HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 2000, "HTTP/1.1 2x0 Bad\r\n\r\n");
	CHECK_INT(nspans, 0);
	CHECK(stat_of(a, WS_ASM_PARSE_ERRORS) >= 1);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	CLI_REQ(a, &c, 3000, "GET /kept HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0)))
		CHECK_ATTR_STR(s, "url.full", "http://h:8080/kept");
	asm_close(a);
}

TEST(malformed_later_response_drops_its_request_only)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(18);
	struct ws_span *s;

	/* A first good exchange: the response stream is known to carry responses. */
	CLI_REQ(a, &c, 500, "GET /first HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 600, RESP_OK);
	CLI_REQ(a, &c, 1000, "GET /lost HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 2000, "HTTP/1.1 2x0 Bad\r\n\r\n");
	CHECK_INT(nspans, 1);
	CHECK(stat_of(a, WS_ASM_PARSE_ERRORS) >= 1);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	CLI_REQ(a, &c, 3000, "GET /kept HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if ((s = span_at(1)))
		CHECK_ATTR_STR(s, "url.full", "http://h:8080/kept");
	asm_close(a);
}

TEST(server_garbage_answer_to_first_request_drops_it)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(18);
	static const char junk[] = "\x00\x01\x02\x03 not http\r\n\r\n";
	struct ws_span *s;

	SRV_REQ(a, &c, 1000, "GET /lost HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(rec_data(a, &c, WS_DIR_EGRESS, 2000, junk, sizeof(junk) - 1, sizeof(junk) - 1),
		  0);
	CHECK(stat_of(a, WS_ASM_PARSE_ERRORS) >= 1);
	SRV_REQ(a, &c, 3000, "GET /kept HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0)))
		CHECK_ATTR_STR(s, "url.path", "/kept");
	asm_close(a);
}

/*
 * A request carrying this run's X-Wirespan-Agent token is the agent's own
 * export reaching a traced collector: no span (else each export would be
 * a span to export, forever), but still paired, so the next exchange on
 * the connection keeps its own answer. A wrong token is anybody's request.
 */
TEST(the_agents_own_export_gets_no_span_and_keeps_the_pairing)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent", .agent_token = "0123abcd" };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn c = server_cn(23);
	struct ws_span *s;

	SRV_REQ(a, &c, 1000, "POST /v1/traces HTTP/1.1\r\nHost: h\r\n"
			     "X-Wirespan-Agent: 0123abcd\r\nContent-Length: 2\r\n\r\n{}");
	SRV_RESP(a, &c, 2000, "HTTP/1.1 500 Busy\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(nspans, 0);
	CHECK_INT(stat_of(a, WS_ASM_OWN_EXPORTS), 1);
	CHECK_INT(stat_of(a, WS_ASM_RESP_NO_REQ), 0);
	SRV_REQ(a, &c, 3000, "POST /v1/traces HTTP/1.1\r\nHost: h\r\n"
			     "x-wirespan-agent: 0123abce\r\nContent-Length: 0\r\n\r\n");
	SRV_RESP(a, &c, 4000, RESP_OK);
	SRV_REQ(a, &c, 5000, "POST /v1/traces HTTP/1.1\r\nHost: h\r\n"
			     "X-Wirespan-Agent: 0123abc\r\nContent-Length: 0\r\n\r\n");
	SRV_RESP(a, &c, 6000, RESP_OK);
	CHECK_INT(nspans, 2);
	CHECK_INT(stat_of(a, WS_ASM_OWN_EXPORTS), 1);
	if ((s = span_at(0)))
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
	asm_close(a);
	/* Without a token nothing is taken for the agent's. */
	a = asm_open();
	SRV_REQ(a, &c, 1000, "GET / HTTP/1.1\r\nX-Wirespan-Agent: \r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	asm_close(a);
}

TEST(head_too_big_is_counted_and_its_response_skipped)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(19);
	size_t n = 70000; /* over HTTP1_HEAD_MAX */
	char *big = malloc(n + 64);
	struct ws_span *s;
	size_t l;

	l = (size_t)snprintf(big, 64, "GET /big HTTP/1.1\r\nX-Big: ");
	memset(big + l, 'a', n - l);
	memcpy(big + n, "\r\n\r\n", 4);
	/* In records of at most WS_CAP_MAX bytes, as the kernel sends a long head. */
	for (size_t at = 0; at < n + 4; at += WS_CAP_MAX) {
		size_t k = n + 4 - at < WS_CAP_MAX ? n + 4 - at : WS_CAP_MAX;

		CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 1000, big + at, k, k), 0);
	}
	CHECK_INT(stat_of(a, WS_ASM_HEAD_TOO_BIG), 1);
	SRV_RESP(a, &c, 2000, "HTTP/1.1 431 Too Big\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(nspans, 0);
	SRV_REQ(a, &c, 3000, "GET /small HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.path", "/small");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
	}
	free(big);
	asm_close(a);
}

/* ---- truncation ---- */

TEST(truncated_body_still_builds_the_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(20);
	char req[2048];
	const char *head = "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n";
	size_t hl = strlen(head);
	struct ws_span *s;

	memcpy(req, head, hl);
	memset(req + hl, 'b', 1000);
	/* Only the head and 100 body bytes were copied. */
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 1000, req, hl + 100, hl + 1000), 0);
	SRV_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.path", "/upload");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_INT(s->end_unix_ns, 2000);
	}
	CHECK_INT(stat_of(a, WS_ASM_GAP_DESYNC), 0);
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	/* And the stream is in sync after the body. */
	SRV_REQ(a, &c, 3000, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if ((s = span_at(1)))
		CHECK_ATTR_STR(s, "url.path", "/next");
	asm_close(a);
}

TEST(truncated_response_body_ends_the_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(20);
	char resp[9000];
	const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 8000\r\n\r\n";
	size_t hl = strlen(head);
	struct ws_span *s;

	memcpy(resp, head, hl);
	memset(resp + hl, 'r', 8000);
	CLI_REQ(a, &c, 1000, REQ_HELLO);
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 2000, resp, 512, hl + 8000), 0);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0)))
		CHECK_INT(s->end_unix_ns, 2000);
	CHECK_INT(stat_of(a, WS_ASM_GAP_DESYNC), 0);
	asm_close(a);
}

/* ---- stream positions and skipped bodies ---- */

/* A data record that says where its bytes are in their stream (WS_F_SEQ). */
static int rec_at(struct ws_assembler *a, const struct cn *c, int dir, uint64_t ts, uint32_t seq,
		  const void *payload, size_t cap, size_t io)
{
	struct ws_data_rec *r = (struct ws_data_rec *)recbuf;
	size_t n;

	if (cap > sizeof(recbuf) - sizeof(struct ws_data_rec)) {
		CHECK(!"payload too big for recbuf");
		return -1;
	}
	n = build_data(recbuf, c, dir, ts, payload, cap, io);
	r->hdr.flags |= WS_F_SEQ | (!cap && io ? WS_F_SKIPPED : 0);
	r->seq = seq;
	return ws_assembler_record(a, recbuf, n);
}

/* What the assembler asked the kernel side to skip (skip_body). */
static struct {
	int calls, forgets;
	uint64_t sock_id;
	struct ws_skip last;
} skips;

static void on_skip(void *ctx, uint64_t sock_id, const struct ws_skip *hint)
{
	(void)ctx;
	skips.sock_id = sock_id;
	if (!hint) {
		skips.forgets++;
		return;
	}
	skips.calls++;
	skips.last = *hint;
}

static struct ws_assembler *asm_open_skipping(void)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent", .skip_body = on_skip };

	memset(&skips, 0, sizeof(skips));
	return asm_open_opts(&o);
}

/* Records lost inside a Content-Length body: the positions say how much, the stream stays whole. */
TEST(lost_records_inside_a_body_keep_the_stream_in_sync)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(21);
	const char *head = "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n";
	const char *next = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
	uint32_t hl = strlen(head), body_end = hl + 100000;
	static char buf[4096];
	struct ws_span *s;

	memcpy(buf, head, hl);
	memset(buf + hl, 'b', 1000);
	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 1000, 0, buf, hl + 1000, hl + 1000), 0);
	/* The records of 50,000 body bytes were lost; these 1000 come after them. */
	memset(buf, 'b', 1000);
	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 2000, hl + 51000, buf, 1000, 1000), 0);
	/* The body's last 1000 bytes, then the next request in the same read. */
	memcpy(buf + 1000, next, strlen(next));
	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 3000, body_end - 1000, buf,
			 1000 + strlen(next), 1000 + strlen(next)), 0);
	CHECK_INT(rec_at(a, &c, WS_DIR_EGRESS, 4000, 0, RESP_OK, strlen(RESP_OK), strlen(RESP_OK)),
		  0);
	CHECK_INT(rec_at(a, &c, WS_DIR_EGRESS, 5000, strlen(RESP_OK), RESP_OK, strlen(RESP_OK),
			 strlen(RESP_OK)), 0);
	CHECK_INT(nspans, 2);
	if ((s = span_at(0)))
		CHECK_ATTR_STR(s, "url.path", "/upload");
	if ((s = span_at(1))) {
		CHECK_ATTR_STR(s, "url.path", "/next");
		CHECK_INT(s->start_unix_ns, 3000);
	}
	CHECK_INT(stat_of(a, WS_ASM_STREAM_GAPS), 2); /* the 50,000 bytes and 48,000 more */
	CHECK_INT(stat_of(a, WS_ASM_GAP_DESYNC), 0);
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	asm_close(a);
}

/* A request whose record was lost: counted; the stream finds the next request. */
TEST(lost_request_between_two_is_counted_and_the_next_is_found)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(22);
	const char *one = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n";
	const char *three = "GET /three HTTP/1.1\r\nHost: h\r\n\r\n";
	uint32_t rl = strlen(RESP_OK);
	struct ws_span *s;

	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 1000, 0, one, strlen(one), strlen(one)), 0);
	CHECK_INT(rec_at(a, &c, WS_DIR_EGRESS, 2000, 0, RESP_OK, rl, rl), 0);
	/* /two's 40 bytes never came; its response did. */
	CHECK_INT(rec_at(a, &c, WS_DIR_EGRESS, 4000, rl, RESP_OK, rl, rl), 0);
	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 5000, strlen(one) + 40, three, strlen(three),
			 strlen(three)), 0);
	CHECK_INT(rec_at(a, &c, WS_DIR_EGRESS, 6000, 2 * rl, RESP_OK, rl, rl), 0);
	CHECK_INT(nspans, 2);
	if ((s = span_at(0)))
		CHECK_ATTR_STR(s, "url.path", "/one");
	if ((s = span_at(1))) {
		CHECK_ATTR_STR(s, "url.path", "/three");
		CHECK_INT(s->end_unix_ns, 6000);
	}
	CHECK_INT(stat_of(a, WS_ASM_STREAM_GAPS), 1);
	asm_close(a);
}

/*
 * A long body: the kernel side is asked to skip the rest of it once, and
 * its records then stop but for a byteless one at the body's end, whose
 * time ends the message. The hint goes when the connection does.
 */
TEST(long_body_is_skipped_by_the_kernel_and_ends_on_time)
{
	struct ws_assembler *a = asm_open_skipping();
	struct cn c = client_cn(23);
	const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
	uint32_t hl = strlen(head), from = hl + 8192, until = hl + 1000000;
	static char buf[16384];
	struct ws_span *s;

	CHECK_INT(rec_at(a, &c, WS_DIR_EGRESS, 1000, 0, REQ_HELLO, strlen(REQ_HELLO),
			 strlen(REQ_HELLO)), 0);
	memcpy(buf, head, hl);
	memset(buf + hl, 'r', 8192);
	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 2000, 0, buf, hl + 8192, hl + 8192), 0);
	CHECK_INT(skips.calls, 1);
	CHECK(skips.sock_id == 23);
	CHECK(skips.last.ts[WS_DIR_INGRESS] == 2000);
	CHECK_INT(skips.last.from[WS_DIR_INGRESS], from);
	CHECK_INT(skips.last.until[WS_DIR_INGRESS], until);
	CHECK(skips.last.ts[WS_DIR_EGRESS] == 0);
	/* A record the kernel sent before the hint reached it: no new hint. */
	memset(buf, 'r', 8192);
	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 2500, from, buf, 8192, 65536), 0);
	CHECK_INT(skips.calls, 1);
	CHECK_INT(nspans, 0);
	/* The body's last read: no bytes, its time. */
	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 9000, until - 65536, NULL, 0, 65536), 0);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_INT(s->end_unix_ns, 9000);
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
	}
	CHECK_INT(stat_of(a, WS_ASM_STREAM_GAPS), 0);
	CHECK_INT(stat_of(a, WS_ASM_BODIES_SKIPPED), 1);
	CHECK_INT(skips.forgets, 0);
	CHECK_INT(rec_close(a, &c, 9500), 0);
	CHECK_INT(skips.forgets, 1);
	asm_close(a);
}

/* A skipped body cut short by a close: the span ends at the close, not at the last record. */
TEST(skipped_body_cut_by_a_close_ends_at_the_close)
{
	struct ws_assembler *a = asm_open_skipping();
	struct cn c = server_cn(25);
	const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
	uint32_t hl = strlen(head), q = strlen(REQ_HELLO);
	static char buf[16384];
	struct ws_span *s;

	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 1000, 0, REQ_HELLO, q, q), 0);
	memcpy(buf, head, hl);
	memset(buf + hl, 'r', 8192);
	CHECK_INT(rec_at(a, &c, WS_DIR_EGRESS, 2000, 0, buf, hl + 8192, hl + 8192), 0);
	CHECK_INT(skips.calls, 1);
	/* The client went away half way: the writes the kernel skipped never showed. */
	CHECK_INT(rec_close_flags(a, &c, 7000, WS_F_RESET), 0);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_INT(s->end_unix_ns, 7000);
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
	}
	asm_close(a);
}

/* Short bodies, and chunked ones (their framing is in their bytes), are never skipped. */
TEST(short_and_chunked_bodies_are_not_skipped)
{
	struct ws_assembler *a = asm_open_skipping();
	struct cn c = client_cn(24);
	const char *small = "HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n";
	const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "100000\r\n";
	uint32_t q = strlen(REQ_HELLO);

	CHECK_INT(rec_at(a, &c, WS_DIR_EGRESS, 1000, 0, REQ_HELLO, q, q), 0);
	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 2000, 0, small, strlen(small), strlen(small)), 0);
	CHECK_INT(rec_at(a, &c, WS_DIR_EGRESS, 3000, q, REQ_HELLO, q, q), 0);
	CHECK_INT(rec_at(a, &c, WS_DIR_INGRESS, 4000, strlen(small) + 20000, chunked,
			 strlen(chunked), strlen(chunked)), 0);
	CHECK_INT(nspans, 1);
	CHECK_INT(skips.calls, 0);
	CHECK_INT(stat_of(a, WS_ASM_STREAM_GAPS), 1); /* the small body's 20000 bytes never came */
	CHECK_INT(rec_close(a, &c, 5000), 0);
	CHECK_INT(skips.forgets, 0);
	asm_close(a);
}

/*
 * A request head cut by the capture (the kernel copied only its first 40
 * bytes): the span keeps what came (method, target, Host) and its answer;
 * the next request pairs with its own. Bug: the cut request had no span.
 */
TEST(truncated_request_head_keeps_its_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(21);
	char req[512];
	size_t n;
	struct ws_span *s;

	n = (size_t)snprintf(req, sizeof(req),
			     "GET /cut HTTP/1.1\r\nHost: h\r\nCookie: %0200d\r\n\r\n", 7);
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 1000, req, 40, n), 0);
	CHECK_INT(stat_of(a, WS_ASM_GAP_DESYNC), 1);
	CHECK_INT(stat_of(a, WS_ASM_HEADS_CUT), 1);
	SRV_RESP(a, &c, 2000, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.path", "/cut");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_INT(s->start_unix_ns, 1000);
	}
	/* The next request is found again and gets its own response. */
	SRV_REQ(a, &c, 3000, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 4000, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(nspans, 2);
	if ((s = span_at(1))) {
		CHECK_ATTR_STR(s, "url.path", "/next");
		CHECK_ATTR_INT(s, "http.response.status_code", 202);
		CHECK_INT(s->start_unix_ns, 3000);
	}
	asm_close(a);
}

/*
 * A response head cut by the capture (a long Set-Cookie in one write): the
 * call keeps its span and status, ended by the client's next request at
 * the answer's last bytes seen; every later exchange pairs with its own.
 * Bug: the cut answer dropped its request's span.
 */
TEST(truncated_response_head_keeps_its_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(22);
	char resp[512];
	size_t n;
	struct ws_span *s;

	n = (size_t)snprintf(resp, sizeof(resp),
			     "HTTP/1.1 200 OK\r\nSet-Cookie: %0200d\r\nContent-Length: 0\r\n\r\n", 7);
	CLI_REQ(a, &c, 1000, "GET /first HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 2000, resp, 30, n), 0);
	CHECK_INT(stat_of(a, WS_ASM_GAP_DESYNC), 1);
	CHECK_INT(stat_of(a, WS_ASM_HEADS_CUT), 1);
	CHECK_INT(nspans, 0); /* its end is not known yet */
	CLI_REQ(a, &c, 3000, "GET /second HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.full", "http://h:8080/first");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_INT(s->end_unix_ns, 2000);
	}
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	CLI_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if ((s = span_at(1)))
		CHECK_ATTR_STR(s, "url.full", "http://h:8080/second");
	/* Every later exchange on the connection pairs with its own response. */
	for (int i = 0; i < 5; i++) {
		char req[128], resp[128], url[64];

		snprintf(req, sizeof(req), "GET /n%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n", 210 + i);
		CLI_REQ(a, &c, 5000 + i * 10, req);
		CLI_RESP(a, &c, 5005 + i * 10, resp);
		CHECK_INT(nspans, 3 + i);
		if ((s = span_at(2 + i))) {
			snprintf(url, sizeof(url), "http://h:8080/n%d", i);
			CHECK_ATTR_STR(s, "url.full", url);
			CHECK_ATTR_INT(s, "http.response.status_code", 210 + i);
		}
	}
	asm_close(a);
}

TEST(gap_past_a_body_end_resyncs)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(22);
	const char *r1 = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01";
	const char *r2 = "HTTP/1.1 201 OK\r\nContent-Length: 20\r\n\r\n";
	size_t io = strlen(r1) + 8 + strlen(r2) + 5;
	struct ws_span *s;

	CLI_REQ(a, &c, 1000, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
	/* The end of /a's body and the start of /b's response were not copied. */
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 2000, r1, strlen(r1), io), 0);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.full", "http://h:8080/a");
		CHECK_INT(s->end_unix_ns, 2000);
	}
	CHECK_INT(stat_of(a, WS_ASM_GAP_DESYNC), 1);
	/* The rest of /b's body: not a message start, and not malformed HTTP either. */
	CLI_RESP(a, &c, 3000, "fghijklmnopqrst");
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	CLI_REQ(a, &c, 4000, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 5000, "HTTP/1.1 202 OK\r\nContent-Length: 0\r\n\r\n");
	for (size_t i = 0; i < nspans; i++) {
		const struct ws_attr *u = ws_span_attr(spans[i], "url.full");
		const struct ws_attr *sc = ws_span_attr(spans[i], "http.response.status_code");

		/* Whatever is kept, no request is paired with another's response. */
		if (u && sc && sc->ival == 202)
			CHECK_MEM(ws_attr_str(spans[i], u), u->len, "http://h:8080/c");
	}
	asm_close(a);
}

TEST(gap_past_a_request_body_end_cuts_the_next_request)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(22);
	const char *r1 = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n01";
	const char *r2 = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t io = strlen(r1) + 8 + strlen(r2);
	struct ws_span *s;

	/* The end of /a's body and all of /b's head were not copied. */
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 1000, r1, strlen(r1), io), 0);
	CHECK_INT(stat_of(a, WS_ASM_GAP_DESYNC), 1);
	/* A third request, pipelined before any answer. */
	SRV_REQ(a, &c, 1500, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 2000, "HTTP/1.1 201 A\r\nContent-Length: 0\r\n\r\n");
	SRV_RESP(a, &c, 2100, "HTTP/1.1 202 B\r\nContent-Length: 0\r\n\r\n");
	SRV_RESP(a, &c, 4000, "HTTP/1.1 203 C\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(nspans, 2);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.path", "/a");
		CHECK_ATTR_INT(s, "http.response.status_code", 201);
	}
	if ((s = span_at(1))) {
		CHECK_ATTR_STR(s, "url.path", "/c");
		CHECK_ATTR_INT(s, "http.response.status_code", 203);
	}
	asm_close(a);
}

TEST(unreadable_response_at_message_boundary_drops_its_request)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(22);
	struct ws_span *s;

	SRV_REQ(a, &c, 1000, "GET /first HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 1100, RESP_OK);
	SRV_REQ(a, &c, 2000, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
	/* The response to /x went out from a buffer we could not read (sendfile, say). */
	CHECK_INT(rec_data(a, &c, WS_DIR_EGRESS, 2100, NULL, 0, 500), 0);
	SRV_REQ(a, &c, 3000, "GET /y HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 3100, "HTTP/1.1 204 No Content\r\n\r\n");
	CHECK_INT(nspans, 2);
	if ((s = span_at(1))) {
		CHECK_ATTR_STR(s, "url.path", "/y");
		CHECK_ATTR_INT(s, "http.response.status_code", 204);
	}
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	asm_close(a);
}

TEST(close_after_lost_sync_ends_at_last_record)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(22);
	const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123";
	struct ws_span *s;

	CLI_REQ(a, &c, 1000, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
	/* A gap longer than the chunk: sync is lost inside the response. */
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 2000, r, strlen(r), strlen(r) + 100), 0);
	CHECK_INT(stat_of(a, WS_ASM_GAP_DESYNC), 1);
	CLI_RESP(a, &c, 3000, "more bytes of the same body");
	CHECK_INT(nspans, 0);
	CHECK_INT(rec_close(a, &c, 9000), 0);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.full", "http://h:8080/a");
		/* Its bytes kept coming until 3000. */
		CHECK_INT(s->end_unix_ns, 3000);
	}
	asm_close(a);
}

TEST(lost_sync_ends_at_next_response_start)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(22);
	const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123";
	struct ws_span *s;

	CLI_REQ(a, &c, 1000, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 2000, r, strlen(r), strlen(r) + 100), 0);
	CLI_REQ(a, &c, 3000, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 4000, "HTTP/1.1 203 OK\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(nspans, 2);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.full", "http://h:8080/a");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_INT(s->end_unix_ns, 2000);
	}
	if ((s = span_at(1))) {
		CHECK_ATTR_STR(s, "url.full", "http://h:8080/b");
		CHECK_ATTR_INT(s, "http.response.status_code", 203);
		CHECK_INT(s->end_unix_ns, 4000);
	}
	asm_close(a);
}

TEST(no_buffer_record_is_a_gap)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(23);

	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 1000, NULL, 0, 300), 0);
	CHECK_INT(nspans, 0);
	CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), 0);
	SRV_REQ(a, &c, 2000, "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 3000, RESP_OK);
	CHECK(nspans <= 1);
	for (size_t i = 0; i < nspans; i++)
		CHECK_ATTR_STR(spans[i], "url.path", "/ok");
	asm_close(a);
}

/* ---- benchmarks' records ---- */

/* --floor-copy: an exchange's bytes come as WS_REC_FLOOR; counted, never a span. */
TEST(floor_copy_records_are_counted_and_dropped)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(25);
	static _Alignas(8) unsigned char buf[4096];
	size_t n;

	n = build_data(buf, &c, WS_DIR_INGRESS, 1000, REQ_HELLO, strlen(REQ_HELLO),
		       strlen(REQ_HELLO));
	((struct ws_rec_hdr *)buf)->type = WS_REC_FLOOR;
	CHECK_INT(ws_assembler_record(a, buf, n), 0);
	n = build_data(buf, &c, WS_DIR_EGRESS, 2000, RESP_OK, strlen(RESP_OK), strlen(RESP_OK));
	((struct ws_rec_hdr *)buf)->type = WS_REC_FLOOR;
	CHECK_INT(ws_assembler_record(a, buf, n), 0);
	ws_assembler_expire(a, UINT64_MAX);
	CHECK_INT(nspans, 0);
	CHECK_INT(stat_of(a, WS_ASM_RECORDS), 2);
	CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), 0);
	asm_close(a);
}

/* ---- malformed records ---- */

TEST(bad_records_are_rejected_and_counted)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(24);
	static _Alignas(8) unsigned char buf[4096];
	struct ws_data_rec *r = (struct ws_data_rec *)buf;
	struct ws_close_rec *cr = (struct ws_close_rec *)buf;
	const char *p = REQ_HELLO;
	size_t pl = strlen(p), n;
	uint64_t bad = 0;

#define EXPECT_BAD(size)                                                                   \
	do {                                                                               \
		CHECK_INT(ws_assembler_record(a, buf, (size)), -EINVAL);                    \
		CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), ++bad);                           \
	} while (0)

	/* Shorter than a header, including nothing at all. */
	n = build_data(buf, &c, WS_DIR_INGRESS, 1000, p, pl, pl);
	EXPECT_BAD(0);
	EXPECT_BAD(1);
	EXPECT_BAD(sizeof(struct ws_rec_hdr) - 1);
	CHECK_INT(ws_assembler_record(a, NULL, 0), -EINVAL);
	CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), ++bad);
	/* hdr.len beyond the record. */
	EXPECT_BAD(n - 1);
	r->hdr.len = 100000;
	EXPECT_BAD(n);
	r->hdr.len = UINT32_MAX;
	EXPECT_BAD(n);
	/* Wrong types. */
	n = build_data(buf, &c, WS_DIR_INGRESS, 1000, p, pl, pl);
	r->hdr.type = 0;
	EXPECT_BAD(n);
	r->hdr.type = WS_REC_CONNECT_FAIL + 1;
	EXPECT_BAD(n);
	r->hdr.type = WS_REC_FLOOR + 1;
	EXPECT_BAD(n);
	r->hdr.type = 0xffff;
	EXPECT_BAD(n);
	/* cap_len disagreeing with hdr.len. */
	n = build_data(buf, &c, WS_DIR_INGRESS, 1000, p, pl, pl);
	r->cap_len = pl - 1;
	EXPECT_BAD(n);
	r->cap_len = pl + 1;
	r->io_len = pl + 1;
	EXPECT_BAD(n);
	r->cap_len = UINT32_MAX;
	r->io_len = UINT32_MAX;
	EXPECT_BAD(n);
	/* A data record shorter than struct ws_data_rec. */
	n = build_data(buf, &c, WS_DIR_INGRESS, 1000, NULL, 0, 0);
	r->hdr.len = 8;
	EXPECT_BAD(sizeof(struct ws_rec_hdr) + 8);
	EXPECT_BAD(n - 1);
	/* cap_len over io_len with no flag explaining it. */
	n = build_data(buf, &c, WS_DIR_INGRESS, 1000, p, pl, pl);
	r->io_len = pl - 1;
	EXPECT_BAD(n);
	/* Bad direction and family. */
	n = build_data(buf, &c, WS_DIR_INGRESS, 1000, p, pl, pl);
	r->dir = 7;
	EXPECT_BAD(n);
	r->dir = 2;
	EXPECT_BAD(n);
	n = build_data(buf, &c, WS_DIR_INGRESS, 1000, p, pl, pl);
	r->tuple.family = 99;
	EXPECT_BAD(n);
	r->tuple.family = 0;
	EXPECT_BAD(n);
	r->tuple.family = 1; /* AF_UNIX */
	EXPECT_BAD(n);
	/* A close record shorter than struct ws_close_rec. */
	memset(cr, 0, sizeof(*cr));
	cr->hdr.type = WS_REC_CLOSE;
	cr->hdr.len = 8;
	cr->hdr.sock_id = c.sock;
	EXPECT_BAD(sizeof(struct ws_rec_hdr) + 8);
	cr->hdr.len = sizeof(*cr) - sizeof(cr->hdr);
	EXPECT_BAD(sizeof(*cr) - 1);

	CHECK_INT(ws_assembler_nconns(a), 0);
	CHECK_INT(nspans, 0);
	CHECK_INT(stat_of(a, WS_ASM_RECORDS), bad);
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);

	/* The same bytes, well formed, are taken; extra trailing bytes in size are allowed. */
	n = build_data(buf, &c, WS_DIR_INGRESS, 1000, p, pl, pl);
	CHECK_INT(ws_assembler_record(a, buf, n + 8), 0);
	CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), bad);
	SRV_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
#undef EXPECT_BAD
	asm_close(a);
}

TEST(flagged_records_with_cap_over_io_are_taken)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(25);
	const char *p = REQ_HELLO;
	size_t n;

	n = build_data(recbuf, &c, WS_DIR_INGRESS, 1000, p, strlen(p), 0);
	((struct ws_data_rec *)recbuf)->hdr.flags = WS_F_READ_FAILED;
	CHECK_INT(ws_assembler_record(a, recbuf, n), 0);
	CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), 0);
	asm_close(a);
}

/* ---- bounds ---- */

TEST(pipeline_full_drops_and_counts)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(26);
	char req[128];

	for (int i = 0; i < 40; i++) {
		snprintf(req, sizeof(req), "GET /q%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		SRV_REQ(a, &c, 1000 + i, req);
	}
	CHECK_INT(stat_of(a, WS_ASM_PIPELINE_FULL), 8);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	/* The 32 kept ones are the first 32. */
	SRV_RESP(a, &c, 5000, RESP_OK);
	CHECK_INT(nspans, 1);
	if (nspans)
		CHECK_ATTR_STR(spans[0], "url.path", "/q0");
	CHECK_INT(rec_close(a, &c, 6000), 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 31);
	CHECK_INT(ws_assembler_nconns(a), 0);
	asm_close(a);
}

TEST(table_full_evicts_least_recently_used)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent", .max_conns = 2 };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn c1 = server_cn(101), c2 = server_cn(102), c3 = server_cn(103);
	struct ws_span *s;

	SRV_REQ(a, &c1, 1000, "GET /one HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_REQ(a, &c2, 1100, "GET /two HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(ws_assembler_nconns(a), 2);
	CHECK_INT(stat_of(a, WS_ASM_CONNS_EVICTED), 0);
	/* c1 is used again: c2 is now the least recently used. */
	SRV_REQ(a, &c1, 1200, "GET /one-b HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_REQ(a, &c3, 1300, "GET /three HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(stat_of(a, WS_ASM_CONNS_EVICTED), 1);
	CHECK_INT(ws_assembler_nconns(a), 2);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	/* c1 kept its two requests. */
	SRV_RESP(a, &c1, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0)))
		CHECK_ATTR_STR(s, "url.path", "/one");
	SRV_RESP(a, &c3, 2100, RESP_OK);
	CHECK_INT(nspans, 2);
	if ((s = span_at(1)))
		CHECK_ATTR_STR(s, "url.path", "/three");
	CHECK_INT(ws_assembler_nconns(a), 2);
	asm_close(a);
}

TEST(expire_drops_idle_connections)
{
	struct ws_assembler *a = asm_open();
	struct cn c1 = server_cn(201), c2 = server_cn(202);
	const uint64_t s300 = 300ull * 1000000000ull;

	SRV_REQ(a, &c1, 1000, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_REQ(a, &c2, 2000, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_REQ(a, &c2, 3000, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
	/* Nothing idle yet, and a clock below the timeout does not wrap. */
	ws_assembler_expire(a, 5);
	ws_assembler_expire(a, s300);
	CHECK_INT(ws_assembler_nconns(a), 2);
	CHECK_INT(stat_of(a, WS_ASM_CONNS_EVICTED), 0);
	/* c1 idle for more than 5 minutes, c2 not yet. */
	ws_assembler_expire(a, 1500 + s300);
	CHECK_INT(ws_assembler_nconns(a), 1);
	CHECK_INT(stat_of(a, WS_ASM_CONNS_EVICTED), 1);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	ws_assembler_expire(a, 1000000ull * s300);
	CHECK_INT(ws_assembler_nconns(a), 0);
	CHECK_INT(stat_of(a, WS_ASM_CONNS_EVICTED), 2);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 3);
	CHECK_INT(nspans, 0);
	asm_close(a);
}

TEST(expire_honours_a_custom_timeout)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent",
				       .idle_timeout_ns = 1000000000ull };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn c = client_cn(1);

	CLI_REQ(a, &c, 5000000000ull, REQ_HELLO);
	ws_assembler_expire(a, 5900000000ull);
	CHECK_INT(ws_assembler_nconns(a), 1);
	ws_assembler_expire(a, 6100000000ull);
	CHECK_INT(ws_assembler_nconns(a), 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	asm_close(a);
}

TEST(socket_reused_by_another_process_starts_over)
{
	struct ws_assembler *a = asm_open();
	struct cn c1 = server_cn(300), c2 = server_cn(300);
	struct ws_span *s;

	c2.tgid = 777;
	strcpy(c2.comm, "other");
	SRV_REQ(a, &c1, 1000, "GET /old HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_REQ(a, &c2, 2000, "GET /new HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	CHECK_INT(ws_assembler_nconns(a), 1);
	SRV_RESP(a, &c2, 3000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.path", "/new");
		CHECK(s->res != NULL);
		if (s->res) {
			CHECK_STR(s->res->service_name, "other");
			CHECK_INT(s->res->pid, 777);
		}
	}
	asm_close(a);
}

/*
 * A send racing the peer's reset: the close record comes before the bytes
 * sent. Those bytes leave a stale connection behind; the next connection at
 * the same socket address (other endpoints) must not inherit its parser state.
 */
TEST(bytes_after_close_do_not_leak_into_the_next_connection)
{
	struct ws_assembler *a = asm_open();
	struct cn c1 = server_cn(400), c2 = server_cn(400);
	struct ws_span *s;

	c2.t = tuple4("127.0.0.1", 8080, "192.168.1.50", 54999);
	SRV_REQ(a, &c1, 1000, "POST /body HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nabc");
	CHECK_INT(rec_close(a, &c1, 2000), 0);
	SRV_RESP(a, &c1, 2100, "HTTP/1.1 201 Created\r\nContent-Length: 7\r\n\r\n");
	CHECK_INT(stat_of(a, WS_ASM_RESP_NO_REQ), 1);
	SRV_REQ(a, &c2, 3000, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c2, 4000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.path", "/after");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_INT(s->start_unix_ns, 3000);
		CHECK_INT(s->end_unix_ns, 4000);
	}
	CHECK_INT(ws_assembler_nconns(a), 1);
	asm_close(a);
}

/* srv reads a request at t, out makes a call, answered, then srv answers: two spans. */
static void front_and_back(struct ws_assembler *a, const struct cn *srv, const struct cn *out,
			   uint64_t t)
{
	SRV_REQ(a, srv, t, "GET /front HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_REQ(a, out, t + 1000, "GET /back HTTP/1.1\r\nHost: b\r\n\r\n");
	CLI_RESP(a, out, t + 2000, RESP_OK);
	SRV_RESP(a, srv, t + 3000, RESP_OK);
}

/* A thread handling one server request makes a call: the call is its child. */
TEST(call_made_while_handling_a_request_is_its_child)
{
	struct ws_assembler *a = asm_open();
	struct cn srv = server_cn(500), out = client_cn(501);
	struct ws_span *parent = NULL, *child = NULL;

	out.t = tuple4("127.0.0.1", 41000, "10.1.1.1", 9000);
	front_and_back(a, &srv, &out, 1000);
	CHECK_INT(nspans, 2);
	for (size_t i = 0; i < nspans; i++)
		*(spans[i]->kind == WS_KIND_SERVER ? &parent : &child) = spans[i];
	CHECK(parent && child);
	if (parent && child) {
		CHECK(!memcmp(child->trace_id, parent->trace_id, 16));
		CHECK(!memcmp(child->parent_span_id, parent->span_id, 8));
		CHECK(all_zero(parent->parent_span_id, 8));
	}
	asm_close(a);
}

/* A Go uprobe record: goroutine g of tgid asked for / writes request req. */
static int rec_go(struct ws_assembler *a, uint32_t tgid, uint32_t event, uint64_t g,
		  uint64_t req, uint64_t ts)
{
	_Alignas(8) struct ws_go_rec r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = WS_REC_GO;
	r.hdr.len = sizeof(r) - sizeof(r.hdr);
	r.hdr.ts_ns = ts;
	r.hdr.tgid = tgid;
	r.goroutine = g;
	r.req = req;
	r.event = event;
	return ws_assembler_record(a, &r, sizeof(r));
}

/* The client span of nspans' spans, its parent's span id compared with the server's. */
static bool client_is_child_of_server(void)
{
	struct ws_span *srv = NULL, *cli = NULL;

	for (size_t i = 0; i < nspans; i++)
		*(spans[i]->kind == WS_KIND_SERVER ? &srv : &cli) = spans[i];
	return srv && cli && !memcmp(cli->parent_span_id, srv->span_id, 8) &&
	       !memcmp(cli->trace_id, srv->trace_id, 16);
}

/*
 * Go (a replay trusts the records' goroutines): the goroutine, not the
 * thread, says which request a call belongs to, and a call written by
 * Transport's writer goroutine belongs to the goroutine that asked for it.
 */
TEST(go_calls_follow_the_goroutine_not_the_thread)
{
	struct ws_assembler_opts o = { .proc_root = "" };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn srv = server_cn(540), out = client_cn(541);

	out.t = tuple4("127.0.0.1", 41000, "10.1.1.1", 9000);
	srv.g = 0xc000102000;
	/* The handler's goroutine moved to another thread before calling. */
	out.g = srv.g;
	out.tid = TID + 7;
	front_and_back(a, &srv, &out, 1000);
	CHECK_INT(nspans, 2);
	CHECK(client_is_child_of_server());
	spans_clear();

	/* Another goroutine on the handler's very thread: not its call. */
	out.tid = TID;
	out.g = 0xc000104000;
	front_and_back(a, &srv, &out, 5000);
	CHECK_INT(nspans, 2);
	CHECK(!client_is_child_of_server());
	spans_clear();

	/* http.Transport: asked for by the handler, written by the connection's writer. */
	CHECK_INT(rec_go(a, TGID, WS_GO_ROUNDTRIP, srv.g, 0xc0001a0000, 9500), 0);
	CHECK_INT(rec_go(a, TGID, WS_GO_REQ_WRITE, out.g, 0xc0001a0000, 9600), 0);
	front_and_back(a, &srv, &out, 9000);
	CHECK_INT(nspans, 2);
	CHECK(client_is_child_of_server());
	/* An event the kernel never sends is a bad record. */
	CHECK_INT(rec_go(a, TGID, 99, srv.g, 1, 13000), -EINVAL);
	CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), 1);
	asm_close(a);
}

/*
 * The kernel's Go mark can outlive a Go process (a pid used again, an exec):
 * in a process that is not Go, records' goroutines are register noise and
 * the thread decides, as for any program.
 */
TEST(goroutines_of_a_process_that_is_not_go_are_ignored)
{
	struct ws_assembler *a = asm_open();
	struct cn srv = server_cn(550), out = client_cn(551);

	out.t = tuple4("127.0.0.1", 41000, "10.1.1.1", 9000);
	srv.g = 0x1111;
	out.g = 0x2222;
	front_and_back(a, &srv, &out, 1000);
	CHECK_INT(nspans, 2);
	CHECK(client_is_child_of_server());
	asm_close(a);
}

/* Another thread, or two requests in flight on the thread: no parent is guessed. */
TEST(call_from_another_thread_or_an_ambiguous_one_gets_no_parent)
{
	struct ws_assembler *a = asm_open();
	struct cn s1 = server_cn(510), s2 = server_cn(511), out = client_cn(512);

	s2.t = tuple4("127.0.0.1", 8080, "192.168.1.50", 54322);
	out.t = tuple4("127.0.0.1", 41000, "10.1.1.1", 9000);
	out.tid = TID + 1;
	SRV_REQ(a, &s1, 1000, "GET /one HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_REQ(a, &out, 2000, "GET /other-thread HTTP/1.1\r\nHost: b\r\n\r\n");
	CLI_RESP(a, &out, 2500, RESP_OK);
	CHECK_INT(nspans, 1);
	if (nspans == 1)
		CHECK(all_zero(spans[0]->parent_span_id, 8));
	out.tid = TID;
	SRV_REQ(a, &s2, 3000, "GET /two HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_REQ(a, &out, 4000, "GET /ambiguous HTTP/1.1\r\nHost: b\r\n\r\n");
	CLI_RESP(a, &out, 4500, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2)
		CHECK(all_zero(spans[1]->parent_span_id, 8));
	asm_close(a);
}

/* A traced client and a traced server on this host: the server span is the client's child. */
TEST(server_span_is_the_child_of_the_traced_client_at_the_other_end)
{
	struct ws_assembler *a = asm_open();
	struct cn cli = client_cn(520), srv = server_cn(521);
	struct ws_span *c = NULL, *s = NULL;

	cli.t = tuple4("127.0.0.1", 50000, "127.0.0.1", 8080);
	cli.tgid = 7000;
	cli.tid = 7000;
	srv.t = tuple4("127.0.0.1", 8080, "127.0.0.1", 50000);
	for (int i = 0; i < 3; i++) {
		char req[64];

		snprintf(req, sizeof(req), "GET /x%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		CLI_REQ(a, &cli, 1000 + i * 1000, req);
		SRV_REQ(a, &srv, 1100 + i * 1000, req);
		SRV_RESP(a, &srv, 1200 + i * 1000, RESP_OK);
		CLI_RESP(a, &cli, 1300 + i * 1000, RESP_OK);
	}
	CHECK_INT(nspans, 6);
	for (size_t i = 0; i + 1 < nspans; i += 2) {
		s = spans[i];
		c = spans[i + 1];
		CHECK_INT(s->kind, WS_KIND_SERVER);
		CHECK_INT(c->kind, WS_KIND_CLIENT);
		CHECK(!memcmp(s->trace_id, c->trace_id, 16));
		CHECK(!memcmp(s->parent_span_id, c->span_id, 8));
	}
	asm_close(a);
}

/* The client read the head and closed without the body: the span still ends. */
TEST(close_after_a_response_head_ends_the_span_at_the_last_bytes)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(530);

	CLI_REQ(a, &c, 1000, "GET /headonly HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 2000, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
	CHECK_INT(nspans, 0);
	CHECK_INT(rec_close(a, &c, 9000), 0);
	CHECK_INT(nspans, 1);
	if (nspans == 1) {
		CHECK_INT(spans[0]->end_unix_ns, 2000);
		CHECK_ATTR_INT(spans[0], "http.response.status_code", 200);
	}
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	asm_close(a);
}

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

/* Two traceparent lines: ambiguous, so a new trace (W3C: never carry it on). */
TEST(duplicated_traceparent_starts_a_new_trace)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(540);

	SRV_REQ(a, &c, 1000, "GET / HTTP/1.1\r\nHost: h\r\ntraceparent: " TP "\r\n"
			     "traceparent: " TP "\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if (nspans == 1) {
		CHECK(all_zero(spans[0]->parent_span_id, 8));
		CHECK(spans[0]->trace_id[0] != 0x4b || spans[0]->trace_id[1] != 0xf9);
	}
	asm_close(a);
}

/* tracestate lines are joined, normalized; an invalid list is dropped, the parent kept. */
TEST(tracestate_lines_are_joined_and_an_invalid_list_dropped)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(541);

	SRV_REQ(a, &c, 1000, "GET /a HTTP/1.1\r\nHost: h\r\ntraceparent: " TP "\r\n"
			     "tracestate: rojo=00f067aa0ba902b7 , \r\ntracestate: congo=t61rcWkgMzE\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	SRV_REQ(a, &c, 3000, "GET /b HTTP/1.1\r\nHost: h\r\ntraceparent: " TP "\r\n"
			     "tracestate: Bad=1,ok=2\r\n\r\n");
	SRV_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2) {
		CHECK_MEM(spans[0]->strbuf + spans[0]->tracestate_off, spans[0]->tracestate_len,
			  "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
		CHECK_INT(spans[1]->tracestate_len, 0);
		CHECK_INT(spans[1]->parent_span_id[0], 0x00);
		CHECK_INT(spans[1]->parent_span_id[1], 0xf0);
	}
	asm_close(a);
}

/* Only allowlisted baggage keys become attributes, percent-decoded. */
TEST(allowlisted_baggage_becomes_attributes)
{
	static const char keys[WS_BAGGAGE_MAX_KEYS][64] = { "partnerId" };
	struct ws_assembler_opts o = { .proc_root = "/nonexistent" };
	struct ws_baggage_allow allow;
	struct ws_assembler *a;
	struct cn c = server_cn(542);

	CHECK_INT(ws_baggage_parse_allowlist("partnerId", &allow), 0);
	o.baggage = &allow;
	o.baggage_keys = keys;
	a = asm_open_opts(&o);
	SRV_REQ(a, &c, 1000, "GET / HTTP/1.1\r\nHost: h\r\n"
			     "baggage: userId=alice,partnerId=acme%20corp;prop=1\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if (nspans == 1) {
		CHECK_ATTR_STR(spans[0], "partnerId", "acme corp");
		CHECK_NO_ATTR(spans[0], "userId");
	}
	asm_close(a);
	/* the default: nothing from baggage */
	a = asm_open();
	SRV_REQ(a, &c, 1000, "GET / HTTP/1.1\r\nHost: h\r\nbaggage: partnerId=acme\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	if (nspans == 1)
		CHECK_NO_ATTR(spans[0], "partnerId");
	asm_close(a);
}

/* A call to a partner: its name, and its own request id from the response. */
TEST(partner_call_carries_its_name_and_request_id)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent" };
	static struct ws_partners ps;
	struct ws_assembler *a;
	struct cn c = client_cn(543);

	ws_partners_init(&ps);
	CHECK_INT(ws_partners_add(&ps, "api.stripe.com=stripe"), 0);
	o.partners = &ps;
	a = asm_open_opts(&o);
	CLI_REQ(a, &c, 1000, "POST /v1/charges HTTP/1.1\r\nHost: api.stripe.com\r\n"
			     "Content-Length: 0\r\n\r\n");
	CLI_RESP(a, &c, 2000, "HTTP/1.1 402 Payment Required\r\nRequest-Id: req_123\r\n"
			      "Content-Length: 0\r\n\r\n");
	CLI_REQ(a, &c, 3000, "GET / HTTP/1.1\r\nHost: other.example\r\n\r\n");
	CLI_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2) {
		CHECK_ATTR_STR(spans[0], "peer.service", "stripe");
		CHECK_ATTR_STR(spans[0], "http.response.header.request-id", "req_123");
		CHECK_ATTR_STR(spans[0], "error.type", "402");
		CHECK_NO_ATTR(spans[1], "peer.service");
		CHECK_NO_ATTR(spans[1], "http.response.header.request-id");
	}
	asm_close(a);
}

/* The partner reset, hung up or stopped answering: failed calls, as errors. */
TEST(calls_cut_by_the_peer_are_error_spans)
{
	static const struct {
		uint16_t flags;
		const char *why; /* NULL: no span */
		const char *exc; /* the exception event's type; NULL: none */
	} rows[] = {
		{ WS_F_RESET, "connection_reset", "ECONNRESET" },
		{ WS_F_RESET | WS_F_CLOSED_BY_PEER, "connection_reset", "ECONNRESET" },
		{ WS_F_TIMED_OUT, "timeout", "ETIMEDOUT" },
		{ WS_F_CLOSED_BY_PEER, "connection_closed", NULL }, /* a hang-up names no error */
		{ 0, NULL, NULL },				   /* the client hung up by itself */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_assembler *a = asm_open();
		struct cn c = client_cn(550 + i);

		CLI_REQ(a, &c, 1000, "GET /pay HTTP/1.1\r\nHost: h\r\n\r\n");
		CLI_REQ(a, &c, 1100, "GET /pay2 HTTP/1.1\r\nHost: h\r\n\r\n");
		CHECK_INT(rec_close_flags(a, &c, 5000, rows[i].flags), 0);
		CHECK_INT(nspans, rows[i].why ? 2 : 0);
		for (size_t j = 0; j < nspans; j++) {
			CHECK_INT(spans[j]->status, WS_STATUS_ERROR);
			CHECK_ATTR_STR(spans[j], "error.type", rows[i].why);
			CHECK_INT(spans[j]->end_unix_ns, 5000);
			CHECK_NO_ATTR(spans[j], "http.response.status_code");
			CHECK_INT(spans[j]->exc_time_unix_ns, rows[i].exc ? 5000 : 0);
			if (rows[i].exc) {
				CHECK_MEM(spans[j]->strbuf + spans[j]->exc_type_off,
					  spans[j]->exc_type_len, rows[i].exc);
				CHECK(spans[j]->exc_msg_len > 0);
			}
		}
		CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), rows[i].why ? 0 : 2);
		asm_close(a);
	}
}

/* A server whose client went away: not a failed call; counted, no span. */
TEST(server_request_cut_by_its_client_is_counted_not_an_error_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(560);

	SRV_REQ(a, &c, 1000, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(rec_close_flags(a, &c, 5000, WS_F_RESET), 0);
	CHECK_INT(nspans, 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	asm_close(a);
}

TEST(resource_is_shared_and_outlives_the_assembler)
{
	struct ws_assembler *a = asm_open();
	struct cn c1 = server_cn(1), c2 = client_cn(2);
	struct ws_span *s0, *s1;

	SRV_REQ(a, &c1, 1000, REQ_HELLO);
	SRV_RESP(a, &c1, 2000, RESP_OK);
	CLI_REQ(a, &c2, 3000, REQ_HELLO);
	CLI_RESP(a, &c2, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2) {
		s0 = spans[0];
		s1 = spans[1];
		CHECK(s0->res == s1->res);
		ws_assembler_free(a);
		a = NULL;
		/* Still readable after the assembler is gone. */
		CHECK(s0->res && !strcmp(s0->res->service_name, COMM));
		CHECK(s1->res && !strcmp(s1->res->exe_name, COMM));
	}
	asm_close(a);
}

/* ---- addresses, methods, upgrades ---- */

TEST(ipv6_peer_address)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(400);
	struct ws_span *s;

	c.t = tuple6("::1", 8080, "::1", 40000);
	SRV_REQ(a, &c, 1000, "GET /v6 HTTP/1.1\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "network.peer.address", "::1");
		CHECK_ATTR_STR(s, "client.address", "::1");
		CHECK_ATTR_INT(s, "network.peer.port", 40000);
		CHECK_ATTR_STR(s, "server.address", "::1");
		CHECK_ATTR_INT(s, "server.port", 8080);
	}
	asm_close(a);
}

TEST(ipv6_full_address_and_bracketed_host)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(401);
	struct ws_span *s;

	c.t = tuple6("2001:db8::2", 40000, "2001:db8::1", 443);
	CLI_REQ(a, &c, 1000, "GET /x HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n");
	CLI_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "network.peer.address", "2001:db8::1");
		CHECK_ATTR_STR(s, "server.address", "2001:db8::1");
		CHECK_ATTR_INT(s, "server.port", 8443);
		CHECK_ATTR_STR(s, "url.full", "http://[2001:db8::1]:8443/x");
	}
	asm_close(a);
}

TEST(ipv4_mapped_ipv6_is_shown_as_ipv4)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(402);
	struct ws_span *s;

	c.t = tuple6("::ffff:10.0.0.2", 8080, "::ffff:10.0.0.1", 50000);
	SRV_REQ(a, &c, 1000, "GET /m HTTP/1.1\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "network.peer.address", "10.0.0.1");
		CHECK_ATTR_STR(s, "client.address", "10.0.0.1");
		CHECK_ATTR_STR(s, "server.address", "10.0.0.2");
	}
	asm_close(a);
}

TEST(unknown_method_is_other)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(500);
	struct ws_span *s;

	SRV_REQ(a, &c, 1000, "FOO /f HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_STR(s->name, "HTTP");
		CHECK_ATTR_STR(s, "http.request.method", "_OTHER");
		CHECK_ATTR_STR(s, "http.request.method_original", "FOO");
	}
	asm_close(a);
}

TEST(known_methods_name_the_span)
{
	static const char *m[] = { "GET",     "HEAD",  "POST",  "PUT",	 "DELETE",
				   "OPTIONS", "TRACE", "PATCH", "get", "GETX" };
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(501);
	char req[128];
	size_t n = sizeof(m) / sizeof(m[0]);

	for (size_t i = 0; i < n; i++) {
		snprintf(req, sizeof(req), "%s /m HTTP/1.1\r\nHost: h\r\n\r\n", m[i]);
		CLI_REQ(a, &c, 1000 + i * 10, req);
		CLI_RESP(a, &c, 1005 + i * 10, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	}
	CHECK_INT(nspans, n);
	for (size_t i = 0; i < nspans && i < n; i++) {
		if (i < 8) {
			CHECK_STR(spans[i]->name, m[i]);
			CHECK_ATTR_STR(spans[i], "http.request.method", m[i]);
			CHECK_NO_ATTR(spans[i], "http.request.method_original");
		} else {
			/* Methods are case-sensitive: "get" is not GET. */
			CHECK_STR(spans[i]->name, "HTTP");
			CHECK_ATTR_STR(spans[i], "http.request.method", "_OTHER");
			CHECK_ATTR_STR(spans[i], "http.request.method_original", m[i]);
		}
	}
	asm_close(a);
}

TEST(switching_protocols_ends_the_span_and_the_http_stream)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(600);
	static const char frame1[] = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
	static const char frame2[] = "\x82\x7e\x01\x00\x00\xff\x13\x10GET / HTTP/1.1\r\n\r\n";
	struct ws_span *s;

	SRV_REQ(a, &c, 1000,
		"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
	SRV_RESP(a, &c, 2000,
		 "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
		 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi");
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_INT(s, "http.response.status_code", 101);
		CHECK_INT(s->end_unix_ns, 2000);
		CHECK_INT(s->status, WS_STATUS_UNSET);
	}
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 3000, frame1, sizeof(frame1) - 1,
			   sizeof(frame1) - 1),
		  0);
	CHECK_INT(rec_data(a, &c, WS_DIR_EGRESS, 4000, frame2, sizeof(frame2) - 1,
			   sizeof(frame2) - 1),
		  0);
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 5000, frame2, 10, 100000), 0);
	SRV_REQ(a, &c, 6000, "GET /not-http-anymore HTTP/1.1\r\n\r\n");
	SRV_RESP(a, &c, 7000, RESP_OK);
	CHECK_INT(nspans, 1);
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	CHECK_INT(stat_of(a, WS_ASM_GAP_DESYNC), 0);
	CHECK_INT(stat_of(a, WS_ASM_RESP_NO_REQ), 0);
	CHECK_INT(rec_close(a, &c, 8000), 0);
	CHECK_INT(ws_assembler_nconns(a), 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	asm_close(a);
}

TEST(connect_tunnel_ends_at_2xx)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(601);
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	struct ws_span *s;

	CLI_REQ(a, &c, 1000, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
	CLI_RESP(a, &c, 2000, "HTTP/1.1 200 Connection Established\r\n\r\n");
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_STR(s->name, "CONNECT");
		CHECK_ATTR_STR(s, "server.address", "example.com");
		CHECK_ATTR_INT(s, "server.port", 443);
		CHECK_INT(s->end_unix_ns, 2000);
	}
	CHECK_INT(rec_data(a, &c, WS_DIR_EGRESS, 3000, tls, sizeof(tls) - 1, sizeof(tls) - 1), 0);
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 4000, tls, sizeof(tls) - 1, sizeof(tls) - 1), 0);
	CHECK_INT(nspans, 1);
	CHECK_INT(stat_of(a, WS_ASM_PARSE_ERRORS), 0);
	asm_close(a);
}

TEST(connect_refused_stays_http)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(602);

	CLI_REQ(a, &c, 1000, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
	CLI_RESP(a, &c, 2000, "HTTP/1.1 407 Proxy Auth\r\nContent-Length: 0\r\n\r\n");
	CLI_REQ(a, &c, 3000, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2) {
		CHECK_INT(spans[0]->status, WS_STATUS_ERROR);
		CHECK_ATTR_STR(spans[1], "url.full", "http://h:8080/after");
	}
	asm_close(a);
}

TEST(new_needs_a_callback_and_free_null_is_noop)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent" };

	errno = 0;
	CHECK(ws_assembler_new(&o, NULL, NULL) == NULL);
	CHECK_INT(errno, EINVAL);
	ws_assembler_free(NULL);
}

TEST(default_options_work)
{
	struct ws_assembler *a = asm_open_opts(NULL);
	struct cn c = server_cn(1);

	/* proc_root defaults to /proc: a pid that does not exist falls back to comm. */
	c.tgid = 0x7ffffff0;
	SRV_REQ(a, &c, 1000, REQ_HELLO);
	SRV_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if (nspans)
		CHECK(spans[0]->res && !strcmp(spans[0]->res->service_name, COMM));
	asm_close(a);
}

TEST(many_connections_interleaved)
{
	struct ws_assembler *a = asm_open();
	char req[128], path[64];
	struct cn c[64];

	for (int i = 0; i < 64; i++) {
		c[i] = (i & 1) ? client_cn(1000 + i) : server_cn(1000 + i);
		snprintf(req, sizeof(req), "GET /c%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		CHECK_INT(rec_str(a, &c[i], (i & 1) ? WS_DIR_EGRESS : WS_DIR_INGRESS, 1000 + i, req),
			  0);
	}
	CHECK_INT(ws_assembler_nconns(a), 64);
	for (int i = 63; i >= 0; i--)
		CHECK_INT(rec_str(a, &c[i], (i & 1) ? WS_DIR_INGRESS : WS_DIR_EGRESS, 2000 + i,
				  RESP_OK),
			  0);
	CHECK_INT(nspans, 64);
	for (size_t k = 0; k < nspans; k++) {
		int i = 63 - (int)k;

		CHECK_INT(spans[k]->kind, (i & 1) ? WS_KIND_CLIENT : WS_KIND_SERVER);
		CHECK_INT(spans[k]->start_unix_ns, 1000 + i);
		snprintf(path, sizeof(path), (i & 1) ? "http://h:8080/c%d" : "/c%d", i);
		CHECK_ATTR_STR(spans[k], (i & 1) ? "url.full" : "url.path", path);
	}
	asm_close(a);
}

/* ---- webhooks: the context a partner kept, read from the body ---- */

static const uint8_t tp_trace[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
				      0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
static const uint8_t tp_span[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };

static struct ws_webhooks WH;

static struct ws_assembler *asm_open_hooks(void)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent", .webhooks = &WH };

	memset(&WH, 0, sizeof(WH));
	CHECK_INT(ws_webhooks_add(&WH, "POST /webhooks/stripe=data.object.metadata.trace_parent"), 0);
	CHECK_INT(ws_webhooks_add(&WH, "POST /webhooks/parent=data.object.metadata.trace_parent,parent"),
		  0);
	return asm_open_opts(&o);
}

/* A Stripe-like event whose metadata holds tp, after pad bytes of another field. */
static char *event_body(const char *tp, size_t pad)
{
	static const char fmt[] = "{\"id\":\"evt_1\",\"object\":\"event\",\"pad\":\"%s\","
				  "\"data\":{\"object\":{\"id\":\"pi_1\",\"amount\":2000,"
				  "\"charges\":{\"data\":[{\"metadata\":{\"trace_parent\":\"x\"}}]},"
				  "\"metadata\":{\"order_id\":\"6735\",\"trace_parent\":\"%s\"}}},"
				  "\"type\":\"payment_intent.succeeded\"}";
	char *padding = malloc(pad + 1), *out;

	memset(padding, 'p', pad);
	padding[pad] = 0;
	CHECK(asprintf(&out, fmt, padding, tp) > 0);
	free(padding);
	return out;
}

static char *hook_request(const char *path, const char *extra_headers, const char *body)
{
	char *out;

	CHECK(asprintf(&out, "POST %s HTTP/1.1\r\nHost: h\r\n%sContent-Length: %zu\r\n\r\n%s", path,
		       extra_headers, strlen(body), body) > 0);
	return out;
}

/* One webhook request (whole, in one record) and its answer; the span, or NULL. */
static struct ws_span *one_hook(struct ws_assembler *a, struct cn *c, const char *path,
				const char *body)
{
	char *req = hook_request(path, "", body);
	size_t before = nspans;

	SRV_REQ(a, c, 1000, req);
	SRV_RESP(a, c, 2000, RESP_OK);
	free(req);
	CHECK_INT(nspans, before + 1);
	return nspans == before + 1 ? spans[before] : NULL;
}

static void check_linked(const struct ws_span *s)
{
	CHECK_INT(s->nlinks, 1);
	CHECK(!memcmp(s->links[0].trace_id, tp_trace, 16));
	CHECK(!memcmp(s->links[0].span_id, tp_span, 8));
	CHECK_INT(s->links[0].trace_flags, 1);
	/* A link, not a parent: the webhook's own trace. */
	CHECK(memcmp(s->trace_id, tp_trace, 16) != 0);
	CHECK(all_zero(s->parent_span_id, 8));
}

TEST(webhook_body_context_becomes_a_link)
{
	struct ws_assembler *a = asm_open_hooks();
	struct cn c = server_cn(600);
	char *body = event_body(TP, 10);
	struct ws_span *s = one_hook(a, &c, "/webhooks/stripe?from=stripe", body);

	if (s) {
		check_linked(s);
		CHECK_ATTR_STR(s, "url.path", "/webhooks/stripe");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
	}
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_LINKED), 1);
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_NO_CONTEXT), 0);
	free(body);
	asm_close(a);
}

/* Parent mode: the webhook joins the trace, and the calls its handler makes follow. */
TEST(webhook_parent_mode_adopts_the_context_and_calls_follow)
{
	struct ws_assembler *a = asm_open_hooks();
	struct cn srv = server_cn(610), out = client_cn(611);
	char *body = event_body(TP, 10), *req = hook_request("/webhooks/parent", "", body);
	struct ws_span *s = NULL, *call = NULL;

	out.t = tuple4("127.0.0.1", 41000, "10.1.1.1", 9000);
	SRV_REQ(a, &srv, 1000, req);
	CLI_REQ(a, &out, 2000, "GET /orders/6735 HTTP/1.1\r\nHost: b\r\n\r\n");
	CLI_RESP(a, &out, 3000, RESP_OK);
	SRV_RESP(a, &srv, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	for (size_t i = 0; i < nspans; i++)
		*(spans[i]->kind == WS_KIND_SERVER ? &s : &call) = spans[i];
	if (s && call) {
		CHECK(!memcmp(s->trace_id, tp_trace, 16));
		CHECK(!memcmp(s->parent_span_id, tp_span, 8));
		CHECK_INT(s->nlinks, 0);
		CHECK(!memcmp(call->trace_id, tp_trace, 16));
		CHECK(!memcmp(call->parent_span_id, s->span_id, 8));
	}
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_LINKED), 1);
	free(req);
	free(body);
	asm_close(a);
}

/* Body bytes one per record, or chunked with chunk edges inside the field: still found. */
TEST(webhook_body_in_pieces_or_chunked_is_found)
{
	struct ws_assembler *a = asm_open_hooks();
	struct cn c = server_cn(620), c2 = server_cn(621);
	char *body = event_body(TP, 10);
	size_t n = strlen(body);
	char chunked[4096];
	int off;

	SRV_REQ(a, &c, 1000, "POST /webhooks/stripe HTTP/1.1\r\nHost: h\r\n");
	{
		char cl[64];

		snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", n);
		SRV_REQ(a, &c, 1001, cl);
	}
	for (size_t i = 0; i < n; i++)
		CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 1002 + i, body + i, 1, 1), 0);
	SRV_RESP(a, &c, 9000, RESP_OK);
	CHECK_INT(nspans, 1);
	if (nspans == 1)
		check_linked(spans[0]);

	/* Chunks of 7 bytes: every edge of the field's value is somewhere inside one. */
	off = snprintf(chunked, sizeof(chunked),
		       "POST /webhooks/stripe HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (size_t i = 0; i < n; i += 7) {
		size_t k = n - i < 7 ? n - i : 7;

		off += snprintf(chunked + off, sizeof(chunked) - off, "%zx\r\n%.*s\r\n", k, (int)k,
				body + i);
	}
	snprintf(chunked + off, sizeof(chunked) - off, "0\r\n\r\n");
	SRV_REQ(a, &c2, 10000, chunked);
	SRV_RESP(a, &c2, 11000, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2)
		check_linked(spans[1]);
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_LINKED), 2);
	free(body);
	asm_close(a);
}

/* Other routes are never read past the head; a traceparent on the wire wins. */
TEST(webhook_body_read_only_on_its_route_without_wire_context)
{
	struct ws_assembler *a = asm_open_hooks();
	struct cn c = server_cn(630);
	char *body = event_body(TP, 10);
	char *wired = hook_request("/webhooks/stripe",
				   "traceparent: 00-11111111111111111111111111111111-2222222222222222-01\r\n",
				   body);
	struct ws_span *s;
	static const uint8_t ones[16] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
					  0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };

	if ((s = one_hook(a, &c, "/webhooks/other", body)))
		CHECK_INT(s->nlinks, 0);
	if ((s = one_hook(a, &c, "/webhooks/stripe/", body)))
		CHECK_INT(s->nlinks, 0);
	SRV_REQ(a, &c, 3000, wired);
	SRV_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 3);
	if (nspans == 3) {
		CHECK_INT(spans[2]->nlinks, 0);
		CHECK(!memcmp(spans[2]->trace_id, ones, 16));
	}
	/* A GET on the route is another route. */
	SRV_REQ(a, &c, 5000, "GET /webhooks/stripe HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c, 6000, RESP_OK);
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_LINKED) + stat_of(a, WS_ASM_WEBHOOK_NO_CONTEXT), 0);
	free(wired);
	free(body);
	asm_close(a);
}

TEST(webhook_without_a_whole_valid_context_gets_no_link)
{
	static const char *const bodies[] = {
		"{\"data\":{\"object\":{\"metadata\":{}}}}",
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz\"}}}}",
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"not a traceparent\"}}}}",
		"<xml>not json</xml>",
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"" TP,
		"{\"data\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		"",
	};
	struct ws_assembler *a = asm_open_hooks();
	struct cn c = server_cn(640);
	struct ws_span *s;
	char *far;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if ((s = one_hook(a, &c, "/webhooks/stripe", bodies[i])))
			CHECK_INT(s->nlinks, 0);
	/* Past the first WS_WEBHOOK_BODY_MAX bytes: not read, not found. */
	far = event_body(TP, WS_WEBHOOK_BODY_MAX);
	if ((s = one_hook(a, &c, "/webhooks/stripe", far)))
		CHECK_INT(s->nlinks, 0);
	free(far);
	/* ... while just inside them it is. */
	far = event_body(TP, WS_WEBHOOK_BODY_MAX - 400);
	if ((s = one_hook(a, &c, "/webhooks/stripe", far)))
		check_linked(s);
	free(far);
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_NO_CONTEXT), 8);
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_LINKED), 1);
	asm_close(a);
}

/* The kernel copied only the first bytes of the read: what came before the hole counts. */
TEST(webhook_body_cut_by_the_capture_is_searched_up_to_the_cut)
{
	struct ws_assembler *a = asm_open_hooks();
	struct cn c = server_cn(650);
	char *body = event_body(TP, 10), *req = hook_request("/webhooks/stripe", "", body);
	size_t n = strlen(req), at = strstr(req, TP) - req;

	/* Cut inside the value: not found. */
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 1000, req, at + 20, n), 0);
	SRV_RESP(a, &c, 2000, RESP_OK);
	/* Cut after the value: found. */
	CHECK_INT(rec_data(a, &c, WS_DIR_INGRESS, 3000, req, at + 56, n), 0);
	SRV_RESP(a, &c, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2) {
		CHECK_INT(spans[0]->nlinks, 0);
		check_linked(spans[1]);
	}
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_NO_CONTEXT), 1);
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_LINKED), 1);
	free(req);
	free(body);
	asm_close(a);
}

/* Answered before the body came (an early 401), closed mid-body: no crash, nothing kept. */
TEST(webhook_answered_early_or_closed_mid_body)
{
	struct ws_assembler *a = asm_open_hooks();
	struct cn c = server_cn(660), c2 = server_cn(661);
	char *body = event_body(TP, 10), head[128];

	snprintf(head, sizeof(head),
		 "POST /webhooks/stripe HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n",
		 strlen(body));
	SRV_REQ(a, &c, 1000, head);
	SRV_RESP(a, &c, 2000, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(nspans, 1);
	if (nspans == 1)
		CHECK_INT(spans[0]->nlinks, 0);
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_NO_CONTEXT), 1);
	SRV_REQ(a, &c, 3000, body); /* the body, late: counted, not searched again */
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_LINKED), 0);
	SRV_REQ(a, &c2, 4000, head);
	SRV_REQ(a, &c2, 4001, "{\"data\":{\"obj");
	CHECK_INT(rec_close(a, &c2, 5000), 0);
	CHECK_INT(ws_assembler_nconns(a), 1);
	free(body);
	asm_close(a);
}

/* Bodies gathered at once are bounded; the rest are counted, not read. */
TEST(webhook_bodies_at_once_are_bounded)
{
	struct ws_assembler *a = asm_open_hooks();
	char *body = event_body(TP, 10), head[128];
	struct cn c[70];
	size_t linked = 0;

	snprintf(head, sizeof(head),
		 "POST /webhooks/stripe HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n",
		 strlen(body));
	for (int i = 0; i < 70; i++) {
		c[i] = server_cn(700 + i);
		c[i].t.dport = 1000 + i;
		SRV_REQ(a, &c[i], 1000 + i, head);
	}
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_BUSY), 6);
	for (int i = 0; i < 70; i++) {
		SRV_REQ(a, &c[i], 2000 + i, body);
		SRV_RESP(a, &c[i], 3000 + i, RESP_OK);
	}
	CHECK_INT(nspans, 70);
	for (size_t i = 0; i < nspans; i++)
		linked += spans[i]->nlinks;
	CHECK_INT(linked, 64);
	CHECK_INT(stat_of(a, WS_ASM_WEBHOOK_LINKED), 64);
	free(body);
	asm_close(a);
}

/* Parent mode, but the caller is a traced client on this host: it stays the parent. */
TEST(webhook_parent_mode_keeps_an_inferred_caller_and_links)
{
	struct ws_assembler *a = asm_open_hooks();
	struct cn cli = client_cn(680), srv = server_cn(681);
	char *body = event_body(TP, 10), *req = hook_request("/webhooks/parent", "", body);
	struct ws_span *s = NULL, *c = NULL;

	cli.t = tuple4("127.0.0.1", 50001, "127.0.0.1", 8080);
	cli.tgid = cli.tid = 7100;
	srv.t = tuple4("127.0.0.1", 8080, "127.0.0.1", 50001);
	CLI_REQ(a, &cli, 1000, req);
	SRV_REQ(a, &srv, 1100, req);
	SRV_RESP(a, &srv, 1200, RESP_OK);
	CLI_RESP(a, &cli, 1300, RESP_OK);
	CHECK_INT(nspans, 2);
	for (size_t i = 0; i < nspans; i++)
		*(spans[i]->kind == WS_KIND_SERVER ? &s : &c) = spans[i];
	if (s && c) {
		CHECK(!memcmp(s->parent_span_id, c->span_id, 8));
		CHECK(!memcmp(s->trace_id, c->trace_id, 16));
		CHECK_INT(s->nlinks, 1);
		CHECK(!memcmp(s->links[0].trace_id, tp_trace, 16));
		CHECK_INT(c->nlinks, 0); /* only server requests are webhooks */
	}
	free(req);
	free(body);
	asm_close(a);
}

/* ---- connects that fail before any byte ---- */

static int rec_connect_fail(struct ws_assembler *a, const struct cn *c, uint64_t start,
			    uint64_t ts, uint16_t flags)
{
	_Alignas(8) struct ws_connect_fail_rec r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = WS_REC_CONNECT_FAIL;
	r.hdr.flags = flags;
	r.hdr.len = sizeof(r) - sizeof(r.hdr);
	r.hdr.ts_ns = ts;
	r.hdr.tgid = c->tgid;
	r.hdr.tid = c->tid;
	r.hdr.sock_id = c->sock;
	r.tuple = c->t;
	r.start_ns = start;
	memcpy(r.comm, c->comm, sizeof(r.comm));
	return ws_assembler_record(a, &r, sizeof(r));
}

#define CHECK_EXC(s, type)                                                                 \
	do {                                                                               \
		CHECK((s)->exc_time_unix_ns != 0);                                         \
		CHECK_MEM((s)->strbuf + (s)->exc_type_off, (s)->exc_type_len, (type));     \
	} while (0)

/* The endpoint spoke HTTP before: a refused connect there is a failed call. */
TEST(refused_connect_to_a_known_http_endpoint_is_a_client_error_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(800), again = client_cn(801);
	struct ws_span *s;

	CLI_REQ(a, &c, 1000, "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 2000, RESP_OK);
	CHECK_INT(rec_close(a, &c, 2500), 0);
	again.t.sport = 0; /* released before the close is seen */
	CHECK_INT(rec_connect_fail(a, &again, 3000, 3400, WS_F_REFUSED), 0);
	CHECK_INT(nspans, 2);
	if ((s = span_at(1))) {
		CHECK_INT(s->kind, WS_KIND_CLIENT);
		CHECK_STR(s->name, "HTTP");
		CHECK_INT(s->status, WS_STATUS_ERROR);
		CHECK_INT(s->start_unix_ns, 3000);
		CHECK_INT(s->end_unix_ns, 3400);
		CHECK_INT(s->exec.id, TID);
		CHECK_ATTR_STR(s, "error.type", "connection_refused");
		CHECK_ATTR_STR(s, "server.address", "127.0.0.1");
		CHECK_ATTR_INT(s, "server.port", 8080);
		CHECK_ATTR_STR(s, "network.peer.address", "127.0.0.1");
		CHECK_ATTR_INT(s, "network.peer.port", 8080);
		CHECK_NO_ATTR(s, "http.request.method");
		CHECK_NO_ATTR(s, "url.full");
		CHECK_EXC(s, "ECONNREFUSED");
		CHECK_INT(s->exc_time_unix_ns, 3400);
		CHECK_MEM(s->strbuf + s->exc_msg_off, s->exc_msg_len, "Connection refused");
		CHECK(all_zero(s->parent_span_id, 8));
		CHECK(!all_zero(s->trace_id, 16));
		CHECK(s->res && !strcmp(s->res->service_name, COMM));
	}
	CHECK_INT(stat_of(a, WS_ASM_CONNECT_FAIL_OTHER), 0);
	asm_close(a);
}

/* Never seen speaking HTTP (a database, a dual-stack client's IPv6 try): counted, no span. */
TEST(failed_connect_to_an_unknown_endpoint_is_counted_not_a_span)
{
	struct ws_assembler *a = asm_open();
	struct cn c = client_cn(810), db = client_cn(811), v6 = client_cn(812);

	CLI_REQ(a, &c, 1000, "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n");
	CLI_RESP(a, &c, 2000, RESP_OK);
	db.t.dport = 5432;
	v6.t = tuple6("::1", 0, "::1", 8080);
	CHECK_INT(rec_connect_fail(a, &db, 3000, 3100, WS_F_REFUSED), 0);
	CHECK_INT(rec_connect_fail(a, &v6, 3000, 3100, WS_F_REFUSED), 0);
	CHECK_INT(nspans, 1);
	CHECK_INT(stat_of(a, WS_ASM_CONNECT_FAIL_OTHER), 2);
	asm_close(a);
}

/* A local server that answered before and is down now: its address is known too. */
TEST(failed_connects_to_a_server_seen_before_name_their_reason)
{
	static const struct {
		uint16_t flags;
		const char *why, *exc;
	} rows[] = {
		{ WS_F_REFUSED, "connection_refused", "ECONNREFUSED" },
		{ WS_F_TIMED_OUT, "timeout", "ETIMEDOUT" },
		{ WS_F_HOST_UNREACH, "host_unreachable", "EHOSTUNREACH" },
		{ WS_F_NET_UNREACH, "network_unreachable", "ENETUNREACH" },
	};
	struct ws_assembler *a = asm_open();
	struct cn srv = server_cn(820), cli = client_cn(821);

	SRV_REQ(a, &srv, 1000, "GET /up HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &srv, 2000, RESP_OK);
	cli.t = tuple4("127.0.0.1", 0, "127.0.0.1", 8080);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(rec_connect_fail(a, &cli, 3000 + i, 4000 + i, rows[i].flags), 0);
	/* No reason given (cannot come from the kernel): nothing failed that we know. */
	CHECK_INT(rec_connect_fail(a, &cli, 5000, 5100, 0), 0);
	CHECK_INT(nspans, 5);
	for (size_t i = 0; i + 1 < nspans; i++) {
		CHECK_ATTR_STR(spans[i + 1], "error.type", rows[i].why);
		CHECK_EXC(spans[i + 1], rows[i].exc);
	}
	CHECK_INT(stat_of(a, WS_ASM_CONNECT_FAIL_OTHER), 1);
	asm_close(a);
}

/* A call refused while its thread handles one server request: that request's child. */
TEST(refused_connect_of_a_handler_thread_is_its_child)
{
	struct ws_assembler *a = asm_open();
	struct cn srv = server_cn(830), out = client_cn(831), first = client_cn(832);
	struct ws_span *p = NULL, *c = NULL;

	first.tid = 9999;
	CLI_REQ(a, &first, 500, "GET /known HTTP/1.1\r\nHost: b\r\n\r\n");
	CLI_RESP(a, &first, 600, RESP_OK);
	SRV_REQ(a, &srv, 1000, "GET /front HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(rec_connect_fail(a, &out, 1100, 1200, WS_F_REFUSED), 0);
	SRV_RESP(a, &srv, 2000, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(nspans, 3);
	for (size_t i = 1; i < nspans; i++)
		*(spans[i]->kind == WS_KIND_SERVER ? &p : &c) = spans[i];
	if (p && c) {
		CHECK(!memcmp(c->trace_id, p->trace_id, 16));
		CHECK(!memcmp(c->parent_span_id, p->span_id, 8));
	}
	asm_close(a);
}

TEST(malformed_connect_fail_records_are_counted)
{
	struct ws_assembler *a = asm_open();
	_Alignas(8) struct ws_connect_fail_rec r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = WS_REC_CONNECT_FAIL;
	r.hdr.flags = WS_F_REFUSED;
	r.hdr.len = sizeof(r) - sizeof(r.hdr) - 1;
	CHECK_INT(ws_assembler_record(a, &r, sizeof(r)), -EINVAL);
	r.hdr.len = sizeof(r) - sizeof(r.hdr);
	r.tuple.family = 99;
	CHECK_INT(ws_assembler_record(a, &r, sizeof(r)), -EINVAL);
	CHECK_INT(ws_assembler_record(a, &r, sizeof(r.hdr) + 8), -EINVAL);
	CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), 3);
	CHECK_INT(nspans, 0);
	asm_close(a);
}

/* ---- the resource cache: one /proc read per process ---- */

static char fake_root[] = "/tmp/ws-test-asm-proc-XXXXXX";

static void fake_root_remove(void)
{
	tmptree_remove(fake_root);
}

/*
 * A fake /proc entry for pid: a stat line giving start as field 22 (none for 0; the name
 * with a space and a parenthesis, as comm may have), OTEL_SERVICE_NAME=svc
 * in environ, and exe linking to exe. Returns the fake /proc root.
 */
static const char *fake_proc_entry(uint32_t pid, uint64_t start, const char *svc, const char *exe)
{
	static bool made;
	const char *root = fake_root;
	char path[PATH_MAX];
	FILE *f;

	if (!made && mkdtemp(fake_root)) {
		made = true;
		atexit(fake_root_remove);
	}
	snprintf(path, sizeof(path), "%s/%u", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/stat", root, pid);
	unlink(path);
	f = start ? fopen(path, "w") : NULL; /* start 0: the process is gone */
	if (f) {
		fprintf(f, "%u (a (b) c) S 1 %u %u 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu "
			   "12345678 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
			pid, pid, pid, (unsigned long long)start);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%u/environ", root, pid);
	f = fopen(path, "w");
	if (f) {
		fputs("OTEL_SERVICE_NAME=", f);
		fputs(svc, f);
		fputc('\0', f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%u/exe", root, pid);
	unlink(path);
	CHECK_INT(symlink(exe, path), 0);
	return root;
}

/* One server span of a new connection (sock) of c at ts; its resource, borrowed. */
static const struct ws_resource *res_of_new_conn(struct ws_assembler *a, struct cn *c,
						 uint64_t sock, uint64_t ts)
{
	c->sock = sock;
	SRV_REQ(a, c, ts, REQ_HELLO);
	SRV_RESP(a, c, ts + 1, RESP_OK);
	CHECK_INT(rec_close(a, c, ts + 2), 0);
	CHECK(nspans > 0);
	return nspans ? spans[nspans - 1]->res : NULL;
}

#define SEC 1000000000ull

/*
 * Issue 20: the cache was keyed by pid and comm, so a process seen under
 * many names (a renamed leader, prctl(PR_SET_NAME)) had its 64 KiB of
 * environment, executable and runtime record read again at each change.
 */
TEST(resource_is_read_once_per_process_whatever_its_names)
{
	struct ws_assembler_opts o = { .proc_root = fake_proc_entry(5001, 777, "first", "/bin/sh") };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn c = server_cn(0);
	const struct ws_resource *first;

	c.tgid = 5001;
	first = res_of_new_conn(a, &c, 1, 1000);
	CHECK(first && !strcmp(first->service_name, "first"));
	/* A read of /proc now would see this: nothing must read it. */
	fake_proc_entry(5001, 777, "second", "/bin/sh");
	for (int i = 0; i < 40; i++) {
		const struct ws_resource *r;

		snprintf(c.comm, sizeof(c.comm), "pool-%d", i % 20);
		r = res_of_new_conn(a, &c, 100 + i, 2000 + i * 10);
		CHECK(r == first);
	}
	CHECK(first && !strcmp(first->service_name, "first"));
	/* Still the same process a second later, under the first name. */
	strcpy(c.comm, COMM);
	CHECK(res_of_new_conn(a, &c, 200, 3 * SEC) == first);
	asm_close(a);
}

/* The pid of a process that exited given to a new one: the new one's resource. */
TEST(reused_pid_gets_a_fresh_resource)
{
	struct ws_assembler_opts o = { .proc_root = fake_proc_entry(5002, 100, "old", "/bin/sh") };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn c = server_cn(0);
	const struct ws_resource *r;

	c.tgid = 5002;
	r = res_of_new_conn(a, &c, 1, 1000);
	CHECK(r && !strcmp(r->service_name, "old"));

	/* The same comm: found at the first connection after the recheck interval. */
	fake_proc_entry(5002, 200, "new", "/bin/sh");
	r = res_of_new_conn(a, &c, 2, 2 * SEC);
	CHECK(r && !strcmp(r->service_name, "new"));

	/* Another comm: found at once. */
	fake_proc_entry(5002, 300, "newer", "/bin/sh");
	strcpy(c.comm, "other");
	r = res_of_new_conn(a, &c, 3, 2 * SEC + 10);
	CHECK(r && !strcmp(r->service_name, "newer"));

	/* An exec keeps pid and start time, not the program: another comm, another exe. */
	fake_proc_entry(5002, 300, "execd", "/bin/ls");
	strcpy(c.comm, "ls");
	r = res_of_new_conn(a, &c, 4, 2 * SEC + 20);
	CHECK(r && !strcmp(r->service_name, "execd"));

	/* Gone: its late records keep its resource. */
	fake_proc_entry(5002, 0, "gone", "/bin/ls");
	r = res_of_new_conn(a, &c, 5, 5 * SEC);
	CHECK(r && !strcmp(r->service_name, "execd"));
	asm_close(a);
}

/* The start time is field 22, after a name that may hold spaces and parentheses. */
TEST(proc_stat_start_time_is_field_22)
{
	static const char line[] = "42 (x) y) (z) S 1 42 42 0 -1 4194560 5 6 7 8 9 10 11 12 20 0 1 0 "
				   "98765 1000 10\n";

	CHECK_INT(ws_procstat_start(line, sizeof(line) - 1), 98765);
	CHECK_INT(ws_procstat_start(line, 60), 0); /* cut before field 22 */
	CHECK_INT(ws_procstat_start("", 0), 0);
	CHECK_INT(ws_procstat_start("1 (a) S", 7), 0);
}

static const struct check_case cases[] = {
	CASE(server_get_span_has_all_attributes),
	CASE(client_get_span_has_url_full),
	CASE(no_host_header_uses_the_connection_address),
	CASE(ipv4_addresses_of_every_width),
	CASE(client_absolute_form_target_gives_url_full),
	CASE(mono_to_unix_offset_is_applied),
	CASE(record_data_is_not_written),
	CASE(status_rules_table),
	CASE(traceparent_is_adopted_with_tracestate),
	CASE(traceparent_flags_zero_is_kept),
	CASE(invalid_traceparent_starts_a_new_trace),
	CASE(each_span_gets_its_own_ids),
	CASE(keep_alive_fifty_exchanges),
	CASE(pipelined_requests_pair_in_order),
	CASE(pipeline_grows_after_wrapping),
	CASE(pipelined_post_bodies_and_responses_one_by_one),
	CASE(request_split_one_byte_per_record),
	CASE(response_split_one_byte_per_record_ends_at_last_byte),
	CASE(second_request_start_is_its_own_first_record),
	CASE(chunked_response_split_across_records),
	CASE(chunked_request_body_then_response),
	CASE(continue_100_then_200_is_one_span),
	CASE(continue_100_and_200_in_one_record),
	CASE(head_request_response_has_no_body),
	CASE(head_and_get_pipelined),
	CASE(no_content_204_and_304_have_no_body),
	CASE(close_delimited_response_ends_at_last_data_record),
	CASE(close_delimited_response_on_client),
	CASE(close_mid_request_builds_no_span),
	CASE(close_mid_head_builds_no_span),
	CASE(close_mid_response_body_still_ends_the_span),
	CASE(close_of_unknown_socket_is_ignored),
	CASE(response_without_request_builds_no_span),
	CASE(garbage_counts_a_parse_error_and_other_conns_still_work),
	CASE(malformed_response_drops_its_request_only),
	CASE(malformed_later_response_drops_its_request_only),
	CASE(server_garbage_answer_to_first_request_drops_it),
	CASE(head_too_big_is_counted_and_its_response_skipped),
	CASE(the_agents_own_export_gets_no_span_and_keeps_the_pairing),
	CASE(lost_records_inside_a_body_keep_the_stream_in_sync),
	CASE(lost_request_between_two_is_counted_and_the_next_is_found),
	CASE(long_body_is_skipped_by_the_kernel_and_ends_on_time),
	CASE(skipped_body_cut_by_a_close_ends_at_the_close),
	CASE(short_and_chunked_bodies_are_not_skipped),
	CASE(truncated_body_still_builds_the_span),
	CASE(truncated_response_body_ends_the_span),
	CASE(truncated_request_head_keeps_its_span),
	CASE(truncated_response_head_keeps_its_span),
	CASE(gap_past_a_body_end_resyncs),
	CASE(gap_past_a_request_body_end_cuts_the_next_request),
	CASE(unreadable_response_at_message_boundary_drops_its_request),
	CASE(close_after_lost_sync_ends_at_last_record),
	CASE(lost_sync_ends_at_next_response_start),
	CASE(no_buffer_record_is_a_gap),
	CASE(floor_copy_records_are_counted_and_dropped),
	CASE(bad_records_are_rejected_and_counted),
	CASE(flagged_records_with_cap_over_io_are_taken),
	CASE(pipeline_full_drops_and_counts),
	CASE(table_full_evicts_least_recently_used),
	CASE(expire_drops_idle_connections),
	CASE(expire_honours_a_custom_timeout),
	CASE(socket_reused_by_another_process_starts_over),
	CASE(bytes_after_close_do_not_leak_into_the_next_connection),
	CASE(call_made_while_handling_a_request_is_its_child),
	CASE(call_from_another_thread_or_an_ambiguous_one_gets_no_parent),
	CASE(go_calls_follow_the_goroutine_not_the_thread),
	CASE(goroutines_of_a_process_that_is_not_go_are_ignored),
	CASE(server_span_is_the_child_of_the_traced_client_at_the_other_end),
	CASE(close_after_a_response_head_ends_the_span_at_the_last_bytes),
	CASE(duplicated_traceparent_starts_a_new_trace),
	CASE(tracestate_lines_are_joined_and_an_invalid_list_dropped),
	CASE(allowlisted_baggage_becomes_attributes),
	CASE(partner_call_carries_its_name_and_request_id),
	CASE(calls_cut_by_the_peer_are_error_spans),
	CASE(server_request_cut_by_its_client_is_counted_not_an_error_span),
	CASE(resource_is_shared_and_outlives_the_assembler),
	CASE(ipv6_peer_address),
	CASE(ipv6_full_address_and_bracketed_host),
	CASE(ipv4_mapped_ipv6_is_shown_as_ipv4),
	CASE(unknown_method_is_other),
	CASE(known_methods_name_the_span),
	CASE(switching_protocols_ends_the_span_and_the_http_stream),
	CASE(connect_tunnel_ends_at_2xx),
	CASE(connect_refused_stays_http),
	CASE(new_needs_a_callback_and_free_null_is_noop),
	CASE(default_options_work),
	CASE(many_connections_interleaved),
	CASE(webhook_body_context_becomes_a_link),
	CASE(webhook_parent_mode_adopts_the_context_and_calls_follow),
	CASE(webhook_body_in_pieces_or_chunked_is_found),
	CASE(webhook_body_read_only_on_its_route_without_wire_context),
	CASE(webhook_without_a_whole_valid_context_gets_no_link),
	CASE(webhook_body_cut_by_the_capture_is_searched_up_to_the_cut),
	CASE(webhook_answered_early_or_closed_mid_body),
	CASE(webhook_bodies_at_once_are_bounded),
	CASE(webhook_parent_mode_keeps_an_inferred_caller_and_links),
	CASE(refused_connect_to_a_known_http_endpoint_is_a_client_error_span),
	CASE(failed_connect_to_an_unknown_endpoint_is_counted_not_a_span),
	CASE(failed_connects_to_a_server_seen_before_name_their_reason),
	CASE(refused_connect_of_a_handler_thread_is_its_child),
	CASE(malformed_connect_fail_records_are_counted),
	CASE(resource_is_read_once_per_process_whatever_its_names),
	CASE(reused_pid_gets_a_fresh_resource),
	CASE(proc_stat_start_time_is_field_22),
};

CHECK_MAIN("assemble", cases)
