/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of webhook routes: the --webhook syntax and its refusals, which
 * requests a route takes (method, exact path or prefix, query ignored), and
 * the trace context of a body: found only whole and valid.
 */
#include <errno.h>

#include "check.h"
#include "webhooks.h"

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static struct ws_webhooks W;

static const struct ws_webhook *match(const char *method, const char *target)
{
	return ws_webhook_match(&W, method, strlen(method), target, strlen(target));
}

TEST(test_add_route_with_default_link_mode)
{
	memset(&W, 0, sizeof(W));
	CHECK_INT(ws_webhooks_add(&W, "POST /webhooks/stripe=data.object.metadata.trace_parent"),
		  0);
	CHECK_INT(W.n, 1);
	CHECK_STR(W.w[0].method, "POST");
	CHECK_STR(W.w[0].path, "/webhooks/stripe");
	CHECK_INT(W.w[0].field.nkeys, 4);
	CHECK_INT(W.w[0].mode, WS_WEBHOOK_LINK);
	CHECK_INT(ws_webhooks_add(&W, "PUT /hooks/*=tp,parent"), 0);
	CHECK_INT(W.w[1].mode, WS_WEBHOOK_PARENT);
	CHECK_INT(ws_webhooks_add(&W, "POST /x=a.b,link"), 0);
	CHECK_INT(W.w[2].mode, WS_WEBHOOK_LINK);
	CHECK_INT(W.n, 3);
}

TEST(test_bad_specs_are_refused_and_add_nothing)
{
	static const char *const bad[] = {
		"",
		"POST /a",		       /* no field */
		"POST /a=",		       /* empty field */
		"/a=tp",		       /* no method */
		"POST a=tp",		       /* relative path */
		"POST=tp",		       /* no path */
		"POST  /a=tp",		       /* two spaces: empty path token */
		"PO(ST /a=tp",		       /* method not a token */
		"POST /a?x=1=tp",	       /* a query */
		"POST /a b=tp",		       /* space in path */
		"POST /a*b=tp",		       /* '*' only at the end */
		"POST /a=tp,child",	       /* unknown mode */
		"POST /a=tp,",		       /* empty mode */
		"POST /a=a..b",		       /* bad json path */
		"POST /a=tp,parent,link",      /* two modes */
		"ABCDEFGHIJKLMNOPQRSTU /a=tp", /* 21-byte method */
	};

	memset(&W, 0, sizeof(W));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = ws_webhooks_add(&W, bad[i]);

		if (r != -EINVAL)
			fprintf(stderr, "    spec '%s'\n", bad[i]);
		CHECK_INT(r, -EINVAL);
	}
	CHECK_INT(W.n, 0);
	CHECK_INT(ws_webhooks_add(NULL, "POST /a=tp"), -EINVAL);
}

TEST(test_route_table_is_bounded)
{
	memset(&W, 0, sizeof(W));
	for (int i = 0; i < WS_MAX_WEBHOOKS; i++)
		CHECK_INT(ws_webhooks_add(&W, "POST /a=tp"), 0);
	CHECK_INT(ws_webhooks_add(&W, "POST /a=tp"), -ENOSPC);
	CHECK_INT(W.n, WS_MAX_WEBHOOKS);
}

TEST(test_match_by_method_and_path)
{
	memset(&W, 0, sizeof(W));
	CHECK_INT(ws_webhooks_add(&W, "POST /webhooks/stripe=a"), 0);
	CHECK_INT(ws_webhooks_add(&W, "POST /hooks/*=b"), 0);
	CHECK(match("POST", "/webhooks/stripe") == &W.w[0]);
	CHECK(match("POST", "/webhooks/stripe?sig=1") == &W.w[0]);
	CHECK(match("POST", "/webhooks/stripe#x") == &W.w[0]);
	CHECK(match("GET", "/webhooks/stripe") == NULL);
	CHECK(match("post", "/webhooks/stripe") == NULL);
	CHECK(match("POST", "/webhooks/stripe/") == NULL);
	CHECK(match("POST", "/webhooks/strip") == NULL);
	CHECK(match("POST", "/webhooks/other") == NULL);
	CHECK(match("POST", "/hooks/") == &W.w[1]);
	CHECK(match("POST", "/hooks/acct_1/x?y") == &W.w[1]);
	CHECK(match("POST", "/hooks") == NULL);
	CHECK(ws_webhook_match(NULL, "POST", 4, "/hooks/", 7) == NULL);
	memset(&W, 0, sizeof(W));
	CHECK(match("POST", "/webhooks/stripe") == NULL);
}

static int context(const char *body, struct ws_traceparent *tp)
{
	return ws_webhook_context(&W.w[0], body, strlen(body), tp);
}

TEST(test_context_from_a_valid_traceparent)
{
	static const uint8_t trace[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
					   0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	static const uint8_t span[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
	struct ws_traceparent tp;

	memset(&W, 0, sizeof(W));
	CHECK_INT(ws_webhooks_add(&W, "POST /w=data.object.metadata.trace_parent"), 0);
	CHECK_INT(context("{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"" TP "\"}}}}",
			  &tp),
		  0);
	CHECK(!memcmp(tp.trace_id, trace, 16));
	CHECK(!memcmp(tp.parent_id, span, 8));
	CHECK_INT(tp.flags, 1);
}

TEST(test_no_context_when_absent_cut_or_invalid)
{
	static const char *const none[] = {
		"",
		"{}",
		"not json",
		"{\"data\":{\"object\":{\"metadata\":{}}}}",
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"00-4bf92f3577b34da6\"}}}}",
		/* cut inside the value */
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
		/* upper-case hex, all-zero trace id, version ff: invalid by W3C */
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01\"}}}}",
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"00-00000000000000000000000000000000-00f067aa0ba902b7-01\"}}}}",
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}}}}",
		/* a number, an empty string, a value longer than any traceparent */
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":42}}}}",
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"\"}}}}",
		"{\"data\":{\"object\":{\"metadata\":{\"trace_parent\":\"" TP TP TP TP TP "\"}}}}",
	};
	struct ws_traceparent tp;

	memset(&W, 0, sizeof(W));
	CHECK_INT(ws_webhooks_add(&W, "POST /w=data.object.metadata.trace_parent"), 0);
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		int r = context(none[i], &tp);

		if (r != -ENOENT)
			fprintf(stderr, "    body %zu\n", i);
		CHECK_INT(r, -ENOENT);
	}
	CHECK_INT(ws_webhook_context(&W.w[0], NULL, 0, &tp), -ENOENT);
	CHECK_INT(ws_webhook_context(NULL, "{}", 2, &tp), -ENOENT);
}

static const struct check_case cases[] = {
	CASE(test_add_route_with_default_link_mode),
	CASE(test_bad_specs_are_refused_and_add_nothing),
	CASE(test_route_table_is_bounded),
	CASE(test_match_by_method_and_path),
	CASE(test_context_from_a_valid_traceparent),
	CASE(test_no_context_when_absent_cut_or_invalid),
};

CHECK_MAIN("webhooks", cases)
