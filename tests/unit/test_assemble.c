/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of span building (assemble.c), driven by hand-built ring buffer
 * records: server and client spans with their attributes, status rules,
 * trace context, baggage and partners from the wire, address families,
 * methods, upgrades and tunnels, and the dispatch of records by type
 * (malformed records, benchmarks' records). Pairing is in test_pairing.c.
 *
 * Past 800 lines on purpose: span building end to end, one case per
 * behaviour; the other concerns have their own files (test_pairing.c, ...).
 */
#include "asmkit.h"

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
		CHECK_ATTR_STR(s, "url.full",
			       "http://127.0.0.1:8080/hello?name=REDACTED&x=REDACTED");
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
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",	   /* short */
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

#define EXPECT_BAD(size)                                                                           \
	do {                                                                                       \
		CHECK_INT(ws_assembler_record(a, buf, (size)), -EINVAL);                           \
		CHECK_INT(stat_of(a, WS_ASM_BAD_RECORDS), ++bad);                                  \
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

/* Two traceparent lines: ambiguous, so a new trace (W3C: never carry it on). */
TEST(duplicated_traceparent_starts_a_new_trace)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(540);

	SRV_REQ(a, &c, 1000,
		"GET / HTTP/1.1\r\nHost: h\r\ntraceparent: " TP "\r\n"
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

	SRV_REQ(a, &c, 1000,
		"GET /a HTTP/1.1\r\nHost: h\r\ntraceparent: " TP "\r\n"
		"tracestate: rojo=00f067aa0ba902b7 , \r\ntracestate: congo=t61rcWkgMzE\r\n\r\n");
	SRV_RESP(a, &c, 2000, RESP_OK);
	SRV_REQ(a, &c, 3000,
		"GET /b HTTP/1.1\r\nHost: h\r\ntraceparent: " TP "\r\n"
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
	SRV_REQ(a, &c, 1000,
		"GET / HTTP/1.1\r\nHost: h\r\n"
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
	CLI_REQ(a, &c, 1000,
		"POST /v1/charges HTTP/1.1\r\nHost: api.stripe.com\r\n"
		"Content-Length: 0\r\n\r\n");
	CLI_RESP(a, &c, 2000,
		 "HTTP/1.1 402 Payment Required\r\nRequest-Id: req_123\r\n"
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
		{ 0, NULL, NULL }, /* the client hung up by itself */
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

/* ---- addresses, methods, upgrades ---- */

struct v6_row {
	const char *name;
	bool client; /* the traced process made the call, else it answered it */
	const char *saddr, *daddr;
	uint16_t sport, dport;
	const char *request;
	const char *strs[4][2]; /* string attributes expected, by key */
	struct {
		const char *key;
		int64_t val;
	} ints[2]; /* integer attributes expected */
};

static const struct v6_row v6_rows[] = {
	{ "IPv6 loopback peer",
	  false,
	  "::1",
	  "::1",
	  8080,
	  40000,
	  "GET /v6 HTTP/1.1\r\n\r\n",
	  { { "network.peer.address", "::1" },
	    { "client.address", "::1" },
	    { "server.address", "::1" } },
	  { { "network.peer.port", 40000 }, { "server.port", 8080 } } },
	{ "IPv6 full address and a bracketed Host",
	  true,
	  "2001:db8::2",
	  "2001:db8::1",
	  40000,
	  443,
	  "GET /x HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n",
	  { { "network.peer.address", "2001:db8::1" },
	    { "server.address", "2001:db8::1" },
	    { "url.full", "http://[2001:db8::1]:8443/x" } },
	  { { "server.port", 8443 } } },
	{ "IPv4-mapped IPv6 shown as IPv4",
	  false,
	  "::ffff:10.0.0.2",
	  "::ffff:10.0.0.1",
	  8080,
	  50000,
	  "GET /m HTTP/1.1\r\n\r\n",
	  { { "network.peer.address", "10.0.0.1" },
	    { "client.address", "10.0.0.1" },
	    { "server.address", "10.0.0.2" } },
	  { { NULL, 0 } } },
};

/* IPv6 connections: addresses as inet_ntop writes them, mapped IPv4 as IPv4. */
TEST(ipv6_addresses_table)
{
	for (size_t i = 0; i < sizeof(v6_rows) / sizeof(v6_rows[0]); i++) {
		const struct v6_row *r = &v6_rows[i];
		struct ws_assembler *a = asm_open();
		struct cn c = r->client ? client_cn(400 + i) : server_cn(400 + i);
		int failed_before = check_failed_in_test;
		/* The request goes out on a client's connection, comes in on a server's. */
		int req_dir = r->client ? WS_DIR_EGRESS : WS_DIR_INGRESS;
		struct ws_span *s;

		check_failed_in_test = 0;
		c.t = tuple6(r->saddr, r->sport, r->daddr, r->dport);
		CHECK_INT(rec_str(a, &c, req_dir, 1000, r->request), 0);
		CHECK_INT(rec_str(a, &c, !req_dir, 2000, RESP_OK), 0);
		CHECK_INT(nspans, 1);
		if ((s = span_at(0))) {
			for (size_t k = 0; k < 4 && r->strs[k][0]; k++)
				CHECK_ATTR_STR(s, r->strs[k][0], r->strs[k][1]);
			for (size_t k = 0; k < 2 && r->ints[k].key; k++)
				CHECK_ATTR_INT(s, r->ints[k].key, r->ints[k].val);
		}
		asm_close(a);
		if (check_failed_in_test)
			fprintf(stderr, "    in row \"%s\"\n", r->name);
		check_failed_in_test |= failed_before;
	}
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
	static const char *m[] = { "GET",     "HEAD",  "POST",	"PUT", "DELETE",
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
		CHECK_INT(
			rec_str(a, &c[i], (i & 1) ? WS_DIR_EGRESS : WS_DIR_INGRESS, 1000 + i, req),
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
	CASE(floor_copy_records_are_counted_and_dropped),
	CASE(bad_records_are_rejected_and_counted),
	CASE(flagged_records_with_cap_over_io_are_taken),
	CASE(duplicated_traceparent_starts_a_new_trace),
	CASE(tracestate_lines_are_joined_and_an_invalid_list_dropped),
	CASE(allowlisted_baggage_becomes_attributes),
	CASE(partner_call_carries_its_name_and_request_id),
	CASE(calls_cut_by_the_peer_are_error_spans),
	CASE(ipv6_addresses_table),
	CASE(unknown_method_is_other),
	CASE(known_methods_name_the_span),
	CASE(switching_protocols_ends_the_span_and_the_http_stream),
	CASE(connect_tunnel_ends_at_2xx),
	CASE(connect_refused_stays_http),
	CASE(new_needs_a_callback_and_free_null_is_noop),
	CASE(default_options_work),
	CASE(many_connections_interleaved),
};

CHECK_MAIN("assemble", cases)
