/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the connection table (conns.c): its bound and least recently
 * used eviction, idle expiry, a socket reused by another process, and the
 * request FIFO, both through the assembler and through the table itself.
 */
#include "asmkit.h"

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

static const struct check_case cases[] = {
	CASE(pipeline_full_drops_and_counts),
	CASE(table_full_evicts_least_recently_used),
	CASE(expire_drops_idle_connections),
	CASE(expire_honours_a_custom_timeout),
	CASE(socket_reused_by_another_process_starts_over),
	CASE(bytes_after_close_do_not_leak_into_the_next_connection),
};

CHECK_MAIN("conns", cases)
