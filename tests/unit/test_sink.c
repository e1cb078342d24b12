// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The span sink, with a counting exporter defined here: a live run's spans
 * wait for the drain's end and go to the queue together, a replay's go out
 * on the caller's thread in batches of WS_SINK_SYNC_BATCH, and both count
 * the same stream under the same names with the same numbers.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "sink.h"
#include "span.h"

/* Read after ws_sink_shutdown(), which joins the export thread. */
struct count_exp {
	struct ws_exporter base;
	int fail;	 /* export() returns this */
	uint64_t reject; /* spans each delivered batch has rejected */
	uint64_t pending_reject;
	size_t calls, total, first_n, last_n;
	size_t sampled; /* spans that carried the sampled flag */
	int shutdowns;
};

static int count_export(struct ws_exporter *e, struct ws_span *const *spans, size_t n)
{
	struct count_exp *x = (struct count_exp *)e;

	for (size_t i = 0; i < n; i++)
		x->sampled += spans[i]->trace_flags & 1;
	if (!x->calls)
		x->first_n = n;
	x->calls++;
	x->total += n;
	x->last_n = n;
	if (!x->fail)
		x->pending_reject += x->reject;
	return x->fail;
}

static uint64_t count_take_rejected(struct ws_exporter *e)
{
	struct count_exp *x = (struct count_exp *)e;
	uint64_t r = x->pending_reject;

	x->pending_reject = 0;
	return r;
}

/* The test owns the struct: shutdown only records that it happened. */
static void count_shutdown(struct ws_exporter *e)
{
	((struct count_exp *)e)->shutdowns++;
}

static void count_init(struct count_exp *x)
{
	*x = (struct count_exp){ .base = { .export = count_export,
					   .shutdown = count_shutdown,
					   .take_rejected = count_take_rejected,
					   .name = "count" } };
}

/* Batch options that never export on their own before a flush: the test decides. */
static const struct ws_batch_opts slow_batch = { .max_queue = 2048,
						 .max_batch = 512,
						 .schedule_delay_ms = 600000 };

static void feed(struct ws_sink *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ws_sink_span(k, ws_span_new());
}

static struct ws_batch_stats stats_of(struct ws_sink *k, uint64_t *not_exported)
{
	struct ws_export_counters ec;
	struct ws_batch_stats st;
	uint64_t ne;

	ws_sink_stats(k, &st, &ec, not_exported ? not_exported : &ne);
	return st;
}

TEST(live_spans_wait_for_the_drain_end_then_go_to_the_queue_together)
{
	struct count_exp x;
	struct ws_sink *k;

	count_init(&x);
	k = ws_sink_new(&(struct ws_sink_opts){ .exp = &x.base, .batch = &slow_batch });
	CHECK(k != NULL);
	if (!k)
		return;
	feed(k, 10);
	CHECK_INT(stats_of(k, NULL).queued, 0); /* staged: the queue's lock not taken yet */
	ws_sink_hand_over(k);
	CHECK_INT(stats_of(k, NULL).queued, 10);
	ws_sink_hand_over(k); /* nothing staged: nothing happens */
	CHECK_INT(stats_of(k, NULL).queued, 10);
	/* A drain that makes more than a stage's worth hands over each full stage at once. */
	feed(k, WS_SINK_STAGE + 1);
	CHECK_INT(stats_of(k, NULL).queued, 10 + WS_SINK_STAGE);
	ws_sink_shutdown(k);
	CHECK_INT(stats_of(k, NULL).queued, 11 + WS_SINK_STAGE);
	CHECK_INT(stats_of(k, NULL).exported, 11 + WS_SINK_STAGE);
	CHECK_INT(x.total, 11 + WS_SINK_STAGE);
	ws_sink_free(k);
	CHECK_INT(x.shutdowns, 1);
}

TEST(replay_exports_full_batches_on_the_callers_thread_and_the_rest_at_shutdown)
{
	struct count_exp x;
	struct ws_sink *k;

	count_init(&x);
	k = ws_sink_new(&(struct ws_sink_opts){ .exp = &x.base });
	CHECK(k != NULL);
	if (!k)
		return;
	feed(k, 1000);
	CHECK_INT(x.calls, 1);
	CHECK_INT(x.first_n, WS_SINK_SYNC_BATCH);
	CHECK_INT(stats_of(k, NULL).queued, WS_SINK_SYNC_BATCH);
	ws_sink_shutdown(k);
	CHECK_INT(x.calls, 2);
	CHECK_INT(x.last_n, 1000 - WS_SINK_SYNC_BATCH);
	ws_sink_free(k);
	CHECK_INT(x.shutdowns, 1);
}

/*
 * Replay used to count exported spans but not queued ones, so its stats
 * line broke queued == exported + export_failed, which a live run keeps.
 */
TEST(live_and_replay_count_the_same_stream_the_same)
{
	static const int fails[] = { 0, -EIO };

	for (size_t f = 0; f < sizeof(fails) / sizeof(fails[0]); f++) {
		struct ws_batch_stats st[2];

		for (int live = 0; live < 2; live++) {
			struct count_exp x;
			struct ws_sink *k;

			count_init(&x);
			x.fail = fails[f];
			k = ws_sink_new(&(struct ws_sink_opts){
				.exp = &x.base, .batch = live ? &slow_batch : NULL });
			CHECK(k != NULL);
			if (!k)
				return;
			feed(k, 1000);
			ws_sink_shutdown(k);
			st[live] = stats_of(k, NULL);
			ws_sink_free(k);
		}
		CHECK_INT(st[0].queued, 1000);
		CHECK_INT(st[0].queued, st[1].queued);
		CHECK_INT(st[0].exported, st[1].exported);
		CHECK_INT(st[0].export_failed, st[1].export_failed);
		CHECK_INT(st[0].dropped_full, st[1].dropped_full);
		CHECK_INT(st[0].rejected, st[1].rejected);
		CHECK_INT(st[0].queued, st[0].exported + st[0].export_failed);
		CHECK_INT(st[0].export_failed, fails[f] ? 1000 : 0);
	}
}

TEST(replay_counts_partial_success_as_rejected)
{
	struct count_exp x;
	struct ws_sink *k;
	struct ws_batch_stats st;

	count_init(&x);
	x.reject = 3;
	k = ws_sink_new(&(struct ws_sink_opts){ .exp = &x.base });
	CHECK(k != NULL);
	if (!k)
		return;
	feed(k, 1000);
	ws_sink_shutdown(k);
	st = stats_of(k, NULL);
	CHECK_INT(st.queued, 1000);
	CHECK_INT(st.rejected, 6);
	CHECK_INT(st.exported, 994);
	ws_sink_free(k);
}

TEST(no_exporter_counts_spans_as_not_exported_in_both_modes)
{
	for (int live = 0; live < 2; live++) {
		struct ws_sink *k;
		uint64_t ne = 0;

		k = ws_sink_new(&(struct ws_sink_opts){ .batch = live ? &slow_batch : NULL });
		CHECK(k != NULL);
		if (!k)
			return;
		feed(k, 100);
		ws_sink_shutdown(k);
		CHECK_INT(stats_of(k, &ne).queued, 0);
		CHECK_INT(ne, 100);
		ws_sink_free(k);
	}
}

/* The exporter's own failure counters come out with the spans' ones. */
TEST(exporter_counters_are_read_with_the_spans)
{
	struct ws_export_counters ec = { .retries = 2, .refused = 5 }, out;
	struct ws_batch_stats st;
	struct count_exp x;
	struct ws_sink *k;
	uint64_t ne;

	ec.errors[WS_EXPORT_ERR_TLS] = 7;
	count_init(&x);
	k = ws_sink_new(&(struct ws_sink_opts){ .exp = &x.base, .counters = &ec });
	CHECK(k != NULL);
	if (!k)
		return;
	ws_sink_stats(k, &st, &out, &ne);
	CHECK_INT(out.retries, 2);
	CHECK_INT(out.refused, 5);
	CHECK_INT(out.errors[WS_EXPORT_ERR_TLS], 7);
	ws_sink_free(k);
}

/* The sampler decides before staging: a dropped span never reaches the exporter. */
TEST(sampled_out_spans_are_freed_before_the_exporter_and_counted_by_reason)
{
	struct ws_batch_stats st;
	struct ws_export_counters ec;
	uint64_t ne, why[WS_SAMPLE__COUNT];
	struct ws_sampler smp;
	struct count_exp x;
	struct ws_sink *k;

	CHECK_INT(ws_sampler_init(&smp, "parentbased_always_off", NULL), 0);
	count_init(&x);
	k = ws_sink_new(&(struct ws_sink_opts){ .exp = &x.base, .sampler = &smp });
	CHECK(k != NULL);
	if (!k)
		return;
	for (int i = 0; i < 10; i++) {
		struct ws_span *s = ws_span_new();

		if (!s)
			continue;
		/* Every third has a sampled remote parent, every third one not sampled. */
		if (i % 3) {
			s->parent_span_id[0] = 1;
			s->trace_flags = i % 3 == 1;
		}
		ws_sink_span(k, ws_span_shrink(s));
	}
	ws_sink_shutdown(k);
	ws_sink_stats(k, &st, &ec, &ne);
	ws_sink_sample_stats(k, why);
	CHECK_INT(x.total, 3);
	CHECK_INT(st.queued, 3);
	CHECK_INT(why[WS_SAMPLE_KEPT_PARENT], 3);
	CHECK_INT(why[WS_SAMPLE_DROPPED_PARENT], 3);
	CHECK_INT(why[WS_SAMPLE_DROPPED_OFF], 4);
	CHECK_INT(why[WS_SAMPLE_KEPT_ALWAYS] + why[WS_SAMPLE_KEPT_RATIO] +
			  why[WS_SAMPLE_DROPPED_RATIO],
		  0);
	ws_sink_free(k);
}

/* Degraded partners see every span, before the sampler: a dropped call still counts. */
TEST(the_partner_tracker_observes_spans_the_sampler_drops)
{
	struct ws_peers_opts po = { .min_calls = 20 };
	struct ws_sampler smp;
	struct count_exp x;
	struct ws_sink *k;

	CHECK_INT(ws_sampler_init(&smp, "always_off", NULL), 0);
	count_init(&x);
	k = ws_sink_new(&(struct ws_sink_opts){ .exp = &x.base, .sampler = &smp, .peers = &po });
	CHECK(k != NULL);
	if (!k)
		return;
	CHECK_INT(ws_peers_degraded_now(ws_sink_peers(k)), 0);
	for (int i = 0; i < 20; i++) {
		struct ws_span *s = ws_span_new();

		if (!s)
			continue;
		s->kind = WS_KIND_CLIENT;
		s->status = WS_STATUS_ERROR;
		s->start_unix_ns = 1700000000000000000ull + i * 1000000ull;
		s->end_unix_ns = s->start_unix_ns + 5000000;
		ws_span_add_str(s, "peer.service", "acme", 4);
		ws_sink_span(k, ws_span_shrink(s));
	}
	ws_sink_shutdown(k);
	CHECK_INT(x.total, 0);
	CHECK_INT(ws_peers_degraded_now(ws_sink_peers(k)), 1);
	ws_sink_free(k);
	/* Without the option there is no tracker, and nothing is observed. */
	count_init(&x);
	k = ws_sink_new(&(struct ws_sink_opts){ .exp = &x.base });
	CHECK(k != NULL);
	if (!k)
		return;
	CHECK(ws_sink_peers(k) == NULL);
	feed(k, 3);
	ws_sink_free(k);
}

/* A span of trace tr ending at end_ms, with a sampled remote parent or none (a root). */
static struct ws_span *tail_span(uint8_t tr, int sampled_parent, uint64_t end_ms, uint8_t status)
{
	struct ws_span *s = ws_span_new();

	s->trace_id[15] = tr;
	if (sampled_parent) {
		s->parent_span_id[0] = 1;
		s->trace_flags = 1;
	}
	s->start_unix_ns = end_ms * 1000000 - 1000;
	s->end_unix_ns = end_ms * 1000000;
	s->status = status;
	return ws_span_shrink(s);
}

TEST(tail_rules_keep_a_dropped_trace_with_an_error_whole_and_never_hold_a_kept_one)
{
	struct ws_tail_opts to = {
		.wait_ns = 1000 * 1000000ull, .max_traces = 8, .max_spans = 8, .max_decided = 8
	};
	uint64_t why[WS_SAMPLE__COUNT], tail[WS_TAIL__COUNT], held, ne;
	struct ws_sampler smp;
	struct count_exp x;
	struct ws_sink *k;

	CHECK_INT(ws_sampler_init(&smp, "parentbased_always_off", NULL), 0);
	count_init(&x);
	k = ws_sink_new(&(struct ws_sink_opts){ .exp = &x.base, .sampler = &smp, .tail = &to });
	CHECK(k != NULL);
	if (!k)
		return;
	ws_sink_span(k, tail_span(1, 0, 100, WS_STATUS_UNSET)); /* trace 1: dropped by the head */
	ws_sink_span(k, tail_span(2, 0, 110, WS_STATUS_UNSET)); /* trace 2 too */
	ws_sink_span(k, tail_span(3, 1, 120, WS_STATUS_UNSET)); /* kept by the head: not held */
	ws_sink_span(k, tail_span(1, 0, 130, WS_STATUS_UNSET));
	ws_sink_tail_stats(k, tail, &held);
	CHECK_INT(held, 3);
	ws_sink_span(k, tail_span(1, 0, 140, WS_STATUS_ERROR)); /* trace 1 kept whole */
	ws_sink_tail_stats(k, tail, &held);
	CHECK_INT(held, 1);
	CHECK_INT(tail[WS_TAIL_KEPT_ERROR], 3);
	ws_sink_tick(k, 1109 * 1000000ull);
	ws_sink_tail_stats(k, tail, &held);
	CHECK_INT(held, 1);
	ws_sink_tick(k, 1110 * 1000000ull); /* trace 2's wait ends */
	ws_sink_tail_stats(k, tail, &held);
	CHECK_INT(held, 0);
	CHECK_INT(tail[WS_TAIL_DROPPED_WAITED], 1);
	ws_sink_span(k, tail_span(4, 0, 1200, WS_STATUS_UNSET)); /* waits until shutdown */
	ws_sink_shutdown(k);
	ws_sink_tail_stats(k, tail, &held);
	ws_sink_sample_stats(k, why);
	CHECK_INT(held, 0);
	CHECK_INT(tail[WS_TAIL_DROPPED_WAITED], 2);
	CHECK_INT(x.total, 4);
	CHECK_INT(x.sampled, 4);
	CHECK_INT(stats_of(k, &ne).queued, 4);
	CHECK_INT(why[WS_SAMPLE_KEPT_PARENT], 1);
	CHECK_INT(why[WS_SAMPLE_DROPPED_OFF], 5); /* the head's drops, which the tail rules split */
	CHECK_INT(tail[WS_TAIL_KEPT_ERROR] + tail[WS_TAIL_DROPPED_WAITED], 5);
	ws_sink_free(k);
}

static const struct check_case cases[] = {
	CASE(live_spans_wait_for_the_drain_end_then_go_to_the_queue_together),
	CASE(replay_exports_full_batches_on_the_callers_thread_and_the_rest_at_shutdown),
	CASE(live_and_replay_count_the_same_stream_the_same),
	CASE(replay_counts_partial_success_as_rejected),
	CASE(no_exporter_counts_spans_as_not_exported_in_both_modes),
	CASE(exporter_counters_are_read_with_the_spans),
	CASE(sampled_out_spans_are_freed_before_the_exporter_and_counted_by_reason),
	CASE(the_partner_tracker_observes_spans_the_sampler_drops),
	CASE(tail_rules_keep_a_dropped_trace_with_an_error_whole_and_never_hold_a_kept_one),
};

CHECK_MAIN("sink", cases)
