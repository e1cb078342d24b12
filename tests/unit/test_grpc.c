/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the gRPC pieces of the OTLP/gRPC exporter: which status codes
 * are retried (the OTLP specification's table), the HTTP fallback mapping,
 * message framing, grpc-message decoding and RetryInfo in
 * grpc-status-details-bin. Status details are built here byte by byte from
 * google/rpc/status.proto and error_details.proto.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "grpc.h"

TEST(retryable_codes_follow_the_otlp_table)
{
	/* grpc code -> retryable without RetryInfo, with it */
	static const struct {
		int code;
		bool plain, with_info;
	} rows[] = {
		{ WS_GRPC_OK, false, false },
		{ WS_GRPC_CANCELLED, true, true },
		{ WS_GRPC_UNKNOWN, false, false },
		{ WS_GRPC_INVALID_ARGUMENT, false, false },
		{ WS_GRPC_DEADLINE_EXCEEDED, true, true },
		{ WS_GRPC_NOT_FOUND, false, false },
		{ WS_GRPC_ALREADY_EXISTS, false, false },
		{ WS_GRPC_PERMISSION_DENIED, false, false },
		{ WS_GRPC_RESOURCE_EXHAUSTED, false, true },
		{ WS_GRPC_FAILED_PRECONDITION, false, false },
		{ WS_GRPC_ABORTED, true, true },
		{ WS_GRPC_OUT_OF_RANGE, true, true },
		{ WS_GRPC_UNIMPLEMENTED, false, false },
		{ WS_GRPC_INTERNAL, false, false },
		{ WS_GRPC_UNAVAILABLE, true, true },
		{ WS_GRPC_DATA_LOSS, true, true },
		{ WS_GRPC_UNAUTHENTICATED, false, false },
		{ 17, false, false },
		{ -1, false, false },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CHECK_INT(ws_grpc_retryable(rows[i].code, false), rows[i].plain);
		CHECK_INT(ws_grpc_retryable(rows[i].code, true), rows[i].with_info);
	}
	CHECK_STR(ws_grpc_code_name(WS_GRPC_RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
	CHECK_STR(ws_grpc_code_name(WS_GRPC_UNAUTHENTICATED), "UNAUTHENTICATED");
	CHECK_STR(ws_grpc_code_name(99), "code");
}

/* A proxy's answer without grpc-status: gRPC's HTTP mapping, 200 included (UNKNOWN). */
TEST(http_status_without_grpc_status_is_mapped)
{
	static const struct {
		long http;
		int code;
	} rows[] = {
		{ 400, WS_GRPC_INTERNAL },	    { 401, WS_GRPC_UNAUTHENTICATED },
		{ 403, WS_GRPC_PERMISSION_DENIED }, { 404, WS_GRPC_UNIMPLEMENTED },
		{ 429, WS_GRPC_UNAVAILABLE },	    { 431, WS_GRPC_INTERNAL },
		{ 502, WS_GRPC_UNAVAILABLE },	    { 503, WS_GRPC_UNAVAILABLE },
		{ 504, WS_GRPC_UNAVAILABLE },	    { 200, WS_GRPC_UNKNOWN },
		{ 500, WS_GRPC_UNKNOWN },	    { 302, WS_GRPC_UNKNOWN },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(ws_grpc_code_from_http(rows[i].http), rows[i].code);
}

TEST(messages_are_framed_and_unframed)
{
	uint8_t buf[16] = { 0 };
	const uint8_t *msg;
	size_t len;
	bool comp;

	ws_grpc_prefix(buf, true, 0x01020304);
	CHECK(buf[0] == 1 && buf[1] == 1 && buf[2] == 2 && buf[3] == 3 && buf[4] == 4);
	ws_grpc_prefix(buf, false, 3);
	memcpy(buf + 5, "abcXX", 5); /* a second message may follow: only the first is read */
	CHECK_INT(ws_grpc_message(buf, 10, &msg, &len, &comp), 0);
	CHECK_INT(len, 3);
	CHECK(!comp && msg == buf + 5);
	CHECK_INT(ws_grpc_message(buf, 7, &msg, &len, &comp), -EBADMSG); /* cut */
	CHECK_INT(ws_grpc_message(buf, 4, &msg, &len, &comp), -EBADMSG);
	CHECK_INT(ws_grpc_message(buf, 0, &msg, &len, &comp), -ENODATA);
	buf[0] = 2;
	CHECK_INT(ws_grpc_message(buf, 10, &msg, &len, &comp), -EBADMSG);
	/* a length near 4 GiB must not wrap */
	ws_grpc_prefix(buf, false, 0xffffffff);
	CHECK_INT(ws_grpc_message(buf, 16, &msg, &len, &comp), -EBADMSG);
}

TEST(grpc_message_is_percent_decoded)
{
	static const struct {
		const char *in, *out;
		size_t outsz;
	} rows[] = {
		{ "caf%C3%A9 down 100%25", "caf\xc3\xa9 down 100%", 64 },
		{ "50%", "50%", 64 },
		{ "%zz%4", "%zz%4", 64 },
		{ "%41%42%43", "AB", 3 },
		{ "", "", 64 },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = ws_grpc_pct_decode(rows[i].in, strlen(rows[i].in), out, rows[i].outsz);

		CHECK_STR(out, rows[i].out);
		CHECK_INT(n, strlen(rows[i].out));
	}
}

/* A protobuf writer just big enough for google.rpc.Status and its details. */
struct pbw {
	uint8_t b[512];
	size_t n;
};

static void w_varint(struct pbw *w, uint64_t v)
{
	do {
		w->b[w->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

static void w_bytes(struct pbw *w, uint32_t field, const void *p, size_t len)
{
	w_varint(w, field << 3 | 2);
	w_varint(w, len);
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

static void b64(const uint8_t *in, size_t len, char *out, bool pad)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = a[(v >> 6) & 63];
		out[o++] = a[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = a[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
}

/*
 * Status{code, message, details: [Any{type_url, RetryInfo{Duration{secs, nanos}}}]},
 * base64; secs < 0 leaves retry_delay out.
 */
static void status_b64(const char *type_url, int64_t secs, int32_t nanos, bool pad, char *out)
{
	struct pbw dur = { 0 }, info = { 0 }, any = { 0 }, st = { 0 };

	if (secs >= 0) {
		w_varint(&dur, 1 << 3);
		w_varint(&dur, (uint64_t)secs);
		w_varint(&dur, 2 << 3);
		w_varint(&dur, (uint64_t)(int64_t)nanos);
		w_bytes(&info, 1, dur.b, dur.n);
	}
	w_bytes(&any, 1, type_url, strlen(type_url));
	w_bytes(&any, 2, info.b, info.n);
	w_varint(&st, 1 << 3);
	w_varint(&st, 8);
	w_bytes(&st, 2, "slow down", 9);
	w_bytes(&st, 3, any.b, any.n);
	b64(st.b, st.n, out, pad);
}

TEST(retry_info_is_found_in_status_details)
{
	char s[1024];
	long ms = -1;

	status_b64("type.googleapis.com/google.rpc.RetryInfo", 5, 500000000, true, s);
	CHECK_INT(ws_grpc_retry_info(s, strlen(s), &ms), 1);
	CHECK_INT(ms, 5500);
	status_b64("type.googleapis.com/google.rpc.RetryInfo", 2, 0, false, s);
	ms = -1;
	CHECK_INT(ws_grpc_retry_info(s, strlen(s), &ms), 1);
	CHECK_INT(ms, 2000);
	/* RetryInfo without a delay: recovery is possible, the backoff decides */
	status_b64("type.googleapis.com/google.rpc.RetryInfo", -1, 0, true, s);
	ms = -1;
	CHECK_INT(ws_grpc_retry_info(s, strlen(s), &ms), 1);
	CHECK_INT(ms, 0);
	/* a negative duration is no wait at all */
	status_b64("type.googleapis.com/google.rpc.RetryInfo", 1, -5, true, s);
	CHECK_INT(ws_grpc_retry_info(s, strlen(s), &ms), 1);
	CHECK_INT(ms, 0);
	/* a year is capped at a day */
	status_b64("type.googleapis.com/google.rpc.RetryInfo", 365L * 86400, 0, true, s);
	CHECK_INT(ws_grpc_retry_info(s, strlen(s), &ms), 1);
	CHECK_INT(ms, 86400000L);
	/* other details are not RetryInfo */
	status_b64("type.googleapis.com/google.rpc.QuotaFailure", 5, 0, true, s);
	CHECK_INT(ws_grpc_retry_info(s, strlen(s), &ms), 0);
	status_b64("RetryInfo", 5, 0, true, s);
	CHECK_INT(ws_grpc_retry_info(s, strlen(s), &ms), 0);
	/* repeated headers joined by ',': the first one counts */
	status_b64("type.googleapis.com/google.rpc.RetryInfo", 1, 0, false, s);
	strcat(s, ",garbage");
	CHECK_INT(ws_grpc_retry_info(s, strlen(s), &ms), 1);
	CHECK_INT(ms, 1000);
}

TEST(broken_status_details_are_refused)
{
	static char s[8192];
	long ms;

	CHECK_INT(ws_grpc_retry_info("", 0, &ms), -EBADMSG);
	CHECK_INT(ws_grpc_retry_info("!!!!", 4, &ms), -EBADMSG);
	CHECK_INT(ws_grpc_retry_info("A", 1, &ms), -EBADMSG);	 /* six bits cannot end base64 */
	CHECK_INT(ws_grpc_retry_info("GgM=", 4, &ms), -EBADMSG); /* details field cut */
	status_b64("type.googleapis.com/google.rpc.RetryInfo", 5, 0, true, s);
	CHECK_INT(ws_grpc_retry_info(s, strlen(s) - 8, &ms), -EBADMSG);
	/* bigger than anything RetryInfo needs: not decoded at all */
	memset(s, 'A', 6000);
	CHECK_INT(ws_grpc_retry_info(s, 6000, &ms), -EBADMSG);
}

static const struct check_case cases[] = {
	CASE(retryable_codes_follow_the_otlp_table),
	CASE(http_status_without_grpc_status_is_mapped),
	CASE(messages_are_framed_and_unframed),
	CASE(grpc_message_is_percent_decoded),
	CASE(retry_info_is_found_in_status_details),
	CASE(broken_status_details_are_refused),
};

CHECK_MAIN("grpc", cases)
