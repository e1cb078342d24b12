// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Export encoding alone: spans per CPU second to make the OTLP request body
 * of a batch (user/export/otlp_body.c, what the exporter sends) for each protocol,
 * with and without gzip, on batches of spans shaped like the assembler's.
 * The baseline, measured in the same run on the same batch, is protobuf-c
 * packing an already built message tree of the same request: the cheapest a
 * protobuf-c encoder can be, before building its tree. One JSON line per
 * variant on stdout, for bench/run.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#include "exporter.h"
#include "otlp_body.h"
#include "otlp_pb.h"
#include "resource.h"
#include "span.h"

#define BATCH 512

static struct ws_resource res = {
	.refs = 1 << 30, /* never freed: every span holds it */
	.pid = 4242,
	.service_name = "checkout",
	.exe_name = "python3.11",
	.exe_path = "/usr/bin/python3.11",
	.host_name = "node-1",
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void add(struct ws_span *s, const char *k, const char *v)
{
	ws_span_add_str(s, k, v, strlen(v));
}

/* What the assembler makes of a keep-alive GET to a small service, with varying values. */
static struct ws_span *span_like_assembled(unsigned int i)
{
	struct ws_span *s = ws_span_new();
	char path[64], peer[32], ua[64];

	if (!s)
		abort();
	for (int b = 0; b < 16; b++)
		s->trace_id[b] = (uint8_t)(i * 7 + b * 13);
	for (int b = 0; b < 8; b++)
		s->span_id[b] = (uint8_t)(i * 11 + b);
	if (i % 3)
		memcpy(s->parent_span_id, s->trace_id, 8);
	s->trace_flags = 1;
	s->kind = i % 4 ? WS_KIND_SERVER : WS_KIND_CLIENT;
	s->status = i % 50 ? WS_STATUS_UNSET : WS_STATUS_ERROR;
	strcpy(s->name, "GET");
	s->start_unix_ns = 1764000000000000000ULL + i * 1000003ULL;
	s->end_unix_ns = s->start_unix_ns + 250000 + i % 977;
	s->exec.id = 4243;
	s->res = &res;
	snprintf(path, sizeof(path), "/api/v1/carts/%u/items", i % 10000);
	snprintf(peer, sizeof(peer), "10.0.%u.%u", i % 7, i % 251);
	snprintf(ua, sizeof(ua), "python-requests/2.%u.0", i % 32);
	add(s, "http.request.method", "GET");
	add(s, "url.path", path);
	add(s, "url.query", "page=REDACTED");
	add(s, "url.scheme", "http");
	add(s, "network.protocol.version", "1.1");
	add(s, "server.address", "checkout.internal");
	ws_span_add_int(s, "server.port", 8080);
	add(s, "client.address", peer);
	ws_span_add_int(s, "client.port", 40000 + i % 20000);
	add(s, "network.peer.address", peer);
	add(s, "user_agent.original", ua);
	ws_span_add_int(s, "http.response.status_code", s->status ? 503 : 200);
	ws_span_add_int(s, "http.response.body.size", 1200 + i % 300);
	return ws_span_shrink(s);
}

/* Makes bodies of the batch for at least min_s CPU seconds; spans per CPU second. */
static double run_body(enum ws_otlp_protocol proto, int gzip, struct ws_span **batch, double min_s,
		       size_t *body_len)
{
	struct ws_otlp_body *b = ws_otlp_body_new(proto, gzip);
	double t0, t;
	unsigned long n = 0;

	if (!b)
		abort();
	t0 = cpu_now();
	do {
		const uint8_t *data;

		for (int r = 0; r < 20; r++, n++)
			if (ws_otlp_body_request(b, batch, BATCH, &data, body_len))
				abort();
		t = cpu_now() - t0;
	} while (t < min_s);
	ws_otlp_body_free(b);
	return n * (double)BATCH / t;
}

/* protobuf-c packing the decoded tree of the same request. */
static double run_protobuf_c(struct ws_span **batch, double min_s, size_t *len)
{
	struct ws_buf buf = WS_BUF_INIT;
	Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest *req;
	uint8_t *out;
	unsigned long n = 0;
	double t0, t;

	if (ws_otlp_encode(batch, BATCH, &buf))
		abort();
	req = opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
		NULL, buf.len, buf.data);
	out = malloc(buf.len);
	if (!req || !out)
		abort();
	t0 = cpu_now();
	do {
		for (int r = 0; r < 20; r++, n++)
			*len = protobuf_c_message_pack(&req->base, out);
		t = cpu_now() - t0;
	} while (t < min_s);
	protobuf_c_message_free_unpacked(&req->base, NULL);
	free(out);
	ws_buf_release(&buf);
	return n * (double)BATCH / t;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum ws_otlp_protocol proto;
		int gzip;
	} variants[] = {
		{ "http/protobuf", WS_OTLP_HTTP_PROTOBUF, 0 },
		{ "http/protobuf+gzip", WS_OTLP_HTTP_PROTOBUF, 1 },
		{ "http/json", WS_OTLP_HTTP_JSON, 0 },
		{ "http/json+gzip", WS_OTLP_HTTP_JSON, 1 },
		{ "grpc+gzip", WS_OTLP_GRPC, 1 },
	};
	double min_s = argc > 1 ? atof(argv[1]) : 1.0;
	struct ws_span *batch[BATCH];
	double base;
	size_t len;

	if (min_s <= 0 || min_s > 600) {
		fprintf(stderr, "usage: encode_bench [CPU-SECONDS-PER-VARIANT (default 1)]\n");
		return 2;
	}
	for (unsigned int i = 0; i < BATCH; i++)
		batch[i] = span_like_assembled(i);
	base = run_protobuf_c(batch, min_s, &len);
	printf("{\"variant\": \"protobuf-c pack (baseline)\", \"spans_per_cpu_s\": %.0f, "
	       "\"bytes_per_span\": %.1f, \"batch\": %d}\n",
	       base, (double)len / BATCH, BATCH);
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		double sps = run_body(variants[v].proto, variants[v].gzip, batch, min_s, &len);

		printf("{\"variant\": \"%s\", \"spans_per_cpu_s\": %.0f, \"bytes_per_span\": %.1f, "
		       "\"batch\": %d, \"vs_baseline\": %.3f}\n",
		       variants[v].name, sps, (double)len / BATCH, BATCH, sps / base);
	}
	for (unsigned int i = 0; i < BATCH; i++) {
		batch[i]->res = NULL;
		ws_span_free(batch[i]);
	}
	return 0;
}
