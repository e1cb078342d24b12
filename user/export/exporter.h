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

/* Why an export attempt failed; names in WS_EXPORT_ERR_NAMES, in order. */
enum ws_export_err {
	WS_EXPORT_ERR_CONNECT = 0,    /* the collector could not be resolved or reached */
	WS_EXPORT_ERR_TIMEOUT,	      /* no answer within the export timeout */
	WS_EXPORT_ERR_NETWORK,	      /* the connection broke while sending or receiving */
	WS_EXPORT_ERR_TLS,	      /* handshake, certificate or key problem */
	WS_EXPORT_ERR_HTTP_RETRYABLE, /* 429, 502, 503, 504 */
	WS_EXPORT_ERR_HTTP_REJECTED,  /* any other non-2xx answer: the batch is dropped */
	WS_EXPORT_ERR_ENCODING,	      /* the request could not be built */
	WS_EXPORT_ERR_OTHER,
	WS_EXPORT_ERR__COUNT,
};
#define WS_EXPORT_ERR_NAMES                                                                        \
	{                                                                                          \
		"connect", "timeout", "network", "tls", "http_retryable", "http_rejected",         \
			"encoding", "other"                                                        \
	}

/*
 * What the exporters report about themselves, written by the export thread
 * and read by the capture loop for logs and metrics: relaxed atomics.
 */
struct ws_export_counters {
	uint64_t errors[WS_EXPORT_ERR__COUNT]; /* failed attempts, by kind */
	uint64_t retries;		       /* attempts that repeat a failed one */
	uint64_t refused; /* spans in batches the collector refused (not retryable) */
};

static inline void ws_export_count(uint64_t *counter, uint64_t n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

static inline void ws_export_counters_read(const struct ws_export_counters *c,
					   struct ws_export_counters *out)
{
	for (int i = 0; i < WS_EXPORT_ERR__COUNT; i++)
		out->errors[i] = __atomic_load_n(&c->errors[i], __ATOMIC_RELAXED);
	out->retries = __atomic_load_n(&c->retries, __ATOMIC_RELAXED);
	out->refused = __atomic_load_n(&c->refused, __ATOMIC_RELAXED);
}

struct ws_exporter {
	/*
	 * Exports n spans; returns 0, or -errno when the batch was not
	 * delivered: -ETIMEDOUT when the collector could not be reached or was
	 * busy until the export timeout (the same batch may be offered again
	 * later), anything else when it never will be (refused, unencodable).
	 * Spans stay owned by the caller.
	 */
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
	long timeout_ms;     /* per request; default 10000 */
	int gzip;	     /* compress (Content-Encoding: gzip; grpc: grpc-encoding) */
	const char *headers; /* extra request headers, "Name: value\n" lines (grpc: metadata) */
	struct ws_export_counters *counters; /* failures counted here; NULL: not counted */
	/* TLS files, PEM, checked by config; NULL: the system's trust store, no mTLS */
	const char *ca_file;	 /* trusted CA certificates, instead of the system's */
	const char *client_cert; /* mTLS client certificate, with client_key */
	const char *client_key;
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
