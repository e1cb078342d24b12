// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The span sink (see sink.h): a small array of staged spans in front of
 * either the batch processor or a synchronous export. Staging is why a busy
 * drain costs one lock of the export queue per WS_SINK_STAGE spans, not one
 * per span; the synchronous path exists for replay, which runs on one thread
 * as fast as it goes and would only overflow a queue. Both count spans with
 * the batch processor's struct and meanings, so a replay's stats line reads
 * as a live run's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"
#include "span.h"

struct ws_sink {
	struct ws_batch *batch;			   /* live: owns the exporter */
	struct ws_exporter *exp;		   /* without the queue (replay); NULL: none */
	const struct ws_export_counters *counters; /* the exporter's own */
	struct ws_batch_stats st;		   /* without the queue: counted here */
	uint64_t not_exported;
	struct ws_sampler sampler;
	bool sampling;
	uint64_t sampled[WS_SAMPLE__COUNT]; /* by reason; read on the sink's own thread */
	struct ws_peers *peers;		    /* degraded partners; NULL: not tracked */
	struct ws_tail *tail;		    /* NULL: the sampler's drops are freed at once */
	uint64_t now_ns;		    /* the tail rules' clock: never goes back */
	size_t n, cap;
	struct ws_span *staged[];
};

static void stage(void *sink, struct ws_span *s);

/* The tail rules' degraded-partner rule: a span to a partner degraded now keeps its trace. */
static bool peer_degraded(const void *peers, const struct ws_span *s)
{
	return ws_peers_span_degraded(peers, s);
}

struct ws_sink *ws_sink_new(const struct ws_sink_opts *o)
{
	size_t cap = o->batch ? WS_SINK_STAGE : WS_SINK_SYNC_BATCH;
	struct ws_sink *k;
	int err;

	k = calloc(1, sizeof(*k) + cap * sizeof(k->staged[0]));
	if (!k) {
		err = ENOMEM;
		goto fail;
	}
	k->cap = cap;
	k->counters = o->counters;
	if (o->sampler) {
		k->sampler = *o->sampler;
		k->sampling = true;
	}
	if (o->peers && !(k->peers = ws_peers_new(o->peers))) {
		err = errno;
		free(k);
		goto fail;
	}
	if (o->sampler && o->tail) {
		struct ws_tail_opts to = *o->tail;

		to.keep = stage;
		to.ctx = k;
		to.degraded = k->peers ? peer_degraded : NULL;
		to.degraded_ctx = k->peers;
		k->tail = ws_tail_new(&to);
		if (!k->tail) {
			err = errno;
			ws_peers_free(k->peers);
			free(k);
			goto fail;
		}
	}
	if (o->exp && o->batch) {
		k->batch = ws_batch_new(o->batch, o->exp);
		if (!k->batch) {
			err = errno;
			ws_peers_free(k->peers);
			ws_tail_free(k->tail);
			free(k);
			goto fail;
		}
	} else {
		k->exp = o->exp;
	}
	return k;
fail:
	if (o->exp)
		o->exp->shutdown(o->exp);
	errno = err;
	return NULL;
}

/* Exports the staged spans here and now, counted as the batch thread counts an export. */
static void export_staged(struct ws_sink *k)
{
	struct ws_exporter *e = k->exp;
	uint64_t rejected;

	k->st.queued += k->n;
	if (e->export(e, k->staged, k->n)) {
		k->st.export_failed += k->n;
	} else {
		rejected = e->take_rejected ? e->take_rejected(e) : 0;
		if (rejected > k->n)
			rejected = k->n;
		k->st.exported += k->n - rejected;
		k->st.rejected += rejected;
	}
	for (size_t i = 0; i < k->n; i++)
		ws_span_free(k->staged[i]);
}

void ws_sink_hand_over(struct ws_sink *k)
{
	if (!k->n)
		return;
	if (k->batch)
		ws_batch_add_many(k->batch, k->staged, k->n);
	else
		export_staged(k);
	k->n = 0;
}

void ws_sink_tick(struct ws_sink *k, uint64_t now_unix_ns)
{
	if (now_unix_ns > k->now_ns)
		k->now_ns = now_unix_ns;
	if (k->tail)
		ws_tail_tick(k->tail, k->now_ns);
}

/* A span the sampler dropped: freed, never encoded, or held for the tail rules. */
static void dropped(struct ws_sink *k, struct ws_span *s)
{
	if (!k->tail) {
		ws_span_free(s);
		return;
	}
	/* The span's end: a clock a replay has too (the live loop's ticks add the wall's). */
	if (s->end_unix_ns > k->now_ns)
		k->now_ns = s->end_unix_ns;
	ws_tail_offer(k->tail, s, k->now_ns);
}

void ws_sink_span(void *sink, struct ws_span *s)
{
	struct ws_sink *k = sink;
	struct ws_sample_decision d;

	ws_peers_observe(k->peers, s, s->end_unix_ns);
	if (k->sampling) {
		d = ws_sampler_decide(&k->sampler, s);
		k->sampled[d.reason]++;
		if (!d.keep) {
			dropped(k, s);
			return;
		}
		s = ws_sample_mark(&k->sampler, &d, s);
	}
	stage(k, s);
}

/* A kept span into the staging array (also the tail rules' keep callback). */
static void stage(void *sink, struct ws_span *s)
{
	struct ws_sink *k = sink;

	if (!k->batch && !k->exp) {
		k->not_exported++;
		ws_span_free(s);
		return;
	}
	k->staged[k->n++] = s;
	if (k->n == k->cap)
		ws_sink_hand_over(k);
}

void ws_sink_shutdown(struct ws_sink *k)
{
	if (!k)
		return;
	if (k->tail)
		ws_tail_flush(k->tail);
	ws_sink_hand_over(k);
	ws_batch_shutdown(k->batch);
}

void ws_sink_stats(struct ws_sink *k, struct ws_batch_stats *spans,
		   struct ws_export_counters *exporter, uint64_t *not_exported)
{
	if (k->batch)
		ws_batch_stats(k->batch, spans);
	else
		*spans = k->st;
	memset(exporter, 0, sizeof(*exporter));
	if (k->counters)
		ws_export_counters_read(k->counters, exporter);
	exporter->retries += spans->retried;
	*not_exported = k->not_exported;
}

void ws_sink_sample_stats(const struct ws_sink *k, uint64_t out[WS_SAMPLE__COUNT])
{
	memcpy(out, k->sampled, sizeof(k->sampled));
}

const struct ws_peers *ws_sink_peers(const struct ws_sink *k)
{
	return k->peers;
}

void ws_sink_tail_stats(const struct ws_sink *k, uint64_t out[WS_TAIL__COUNT], uint64_t *held)
{
	memset(out, 0, WS_TAIL__COUNT * sizeof(out[0]));
	*held = 0;
	if (!k->tail)
		return;
	ws_tail_stats(k->tail, out);
	*held = ws_tail_held(k->tail);
}

void ws_sink_free(struct ws_sink *k)
{
	if (!k)
		return;
	ws_sink_shutdown(k);
	ws_peers_free(k->peers);
	ws_tail_free(k->tail);
	if (k->batch)
		ws_batch_free(k->batch);
	else if (k->exp)
		k->exp->shutdown(k->exp);
	free(k);
}
