/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The batch span processor: a bounded ring of finished spans between the
 * capture loop and one export thread, as the OpenTelemetry SDK specifies it.
 * The lock is held only to move pointers in and out of the ring, never across
 * an export, so ws_batch_add() costs a lock and a store however slow the
 * exporter is; when the ring is full the span is dropped and counted. The
 * thread exports when max_batch spans wait, when schedule_delay has passed
 * since the last export, and when someone flushes. A batch the exporter
 * could not deliver in time (-ETIMEDOUT: collector unreachable or busy)
 * stays in the thread's hands and is offered again with backoff, ahead of
 * newer spans, until it goes through or max_hold passes: the queue fills
 * meanwhile, and its overflow is counted as usual.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "batch.h"
#include "exporter.h"
#include "span.h"

#define DEF_MAX_QUEUE 2048
#define DEF_MAX_BATCH 512
#define DEF_DELAY_MS 5000
#define DEF_TIMEOUT_MS 30000
/* As the Collector's retry_on_failure: max_elapsed_time 5 min, intervals 1 s doubling to 30 s. */
#define DEF_MAX_HOLD_MS 300000
#define HOLD_FIRST_MS 1000
#define HOLD_MAX_MS 30000

struct ws_batch {
	struct ws_batch_opts o;
	struct ws_exporter *exp;

	pthread_mutex_t lock;
	pthread_cond_t wake; /* the export thread waits here for work */
	pthread_cond_t done; /* flushers wait here for exports to finish */

	struct ws_span **ring; /* o.max_queue slots, oldest at head */
	size_t head, count;
	/*
	 * Spans are numbered in the order they are accepted. Since one thread
	 * takes them in that order, "everything accepted before my flush is
	 * exported" is just finished >= the number accepted at the call.
	 */
	uint64_t added;	     /* accepted, ever */
	uint64_t taken;	     /* handed to the exporter, ever */
	uint64_t finished;   /* whose export call returned, ever */
	uint64_t flush_upto; /* export at once until taken reaches this */
	bool stop;
	bool stopped; /* ws_batch_shutdown() ran: no thread, no queue */
	struct ws_batch_stats st;

	struct ws_span **batch; /* the export thread's: o.max_batch slots */
	/* A held batch: batch[0..held) wait for another try at retry_at. */
	size_t held;
	struct timespec held_until; /* given up after this */
	struct timespec retry_at;
	long backoff_ms;
	bool retry_now; /* a flush wants one more try without the wait */
	pthread_t thread;
};

static void deadline_after(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool passed(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/*
 * Called with the lock held after an export of n spans timed out: keeps them
 * for another try, unless stopping or held too long already. True if held.
 */
static bool hold(struct ws_batch *b, size_t n)
{
	if (b->stop)
		return false;
	if (!b->held) {
		deadline_after(&b->held_until, b->o.max_hold_ms);
		b->backoff_ms = HOLD_FIRST_MS;
	} else if (passed(&b->held_until)) {
		return false;
	} else if (b->backoff_ms < HOLD_MAX_MS) {
		b->backoff_ms = b->backoff_ms * 2 < HOLD_MAX_MS ? b->backoff_ms * 2 : HOLD_MAX_MS;
	}
	b->held = n;
	deadline_after(&b->retry_at, b->backoff_ms);
	return true;
}

/* Called with the lock held; drops it around the export itself. */
static void export_some(struct ws_batch *b)
{
	size_t n = b->held;
	uint64_t rejected;
	int rc;

	if (n) {
		b->st.retried++;
	} else {
		n = b->count < b->o.max_batch ? b->count : b->o.max_batch;
		for (size_t i = 0; i < n; i++) {
			b->batch[i] = b->ring[b->head];
			b->ring[b->head] = NULL;
			b->head = (b->head + 1) % b->o.max_queue;
		}
		b->count -= n;
		b->taken += n;
	}
	b->retry_now = false;
	pthread_mutex_unlock(&b->lock);

	rc = b->exp->export(b->exp, b->batch, n);
	rejected = !rc && b->exp->take_rejected ? b->exp->take_rejected(b->exp) : 0;
	if (rejected > n)
		rejected = n;

	pthread_mutex_lock(&b->lock);
	if (rc == -ETIMEDOUT && hold(b, n))
		return;
	b->held = 0;
	pthread_mutex_unlock(&b->lock);
	/* Delivered, refused or given up: these spans are done with. */
	for (size_t i = 0; i < n; i++)
		ws_span_free(b->batch[i]);

	pthread_mutex_lock(&b->lock);
	b->finished += n;
	if (rc) {
		b->st.export_failed += n;
	} else {
		b->st.exported += n - rejected;
		b->st.rejected += rejected;
	}
	pthread_cond_broadcast(&b->done);
}

static void *export_thread(void *arg)
{
	struct ws_batch *b = arg;
	struct timespec next;

	pthread_mutex_lock(&b->lock);
	deadline_after(&next, b->o.schedule_delay_ms);
	while (!b->stop) {
		bool due = passed(&next);

		if (b->held) {
			/* Nothing newer goes out before it: order, and the collector is down anyway. */
			if (b->retry_now || passed(&b->retry_at))
				export_some(b);
			else
				pthread_cond_timedwait(&b->wake, &b->lock, &b->retry_at);
			deadline_after(&next, b->o.schedule_delay_ms);
			continue;
		}
		if (b->count >= b->o.max_batch || (b->count && b->taken < b->flush_upto) ||
		    (b->count && due)) {
			export_some(b);
			deadline_after(&next, b->o.schedule_delay_ms);
			continue;
		}
		if (due) {
			/* Nothing waited: start the next interval from now. */
			deadline_after(&next, b->o.schedule_delay_ms);
			continue;
		}
		pthread_cond_timedwait(&b->wake, &b->lock, &next);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static long or_default(long v, long def)
{
	return v > 0 ? v : def;
}

/*
 * Starts the thread with the asynchronous signals blocked so that they reach
 * the capture loop's thread, which is the one that acts on them.
 */
static int start_thread(struct ws_batch *b)
{
	static const int async_sigs[] = { SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1,
					  SIGUSR2, SIGALRM, SIGCHLD, SIGWINCH };
	sigset_t block, old;
	int err;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(async_sigs) / sizeof(async_sigs[0]); i++)
		sigaddset(&block, async_sigs[i]);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(&b->thread, NULL, export_thread, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err)
		pthread_setname_np(b->thread, "ws-export");
	return -err;
}

/* On failure exp is left alone: the caller still owns it. */
struct ws_batch *ws_batch_new(const struct ws_batch_opts *opts, struct ws_exporter *exp)
{
	pthread_condattr_t ca;
	struct ws_batch *b;
	int err;

	if (!exp || !exp->export || !exp->shutdown) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	if (opts)
		b->o = *opts;
	b->o.max_queue = b->o.max_queue ? b->o.max_queue : DEF_MAX_QUEUE;
	b->o.max_batch = b->o.max_batch ? b->o.max_batch : DEF_MAX_BATCH;
	/* The spec requires max_batch <= max_queue; a bigger batch could never fill. */
	if (b->o.max_batch > b->o.max_queue)
		b->o.max_batch = b->o.max_queue;
	b->o.schedule_delay_ms = or_default(b->o.schedule_delay_ms, DEF_DELAY_MS);
	b->o.export_timeout_ms = or_default(b->o.export_timeout_ms, DEF_TIMEOUT_MS);
	b->o.max_hold_ms = or_default(b->o.max_hold_ms, DEF_MAX_HOLD_MS);
	b->exp = exp;

	b->ring = calloc(b->o.max_queue, sizeof(*b->ring));
	b->batch = calloc(b->o.max_batch, sizeof(*b->batch));
	if (!b->ring || !b->batch) {
		err = -ENOMEM;
		goto err_free;
	}
	pthread_mutex_init(&b->lock, NULL);
	/* Timed waits on the monotonic clock: a wall clock step must not stall exports. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->wake, &ca);
	pthread_cond_init(&b->done, &ca);
	pthread_condattr_destroy(&ca);

	err = start_thread(b);
	if (err)
		goto err_sync;
	return b;

err_sync:
	pthread_cond_destroy(&b->done);
	pthread_cond_destroy(&b->wake);
	pthread_mutex_destroy(&b->lock);
err_free:
	free(b->batch);
	free(b->ring);
	free(b);
	errno = -err;
	return NULL;
}

void ws_batch_add_many(struct ws_batch *b, struct ws_span **s, size_t n)
{
	size_t took = 0, before;
	bool stopped;

	if (!b) {
		for (size_t i = 0; i < n; i++)
			ws_span_free(s[i]);
		return;
	}
	pthread_mutex_lock(&b->lock);
	stopped = b->stopped;
	before = b->count;
	for (size_t i = 0; i < n; i++) {
		if (!s[i])
			continue;
		if (stopped) {
			/* Nothing will export it any more: accepted and failed, so the sums hold. */
			b->st.queued++;
			b->st.export_failed++;
			continue;
		}
		if (b->count == b->o.max_queue) {
			b->st.dropped_full++;
			continue;
		}
		b->ring[(b->head + b->count) % b->o.max_queue] = s[i];
		s[i] = NULL; /* the queue's now */
		b->count++;
		b->added++;
		b->st.queued++;
		took++;
	}
	pthread_mutex_unlock(&b->lock);
	/* Outside the lock: freeing is the slowest part of a drop. */
	for (size_t i = 0; took < n && i < n; i++)
		ws_span_free(s[i]);
	/* Once per full batch: the thread rechecks the count before it sleeps. */
	if (before < b->o.max_batch && before + took >= b->o.max_batch)
		pthread_cond_signal(&b->wake);
}

void ws_batch_add(struct ws_batch *b, struct ws_span *s)
{
	if (s)
		ws_batch_add_many(b, &s, 1);
}

/* A negative timeout waits as long as it takes. */
int ws_batch_flush(struct ws_batch *b, long timeout_ms)
{
	struct timespec deadline;
	uint64_t target;
	int err = 0;

	if (!b)
		return 0;
	if (timeout_ms >= 0)
		deadline_after(&deadline, timeout_ms);
	pthread_mutex_lock(&b->lock);
	target = b->added;
	if (b->flush_upto < target) {
		b->flush_upto = target;
		pthread_cond_signal(&b->wake);
	}
	if (b->held) {
		/* Whoever flushes wants it out now: one try without waiting for retry_at. */
		b->retry_now = true;
		pthread_cond_signal(&b->wake);
	}
	while (b->finished < target) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&b->done, &b->lock);
		} else if (pthread_cond_timedwait(&b->done, &b->lock, &deadline) == ETIMEDOUT) {
			if (b->finished < target)
				err = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&b->lock);
	return err;
}

void ws_batch_stats(struct ws_batch *b, struct ws_batch_stats *out)
{
	if (!out)
		return;
	if (!b) {
		*out = (struct ws_batch_stats){ 0 };
		return;
	}
	pthread_mutex_lock(&b->lock);
	*out = b->st;
	pthread_mutex_unlock(&b->lock);
}

/*
 * The flush is bounded by export_timeout_ms, but an export already running
 * cannot be interrupted: the join waits for it, so exporters must honour
 * their own timeouts.
 */
void ws_batch_shutdown(struct ws_batch *b)
{
	uint64_t left;

	if (!b || b->stopped)
		return;
	ws_batch_flush(b, b->o.export_timeout_ms);

	pthread_mutex_lock(&b->lock);
	b->stop = true;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->thread, NULL);

	/* The thread is gone: what it held and what still waits are lost, and counted. */
	left = b->held + b->count;
	for (size_t i = 0; i < b->held; i++)
		ws_span_free(b->batch[i]);
	b->held = 0;
	while (b->count) {
		ws_span_free(b->ring[b->head]);
		b->ring[b->head] = NULL;
		b->head = (b->head + 1) % b->o.max_queue;
		b->count--;
	}
	pthread_mutex_lock(&b->lock);
	b->st.export_failed += left;
	b->finished += left;
	b->stopped = true;
	pthread_cond_broadcast(&b->done);
	pthread_mutex_unlock(&b->lock);
}

void ws_batch_free(struct ws_batch *b)
{
	if (!b)
		return;
	ws_batch_shutdown(b);
	b->exp->shutdown(b->exp);
	pthread_cond_destroy(&b->done);
	pthread_cond_destroy(&b->wake);
	pthread_mutex_destroy(&b->lock);
	free(b->batch);
	free(b->ring);
	free(b);
}
