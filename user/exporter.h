/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Span exporters plug in behind the batch processor the same way: console,
 * OTLP (http/protobuf, http/json, grpc), and the tests' own. export() is
 * called from the batch thread only, never from the capture loop, and may
 * block up to its timeout.
 */
#ifndef WS_EXPORTER_H
#define WS_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ws_span;

struct ws_exporter {
	/* Exports n spans; returns 0, or -errno when the batch was not delivered. Spans stay owned by the caller. */
	int (*export)(struct ws_exporter *e, struct ws_span *const *spans, size_t n);
	/* Releases everything; the exporter is unusable after. */
	void (*shutdown)(struct ws_exporter *e);
	/*
	 * Spans the receiver took in delivered batches but rejected (OTLP
	 * partial success) since the last call; called after export() on the
	 * same thread. NULL: this exporter never has any.
	 */
	uint64_t (*take_rejected)(struct ws_exporter *e);
	const char *name;
};

/* One readable line per span on out (stdout by default). */
struct ws_exporter *ws_console_exporter_new(FILE *out);

/* OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL. */
enum ws_otlp_protocol {
	WS_OTLP_HTTP_PROTOBUF = 0, /* http/protobuf, the default */
	WS_OTLP_HTTP_JSON,	   /* http/json */
	WS_OTLP_GRPC,		   /* grpc */
};

struct ws_otlp_http_opts {
	enum ws_otlp_protocol protocol;
	/*
	 * http/protobuf, http/json: the full URL, e.g. http://localhost:4318/v1/traces;
	 * grpc: the collector's, e.g. http://localhost:4317 (a path there is ignored:
	 * the method has its own).
	 */
	const char *endpoint;
	long timeout_ms;      /* per request; default 10000 */
	int gzip;	      /* compress (Content-Encoding: gzip; grpc: grpc-encoding) */
	const char *headers;  /* extra request headers, "Name: value\n" lines (grpc: metadata) */
};
/*
 * OTLP with libcurl: protobuf (application/x-protobuf) or JSON bodies POSTed
 * over HTTP/1.1 or 2, or gRPC over HTTP/2. NULL + errno on error.
 */
struct ws_exporter *ws_otlp_http_exporter_new(const struct ws_otlp_http_opts *opts);

/*
 * Makes every batch's request body as the OTLP exporter would (protocol,
 * gzip) and drops it: the pipeline's cost without a network (replay,
 * benchmarks).
 */
struct ws_exporter *ws_discard_exporter_new(enum ws_otlp_protocol proto, bool gzip);

#endif /* WS_EXPORTER_H */
