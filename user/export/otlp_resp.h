/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A collector's answer to an export, ExportTraceServiceResponse, read from
 * the protobuf (http/protobuf, gRPC) or JSON (http/json) body: whether it
 * rejected part of the batch (partial_success). Pure and bounded: the
 * input is whatever the collector sent, so nothing in it can make these
 * read past it, recurse without limit or allocate.
 */
#ifndef WS_OTLP_RESP_H
#define WS_OTLP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ExportTracePartialSuccess: rejected_spans = 1, error_message = 2. */
struct ws_otlp_partial {
	int64_t rejected;   /* spans the collector dropped; negative values read as 0 */
	char message[256];  /* error_message, cut to fit, NUL-terminated; "" when absent */
	size_t message_len; /* bytes in message */
};

/*
 * The protobuf ExportTraceServiceResponse in p[0..len); an empty body is a
 * full success. Fills out (zeroed first). 0, or -EBADMSG.
 */
int ws_otlp_resp_pb(const uint8_t *p, size_t len, struct ws_otlp_partial *out);

/*
 * The same in the proto3 JSON mapping: {"partialSuccess": {"rejectedSpans":
 * "3", "errorMessage": "..."}}, original field names accepted too, the count
 * as a string or a number, unknown fields ignored. An empty body is a full
 * success. 0, or -EBADMSG.
 */
int ws_otlp_resp_json(const char *p, size_t len, struct ws_otlp_partial *out);

/*
 * What a failed export attempt met, as far as a likely cause goes. The
 * exporter maps its transport's errors (libcurl's) to these.
 */
enum ws_otlp_seen {
	WS_OTLP_SEEN_ANSWER,	/* an HTTP answer came: http, grpc_status, grpc_content */
	WS_OTLP_SEEN_REFUSED,	/* the connection was refused */
	WS_OTLP_SEEN_NO_HOST,	/* the host name did not resolve */
	WS_OTLP_SEEN_NOT_HTTP1, /* an HTTP/1.1 request got bytes that are no HTTP/1.x answer */
	WS_OTLP_SEEN_NOT_HTTP2, /* an HTTP/2 request met a server that does not speak it */
	WS_OTLP_SEEN_EMPTY,	/* the server closed the connection without answering */
	WS_OTLP_SEEN_HUNG_UP,	/* the connection broke while sending or before any answer */
	WS_OTLP_SEEN_NOT_TLS,	/* the TLS handshake met plain text */
	WS_OTLP_SEEN_OTHER,
};

struct ws_otlp_fault {
	bool grpc; /* the exporter speaks OTLP/gRPC, else OTLP/HTTP */
	enum ws_otlp_seen seen;
	long http;	       /* WS_OTLP_SEEN_ANSWER: the HTTP status */
	bool grpc_status;      /* the answer carried grpc-status */
	bool grpc_content;     /* the answer's Content-Type is application/grpc */
	const char *host_port; /* "host:port" of the endpoint */
	unsigned int port;     /* the endpoint's port, the scheme's default when none given */
	const char *path;      /* the endpoint's path ("/" when none) */
};

/*
 * The likely cause of a failed export and what to do, in one sentence for
 * the log line (no newline), into out. The length written, or 0 when there
 * is nothing to add to the failure's own text. Pure: wrong protocol for the
 * port (gRPC's 4317, OTLP/HTTP's 4318), nothing listening, a path without
 * /v1/traces, plain text where TLS was expected.
 */
size_t ws_otlp_hint(const struct ws_otlp_fault *f, char *out, size_t outsz);

/*
 * Whether p[0..len) is exactly one JSON value (RFC 8259, strings in valid
 * UTF-8) with only whitespace around it, nested at most 64 deep. The fuzz
 * and unit tests hold the JSON encoder to it.
 */
bool ws_json_valid(const char *p, size_t len);

#endif /* WS_OTLP_RESP_H */
