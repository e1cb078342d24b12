/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The parts of gRPC over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md) an OTLP/gRPC
 * exporter needs besides the HTTP/2 itself, which libcurl does: message
 * framing, status codes and which of them OTLP retries, grpc-message
 * decoding and the RetryInfo a server may put in grpc-status-details-bin.
 * Pure functions over bounded input: what they read comes from the network.
 */
#ifndef WS_GRPC_H
#define WS_GRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The OTLP trace service's one method, the request path on any collector. */
#define WS_GRPC_TRACE_EXPORT_PATH "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

/* Status codes (grpc/doc/statuscodes.md). */
enum ws_grpc_code {
	WS_GRPC_OK = 0,
	WS_GRPC_CANCELLED = 1,
	WS_GRPC_UNKNOWN = 2,
	WS_GRPC_INVALID_ARGUMENT = 3,
	WS_GRPC_DEADLINE_EXCEEDED = 4,
	WS_GRPC_NOT_FOUND = 5,
	WS_GRPC_ALREADY_EXISTS = 6,
	WS_GRPC_PERMISSION_DENIED = 7,
	WS_GRPC_RESOURCE_EXHAUSTED = 8,
	WS_GRPC_FAILED_PRECONDITION = 9,
	WS_GRPC_ABORTED = 10,
	WS_GRPC_OUT_OF_RANGE = 11,
	WS_GRPC_UNIMPLEMENTED = 12,
	WS_GRPC_INTERNAL = 13,
	WS_GRPC_UNAVAILABLE = 14,
	WS_GRPC_DATA_LOSS = 15,
	WS_GRPC_UNAUTHENTICATED = 16,
};

/* Length-Prefixed-Message header: compressed flag, then the length, big-endian. */
#define WS_GRPC_PREFIX 5

/* "UNAVAILABLE"; "code N" numbers beyond the table are not named. */
const char *ws_grpc_code_name(int code);

/*
 * The OTLP exporter's table: CANCELLED, DEADLINE_EXCEEDED, ABORTED,
 * OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are retried; RESOURCE_EXHAUSTED
 * only when the server sent RetryInfo (recovery is possible); nothing else.
 */
bool ws_grpc_retryable(int code, bool retry_info);

/*
 * The status of an answer that carries none (a proxy's error page): gRPC's
 * HTTP-to-gRPC mapping (doc/http-grpc-status-mapping.md).
 */
int ws_grpc_code_from_http(long http_status);

void ws_grpc_prefix(uint8_t out[WS_GRPC_PREFIX], bool compressed, uint32_t len);

/*
 * The first message of a response body p[0..len): *msg, *msg_len and its
 * compressed flag. 0, -ENODATA for an empty body, -EBADMSG when it is cut
 * or the flag is neither 0 nor 1.
 */
int ws_grpc_message(const uint8_t *p, size_t len, const uint8_t **msg, size_t *msg_len,
		    bool *compressed);

/*
 * grpc-message: percent-decoded into out (NUL-terminated, cut to outsz - 1).
 * A '%' not followed by two hex digits is kept as it is, as the spec allows.
 * Returns the decoded length.
 */
size_t ws_grpc_pct_decode(const char *in, size_t len, char *out, size_t outsz);

/*
 * grpc-status-details-bin: a base64 (padded or not) google.rpc.Status.
 * 1 when its details hold a google.rpc.RetryInfo, with the delay in *delay_ms
 * (capped at a day); 0 when they do not; -EBADMSG when it does not decode.
 */
int ws_grpc_retry_info(const char *b64, size_t len, long *delay_ms);

#endif /* WS_GRPC_H */
