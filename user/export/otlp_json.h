/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * OTLP/JSON encoding of finished spans: the body of an http/json POST to
 * /v1/traces. The same request as ws_otlp_encode() builds, in the proto3
 * JSON mapping with OTLP's deviations: trace and span ids as hex strings,
 * enums as integers, lowerCamelCase keys, 64-bit integers as decimal
 * strings, fields at their default value left out.
 */
#ifndef WS_OTLP_JSON_H
#define WS_OTLP_JSON_H

#include <stddef.h>

#include "otlp_pb.h"

struct ws_span;

/*
 * Replaces out->data[0..len) with one ExportTraceServiceRequest as JSON
 * holding the n spans ("{}" when n is 0), spans grouped into one
 * ResourceSpans per resource in order of first appearance. Strings are
 * JSON-escaped; bytes that are not UTF-8, and NUL, go out as U+FFFD as in
 * the protobuf encoding. Only bytes a span says are in use (strbuf_used) are
 * read. out->scratch is used for the grouping. 0, or -ENOMEM with out->len 0.
 */
int ws_otlp_json_encode(struct ws_span *const *spans, size_t n, struct ws_buf *out);

#endif /* WS_OTLP_JSON_H */
