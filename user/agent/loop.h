/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's one event loop and the pipeline it drives: ring records go
 * to the recorder (--record) and the assembler, the spans they make to the
 * span sink at each drain's end; a timer drains the ring and sweeps idle
 * connections, signals log the counters or stop the loop, and /metrics is
 * answered between drains. main makes the parts; the loop only runs them
 * and reads their counters (one snapshot for the log line and /metrics).
 */
#ifndef WS_LOOP_H
#define WS_LOOP_H

#include <stddef.h>

#include "stats.h"

struct ws_config;
struct ws_bpf;
struct ws_assembler;
struct ws_sink;
struct ws_rec_writer;
struct ws_metrics_server;

/* The running pipeline's parts, made and freed by main. */
struct ws_pipeline {
	const struct ws_config *cfg;
	const char *plan_desc; /* the hook plan, for the ready line */
	struct ws_bpf *bpf;    /* NULL in a replay and once let go */
	struct ws_assembler *asm_;
	struct ws_sink *sink;		   /* the assembler's span callback's ctx */
	struct ws_rec_writer *rec;	   /* --record; closed here if writing fails */
	struct ws_metrics_server *metrics; /* --metrics-address; NULL: none */
};

/* The ring buffer's record callback (ws_bpf_start's sample_cb), ctx the pipeline. */
int ws_pipeline_record(void *pipeline, void *data, size_t size);
/* Takes what the ring holds; the spans it made go to the sink's queue at once. */
void ws_pipeline_drain(struct ws_pipeline *p);
/* Every stage's counters of now (no kernel part without p->bpf). */
void ws_pipeline_counters(const struct ws_pipeline *p, struct ws_counters *c);
/* The counters of now as the stats line on stderr. */
void ws_pipeline_log_stats(const struct ws_pipeline *p);
/*
 * Prints the ready line, then runs until SIGINT or SIGTERM (SIGUSR1 logs
 * the counters). Those signals are blocked and read from a signalfd. 0, or
 * -errno when the loop could not be set up or epoll failed (one line said).
 */
int ws_loop_run(struct ws_pipeline *p);

#endif /* WS_LOOP_H */
