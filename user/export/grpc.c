/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* gRPC framing, status and error details (see grpc.h). */
#include <errno.h>
#include <string.h>

#include "grpc.h"
#include "httpchars.h"
#include "pbwire.h"

/* A grpc-status-details-bin bigger than this is not read: RetryInfo takes a few dozen bytes. */
#define DETAILS_MAX 4096
#define DAY_MS 86400000L

const char *ws_grpc_code_name(int code)
{
	static const char *const names[] = {
		"OK",
		"CANCELLED",
		"UNKNOWN",
		"INVALID_ARGUMENT",
		"DEADLINE_EXCEEDED",
		"NOT_FOUND",
		"ALREADY_EXISTS",
		"PERMISSION_DENIED",
		"RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION",
		"ABORTED",
		"OUT_OF_RANGE",
		"UNIMPLEMENTED",
		"INTERNAL",
		"UNAVAILABLE",
		"DATA_LOSS",
		"UNAUTHENTICATED",
	};

	if (code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0]))
		return "code";
	return names[code];
}

bool ws_grpc_retryable(int code, bool retry_info)
{
	switch (code) {
	case WS_GRPC_CANCELLED:
	case WS_GRPC_DEADLINE_EXCEEDED:
	case WS_GRPC_ABORTED:
	case WS_GRPC_OUT_OF_RANGE:
	case WS_GRPC_UNAVAILABLE:
	case WS_GRPC_DATA_LOSS:
		return true;
	case WS_GRPC_RESOURCE_EXHAUSTED:
		return retry_info;
	default:
		return false;
	}
}

int ws_grpc_code_from_http(long http_status)
{
	switch (http_status) {
	case 400:
	case 431:
		return WS_GRPC_INTERNAL;
	case 401:
		return WS_GRPC_UNAUTHENTICATED;
	case 403:
		return WS_GRPC_PERMISSION_DENIED;
	case 404:
		return WS_GRPC_UNIMPLEMENTED;
	case 429:
	case 502:
	case 503:
	case 504:
		return WS_GRPC_UNAVAILABLE;
	default:
		/* 200 too: a true OK carries grpc-status. */
		return WS_GRPC_UNKNOWN;
	}
}

void ws_grpc_prefix(uint8_t out[WS_GRPC_PREFIX], bool compressed, uint32_t len)
{
	out[0] = compressed ? 1 : 0;
	out[1] = (uint8_t)(len >> 24);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
}

int ws_grpc_message(const uint8_t *p, size_t len, const uint8_t **msg, size_t *msg_len,
		    bool *compressed)
{
	uint32_t n;

	if (!len)
		return -ENODATA;
	if (len < WS_GRPC_PREFIX || p[0] > 1)
		return -EBADMSG;
	n = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	if (n > len - WS_GRPC_PREFIX)
		return -EBADMSG;
	*compressed = p[0];
	*msg = p + WS_GRPC_PREFIX;
	*msg_len = n;
	return 0;
}

size_t ws_grpc_pct_decode(const char *in, size_t len, char *out, size_t outsz)
{
	size_t i = 0, o = 0;
	int c;

	if (!outsz)
		return 0;
	while (o < outsz - 1 && (c = ws_pct_next(in, len, &i)) >= 0)
		out[o++] = (char)c;
	out[o] = '\0';
	return o;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* RFC 4648 base64, padding optional; -EBADMSG on anything else. Bytes out, or the error. */
static long b64_decode(const char *in, size_t len, uint8_t *out, size_t outsz)
{
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	while (len && in[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++) {
		int v = b64val(in[i]);

		if (v < 0)
			return -EBADMSG;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outsz)
				return -EBADMSG;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Six leftover bits cannot end a base64 text. */
	return bits >= 6 ? -EBADMSG : (long)o;
}

/* google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1; } */
static int retry_delay(const uint8_t *p, size_t len, long *delay_ms)
{
	struct ws_pb_reader r = { p, p + len }, d;
	struct ws_pb_field f, g;
	int64_t secs = 0, nanos = 0;
	int rc;

	while ((rc = ws_pb_next(&r, &f)) == 1) {
		if (f.num != 1 || f.type != WS_PB_LEN)
			continue;
		d = (struct ws_pb_reader){ f.data, f.data + f.len };
		while ((rc = ws_pb_next(&d, &g)) == 1) {
			if (g.num == 1 && g.type == WS_PB_VARINT)
				secs = (int64_t)g.v;
			else if (g.num == 2 && g.type == WS_PB_VARINT)
				nanos = (int32_t)g.v;
		}
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (secs < 0 || nanos < 0)
		*delay_ms = 0;
	else if (secs >= DAY_MS / 1000)
		*delay_ms = DAY_MS;
	else
		*delay_ms = (long)(secs * 1000 + nanos / 1000000);
	return 0;
}

/* google.protobuf.Any { string type_url = 1; bytes value = 2; } */
static int any_retry_info(const uint8_t *p, size_t len, long *delay_ms)
{
	static const char want[] = "/google.rpc.RetryInfo";
	struct ws_pb_reader r = { p, p + len };
	const uint8_t *val = NULL;
	size_t vlen = 0, wl = sizeof(want) - 1;
	bool is_retry = false;
	struct ws_pb_field f;
	int rc;

	while ((rc = ws_pb_next(&r, &f)) == 1) {
		if (f.num == 1 && f.type == WS_PB_LEN)
			is_retry = f.len >= wl && !memcmp(f.data + f.len - wl, want, wl);
		else if (f.num == 2 && f.type == WS_PB_LEN) {
			val = f.data;
			vlen = f.len;
		}
	}
	if (rc)
		return rc;
	if (!is_retry)
		return 0;
	if (!val) { /* no delay given: retry on the backoff */
		*delay_ms = 0;
		return 1;
	}
	return retry_delay(val, vlen, delay_ms) ? -EBADMSG : 1;
}

int ws_grpc_retry_info(const char *b64, size_t len, long *delay_ms)
{
	uint8_t buf[DETAILS_MAX];
	struct ws_pb_reader r;
	struct ws_pb_field f;
	const char *comma;
	long n;
	int rc, found = 0;

	if (!b64 || !len)
		return -EBADMSG;
	/* Repeated headers arrive joined by ",": the first value is the status. */
	comma = memchr(b64, ',', len);
	if (comma)
		len = (size_t)(comma - b64);
	n = b64_decode(b64, len, buf, sizeof(buf));
	if (n < 0)
		return -EBADMSG;
	/* google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3; } */
	r = (struct ws_pb_reader){ buf, buf + n };
	while ((rc = ws_pb_next(&r, &f)) == 1) {
		if (f.num != 3 || f.type != WS_PB_LEN || found)
			continue;
		found = any_retry_info(f.data, f.len, delay_ms);
		if (found < 0)
			return -EBADMSG;
	}
	return rc ? -EBADMSG : found;
}
