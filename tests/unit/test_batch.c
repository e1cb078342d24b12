/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the batch span processor with a recording exporter defined here:
 * batch size bound, order, drops when full (and no leak, under ASan), flush,
 * the schedule delay, export failures, a blocked exporter that must never
 * block ws_batch_add(), shutdown exporting what is pending, and concurrent
 * producers. Blocking is done with a gate, not sleeps: assertions count.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "batch.h"
#include "check.h"
#include "exporter.h"
#include "span.h"

struct rec_exp {
	struct ws_exporter base;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool gate_closed; /* export() waits while set */
	bool in_export;	  /* export() entered and not returned */
	int fail;	  /* export() returns this */
	uint64_t reject;  /* spans each delivered batch has rejected (partial success) */
	int fail_calls;	  /* the next fail_calls exports return fail_rc, taking nothing */
	int fail_rc;
	size_t attempts; /* export() calls, failed ones included */
	size_t calls, total, max_n;
	uint32_t next_seq; /* spans carry a sequence number in exec.id */
	bool order_ok;
	int shutdowns;
};

static int rec_export(struct ws_exporter *e, struct ws_span *const *spans, size_t n)
{
	struct rec_exp *r = (struct rec_exp *)e;
	int rc;

	pthread_mutex_lock(&r->lock);
	r->in_export = true;
	pthread_cond_broadcast(&r->cond);
	while (r->gate_closed)
		pthread_cond_wait(&r->cond, &r->lock);
	r->attempts++;
	pthread_cond_broadcast(&r->cond);
	if (r->fail_calls) {
		r->fail_calls--;
		r->in_export = false;
		pthread_mutex_unlock(&r->lock);
		return r->fail_rc;
	}
	r->calls++;
	r->total += n;
	if (n > r->max_n)
		r->max_n = n;
	for (size_t i = 0; i < n; i++) {
		if (spans[i]->exec.id != r->next_seq)
			r->order_ok = false;
		r->next_seq = spans[i]->exec.id + 1;
	}
	rc = r->fail;
	r->in_export = false;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* The test owns the struct: shutdown only records that it happened. */
static void rec_shutdown(struct ws_exporter *e)
{
	struct rec_exp *r = (struct rec_exp *)e;

	pthread_mutex_lock(&r->lock);
	r->shutdowns++;
	pthread_mutex_unlock(&r->lock);
}

static void rec_init(struct rec_exp *r)
{
	pthread_condattr_t ca;

	memset(r, 0, sizeof(*r));
	r->base.export = rec_export;
	r->base.shutdown = rec_shutdown;
	r->base.name = "rec";
	r->order_ok = true;
	pthread_mutex_init(&r->lock, NULL);
	/* Timed waits below use the monotonic clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
}

static void rec_destroy(struct rec_exp *r)
{
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

static void gate(struct rec_exp *r, bool closed)
{
	pthread_mutex_lock(&r->lock);
	r->gate_closed = closed;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* No wait in these tests may hang the suite: a wait that runs out fails the check. */
#define WAIT_MS 10000

/*
 * Waits until the exporter is inside export(). Only meaningful with the gate
 * closed: with it open the thread can enter and leave export() before the
 * wait starts, and in_export would never be seen set. False after WAIT_MS.
 */
static bool wait_in_export(struct rec_exp *r)
{
	struct timespec deadline;
	bool in;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&r->lock);
	while (!r->in_export && r->gate_closed) {
		if (pthread_cond_timedwait(&r->cond, &r->lock, &deadline) == ETIMEDOUT)
			break;
	}
	in = r->in_export;
	pthread_mutex_unlock(&r->lock);
	return in;
}

/* Waits until export() was called at least n times; false after WAIT_MS. */
static bool wait_attempts(struct rec_exp *r, size_t n)
{
	struct timespec deadline;
	bool ok;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&r->lock);
	while (r->attempts < n) {
		if (pthread_cond_timedwait(&r->cond, &r->lock, &deadline) == ETIMEDOUT)
			break;
	}
	ok = r->attempts >= n;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

static struct ws_span *seq_span(uint32_t seq)
{
	struct ws_span *s = ws_span_new();

	s->exec.id = seq;
	/* A resource reference too, so a leaked span shows as two leaks. */
	s->res = ws_resource_new("/nonexistent-proc", 1, "t");
	return s;
}

static const struct ws_batch_opts slow_timer = {
	.max_queue = 100, .max_batch = 4, .schedule_delay_ms = 60000, .export_timeout_ms = 5000
};

TEST(batches_never_exceed_max_batch)
{
	struct rec_exp r;
	struct ws_batch *b;
	struct ws_batch_stats st;

	rec_init(&r);
	b = ws_batch_new(&slow_timer, &r.base);
	CHECK(b != NULL);
	for (uint32_t i = 0; i < 37; i++)
		ws_batch_add(b, seq_span(i));
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	ws_batch_stats(b, &st);
	CHECK_INT(st.queued, 37);
	CHECK_INT(st.exported, 37);
	CHECK_INT(st.dropped_full, 0);
	CHECK_INT(r.total, 37);
	CHECK(r.max_n <= 4);
	CHECK(r.calls >= 10);
	ws_batch_free(b);
	rec_destroy(&r);
}

TEST(spans_are_exported_in_order)
{
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	b = ws_batch_new(&slow_timer, &r.base);
	for (uint32_t i = 0; i < 1000; i++) {
		ws_batch_add(b, seq_span(i));
		if (i % 97 == 0)
			CHECK_INT(ws_batch_flush(b, 5000), 0);
	}
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	CHECK(r.order_ok);
	CHECK_INT(r.next_seq, 1000);
	ws_batch_free(b);
	rec_destroy(&r);
}

TEST(flush_exports_a_partial_batch_before_the_delay)
{
	struct ws_batch_opts o = { .max_batch = 512, .schedule_delay_ms = 60000 };
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	b = ws_batch_new(&o, &r.base);
	for (uint32_t i = 0; i < 3; i++)
		ws_batch_add(b, seq_span(i));
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	CHECK_INT(r.calls, 1);
	CHECK_INT(r.total, 3);
	/* Nothing queued: returns at once. */
	CHECK_INT(ws_batch_flush(b, 0), 0);
	ws_batch_free(b);
	rec_destroy(&r);
}

TEST(schedule_delay_exports_without_a_flush)
{
	struct ws_batch_opts o = { .max_batch = 512, .schedule_delay_ms = 10 };
	struct ws_batch_stats st;
	struct rec_exp r;
	struct ws_batch *b;
	struct timespec ts = { 0, 5000000 };

	rec_init(&r);
	b = ws_batch_new(&o, &r.base);
	for (uint32_t i = 0; i < 3; i++)
		ws_batch_add(b, seq_span(i));
	/* Polls up to 10 s: the export must come from the timer alone. */
	for (int i = 0; i < 2000; i++) {
		ws_batch_stats(b, &st);
		if (st.exported == 3)
			break;
		nanosleep(&ts, NULL);
	}
	CHECK_INT(st.exported, 3);
	ws_batch_free(b);
	rec_destroy(&r);
}

TEST(full_queue_drops_and_counts_without_leaking)
{
	struct ws_batch_opts o = { .max_queue = 8, .max_batch = 2, .schedule_delay_ms = 60000 };
	struct ws_batch_stats st;
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	gate(&r, true);
	b = ws_batch_new(&o, &r.base);
	ws_batch_add(b, seq_span(0));
	ws_batch_add(b, seq_span(1)); /* a full batch: the thread takes both, blocks */
	CHECK(wait_in_export(&r));
	for (uint32_t i = 2; i < 22; i++)
		ws_batch_add(b, seq_span(i));
	ws_batch_stats(b, &st);
	CHECK_INT(st.queued, 10);
	CHECK_INT(st.dropped_full, 12);
	CHECK_INT(st.exported, 0);
	gate(&r, false);
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	ws_batch_stats(b, &st);
	CHECK_INT(st.exported, 10);
	CHECK_INT(r.total, 10);
	/* Kept spans are the oldest, in order: 0..9. */
	CHECK(r.order_ok);
	CHECK_INT(r.next_seq, 10);
	ws_batch_free(b);
	rec_destroy(&r);
}

/*
 * Many at once: a full queue drops the newest and counts them, NULL entries
 * are skipped, order is kept, and a call that crosses a full batch wakes the
 * thread (a full batch goes out with no flush and no timer).
 */
TEST(add_many_queues_drops_and_wakes_as_adds_do)
{
	struct ws_batch_opts o = { .max_queue = 8, .max_batch = 4, .schedule_delay_ms = 60000 };
	struct ws_span *s[12];
	struct ws_batch_stats st;
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	gate(&r, true);
	b = ws_batch_new(&o, &r.base);
	/* Let the thread reach its wait: a thread not asleep yet would see the batch unwoken. */
	nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
	for (uint32_t i = 0; i < 3; i++)
		s[i] = seq_span(i);
	s[3] = NULL;
	s[4] = seq_span(3);
	ws_batch_add_many(b, s, 5); /* 4 spans: a full batch, taken without a flush */
	CHECK(wait_in_export(&r));
	for (uint32_t i = 0; i < 12; i++)
		s[i] = seq_span(4 + i);
	ws_batch_add_many(b, s, 12); /* room for 8 of them */
	for (uint32_t i = 0; i < 12; i++)
		CHECK(s[i] == NULL || i >= 8);
	ws_batch_stats(b, &st);
	CHECK_INT(st.queued, 12);
	CHECK_INT(st.dropped_full, 4);
	gate(&r, false);
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	ws_batch_stats(b, &st);
	CHECK_INT(st.exported, 12);
	CHECK(r.order_ok);
	CHECK_INT(r.next_seq, 12);
	ws_batch_add_many(NULL, s, 0);
	ws_batch_free(b);
	rec_destroy(&r);
}

TEST(blocked_exporter_never_blocks_add)
{
	struct ws_batch_opts o = { .max_queue = 64, .max_batch = 8, .schedule_delay_ms = 60000 };
	struct ws_batch_stats st;
	struct rec_exp r;
	struct ws_batch *b;
	unsigned int adds = 0;
	bool still_blocked;

	rec_init(&r);
	gate(&r, true);
	b = ws_batch_new(&o, &r.base);
	for (uint32_t i = 0; i < 8; i++)
		ws_batch_add(b, seq_span(i));
	CHECK(wait_in_export(&r));
	/* 10000 adds while the exporter cannot return: each one must come back. */
	for (uint32_t i = 8; i < 10008; i++) {
		ws_batch_add(b, seq_span(i));
		adds++;
	}
	pthread_mutex_lock(&r.lock);
	still_blocked = r.in_export && r.calls == 0;
	pthread_mutex_unlock(&r.lock);
	CHECK(still_blocked);
	CHECK_INT(adds, 10000);
	ws_batch_stats(b, &st);
	CHECK_INT(st.queued, 8 + 64);
	CHECK_INT(st.dropped_full, 10000 - 64);
	gate(&r, false);
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	ws_batch_stats(b, &st);
	CHECK_INT(st.exported, 72);
	ws_batch_free(b);
	rec_destroy(&r);
}

TEST(flush_times_out_while_exporter_is_blocked)
{
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	gate(&r, true);
	b = ws_batch_new(&slow_timer, &r.base);
	ws_batch_add(b, seq_span(0));
	CHECK_INT(ws_batch_flush(b, 0), -ETIMEDOUT);
	CHECK_INT(ws_batch_flush(b, 20), -ETIMEDOUT);
	gate(&r, false);
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	CHECK_INT(r.total, 1);
	ws_batch_free(b);
	rec_destroy(&r);
}

TEST(export_failures_are_counted_and_spans_freed)
{
	struct ws_batch_stats st;
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	r.fail = -EIO;
	b = ws_batch_new(&slow_timer, &r.base);
	for (uint32_t i = 0; i < 10; i++)
		ws_batch_add(b, seq_span(i));
	/* A flush waits for the attempt, not for success. */
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	ws_batch_stats(b, &st);
	CHECK_INT(st.export_failed, 10);
	CHECK_INT(st.exported, 0);
	ws_batch_free(b); /* ASan: the failed spans must already be freed */
	rec_destroy(&r);
}

/* The exporter runs on the batch thread, and so does this: no lock needed. */
static uint64_t rec_take_rejected(struct ws_exporter *e)
{
	return ((struct rec_exp *)e)->reject;
}

/*
 * A collector's partial success: rejected spans move from exported to
 * rejected, never more than the batch held, never for a failed batch.
 */
TEST(rejected_spans_are_counted_apart)
{
	struct ws_batch_stats st;
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	r.base.take_rejected = rec_take_rejected;
	r.reject = 1;
	b = ws_batch_new(&slow_timer, &r.base);
	for (uint32_t i = 0; i < 10; i++) /* batches of 4, 4, 2 */
		ws_batch_add(b, seq_span(i));
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	ws_batch_stats(b, &st);
	CHECK_INT(st.rejected, 3);
	CHECK_INT(st.exported, 7);
	/* a collector claiming more than it got is capped at the batch */
	r.reject = 1000;
	ws_batch_add(b, seq_span(10));
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	ws_batch_stats(b, &st);
	CHECK_INT(st.rejected, 4);
	CHECK_INT(st.exported, 7);
	/* failed batches are failed, whatever the exporter says */
	r.fail = -EIO;
	ws_batch_add(b, seq_span(11));
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	ws_batch_stats(b, &st);
	CHECK_INT(st.rejected, 4);
	CHECK_INT(st.export_failed, 1);
	ws_batch_free(b);
	rec_destroy(&r);
}

TEST(free_exports_pending_spans_and_shuts_exporter_down)
{
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	b = ws_batch_new(&slow_timer, &r.base);
	for (uint32_t i = 0; i < 3; i++)
		ws_batch_add(b, seq_span(i));
	ws_batch_free(b);
	CHECK_INT(r.total, 3);
	CHECK_INT(r.shutdowns, 1);
	rec_destroy(&r);
}

TEST(defaults_apply_when_options_are_zero)
{
	struct ws_batch_opts zero = { 0 };
	struct ws_batch_stats st;
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	gate(&r, true);
	b = ws_batch_new(&zero, &r.base);
	/* 512 (max_batch) start an export; the queue then holds 2048 (max_queue). */
	for (uint32_t i = 0; i < 512; i++)
		ws_batch_add(b, seq_span(i));
	CHECK(wait_in_export(&r));
	for (uint32_t i = 512; i < 3512; i++)
		ws_batch_add(b, seq_span(i));
	ws_batch_stats(b, &st);
	CHECK_INT(st.queued, 512 + 2048);
	CHECK_INT(st.dropped_full, 3000 - 2048);
	gate(&r, false);
	CHECK_INT(ws_batch_flush(b, 10000), 0);
	CHECK_INT(r.total, 512 + 2048);
	CHECK_INT(r.max_n, 512);
	ws_batch_free(b);
	rec_destroy(&r);
}

TEST(null_options_take_defaults)
{
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	b = ws_batch_new(NULL, &r.base);
	CHECK(b != NULL);
	ws_batch_add(b, seq_span(0));
	ws_batch_free(b);
	CHECK_INT(r.total, 1);
	rec_destroy(&r);
}

TEST(max_batch_is_clamped_to_max_queue)
{
	struct ws_batch_opts o = { .max_queue = 4, .max_batch = 100, .schedule_delay_ms = 60000 };
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	/*
	 * The gate holds the export open so the test can see it start: with
	 * an open gate the export can be over before wait_in_export() looks.
	 */
	gate(&r, true);
	b = ws_batch_new(&o, &r.base);
	CHECK(b != NULL);
	for (uint32_t i = 0; i < 4; i++)
		ws_batch_add(b, seq_span(i));
	/* A full queue is a full batch: exported without flush or timer. */
	CHECK(wait_in_export(&r));
	gate(&r, false);
	ws_batch_free(b);
	CHECK_INT(r.total, 4);
	/* One export of all four: the batch was the (clamped) queue size. */
	CHECK_INT(r.calls, 1);
	CHECK_INT(r.max_n, 4);
	rec_destroy(&r);
}

TEST(null_arguments)
{
	struct rec_exp r;

	rec_init(&r);
	errno = 0;
	CHECK(ws_batch_new(NULL, NULL) == NULL);
	CHECK_INT(errno, EINVAL);
	r.base.export = NULL;
	CHECK(ws_batch_new(NULL, &r.base) == NULL);
	ws_batch_free(NULL);
	ws_batch_add(NULL, seq_span(0)); /* frees the span: ASan checks */
	CHECK_INT(ws_batch_flush(NULL, 0), 0);
	rec_destroy(&r);
}

struct producer {
	struct ws_batch *b;
	uint32_t n;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (uint32_t i = 0; i < p->n; i++)
		ws_batch_add(p->b, ws_span_new());
	return NULL;
}

TEST(concurrent_producers_lose_nothing_uncounted)
{
	struct ws_batch_opts o = { .max_queue = 256, .max_batch = 32, .schedule_delay_ms = 1 };
	struct ws_batch_stats st;
	struct producer p;
	pthread_t th[4];
	struct rec_exp r;

	rec_init(&r);
	r.next_seq = 0;
	p.b = ws_batch_new(&o, &r.base);
	p.n = 5000;
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, produce, &p);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(ws_batch_flush(p.b, 10000), 0);
	ws_batch_stats(p.b, &st);
	CHECK_INT(st.queued + st.dropped_full, 4 * 5000);
	CHECK_INT(st.exported, st.queued);
	CHECK_INT(r.total, st.queued);
	CHECK(r.max_n <= 32);
	ws_batch_free(p.b);
	rec_destroy(&r);
}

/*
 * A collector that is down (the export timed out) must not cost the batch:
 * it is held, newer spans queue behind it up to max_queue (the rest counted),
 * and once the collector answers everything goes out in order, once.
 */
TEST(timed_out_batch_is_held_and_delivered_first)
{
	struct ws_batch_opts o = { .max_queue = 8, .max_batch = 2, .schedule_delay_ms = 60000 };
	struct ws_batch_stats st;
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	r.fail_calls = 1;
	r.fail_rc = -ETIMEDOUT;
	b = ws_batch_new(&o, &r.base);
	ws_batch_add(b, seq_span(0));
	ws_batch_add(b, seq_span(1)); /* a full batch: exported at once, and it times out */
	CHECK(wait_attempts(&r, 1));
	for (uint32_t i = 2; i < 30; i++)
		ws_batch_add(b, seq_span(i));
	ws_batch_stats(b, &st);
	CHECK_INT(st.exported, 0);
	CHECK_INT(st.export_failed, 0);
	CHECK_INT(st.queued, 2 + 8);
	CHECK_INT(st.dropped_full, 28 - 8);
	/* The retry waits a second; a flush asks for it now. */
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	ws_batch_stats(b, &st);
	CHECK_INT(st.exported, 10);
	CHECK_INT(st.export_failed, 0);
	CHECK_INT(st.retried, 1);
	CHECK(r.order_ok);
	CHECK_INT(r.next_seq, 10);
	CHECK_INT(r.total, 10);
	ws_batch_free(b);
	rec_destroy(&r);
}

TEST(held_batch_is_given_up_after_max_hold)
{
	struct ws_batch_opts o = { .max_batch = 2, .schedule_delay_ms = 60000, .max_hold_ms = 1 };
	struct ws_batch_stats st;
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	r.fail_calls = 1000;
	r.fail_rc = -ETIMEDOUT;
	b = ws_batch_new(&o, &r.base);
	ws_batch_add(b, seq_span(0));
	ws_batch_add(b, seq_span(1));
	CHECK(wait_attempts(&r, 1));
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL); /* past max_hold */
	/* the flush's try comes after max_hold: the batch is dropped, counted */
	CHECK_INT(ws_batch_flush(b, 5000), 0);
	ws_batch_stats(b, &st);
	CHECK_INT(st.export_failed, 2);
	CHECK_INT(st.exported, 0);
	CHECK_INT(r.attempts, 2);
	ws_batch_free(b);
	rec_destroy(&r);
}

/* Regression: spans left at shutdown were freed and never counted anywhere. */
TEST(shutdown_counts_what_it_could_not_deliver)
{
	struct ws_batch_opts o = { .max_batch = 2,
				   .schedule_delay_ms = 60000,
				   .export_timeout_ms = 100 };
	struct ws_batch_stats st;
	struct rec_exp r;
	struct ws_batch *b;

	rec_init(&r);
	r.fail_calls = 1000000;
	r.fail_rc = -ETIMEDOUT;
	b = ws_batch_new(&o, &r.base);
	for (uint32_t i = 0; i < 5; i++)
		ws_batch_add(b, seq_span(i));
	CHECK(wait_attempts(&r, 1));
	ws_batch_shutdown(b); /* 100 ms of flushing, then the thread stops */
	ws_batch_stats(b, &st);
	CHECK_INT(st.queued, 5);
	CHECK_INT(st.exported, 0);
	CHECK_INT(st.export_failed, 5);
	/* too late: counted the same way, not leaked (ASan) */
	ws_batch_add(b, seq_span(5));
	ws_batch_shutdown(b);
	ws_batch_stats(b, &st);
	CHECK_INT(st.queued, 6);
	CHECK_INT(st.export_failed, 6);
	CHECK_INT(ws_batch_flush(b, 0), 0);
	CHECK_INT(r.shutdowns, 0);
	ws_batch_free(b);
	CHECK_INT(r.shutdowns, 1);
	rec_destroy(&r);
}

static const struct check_case cases[] = {
	CASE(batches_never_exceed_max_batch),
	CASE(spans_are_exported_in_order),
	CASE(flush_exports_a_partial_batch_before_the_delay),
	CASE(schedule_delay_exports_without_a_flush),
	CASE(full_queue_drops_and_counts_without_leaking),
	CASE(add_many_queues_drops_and_wakes_as_adds_do),
	CASE(blocked_exporter_never_blocks_add),
	CASE(flush_times_out_while_exporter_is_blocked),
	CASE(export_failures_are_counted_and_spans_freed),
	CASE(rejected_spans_are_counted_apart),
	CASE(free_exports_pending_spans_and_shuts_exporter_down),
	CASE(defaults_apply_when_options_are_zero),
	CASE(null_options_take_defaults),
	CASE(max_batch_is_clamped_to_max_queue),
	CASE(null_arguments),
	CASE(concurrent_producers_lose_nothing_uncounted),
	CASE(timed_out_batch_is_held_and_delivered_first),
	CASE(held_batch_is_given_up_after_max_hold),
	CASE(shutdown_counts_what_it_could_not_deliver),
};

CHECK_MAIN("batch", cases)
