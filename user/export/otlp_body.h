/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The bytes of an OTLP export per protocol, with no network: the request
 * body (protobuf or JSON, gzip when asked, one gRPC length-prefixed message
 * for grpc) and the reading of the answer's body (unframed, inflated,
 * partial_success read). The exporter (exp_otlp_http.c) moves them over
 * HTTP; keeping them apart lets the tests check every byte on its own.
 */
#ifndef WS_OTLP_BODY_H
#define WS_OTLP_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exporter.h"
#include "otlp_resp.h"

struct ws_span;
struct ws_otlp_body;

/* Answers bigger than this are not kept: a collector's answer is a few bytes. */
#define WS_OTLP_ANSWER_MAX (64 * 1024)

/* Buffers and compression state, kept between batches; NULL with errno. */
struct ws_otlp_body *ws_otlp_body_new(enum ws_otlp_protocol proto, bool gzip);
void ws_otlp_body_free(struct ws_otlp_body *b); /* NULL is a no-op */

/* "application/x-protobuf", "application/json" or "application/grpc". */
const char *ws_otlp_content_type(enum ws_otlp_protocol proto);

/*
 * Encodes n spans into the request body; *data and *len stay valid until the
 * next call. 0, -ENOMEM, -EIO (compression), -EMSGSIZE (a gRPC message
 * longer than its 32-bit length).
 */
int ws_otlp_body_request(struct ws_otlp_body *b, struct ws_span *const *spans, size_t n,
			 const uint8_t **data, size_t *len);

/* What the answer's headers said about its body. */
struct ws_otlp_answer_info {
	bool json;	/* Content-Type application/json (http/json answers) */
	bool protobuf;	/* Content-Type application/x-protobuf */
	bool grpc_gzip; /* grpc-encoding: gzip */
};

/*
 * Reads a successful answer's body p[0..len) into out: the
 * ExportTraceServiceResponse, in JSON when the answer says so (or, saying
 * nothing, when the protocol is http/json), in a gRPC message for grpc
 * (inflated, within WS_OTLP_ANSWER_MAX, when compressed). An empty body is
 * a full success. 0, or -EBADMSG for anything that cannot be read.
 */
int ws_otlp_body_answer(struct ws_otlp_body *b, const uint8_t *p, size_t len,
			const struct ws_otlp_answer_info *info, struct ws_otlp_partial *out);

#endif /* WS_OTLP_BODY_H */
