/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Batch span processor, as the OpenTelemetry SDK's: a bounded queue filled by
 * the capture loop (never blocking it) and drained by one export thread. A
 * batch the collector could not take yet (down, restarting, busy) is held and
 * offered again before anything newer, so an outage loses only what does not
 * fit in the queue, and that is counted.
 */
#ifndef WS_BATCH_H
#define WS_BATCH_H

#include <stddef.h>
#include <stdint.h>

struct ws_exporter;
struct ws_span;

struct ws_batch_opts {
	size_t max_queue;	/* OTEL_BSP_MAX_QUEUE_SIZE, default 2048 */
	size_t max_batch;	/* OTEL_BSP_MAX_EXPORT_BATCH_SIZE, default 512 */
	long schedule_delay_ms; /* OTEL_BSP_SCHEDULE_DELAY, default 5000 */
	long export_timeout_ms; /* OTEL_BSP_EXPORT_TIMEOUT, default 30000: bounds the final flush */
	long max_hold_ms;	/* a held batch is given up after this long; default 300000 */
};

struct ws_batch_stats {
	uint64_t queued;	/* spans accepted into the queue */
	uint64_t dropped_full;	/* spans dropped: queue full */
	uint64_t exported;	/* spans delivered and accepted by the receiver */
	uint64_t export_failed; /* spans not delivered: refused, given up, or left at shutdown */
	uint64_t rejected; /* spans delivered, then rejected by the receiver (partial success) */
	uint64_t retried;  /* exports of a held batch, again */
};

struct ws_batch;

/* Starts the export thread. The batch owns exp and shuts it down. NULL + errno. */
struct ws_batch *ws_batch_new(const struct ws_batch_opts *opts, struct ws_exporter *exp);
/* Takes ownership of s. Never blocks: a full queue frees s and counts it. */
void ws_batch_add(struct ws_batch *b, struct ws_span *s);
/*
 * The same for n spans (NULL entries skipped) under one lock: the capture
 * loop hands over what one drain of the ring made. The array's entries are
 * consumed (set to NULL or freed).
 */
void ws_batch_add_many(struct ws_batch *b, struct ws_span **s, size_t n);
/* Exports everything queued now, waiting at most timeout_ms. 0 or -ETIMEDOUT. */
int ws_batch_flush(struct ws_batch *b, long timeout_ms);
void ws_batch_stats(struct ws_batch *b, struct ws_batch_stats *out);
/*
 * Flushes (bounded by export_timeout_ms; an export running then is let
 * finish), stops the thread, and drops what is left, counted as
 * export_failed. Stats stay readable; spans added later are counted the
 * same way. Idempotent; NULL is a no-op.
 */
void ws_batch_shutdown(struct ws_batch *b);
/* Shuts down if that was not done, shuts the exporter down, frees all. NULL is a no-op. */
void ws_batch_free(struct ws_batch *b);

#endif /* WS_BATCH_H */
