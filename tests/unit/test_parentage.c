/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of parentage (parentage.c): parents the wire does not carry,
 * inferred from the thread or goroutine handling a request and from a
 * traced client at the other end, and connects that fail before any byte
 * (a failed call where HTTP was seen, counted elsewhere).
 */
#include "asmkit.h"

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
static int rec_go(struct ws_assembler *a, uint32_t tgid, uint32_t event, uint64_t g, uint64_t req,
		  uint64_t ts)
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

/* ---- connects that fail before any byte ---- */

static int rec_connect_fail(struct ws_assembler *a, const struct cn *c, uint64_t start, uint64_t ts,
			    uint16_t flags)
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

#define CHECK_EXC(s, type)                                                                         \
	do {                                                                                       \
		CHECK((s)->exc_time_unix_ns != 0);                                                 \
		CHECK_MEM((s)->strbuf + (s)->exc_type_off, (s)->exc_type_len, (type));             \
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

static const struct check_case cases[] = {
	CASE(call_made_while_handling_a_request_is_its_child),
	CASE(call_from_another_thread_or_an_ambiguous_one_gets_no_parent),
	CASE(go_calls_follow_the_goroutine_not_the_thread),
	CASE(goroutines_of_a_process_that_is_not_go_are_ignored),
	CASE(server_span_is_the_child_of_the_traced_client_at_the_other_end),
	CASE(close_after_a_response_head_ends_the_span_at_the_last_bytes),
	CASE(refused_connect_to_a_known_http_endpoint_is_a_client_error_span),
	CASE(failed_connect_to_an_unknown_endpoint_is_counted_not_a_span),
	CASE(failed_connects_to_a_server_seen_before_name_their_reason),
	CASE(refused_connect_of_a_handler_thread_is_its_child),
	CASE(malformed_connect_fail_records_are_counted),
};

CHECK_MAIN("parentage", cases)
