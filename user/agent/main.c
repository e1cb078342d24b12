// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wirespan, wired: parse -> probe and plan -> exporter and span sink ->
 * assembler -> load and attach -> the event loop -> drain, flush, exit; or,
 * with --replay, the same sink and assembler fed from a file. Each stage is
 * its own module; this file only makes them, connects them and frees them.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "assemble.h"
#include "bpf_load.h"
#include "config.h"
#include "exporter.h"
#include "loop.h"
#include "metrics.h"
#include "probe.h"
#include "recfile.h"
#include "replay.h"
#include "selcheck.h"
#include "sink.h"

struct agent {
	struct ws_config cfg;
	struct ws_plan plan;
	struct ws_pipeline p; /* what the loop drives: bpf, assembler, sink, recorder, /metrics */
	struct ws_export_counters export_counters; /* the exporter's failures, by kind */
	/*
	 * A secret of this run, sent as X-Wirespan-Agent with every export:
	 * the assembler makes no span of a request that carries it, wherever
	 * the collector runs (a header, not an address: NAT and containers
	 * hide addresses, and a guessable value would let any program hide).
	 */
	char agent_token[33];
	char export_headers[sizeof(((struct ws_config *)0)->otlp_headers) + 64];
};

/* 32 hex digits from the kernel's random pool; "" if it has none to give. */
static void make_agent_token(char out[33])
{
	unsigned char r[16];

	out[0] = '\0';
	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

/* bpf_ktime_get_ns() is CLOCK_MONOTONIC: the offset turns record times into Unix time. */
static int64_t mono_to_unix_ns(void)
{
	struct timespec rt, mo;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mo);
	return ((int64_t)rt.tv_sec - mo.tv_sec) * 1000000000ll + (rt.tv_nsec - mo.tv_nsec);
}

/* A partner turned degraded or recovered: its one log line. */
static void log_partner(void *ctx, const struct ws_peer_transition *t)
{
	char line[512];

	(void)ctx;
	ws_peer_transition_line(t, line, sizeof(line));
	fputs(line, stderr);
}

/* The exporter the options name, behind the span sink (a replay's exports on its thread). */
static int make_sink(struct agent *a)
{
	struct ws_sink_opts so = { .counters = &a->export_counters,
				   .sampler = &a->cfg.sampler,
				   .peers = &a->cfg.partner_health };
	struct ws_tail_opts to = a->cfg.tail_opts;
	struct ws_otlp_http_opts o = { 0 };
	struct ws_exporter *e = NULL;

	a->cfg.partner_health.on_transition = log_partner;
	if (a->cfg.tail) {
		/* Trace ids come from the wire: the tables' hash is keyed. */
		if (getrandom(&to.seed, sizeof(to.seed), GRND_NONBLOCK) != sizeof(to.seed))
			to.seed = (uint64_t)mono_to_unix_ns() ^ (uint64_t)getpid() << 32;
		so.tail = &to;
	}
	if (!a->cfg.replay)
		so.batch = &a->cfg.batch;
	switch (a->cfg.exporter) {
	case WS_EXP_NONE:
		break;
	case WS_EXP_CONSOLE:
		e = ws_console_exporter_new(stdout);
		break;
	case WS_EXP_OTLP:
		o.protocol = a->cfg.otlp_protocol;
		o.endpoint = a->cfg.endpoint;
		o.timeout_ms = a->cfg.export_timeout_ms;
		o.gzip = a->cfg.otlp_gzip;
		snprintf(a->export_headers, sizeof(a->export_headers), "%s%s%s%s",
			 a->cfg.otlp_headers, a->agent_token[0] ? "X-Wirespan-Agent: " : "",
			 a->agent_token, a->agent_token[0] ? "\n" : "");
		o.headers = a->export_headers;
		o.counters = &a->export_counters;
		o.ca_file = a->cfg.otlp_tls.ca.path;
		o.client_cert = a->cfg.otlp_tls.cert.path;
		o.client_key = a->cfg.otlp_tls.key.path;
		e = ws_otlp_http_exporter_new(&o);
		break;
	case WS_EXP_DISCARD:
		e = ws_discard_exporter_new(a->cfg.otlp_protocol, a->cfg.otlp_gzip);
		break;
	default:
		return -EINVAL;
	}
	if (!e && a->cfg.exporter != WS_EXP_NONE)
		return -errno;
	so.exp = e;
	a->p.sink = ws_sink_new(&so);
	return a->p.sink ? 0 : -errno;
}

/* The file's records through the sink; no kernel side, no /proc. */
static int run_replay(struct agent *a, struct ws_assembler_opts *aopts)
{
	int ret = make_sink(a);

	if (ret) {
		fprintf(stderr, "wirespan: starting the exporter failed: %s\n", strerror(-ret));
		return 1;
	}
	ret = ws_replay(&a->p, aopts);
	ws_assembler_free(a->p.asm_);
	ws_sink_free(a->p.sink);
	return ret ? 1 : 0;
}

/* --record's last word: how many records the file got, or that writing it failed. */
static void close_record(struct agent *a)
{
	unsigned long long n = ws_recw_count(a->p.rec);

	if (ws_recw_close(a->p.rec))
		fprintf(stderr, "wirespan: --record %s: writing failed\n", a->cfg.record);
	else
		fprintf(stderr, "wirespan: recorded %llu records to %s\n", n, a->cfg.record);
	a->p.rec = NULL;
}

int main(int argc, char **argv)
{
	struct ws_assembler_opts aopts = { .proc_root = "/proc" };
	struct ws_features feat;
	struct agent a = { 0 };
	char err[512];
	int ret;

	/*
	 * Spans are freed in batches: without this, glibc gives the top of the heap
	 * back after each batch and page-faults it in again for the next one.
	 */
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	mallopt(M_TOP_PAD, 4 << 20);
	ret = ws_config_parse(&a.cfg, argc, argv, env_get, stdout, stderr);
	if (ret)
		return ret == WS_CONFIG_EXIT_OK ? 0 : 2;
	a.p.cfg = &a.cfg;
	aopts.partners = &a.cfg.partners;
	aopts.baggage = &a.cfg.baggage;
	aopts.baggage_keys = a.cfg.baggage_keys;
	aopts.resource_attrs = &a.cfg.resource_attrs;
	aopts.webhooks = &a.cfg.webhooks;
	make_agent_token(a.agent_token);
	aopts.agent_token = a.agent_token;
	/* The root's head-sampling decision in its trace flags, for its children here. */
	aopts.root_flags = ws_sampler_root_flags;
	aopts.root_ctx = &a.cfg.sampler;
	libbpf_set_print(a.cfg.verbose ? libbpf_log : NULL);
	if (a.cfg.replay)
		return run_replay(&a, &aopts);

	ws_probe_features(&feat);
	if (ws_choose_hooks(&feat, &a.cfg, &a.plan)) {
		fprintf(stderr, "wirespan: %s\n", a.plan.desc);
		return 1;
	}
	a.p.plan_desc = a.plan.desc;
	ret = make_sink(&a);
	if (ret) {
		fprintf(stderr, "wirespan: starting the %s exporter failed: %s\n",
			a.cfg.exporter == WS_EXP_OTLP ? "OTLP" : "console", strerror(-ret));
		return 1;
	}
	aopts.mono_to_unix_ns = mono_to_unix_ns();
	/* Kernel hints go straight to the capture stage; the handle comes after the assembler. */
	aopts.go_process = ws_bpf_hint_go_process;
	aopts.skip_body = ws_bpf_hint_skip;
	aopts.hint_ctx = &a.p.bpf;
	a.p.asm_ = ws_assembler_new(&aopts, ws_sink_span, a.p.sink);
	if (!a.p.asm_) {
		fprintf(stderr, "wirespan: %s\n", strerror(errno));
		ret = -errno;
		goto cleanup;
	}
	if (a.cfg.metrics_address) {
		a.p.metrics = ws_metrics_listen(a.cfg.metrics_address, err, sizeof(err));
		if (!a.p.metrics) {
			fprintf(stderr, "wirespan: %s\n", err);
			ret = -1;
			goto cleanup;
		}
	}
	if (a.cfg.record) {
		a.p.rec = ws_recw_open(a.cfg.record, aopts.mono_to_unix_ns);
		if (!a.p.rec) {
			/* EEXIST: a file or a link is there; the writer never replaces either. */
			fprintf(stderr, "wirespan: --record %s: %s\n", a.cfg.record,
				errno == EEXIST ? "exists; remove it or choose another name"
						: strerror(errno));
			ret = -1;
			goto cleanup;
		}
	}
	a.p.bpf = ws_bpf_start(&a.cfg, &a.plan, ws_pipeline_record, &a.p, err, sizeof(err));
	if (!a.p.bpf) {
		fprintf(stderr, "wirespan: %s\n", err);
		ret = -1;
		goto cleanup;
	}
	/* Selectors that match nothing running: a warning each, then on (processes may come). */
	ws_selcheck_warn(&a.cfg, "/proc", stderr);
	ret = ws_loop_run(&a.p);
	/*
	 * Take what the ring still holds, flush the exporter within its bound,
	 * then report: what could not go out by then is in the counters too.
	 */
	ws_pipeline_drain(&a.p);
	ws_sink_shutdown(a.p.sink);
	ws_pipeline_log_stats(&a.p);
	if (a.p.rec)
		close_record(&a);
cleanup:
	ws_recw_close(a.p.rec);
	ws_metrics_close(a.p.metrics);
	ws_bpf_free(a.p.bpf);
	a.p.bpf = NULL; /* the assembler's hints, when it lets its connections go, see none */
	ws_assembler_free(a.p.asm_);
	ws_sink_free(a.p.sink);
	return ret ? 1 : 0;
}
