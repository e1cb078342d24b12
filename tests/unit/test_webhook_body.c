/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of webhook body gathering (webhook_body.c): a context found in a
 * webhook body's first bytes becomes a link or a parent; pieces, chunked
 * bodies, cuts, early answers, the bound on bodies read at once.
 */
#include "asmkit.h"

/* ---- webhooks: the context a partner kept, read from the body ---- */

static const uint8_t tp_trace[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
				      0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };

static const uint8_t tp_span[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };

static struct ws_webhooks WH;

static struct ws_assembler *asm_open_hooks(void)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent", .webhooks = &WH };

	memset(&WH, 0, sizeof(WH));
	CHECK_INT(ws_webhooks_add(&WH, "POST /webhooks/stripe=data.object.metadata.trace_parent"),
		  0);
	CHECK_INT(ws_webhooks_add(&WH,
				  "POST /webhooks/parent=data.object.metadata.trace_parent,parent"),
		  0);
	return asm_open_opts(&o);
}

/* A Stripe-like event whose metadata holds tp, after pad bytes of another field. */
static char *event_body(const char *tp, size_t pad)
{
	static const char fmt[] =
		"{\"id\":\"evt_1\",\"object\":\"event\",\"pad\":\"%s\","
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
	off = snprintf(
		chunked, sizeof(chunked),
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
	char *wired = hook_request(
		"/webhooks/stripe",
		"traceparent: 00-11111111111111111111111111111111-2222222222222222-01\r\n", body);
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

static const struct check_case cases[] = {
	CASE(webhook_body_context_becomes_a_link),
	CASE(webhook_parent_mode_adopts_the_context_and_calls_follow),
	CASE(webhook_body_in_pieces_or_chunked_is_found),
	CASE(webhook_body_read_only_on_its_route_without_wire_context),
	CASE(webhook_without_a_whole_valid_context_gets_no_link),
	CASE(webhook_body_cut_by_the_capture_is_searched_up_to_the_cut),
	CASE(webhook_answered_early_or_closed_mid_body),
	CASE(webhook_bodies_at_once_are_bounded),
	CASE(webhook_parent_mode_keeps_an_inferred_caller_and_links),
};

CHECK_MAIN("webhook_body", cases)
