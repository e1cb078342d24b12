/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The span sink: where the assembler's finished spans go, live or replayed.
 * It stages the spans one drain of the ring makes and hands them on at the
 * drain's end, under one lock, to the batch processor (a live run), or
 * exports them on the caller's thread (a replay, which has no loop to keep
 * responsive and must not drop). Either way it counts them under the same
 * names (struct ws_batch_stats): queued, dropped_queue_full, exported,
 * rejected, export_failed, and not_exported when there is no exporter.
 */
#ifndef WS_SINK_H
#define WS_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "exporter.h"
#include "peers.h"
#include "sampler.h"
#include "tail.h"

struct ws_span;
struct ws_sink;

/* Spans handed to the export queue under one lock: one drain's worth, mostly. */
#define WS_SINK_STAGE 64
/* Spans per export call without the queue (replay): the OTLP default batch. */
#define WS_SINK_SYNC_BATCH 512

struct ws_sink_opts {
	/* Where spans go; NULL (--exporter none): freed, counted as not_exported. */
	struct ws_exporter *exp;
	/*
	 * Export on the batch processor's thread behind its bounded queue (a
	 * live run); NULL: on the caller's thread, WS_SINK_SYNC_BATCH spans at
	 * a time, each export's outcome counted as the batch thread counts it
	 * (a failed one is not held for a retry).
	 */
	const struct ws_batch_opts *batch;
	/* The exporter's failure counters (its opts' counters); NULL: none. */
	const struct ws_export_counters *counters;
	/*
	 * Head sampling, once per span before it is staged (copied): a dropped
	 * span is freed there, never encoded; a kept one carries the decision.
	 * NULL: every span goes on untouched.
	 */
	const struct ws_sampler *sampler;
	/*
	 * Degraded partners: every span is observed (at its end time) before
	 * its sampling decision. NULL: not tracked.
	 */
	const struct ws_peers_opts *peers;
	/*
	 * Tail rules for the spans the sampler drops (with a sampler only;
	 * copied, keep and ctx set here): they wait in the sink, by their end
	 * times and ws_sink_tick()'s clock. NULL: a dropped span is freed.
	 */
	const struct ws_tail_opts *tail;
};

/*
 * Takes exp in every case (shut down on failure too). NULL + errno (the
 * batch thread could not start, no memory).
 */
struct ws_sink *ws_sink_new(const struct ws_sink_opts *opts);
/* A ws_span_cb: the assembler's span callback with the sink as ctx. Takes s. */
void ws_sink_span(void *sink, struct ws_span *s);
/* The end of a drain: what is staged goes on now (queued or exported). */
void ws_sink_hand_over(struct ws_sink *k);
/*
 * The clock moves to now_unix_ns (the spans' clock; it never goes back):
 * the tail rules drop the traces whose wait ended. No-op without them.
 */
void ws_sink_tick(struct ws_sink *k, uint64_t now_unix_ns);
/*
 * Drops what the tail rules hold (counted as waited), hands over what is
 * staged and flushes: live, within the batch's export
 * timeout, then its thread stops (ws_batch_shutdown); without the queue, at
 * once. Counters stay readable. NULL is a no-op.
 */
void ws_sink_shutdown(struct ws_sink *k);
/*
 * The export counters of now: spans by outcome, the exporter's failures (a
 * held batch offered again counts as a retry too) and the spans made with no
 * exporter to take them.
 */
void ws_sink_stats(struct ws_sink *k, struct ws_batch_stats *spans,
		   struct ws_export_counters *exporter, uint64_t *not_exported);
/* Spans kept and dropped by the sampler, by reason (enum ws_sample_reason). */
void ws_sink_sample_stats(const struct ws_sink *k, uint64_t out[WS_SAMPLE__COUNT]);
/* The degraded-partner tracker, for /metrics and the tail sampler's rule; NULL: none. */
const struct ws_peers *ws_sink_peers(const struct ws_sink *k);
/* The tail rules' counters (enum ws_tail_reason) and the spans held now; zeros without them. */
void ws_sink_tail_stats(const struct ws_sink *k, uint64_t out[WS_TAIL__COUNT], uint64_t *held);
/* Shuts down if that was not done, then frees the batch and the exporter. NULL: no-op. */
void ws_sink_free(struct ws_sink *k);

#endif /* WS_SINK_H */
