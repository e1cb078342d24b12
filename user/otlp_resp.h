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
	int64_t rejected;	/* spans the collector dropped; negative values read as 0 */
	char message[256];	/* error_message, cut to fit, NUL-terminated; "" when absent */
	size_t message_len;	/* bytes in message */
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
 * Whether p[0..len) is exactly one JSON value (RFC 8259, strings in valid
 * UTF-8) with only whitespace around it, nested at most 64 deep. The fuzz
 * and unit tests hold the JSON encoder to it.
 */
bool ws_json_valid(const char *p, size_t len);

#endif /* WS_OTLP_RESP_H */
