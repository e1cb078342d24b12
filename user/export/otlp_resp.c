/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reads partial_success from a collector's ExportTraceServiceResponse. The
 * protobuf side walks the wire format (pbwire.h); the JSON side, on the
 * scanner in json.h, decodes only the two fields it wants and skips, but
 * still checks (UTF-8 included), everything else. ws_otlp_hint() names the
 * likely cause of an export that got no usable answer at all.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "otlp_resp.h"
#include "pbwire.h"

/* Containers nested in the document below its own; deeper is refused: an answer needs 2. */
#define JSON_MAX_DEPTH WS_JSON_MAX_DEPTH

static void set_message(struct ws_otlp_partial *out, const uint8_t *p, size_t len)
{
	size_t n = len < sizeof(out->message) - 1 ? len : sizeof(out->message) - 1;

	memcpy(out->message, p, n);
	out->message[n] = '\0';
	out->message_len = n;
}

static int partial_pb(const uint8_t *p, size_t len, struct ws_otlp_partial *out)
{
	struct ws_pb_reader r = { p, p + len };
	struct ws_pb_field f;
	int rc;

	while ((rc = ws_pb_next(&r, &f)) == 1) {
		if (f.num == 1 && f.type == WS_PB_VARINT)
			out->rejected = (int64_t)f.v; /* int64: two's complement in ten bytes */
		else if (f.num == 2 && f.type == WS_PB_LEN)
			set_message(out, f.data, f.len);
		else if (f.num == 1 || f.num == 2)
			return -EBADMSG; /* a known field of the wrong type */
	}
	return rc;
}

int ws_otlp_resp_pb(const uint8_t *p, size_t len, struct ws_otlp_partial *out)
{
	struct ws_pb_reader r = { p, p + (p ? len : 0) };
	struct ws_pb_field f;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!len)
		return 0;
	while ((rc = ws_pb_next(&r, &f)) == 1) {
		if (f.num != 1)
			continue;
		/* An embedded message given twice merges, as protobuf parsers do. */
		if (f.type != WS_PB_LEN || partial_pb(f.data, f.len, out))
			return -EBADMSG;
	}
	if (out->rejected < 0)
		out->rejected = 0;
	return rc;
}

bool ws_json_valid(const char *p, size_t len)
{
	struct ws_json j;

	if (!p)
		return false;
	ws_json_init(&j, p, len, true);
	/* The document is one more level than what nests in it. */
	return !ws_json_skip(&j, JSON_MAX_DEPTH + 1) && ws_json_peek(&j) == -ENODATA;
}

/* The next member's key into key[] (cut keys never match a field name); its value follows. */
static int next_member(struct ws_json *j, bool *first, char *key, size_t keysz)
{
	size_t n;
	int rc = ws_json_member(j, first, key, keysz - 1, &n);

	if (rc <= 0)
		return rc ? -EBADMSG : 0;
	key[n < keysz - 1 ? n : keysz - 1] = '\0';
	return ws_json_peek(j) < 0 ? -EBADMSG : 1;
}

static bool is_key(const char *key, const char *camel, const char *orig)
{
	return !strcmp(key, camel) || !strcmp(key, orig);
}

/* int64 in the JSON mapping: a number, or a string holding one. */
static int int64_value(struct ws_json *j, int64_t *out)
{
	struct ws_json inner;
	bool is_int;
	char buf[32];
	size_t n;

	if (j->p[j->pos] != '"')
		return ws_json_number(j, out, &is_int) || !is_int ? -EBADMSG : 0;
	if (ws_json_string(j, buf, sizeof(buf) - 1, &n) || n >= sizeof(buf) - 1)
		return -EBADMSG;
	ws_json_init(&inner, buf, n, true);
	if (ws_json_number(&inner, out, &is_int) || inner.pos != inner.len || !is_int)
		return -EBADMSG;
	return 0;
}

static int partial_json(struct ws_json *j, struct ws_otlp_partial *out)
{
	bool first = true;
	char key[32];
	int rc;

	if (ws_json_null(j))
		return 0;
	if (j->p[j->pos++] != '{')
		return -EBADMSG;
	while ((rc = next_member(j, &first, key, sizeof(key))) == 1) {
		size_t n;

		if (ws_json_null(j))
			continue; /* null is the field's default */
		if (is_key(key, "rejectedSpans", "rejected_spans")) {
			if (int64_value(j, &out->rejected))
				return -EBADMSG;
		} else if (is_key(key, "errorMessage", "error_message")) {
			if (ws_json_string(j, out->message, sizeof(out->message) - 1, &n))
				return -EBADMSG;
			out->message_len = n < sizeof(out->message) - 1 ? n
									: sizeof(out->message) - 1;
			out->message[out->message_len] = '\0';
		} else if (ws_json_skip(j, JSON_MAX_DEPTH - 1)) {
			return -EBADMSG; /* inside the document and partialSuccess */
		}
	}
	return rc;
}

int ws_otlp_resp_json(const char *p, size_t len, struct ws_otlp_partial *out)
{
	struct ws_json j;
	bool first = true;
	char key[32];
	int rc;

	memset(out, 0, sizeof(*out));
	ws_json_init(&j, p, len, true);
	rc = ws_json_peek(&j);
	if (rc == -ENODATA)
		return 0;
	if (rc != '{')
		return -EBADMSG;
	j.pos++;
	while ((rc = next_member(&j, &first, key, sizeof(key))) == 1) {
		if (is_key(key, "partialSuccess", "partial_success")) {
			if (partial_json(&j, out))
				return -EBADMSG;
		} else if (ws_json_skip(&j, JSON_MAX_DEPTH)) {
			return -EBADMSG; /* inside the document */
		}
	}
	if (rc || ws_json_peek(&j) != -ENODATA)
		return -EBADMSG;
	if (out->rejected < 0)
		out->rejected = 0;
	return 0;
}

/* The ports the OTLP specification gives collectors. */
#define OTLP_GRPC_PORT 4317
#define OTLP_HTTP_PORT 4318
#define TRACES_PATH "/v1/traces"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* An OTLP/HTTP exporter met a gRPC (HTTP/2-only) server, or an answer that looks like one. */
static size_t grpc_server(const struct ws_otlp_fault *f, char *out, size_t outsz)
{
	return snprintf(out, outsz,
			"%s speaks HTTP/2 only, as a gRPC collector (port %d) does: for gRPC "
			"set OTEL_EXPORTER_OTLP_PROTOCOL=grpc, for OTLP/HTTP use the "
			"collector's port %d",
			f->host_port, OTLP_GRPC_PORT, OTLP_HTTP_PORT);
}

/* A gRPC exporter met an HTTP/1.x server: likely an OTLP/HTTP receiver. */
static size_t http_server(const struct ws_otlp_fault *f, char *out, size_t outsz)
{
	return snprintf(out, outsz,
			"%s does not speak gRPC over HTTP/2, as an OTLP/HTTP receiver (port %d) "
			"does not: for it set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, for gRPC "
			"use the collector's port %d",
			f->host_port, OTLP_HTTP_PORT, OTLP_GRPC_PORT);
}

static size_t answer_hint(const struct ws_otlp_fault *f, char *out, size_t outsz)
{
	if (f->grpc) {
		/* A gRPC server always sends grpc-status; a plain HTTP server never does. */
		if (f->grpc_status || f->grpc_content)
			return 0;
		return http_server(f, out, outsz);
	}
	if (f->grpc_status || f->grpc_content)
		return grpc_server(f, out, outsz);
	switch (f->http) {
	case 404:
	case 405:
		if (!ends_with(f->path, TRACES_PATH))
			return snprintf(out, outsz,
					"the endpoint's path %s is not %s: an endpoint in "
					"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or --endpoint is used "
					"as is and needs it (OTEL_EXPORTER_OTLP_ENDPOINT gets it "
					"added)",
					f->path, TRACES_PATH);
		return snprintf(out, outsz,
				"%s serves no OTLP traces at %s: is the endpoint's host, port "
				"(%d for OTLP/HTTP) and path right?",
				f->host_port, f->path, OTLP_HTTP_PORT);
	case 415:
		return snprintf(out, outsz,
				"%s does not take this content type: is it an OTLP/HTTP receiver, "
				"and does it take OTEL_EXPORTER_OTLP_PROTOCOL's encoding "
				"(http/protobuf, http/json)?",
				f->host_port);
	case 401:
	case 403:
		return snprintf(out, outsz,
				"the collector refused the request's credentials: check "
				"OTEL_EXPORTER_OTLP_HEADERS (or _TRACES_HEADERS)");
	default:
		return 0;
	}
}

size_t ws_otlp_hint(const struct ws_otlp_fault *f, char *out, size_t outsz)
{
	int n = 0;

	if (!outsz)
		return 0;
	out[0] = '\0';
	switch (f->seen) {
	case WS_OTLP_SEEN_ANSWER:
		n = answer_hint(f, out, outsz);
		break;
	case WS_OTLP_SEEN_REFUSED:
		n = snprintf(out, outsz,
			     "nothing listens at %s; is the collector running, is the port right "
			     "(%d for OTLP/HTTP, %d for gRPC)?",
			     f->host_port, OTLP_HTTP_PORT, OTLP_GRPC_PORT);
		break;
	case WS_OTLP_SEEN_NO_HOST:
		n = snprintf(out, outsz, "the host of %s does not resolve: is the endpoint right?",
			     f->host_port);
		break;
	case WS_OTLP_SEEN_NOT_HTTP1:
		n = f->grpc ? http_server(f, out, outsz) : grpc_server(f, out, outsz);
		break;
	case WS_OTLP_SEEN_NOT_HTTP2:
		n = f->grpc ? http_server(f, out, outsz) : 0;
		break;
	case WS_OTLP_SEEN_EMPTY:
		/*
		 * A server that hangs up on the first request without a word:
		 * an HTTP/1.1 server given HTTP/2's preface, or a gRPC server
		 * given HTTP/1.1 (on its port, say so; elsewhere it is a guess).
		 */
		if (f->grpc)
			n = http_server(f, out, outsz);
		else if (f->port == OTLP_GRPC_PORT)
			n = grpc_server(f, out, outsz);
		else
			n = snprintf(out, outsz,
				     "%s closed the connection without an answer: is it an "
				     "OTLP/HTTP receiver (port %d)? a gRPC collector (port %d) "
				     "wants OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
				     f->host_port, OTLP_HTTP_PORT, OTLP_GRPC_PORT);
		break;
	case WS_OTLP_SEEN_HUNG_UP:
		/*
		 * Also what a collector that crashed does: said as a question,
		 * and for OTLP/HTTP only on gRPC's own port.
		 */
		if (f->grpc)
			n = snprintf(
				out, outsz,
				"%s broke the connection before answering, as a server that "
				"does not speak HTTP/2 does: is it an OTLP/HTTP receiver (port "
				"%d)? for it set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf, for "
				"gRPC use the collector's port %d",
				f->host_port, OTLP_HTTP_PORT, OTLP_GRPC_PORT);
		else if (f->port == OTLP_GRPC_PORT)
			n = grpc_server(f, out, outsz);
		break;
	case WS_OTLP_SEEN_NOT_TLS:
		n = snprintf(out, outsz,
			     "%s answers in plain text, not TLS: use an http:// endpoint, or the "
			     "collector's TLS port",
			     f->host_port);
		break;
	default:
		break;
	}
	if (n < 0) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n < outsz ? (size_t)n : outsz - 1;
}
