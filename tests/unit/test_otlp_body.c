/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the bytes an export puts on the wire per protocol and of the
 * reading of the answers: bodies are taken apart again (gunzip, gRPC
 * prefix) and compared with the encoders' own output; answers are built
 * the way collectors send them, hostile ones included (a gzip bomb).
 */
#include <errno.h>
#include <stdlib.h>

#include <zlib.h>

#include "check.h"
#include "grpc.h"
#include "otlp_body.h"
#include "otlp_json.h"
#include "otlp_pb.h"
#include "span.h"

static struct ws_span *span_make(uint8_t id)
{
	struct ws_span *s = ws_span_new();

	if (!s)
		abort();
	memset(s->trace_id, 0xab, sizeof(s->trace_id));
	memset(s->span_id, id, sizeof(s->span_id));
	s->kind = WS_KIND_SERVER;
	snprintf(s->name, sizeof(s->name), "GET");
	s->start_unix_ns = 1;
	s->end_unix_ns = 2;
	ws_span_add_str(s, "url.path", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", 32);
	return s;
}

/* gunzip of p[0..len) into out (cap bytes); its length, or -1. */
static long gunzip(const uint8_t *p, size_t len, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	long n = -1;

	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (inflate(&z, Z_FINISH) == Z_STREAM_END)
		n = (long)(cap - z.avail_out);
	inflateEnd(&z);
	return n;
}

static size_t gzip_to(const uint8_t *p, size_t len, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	size_t n = 0;

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END)
		n = cap - z.avail_out;
	deflateEnd(&z);
	return n;
}

/* Each protocol's body, plain and gzip, is its encoding once unwrapped. */
TEST(request_bodies_unwrap_to_the_encoding)
{
	static const enum ws_otlp_protocol protos[] = { WS_OTLP_HTTP_PROTOBUF, WS_OTLP_HTTP_JSON,
							WS_OTLP_GRPC };
	static uint8_t plain[1 << 16];
	struct ws_span *sp[4];

	for (int i = 0; i < 4; i++)
		sp[i] = span_make((uint8_t)(i + 1));
	for (size_t p = 0; p < 3; p++) {
		for (int gz = 0; gz < 2; gz++) {
			struct ws_otlp_body *b = ws_otlp_body_new(protos[p], gz);
			struct ws_buf want = WS_BUF_INIT;
			const uint8_t *data, *msg;
			size_t len, mlen;
			long n;
			bool comp;

			CHECK(b);
			if (!b)
				continue;
			if (protos[p] == WS_OTLP_HTTP_JSON)
				CHECK_INT(ws_otlp_json_encode(sp, 4, &want), 0);
			else
				CHECK_INT(ws_otlp_encode(sp, 4, &want), 0);
			/* twice: the buffers are reused */
			for (int round = 0; round < 2; round++) {
				CHECK_INT(ws_otlp_body_request(b, sp, 4, &data, &len), 0);
				msg = data;
				mlen = len;
				comp = gz;
				if (protos[p] == WS_OTLP_GRPC) {
					CHECK_INT(ws_grpc_message(data, len, &msg, &mlen, &comp),
						  0);
					CHECK_INT(mlen + WS_GRPC_PREFIX,
						  len); /* one message, whole */
					CHECK_INT(comp, gz);
				}
				if (comp) {
					n = gunzip(msg, mlen, plain, sizeof(plain));
					CHECK(n > 0 && (size_t)n == want.len &&
					      !memcmp(plain, want.data, want.len));
					CHECK(mlen < want.len); /* it did compress */
				} else {
					CHECK(mlen == want.len &&
					      !memcmp(msg, want.data, want.len));
				}
			}
			ws_buf_release(&want);
			ws_otlp_body_free(b);
		}
	}
	for (int i = 0; i < 4; i++)
		ws_span_free(sp[i]);
	CHECK_STR(ws_otlp_content_type(WS_OTLP_HTTP_PROTOBUF), "application/x-protobuf");
	CHECK_STR(ws_otlp_content_type(WS_OTLP_HTTP_JSON), "application/json");
	CHECK_STR(ws_otlp_content_type(WS_OTLP_GRPC), "application/grpc");
	errno = 0;
	CHECK(!ws_otlp_body_new((enum ws_otlp_protocol)7, false));
	CHECK_INT(errno, EINVAL);
}

/* ExportTraceServiceResponse{partial_success{rejected_spans: 2, error_message: "no"}} */
static const uint8_t partial_pb[] = { 0x0a, 0x06, 0x08, 0x02, 0x12, 0x02, 'n', 'o' };

TEST(answers_are_read_per_protocol)
{
	static const char json[] =
		"{\"partialSuccess\":{\"rejectedSpans\":\"2\",\"errorMessage\":\"no\"}}";
	struct ws_otlp_answer_info none = { 0 }, is_json = { .json = true },
				   is_pb = { .protobuf = true }, gz = { .grpc_gzip = true };
	struct ws_otlp_body *pb = ws_otlp_body_new(WS_OTLP_HTTP_PROTOBUF, false);
	struct ws_otlp_body *js = ws_otlp_body_new(WS_OTLP_HTTP_JSON, true);
	struct ws_otlp_body *gr = ws_otlp_body_new(WS_OTLP_GRPC, false);
	struct ws_otlp_partial ps;
	uint8_t framed[64], zipped[64];
	size_t zn;

	CHECK(pb && js && gr);
	if (!pb || !js || !gr)
		goto out;
	CHECK_INT(ws_otlp_body_answer(pb, partial_pb, sizeof(partial_pb), &none, &ps), 0);
	CHECK(ps.rejected == 2 && !strcmp(ps.message, "no"));
	/* http/json answers in JSON, unless its Content-Type says protobuf */
	CHECK_INT(ws_otlp_body_answer(js, (const uint8_t *)json, strlen(json), &none, &ps), 0);
	CHECK(ps.rejected == 2 && !strcmp(ps.message, "no"));
	CHECK_INT(ws_otlp_body_answer(js, partial_pb, sizeof(partial_pb), &is_pb, &ps), 0);
	CHECK(ps.rejected == 2);
	CHECK_INT(ws_otlp_body_answer(pb, (const uint8_t *)json, strlen(json), &is_json, &ps), 0);
	CHECK(ps.rejected == 2);
	CHECK_INT(ws_otlp_body_answer(js, partial_pb, sizeof(partial_pb), &none, &ps), -EBADMSG);
	/* empty bodies are full successes */
	CHECK_INT(ws_otlp_body_answer(js, NULL, 0, &none, &ps), 0);
	CHECK_INT(ws_otlp_body_answer(gr, NULL, 0, &none, &ps), 0);
	CHECK_INT(ps.rejected, 0);
	/* gRPC: the response message inside its prefix */
	ws_grpc_prefix(framed, false, sizeof(partial_pb));
	memcpy(framed + WS_GRPC_PREFIX, partial_pb, sizeof(partial_pb));
	CHECK_INT(ws_otlp_body_answer(gr, framed, WS_GRPC_PREFIX + sizeof(partial_pb), &none, &ps),
		  0);
	CHECK(ps.rejected == 2 && !strcmp(ps.message, "no"));
	CHECK_INT(ws_otlp_body_answer(gr, framed, WS_GRPC_PREFIX + 3, &none, &ps), -EBADMSG);
	/* compressed: only readable when grpc-encoding said gzip */
	zn = gzip_to(partial_pb, sizeof(partial_pb), zipped, sizeof(zipped));
	CHECK(zn > 0);
	ws_grpc_prefix(framed, true, (uint32_t)zn);
	memcpy(framed + WS_GRPC_PREFIX, zipped, zn);
	CHECK_INT(ws_otlp_body_answer(gr, framed, WS_GRPC_PREFIX + zn, &gz, &ps), 0);
	CHECK(ps.rejected == 2 && !strcmp(ps.message, "no"));
	CHECK_INT(ws_otlp_body_answer(gr, framed, WS_GRPC_PREFIX + zn, &none, &ps), -EBADMSG);
out:
	ws_otlp_body_free(pb);
	ws_otlp_body_free(js);
	ws_otlp_body_free(gr);
}

/* A gzip bomb: a small message that inflates past the answer limit is refused, not grown into. */
TEST(inflated_answers_are_bounded)
{
	static uint8_t big[WS_OTLP_ANSWER_MAX + 1024], framed[8192];
	struct ws_otlp_answer_info gz = { .grpc_gzip = true };
	struct ws_otlp_body *gr = ws_otlp_body_new(WS_OTLP_GRPC, false);
	struct ws_otlp_partial ps;
	size_t zn;

	/* partial_success whose error_message fills the rest: valid, just too big */
	big[0] = 0x0a;
	big[1] = 0xfc;
	big[2] = 0x87;
	big[3] = 0x04; /* length 66556: the rest of big */
	big[4] = 0x12;
	big[5] = 0xf8;
	big[6] = 0x87;
	big[7] = 0x04; /* 66552: the rest again */
	memset(big + 8, 'x', sizeof(big) - 8);
	zn = gzip_to(big, sizeof(big), framed + WS_GRPC_PREFIX, sizeof(framed) - WS_GRPC_PREFIX);
	CHECK(zn > 0 && zn < 1024);
	ws_grpc_prefix(framed, true, (uint32_t)zn);
	CHECK(gr);
	if (gr)
		CHECK_INT(ws_otlp_body_answer(gr, framed, WS_GRPC_PREFIX + zn, &gz, &ps), -EBADMSG);
	/* the same message uncompressed reads fine: only its size was refused */
	CHECK_INT(ws_otlp_resp_pb(big, sizeof(big), &ps), 0);
	CHECK_INT(ps.message_len, sizeof(ps.message) - 1);
	ws_otlp_body_free(gr);
}

static const struct check_case cases[] = {
	CASE(request_bodies_unwrap_to_the_encoding),
	CASE(answers_are_read_per_protocol),
	CASE(inflated_answers_are_bounded),
};

CHECK_MAIN("otlp_body", cases)
