/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the readers of a collector's answer (partial_success in
 * protobuf and JSON) and of the JSON checker the encoder's tests rely on.
 * Protobuf answers are packed with protobuf-c's generated code from the
 * project's .proto files, so field numbers are the schema's, not ours.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#include "check.h"
#include "otlp_resp.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse pb_response;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTracePartialSuccess pb_partial;

/* Packs a response with partial_success (rejected, msg); NULL msg: no partial_success at all. */
static size_t pack_response(int64_t rejected, const char *msg, uint8_t *out, size_t outsz)
{
	pb_response r =
		OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_RESPONSE__INIT;
	pb_partial p =
		OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_PARTIAL_SUCCESS__INIT;
	size_t n;

	if (msg) {
		p.rejected_spans = rejected;
		p.error_message = (char *)msg;
		r.partial_success = &p;
	}
	n = protobuf_c_message_get_packed_size(&r.base);
	if (n > outsz)
		abort();
	return protobuf_c_message_pack(&r.base, out);
}

TEST(protobuf_partial_success_is_read)
{
	struct ws_otlp_partial ps;
	uint8_t buf[1024];
	char big[600];
	size_t n;

	n = pack_response(3, "3 spans had no name", buf, sizeof(buf));
	CHECK_INT(ws_otlp_resp_pb(buf, n, &ps), 0);
	CHECK_INT(ps.rejected, 3);
	CHECK_STR(ps.message, "3 spans had no name");
	CHECK_INT(ps.message_len, 19);

	/* a warning: nothing rejected, something said */
	n = pack_response(0, "use gzip", buf, sizeof(buf));
	CHECK_INT(ws_otlp_resp_pb(buf, n, &ps), 0);
	CHECK_INT(ps.rejected, 0);
	CHECK_STR(ps.message, "use gzip");

	/* full success: an empty message, and an empty body */
	n = pack_response(0, NULL, buf, sizeof(buf));
	CHECK_INT(n, 0);
	CHECK_INT(ws_otlp_resp_pb(buf, n, &ps), 0);
	CHECK_INT(ps.rejected, 0);
	CHECK_INT(ps.message_len, 0);
	CHECK_INT(ws_otlp_resp_pb(NULL, 0, &ps), 0);

	/* a collector claiming a negative count rejected nothing */
	n = pack_response(-4, "", buf, sizeof(buf));
	CHECK_INT(ws_otlp_resp_pb(buf, n, &ps), 0);
	CHECK_INT(ps.rejected, 0);

	/* a long message is cut to what the log line takes */
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = pack_response(INT64_MAX, big, buf, sizeof(buf));
	CHECK_INT(ws_otlp_resp_pb(buf, n, &ps), 0);
	CHECK(ps.rejected == INT64_MAX);
	CHECK_INT(ps.message_len, sizeof(ps.message) - 1);
	CHECK_INT(strlen(ps.message), sizeof(ps.message) - 1);
}

TEST(protobuf_unknown_fields_skipped_broken_input_refused)
{
	/* field 9 varint, field 10 fixed64, field 11 fixed32, then partial_success{rejected 2} */
	static const uint8_t unknown[] = { 0x48, 0x96, 0x01, 0x51, 1, 2, 3,    4,    5,	   6,	7,
					   8,	 0x5d, 1,    2,	   3, 4, 0x0a, 0x02, 0x08, 0x02 };
	static const struct {
		const char *name;
		uint8_t b[8];
		size_t len;
	} bad[] = {
		{ "cut length", { 0x0a, 0x05, 0x08 }, 3 },
		{ "cut varint", { 0x0a, 0x02, 0x08, 0x80 }, 4 },
		{ "partial_success not a message", { 0x08, 0x01 }, 2 },
		{ "rejected_spans not a varint", { 0x0a, 0x02, 0x0a, 0x00 }, 4 },
		{ "group wire type", { 0x0b }, 1 },
		{ "field number 0", { 0x02, 0x00 }, 2 },
		{ "eleven-byte varint", { 0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 8 },
	};
	struct ws_otlp_partial ps;

	CHECK_INT(ws_otlp_resp_pb(unknown, sizeof(unknown), &ps), 0);
	CHECK_INT(ps.rejected, 2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ws_otlp_resp_pb(bad[i].b, bad[i].len, &ps);

		if (rc != -EBADMSG)
			fprintf(stderr, "    %s: %d\n", bad[i].name, rc);
		CHECK_INT(rc, -EBADMSG);
	}
}

TEST(json_partial_success_is_read)
{
	static const struct {
		const char *in;
		int64_t rejected;
		const char *msg;
	} rows[] = {
		{ "", 0, "" },
		{ " \n", 0, "" },
		{ "{}", 0, "" },
		{ "{\"partialSuccess\":{}}", 0, "" },
		{ "{\"partialSuccess\":null}", 0, "" },
		/* how protobuf's own JSON printer writes it: int64 as a string */
		{ "{\"partialSuccess\":{\"rejectedSpans\":\"5\",\"errorMessage\":\"bad \\\"span\\\"\"}}",
		  5, "bad \"span\"" },
		{ "{ \"partial_success\" : { \"rejected_spans\" : 7 , \"error_message\" : null } }",
		  7, "" },
		{ "{\"partialSuccess\":{\"rejectedSpans\":\"-3\"}}", 0, "" },
		{ "{\"partialSuccess\":{\"rejectedSpans\":9223372036854775807}}", INT64_MAX, "" },
		{ "{\"x\":[1,-2.5e3,true,false,null,{\"y\":[[]]}],\"partialSuccess\":"
		  "{\"more\":{\"a\":\"b\"},\"rejectedSpans\":1},\"z\":\"\"}",
		  1, "" },
		{ "{\"partialSuccess\":{\"errorMessage\":\"\\u00e9\\ud83d\\ude00 \\ud800x\\/\\t\"}}",
		  0, "\xc3\xa9\xf0\x9f\x98\x80 \xef\xbf\xbdx/\t" },
		{ "{\"partialSuccess\":{\"errorMessage\":\"caf\xc3\xa9\"}}", 0, "caf\xc3\xa9" },
	};
	struct ws_otlp_partial ps;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = ws_otlp_resp_json(rows[i].in, strlen(rows[i].in), &ps);

		if (rc || ps.rejected != rows[i].rejected || strcmp(ps.message, rows[i].msg))
			fprintf(stderr, "    row %zu: %s -> %d %lld '%s'\n", i, rows[i].in, rc,
				(long long)ps.rejected, ps.message);
		CHECK_INT(rc, 0);
		CHECK(ps.rejected == rows[i].rejected);
		CHECK_STR(ps.message, rows[i].msg);
	}
}

TEST(json_broken_input_is_refused)
{
	static const char *const bad[] = {
		"{",
		"[]",
		"{\"partialSuccess\":{\"rejectedSpans\":1.5}}",
		"{\"partialSuccess\":{\"rejectedSpans\":\"12a\"}}",
		"{\"partialSuccess\":{\"rejectedSpans\":99999999999999999999}}",
		"{\"partialSuccess\":{\"rejectedSpans\":true}}",
		"{\"partialSuccess\":{\"errorMessage\":5}}",
		"{\"partialSuccess\":[]}",
		"{\"a\":1,}",
		"{\"a\":01}",
		"{\"a\":-}",
		"{\"a\":1.}",
		"{\"a\":1e}",
		"{} x",
		"{}{}",
		"{\"a\":\"\x01\"}",
		"{\"a\":\"\xff\"}",
		"{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12\"}",
		"{\"a\" 1}",
		"{\"a\":tru}",
		"{'a':1}",
		"{\"a\":\"",
	};
	struct ws_otlp_partial ps;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ws_otlp_resp_json(bad[i], strlen(bad[i]), &ps);

		if (rc != -EBADMSG)
			fprintf(stderr, "    accepted: %s\n", bad[i]);
		CHECK_INT(rc, -EBADMSG);
	}
}

/* Nesting is bounded: a hostile answer cannot recurse the export thread off its stack. */
TEST(json_nesting_is_bounded)
{
	char doc[2 * 1000 + 16];
	size_t n = 0;

	for (int depth = 60; depth <= 1000; depth += 940) {
		n = 0;
		n += (size_t)sprintf(doc, "{\"a\":");
		for (int i = 0; i < depth; i++)
			doc[n++] = '[';
		for (int i = 0; i < depth; i++)
			doc[n++] = ']';
		doc[n++] = '}';
		CHECK(ws_json_valid(doc, n) == (depth == 60));
	}
}

/* Valid documents stay valid whole and are invalid cut anywhere. */
TEST(json_checker_accepts_whole_documents_only)
{
	static const char *const good[] = {
		"{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u0041\\n\",\"d\":-0.5E+2}",
		"[true,false,null,\"\xe2\x82\xac\"]",
		"\"x\"",
		"  0  ",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t len = strlen(good[i]);

		CHECK(ws_json_valid(good[i], len));
		for (size_t cut = 0; cut < len; cut++) {
			/* "  0  " stays valid down to "  0" */
			bool want = i == 3 && cut >= 3;

			if (ws_json_valid(good[i], cut) != want)
				fprintf(stderr, "    %s cut at %zu\n", good[i], cut);
			CHECK(ws_json_valid(good[i], cut) == want);
		}
	}
	CHECK(!ws_json_valid(NULL, 0));
}

/*
 * Issue 20: export failures said what libcurl saw ("Received HTTP/0.9 when
 * not allowed", "Empty reply from server", "HTTP status 404") and not why.
 * Each row: what an attempt met, and words the hint must hold.
 */
TEST(export_failures_name_their_likely_cause)
{
	static const struct {
		bool grpc;
		enum ws_otlp_seen seen;
		long http;
		bool grpc_status, grpc_content;
		unsigned int port;
		const char *path, *want1, *want2;
	} rows[] = {
		/* OTLP/HTTP at a gRPC collector: HTTP/2 frames where a status line belongs. */
		{ false, WS_OTLP_SEEN_NOT_HTTP1, 0, 0, 0, 4317, "/v1/traces",
		  "as a gRPC collector (port 4317)", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc" },
		/* ... or one that hangs up on HTTP/1.1, on its port. */
		{ false, WS_OTLP_SEEN_EMPTY, 0, 0, 0, 4317, "/v1/traces",
		  "as a gRPC collector (port 4317)", "port 4318" },
		/* ... or answers over ALPN h2 with a gRPC answer. */
		{ false, WS_OTLP_SEEN_ANSWER, 200, 1, 1, 4317, "/v1/traces", "speaks HTTP/2 only",
		  "OTEL_EXPORTER_OTLP_PROTOCOL=grpc" },
		/* gRPC at an OTLP/HTTP receiver: no HTTP/2, or an answer with no grpc-status. */
		{ true, WS_OTLP_SEEN_EMPTY, 0, 0, 0, 4318, "",
		  "as an OTLP/HTTP receiver (port 4318)",
		  "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf" },
		{ true, WS_OTLP_SEEN_NOT_HTTP2, 0, 0, 0, 4318, "",
		  "does not speak gRPC over HTTP/2", "port 4317" },
		{ true, WS_OTLP_SEEN_NOT_HTTP1, 0, 0, 0, 4318, "",
		  "does not speak gRPC over HTTP/2", "port 4317" },
		{ true, WS_OTLP_SEEN_ANSWER, 404, 0, 0, 4318, "",
		  "as an OTLP/HTTP receiver (port 4318)", "http/protobuf" },
		{ true, WS_OTLP_SEEN_ANSWER, 415, 0, 0, 4318, "", "does not speak gRPC over HTTP/2",
		  "port 4317" },
		/* An HTTP/1.1 server that hangs up on HTTP/2's preface while curl still sends. */
		{ true, WS_OTLP_SEEN_HUNG_UP, 0, 0, 0, 4318, "",
		  "broke the connection before answering", "http/protobuf" },
		{ false, WS_OTLP_SEEN_HUNG_UP, 0, 0, 0, 4317, "/v1/traces",
		  "as a gRPC collector (port 4317)", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc" },
		/* Nothing listening. */
		{ false, WS_OTLP_SEEN_REFUSED, 0, 0, 0, 4318, "/v1/traces",
		  "nothing listens at h:4318; is the collector running",
		  "(4318 for OTLP/HTTP, 4317 for gRPC)?" },
		{ true, WS_OTLP_SEEN_REFUSED, 0, 0, 0, 4317, "", "nothing listens at h:4317",
		  "4317" },
		/* A traces endpoint given without its path. */
		{ false, WS_OTLP_SEEN_ANSWER, 404, 0, 0, 4318, "/",
		  "the endpoint's path / is not /v1/traces", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" },
		{ false, WS_OTLP_SEEN_ANSWER, 404, 0, 0, 4318, "/v1/traces",
		  "serves no OTLP traces at /v1/traces", "path right?" },
		{ false, WS_OTLP_SEEN_ANSWER, 415, 0, 0, 4318, "/v1/traces",
		  "does not take this content type", "http/json" },
		{ false, WS_OTLP_SEEN_ANSWER, 401, 0, 0, 4318, "/v1/traces", "credentials",
		  "OTEL_EXPORTER_OTLP_HEADERS" },
		{ false, WS_OTLP_SEEN_NOT_TLS, 0, 0, 0, 4318, "/v1/traces", "not TLS", "http://" },
		{ false, WS_OTLP_SEEN_NO_HOST, 0, 0, 0, 4318, "/v1/traces", "does not resolve",
		  "h:4318" },
	};
	char out[512];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_otlp_fault f = {
			.grpc = rows[i].grpc,
			.seen = rows[i].seen,
			.http = rows[i].http,
			.grpc_status = rows[i].grpc_status,
			.grpc_content = rows[i].grpc_content,
			.host_port = rows[i].port == 4317 ? "h:4317" : "h:4318",
			.port = rows[i].port,
			.path = rows[i].path,
		};
		size_t n = ws_otlp_hint(&f, out, sizeof(out));

		CHECK_INT(n, strlen(out));
		if (!strstr(out, rows[i].want1) || !strstr(out, rows[i].want2))
			fprintf(stderr, "    row %zu: \"%s\"\n", i, out);
		CHECK(strstr(out, rows[i].want1) != NULL);
		CHECK(strstr(out, rows[i].want2) != NULL);
		CHECK(strchr(out, '\n') == NULL);
	}
}

/* Failures whose cause the failure itself says (a 503, a gRPC status) get no guess. */
TEST(failures_that_say_their_cause_get_no_hint)
{
	struct ws_otlp_fault f = { .seen = WS_OTLP_SEEN_ANSWER,
				   .http = 503,
				   .host_port = "h:4318",
				   .port = 4318,
				   .path = "/v1/traces" };
	char out[64] = "x", small[8];

	CHECK_INT(ws_otlp_hint(&f, out, sizeof(out)), 0);
	CHECK_STR(out, "");
	f = (struct ws_otlp_fault){ .grpc = true,
				    .seen = WS_OTLP_SEEN_ANSWER,
				    .http = 200,
				    .grpc_status = true,
				    .host_port = "h:4317",
				    .port = 4317,
				    .path = "" };
	CHECK_INT(ws_otlp_hint(&f, out, sizeof(out)), 0);
	f.seen = WS_OTLP_SEEN_OTHER;
	CHECK_INT(ws_otlp_hint(&f, out, sizeof(out)), 0);
	/* A broken connection to an OTLP/HTTP receiver on its own port is a network failure. */
	f = (struct ws_otlp_fault){ .seen = WS_OTLP_SEEN_HUNG_UP,
				    .host_port = "h:4318",
				    .port = 4318,
				    .path = "/v1/traces" };
	CHECK_INT(ws_otlp_hint(&f, out, sizeof(out)), 0);
	/* A hint cut to the buffer stays a string. */
	f.seen = WS_OTLP_SEEN_REFUSED;
	CHECK_INT(ws_otlp_hint(&f, small, sizeof(small)), sizeof(small) - 1);
	CHECK_STR(small, "nothing");
}

static const struct check_case cases[] = {
	CASE(export_failures_name_their_likely_cause),
	CASE(failures_that_say_their_cause_get_no_hint),
	CASE(protobuf_partial_success_is_read),
	CASE(protobuf_unknown_fields_skipped_broken_input_refused),
	CASE(json_partial_success_is_read),
	CASE(json_broken_input_is_refused),
	CASE(json_nesting_is_bounded),
	CASE(json_checker_accepts_whole_documents_only),
};

CHECK_MAIN("otlp_resp", cases)
