/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of pairing requests with responses (assemble.c): keep-alive,
 * pipelining, messages split over many records, chunked and close-delimited
 * bodies, 1xx, HEAD, 204/304, lost halves, malformed messages, truncated
 * bodies, and calls cut by a peer.
 */
#include "asmkit.h"

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
		rl += snprintf(reqs + rl, sizeof(reqs) - rl, "GET /p%d HTTP/1.1\r\nHost: h\r\n\r\n",
			       i);
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
			       "POST /b%d HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nb%03d", i,
			       i);
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

/*
 * A malformed response loses its own request only, whether it is the
 * connection's first answer (nothing yet tells the stream carries
 * responses) or a later one.
 */
TEST(malformed_response_drops_its_request_only_table)
{
	for (size_t before = 0; before < 2; before++) {
		struct ws_assembler *a = asm_open();
		struct cn c = client_cn(18);
		struct ws_span *s;

		if (before) {
			/* A first good exchange: the response stream is known to carry responses. */
			CLI_REQ(a, &c, 500, "GET /first HTTP/1.1\r\nHost: h\r\n\r\n");
			CLI_RESP(a, &c, 600, RESP_OK);
		}
		CLI_REQ(a, &c, 1000, "GET /lost HTTP/1.1\r\nHost: h\r\n\r\n");
		CLI_RESP(a, &c, 2000, "HTTP/1.1 2x0 Bad\r\n\r\n");
		CHECK_INT(nspans, before);
		CHECK(stat_of(a, WS_ASM_PARSE_ERRORS) >= 1);
		CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
		CLI_REQ(a, &c, 3000, "GET /kept HTTP/1.1\r\nHost: h\r\n\r\n");
		CLI_RESP(a, &c, 4000, RESP_OK);
		CHECK_INT(nspans, before + 1);
		if ((s = span_at(before)))
			CHECK_ATTR_STR(s, "url.full", "http://h:8080/kept");
		asm_close(a);
	}
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

	SRV_REQ(a, &c, 1000,
		"POST /v1/traces HTTP/1.1\r\nHost: h\r\n"
		"X-Wirespan-Agent: 0123abcd\r\nContent-Length: 2\r\n\r\n{}");
	SRV_RESP(a, &c, 2000, "HTTP/1.1 500 Busy\r\nContent-Length: 0\r\n\r\n");
	CHECK_INT(nspans, 0);
	CHECK_INT(stat_of(a, WS_ASM_OWN_EXPORTS), 1);
	CHECK_INT(stat_of(a, WS_ASM_RESP_NO_REQ), 0);
	SRV_REQ(a, &c, 3000,
		"POST /v1/traces HTTP/1.1\r\nHost: h\r\n"
		"x-wirespan-agent: 0123abce\r\nContent-Length: 0\r\n\r\n");
	SRV_RESP(a, &c, 4000, RESP_OK);
	SRV_REQ(a, &c, 5000,
		"POST /v1/traces HTTP/1.1\r\nHost: h\r\n"
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

static const struct check_case cases[] = {
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
	CASE(malformed_response_drops_its_request_only_table),
	CASE(server_garbage_answer_to_first_request_drops_it),
	CASE(head_too_big_is_counted_and_its_response_skipped),
	CASE(the_agents_own_export_gets_no_span_and_keeps_the_pairing),
	CASE(truncated_body_still_builds_the_span),
	CASE(truncated_response_body_ends_the_span),
	CASE(server_request_cut_by_its_client_is_counted_not_an_error_span),
};

CHECK_MAIN("pairing", cases)
