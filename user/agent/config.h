/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's configuration: command line, OTEL_* and WIRESPAN_* variables
 * -> struct ws_config. Pure but for reading the TLS files it is given (the
 * environment comes through a lookup function), so every rule is unit-tested.
 */
#ifndef WS_CONFIG_H
#define WS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "baggage.h"
#include "batch.h"
#include "exporter.h"
#include "otlp_tls.h"
#include "partners.h"
#include "resattrs.h"
#include "peers.h"
#include "sampler.h"
#include "tail.h"
#include "webhooks.h"

#define WS_MAX_PIDS 1024
#define WS_MAX_SEL_CGROUPS 8
#define WS_MAX_COMMS 64

enum ws_capture { WS_CAPTURE_AUTO = 0, WS_CAPTURE_SOCKET, WS_CAPTURE_SYSCALLS };
enum ws_exporter_kind { WS_EXP_CONSOLE = 0, WS_EXP_OTLP, WS_EXP_NONE, WS_EXP_DISCARD };

/* Benchmarks' references: what the hooks and the least capture cost, without tracing. */
enum ws_floor {
	WS_FLOOR_OFF = 0,
	WS_FLOOR_RETURN = 1, /* --floor: every hook attached, its program returns at once */
	/* --floor-copy: socket I/O selected, copied, put in the ring; no spans */
	WS_FLOOR_COPY = 2,
};

struct ws_config {
	uint32_t pids[WS_MAX_PIDS];
	size_t npids;
	const char *cgroups[WS_MAX_SEL_CGROUPS];
	size_t ncgroups;
	char comms[WS_MAX_COMMS][16];
	const char
		*comm_names[WS_MAX_COMMS]; /* the same, as given (argv): for the start's warnings */
	size_t ncomms;
	enum ws_capture capture;
	uint32_t capture_bytes; /* payload copied per I/O */
	uint32_t ringbuf_bytes; /* ring buffer size, a power of two */
	enum ws_exporter_kind exporter;
	char endpoint[1024];		     /* OTLP traces URL (grpc: the collector's) */
	enum ws_otlp_protocol otlp_protocol; /* OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL */
	long export_timeout_ms;
	int otlp_gzip;		 /* OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION=gzip */
	char otlp_headers[2048]; /* OTEL_EXPORTER_OTLP_[TRACES_]HEADERS as "Name: value\n" lines */
	struct ws_otlp_tls
		otlp_tls; /* CA, client certificate and key; checked when exporting OTLP */
	struct ws_batch_opts batch;
	long stats_interval_s;	     /* log counters every N s; 0: only on SIGUSR1 and exit */
	const char *metrics_address; /* --metrics-address host:port: Prometheus /metrics */
	int verbose;
	int trace_self;	    /* tests only: let the agent's own process be selected */
	const char *record; /* --record: also write every ring buffer record here */
	const char *replay; /* --replay: no BPF, records from this file */
	int floor;	    /* enum ws_floor: benchmarks' reference programs instead of tracing */
	int no_goroutines;  /* --no-goroutines: Go programs get no goroutine ids, no uprobes */
	struct ws_partners partners;	 /* --partner, --request-id-headers */
	struct ws_baggage_allow baggage; /* --baggage-keys: nothing by default */
	struct ws_res_attrs
		resource_attrs; /* OTEL_RESOURCE_ATTRIBUTES: under every process's own */
	char baggage_keys[WS_BAGGAGE_MAX_KEYS][64]; /* the same keys, NUL-terminated */
	struct ws_webhooks webhooks; /* --webhook: routes whose body carries a context */
	const char *sampler_name;    /* OTEL_TRACES_SAMPLER, --sampler; NULL: always_on */
	const char *sampler_arg;     /* OTEL_TRACES_SAMPLER_ARG, --sampler-arg */
	struct ws_sampler sampler;   /* the two, made one at the end of the parse */
	/* --partner-window, --partner-error-rate, ...: degraded partners; 0: the defaults */
	struct ws_peers_opts partner_health;
	int tail_mode;	   /* enum ws_tail_mode: --sampling-tail */
	long tail_slow_ms; /* WIRESPAN_SAMPLING_SLOW_MS; 0: no slow rule */
	long tail_wait_ms; /* WIRESPAN_SAMPLING_DECISION_WAIT */
	uint32_t tail_max_traces, tail_max_spans, tail_max_decided;
	int tail;		       /* the tail rules run: the mode and the sampler, resolved */
	struct ws_tail_opts tail_opts; /* the settings above; seed and callback not set */
};

/* --sampling-tail: auto runs the tail rules when the sampler can drop a span. */
enum ws_tail_mode { WS_TAIL_AUTO = 0, WS_TAIL_ON, WS_TAIL_OFF };

typedef const char *(*ws_getenv_fn)(const char *name);

enum { WS_CONFIG_RUN = 0, WS_CONFIG_EXIT_OK = 1 };

/*
 * Fills c from argv and the environment. Returns WS_CONFIG_RUN, WS_CONFIG_EXIT_OK
 * after printing --help or --version to out, or -EINVAL after printing one
 * line naming the bad value to err.
 */
int ws_config_parse(struct ws_config *c, int argc, char **argv, ws_getenv_fn env, FILE *out,
		    FILE *err);

#endif /* WS_CONFIG_H */
