// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tail rules: a trace with an error or a slow span is kept whole (spans
 * before and after it), a clean one is dropped when its wait ends, late
 * spans follow the cached decision, a full bound ends the oldest wait early
 * (the head's drop, counted), the decision cache forgets least recently used first,
 * th is erased from a kept span, and every offered span is counted once.
 * Run under ASan too: held spans are freed at every exit.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "span.h"
#include "tail.h"

#define MS 1000000ull

/* What the keep callback got, in order. */
struct kept {
	size_t n;
	uint8_t trace[64];
	uint64_t tag[64]; /* the span's start time: which span it was */
	uint8_t flags[64];
	char ts[64][32]; /* its tracestate */
};

static void keep_cb(void *ctx, struct ws_span *sp)
{
	struct kept *k = ctx;

	if (k->n < 64) {
		k->trace[k->n] = sp->trace_id[15];
		k->tag[k->n] = sp->start_unix_ns;
		k->flags[k->n] = sp->trace_flags;
		snprintf(k->ts[k->n], sizeof(k->ts[0]), "%.*s", (int)sp->tracestate_len,
			 sp->strbuf + sp->tracestate_off);
	}
	k->n++;
	ws_span_free(sp);
}

static struct ws_tail *tail(struct kept *k, uint32_t traces, uint32_t spans, uint32_t decided)
{
	struct ws_tail_opts o = { .wait_ns = 1000 * MS,
				  .slow_ns = 500 * MS,
				  .max_traces = traces,
				  .max_spans = spans,
				  .max_decided = decided,
				  .seed = 42,
				  .keep = keep_cb,
				  .ctx = k };
	struct ws_tail *t;

	memset(k, 0, sizeof(*k));
	t = ws_tail_new(&o);
	CHECK(t != NULL);
	return t;
}

/* A span of trace tr (last id byte; the rest fixed), tagged by its start, lasting dur_ms. */
static struct ws_span *span(uint8_t tr, uint64_t start, uint64_t dur_ms, uint8_t status)
{
	struct ws_span *s = ws_span_new();

	memset(s->trace_id, 0xab, 16);
	s->trace_id[15] = tr;
	s->start_unix_ns = start;
	s->end_unix_ns = start + dur_ms * MS;
	s->status = status;
	return s;
}

static uint64_t total(const struct ws_tail *t)
{
	uint64_t c[WS_TAIL__COUNT], sum = ws_tail_held(t);

	ws_tail_stats(t, c);
	for (int i = 0; i < WS_TAIL__COUNT; i++)
		sum += c[i];
	return sum;
}

static uint64_t counter(const struct ws_tail *t, enum ws_tail_reason r)
{
	uint64_t c[WS_TAIL__COUNT];

	ws_tail_stats(t, c);
	return c[r];
}

TEST(an_error_span_keeps_its_trace_whole_before_and_after_it)
{
	struct kept k;
	struct ws_tail *t = tail(&k, 16, 64, 16);
	struct ws_span *first = span(1, 1, 5, WS_STATUS_UNSET);

	/* An upstream ratio's th: the tail's keep is not a probability, so it goes. */
	CHECK_INT(ws_span_set_tracestate(first, "ot=th:c,v=1", 11), 0);
	ws_tail_offer(t, first, 10 * MS);
	ws_tail_offer(t, span(2, 2, 5, WS_STATUS_UNSET), 10 * MS); /* another trace */
	ws_tail_offer(t, span(1, 3, 5, WS_STATUS_OK), 20 * MS);
	CHECK_INT(k.n, 0);
	CHECK_INT(ws_tail_held(t), 3);
	ws_tail_offer(t, span(1, 4, 5, WS_STATUS_ERROR), 30 * MS);
	/* The held spans first, oldest first, then the error span: all sampled. */
	CHECK_INT(k.n, 3);
	CHECK_INT(k.tag[0], 1);
	CHECK_INT(k.tag[1], 3);
	CHECK_INT(k.tag[2], 4);
	CHECK_STR(k.ts[0], "v=1");
	for (size_t i = 0; i < 3; i++) {
		CHECK_INT(k.trace[i], 1);
		CHECK_INT(k.flags[i] & 1, 1);
	}
	CHECK_INT(counter(t, WS_TAIL_KEPT_ERROR), 3);
	CHECK_INT(ws_tail_held(t), 1);
	/* A late span of the kept trace, after its wait would have ended: kept at once. */
	ws_tail_offer(t, span(1, 5, 5, WS_STATUS_UNSET), 5000 * MS);
	CHECK_INT(k.n, 4);
	CHECK_INT(k.tag[3], 5);
	CHECK_INT(counter(t, WS_TAIL_KEPT_DECIDED), 1);
	/* Trace 2 was clean: dropped by the same call's expiry. */
	CHECK_INT(counter(t, WS_TAIL_DROPPED_WAITED), 1);
	CHECK_INT(ws_tail_held(t), 0);
	CHECK_INT(total(t), 5);
	ws_tail_free(t);
}

TEST(a_slow_span_keeps_its_trace_and_a_fast_one_does_not)
{
	struct kept k;
	struct ws_tail *t = tail(&k, 16, 64, 16);

	ws_tail_offer(t, span(1, 1, 10, WS_STATUS_UNSET), 0);
	ws_tail_offer(t, span(1, 2, 499, WS_STATUS_UNSET), 0); /* under 500 ms */
	CHECK_INT(k.n, 0);
	ws_tail_offer(t, span(1, 3, 500, WS_STATUS_UNSET), 0);
	CHECK_INT(k.n, 3);
	CHECK_INT(counter(t, WS_TAIL_KEPT_SLOW), 3);
	CHECK_INT(counter(t, WS_TAIL_KEPT_ERROR), 0);
	ws_tail_free(t);
}

/* The degraded-partner rule in a test: a span tagged (start time) 77 calls a degraded partner. */
static bool tagged_degraded(const void *ctx, const struct ws_span *sp)
{
	(void)ctx;
	return sp->start_unix_ns == 77;
}

/*
 * A call to a partner degraded at the time keeps its trace whole, as an
 * error does (the sink passes ws_peers_span_degraded); without the rule,
 * the same trace is dropped when its wait ends.
 */
TEST(a_call_to_a_degraded_partner_keeps_its_trace_whole)
{
	struct ws_tail_opts o = { .wait_ns = 1000 * MS,
				  .max_traces = 16,
				  .max_spans = 64,
				  .max_decided = 16,
				  .seed = 42,
				  .keep = keep_cb,
				  .degraded = tagged_degraded };
	struct kept k;
	struct ws_tail *t;

	for (int rule = 1; rule >= 0; rule--) {
		memset(&k, 0, sizeof(k));
		o.ctx = &k;
		o.degraded = rule ? tagged_degraded : NULL;
		t = ws_tail_new(&o);
		CHECK(t != NULL);
		if (!t)
			return;
		ws_tail_offer(t, span(1, 1, 5, WS_STATUS_UNSET), 10 * MS);
		ws_tail_offer(t, span(1, 77, 5, WS_STATUS_UNSET), 20 * MS);
		ws_tail_offer(t, span(1, 3, 5, WS_STATUS_UNSET), 30 * MS); /* after: decided */
		ws_tail_tick(t, 2000 * MS);
		CHECK_INT(k.n, rule ? 3 : 0);
		CHECK_INT(counter(t, WS_TAIL_KEPT_DEGRADED), rule ? 2 : 0);
		CHECK_INT(counter(t, WS_TAIL_KEPT_DECIDED), rule ? 1 : 0);
		CHECK_INT(counter(t, WS_TAIL_DROPPED_WAITED), rule ? 0 : 3);
		ws_tail_free(t);
	}
}

TEST(a_clean_trace_is_dropped_when_its_wait_ends_and_its_late_spans_follow)
{
	struct kept k;
	struct ws_tail *t = tail(&k, 16, 64, 16);

	ws_tail_offer(t, span(1, 1, 5, WS_STATUS_UNSET), 100 * MS);
	ws_tail_offer(t, span(1, 2, 5, WS_STATUS_UNSET), 900 * MS);
	ws_tail_tick(t, 1099 * MS); /* the wait runs from the first span: 100 + 1000 */
	CHECK_INT(ws_tail_held(t), 2);
	ws_tail_tick(t, 1100 * MS);
	CHECK_INT(ws_tail_held(t), 0);
	CHECK_INT(counter(t, WS_TAIL_DROPPED_WAITED), 2);
	/* Late, even an error: the trace was decided, its other spans are gone. */
	ws_tail_offer(t, span(1, 3, 5, WS_STATUS_ERROR), 1200 * MS);
	CHECK_INT(k.n, 0);
	CHECK_INT(counter(t, WS_TAIL_DROPPED_DECIDED), 1);
	CHECK_INT(total(t), 3);
	ws_tail_free(t);
}

/*
 * A span with no room ends the oldest waiting trace early (the head's drop,
 * remembered), so a new trace still waits: under load the wait shrinks.
 */
TEST(full_bounds_end_the_oldest_wait_early_and_are_counted)
{
	struct kept k;
	struct ws_tail *t = tail(&k, 2, 3, 16);

	ws_tail_offer(t, span(1, 1, 5, WS_STATUS_UNSET), 0);
	ws_tail_offer(t, span(2, 2, 5, WS_STATUS_UNSET), 0);
	ws_tail_offer(t, span(3, 3, 5, WS_STATUS_UNSET), 0); /* a third trace: 1 goes */
	CHECK_INT(counter(t, WS_TAIL_DROPPED_OVERFLOW), 1);
	CHECK_INT(ws_tail_held(t), 2);
	ws_tail_offer(t, span(2, 4, 5, WS_STATUS_UNSET), 0);
	ws_tail_offer(t, span(3, 5, 5, WS_STATUS_UNSET), 0); /* a fourth span: 2 goes (2 spans) */
	CHECK_INT(counter(t, WS_TAIL_DROPPED_OVERFLOW), 3);
	CHECK_INT(ws_tail_held(t), 2);
	/* Trace 3 waited through it all: its error keeps it whole. */
	ws_tail_offer(t, span(3, 6, 5, WS_STATUS_ERROR), 0);
	CHECK_INT(k.n, 3);
	CHECK_INT(k.tag[0], 3);
	CHECK_INT(k.tag[1], 5);
	CHECK_INT(k.tag[2], 6);
	/* An evicted trace is decided: its late span follows, even an error. */
	ws_tail_offer(t, span(1, 7, 5, WS_STATUS_ERROR), 0);
	CHECK_INT(k.n, 3);
	CHECK_INT(counter(t, WS_TAIL_DROPPED_DECIDED), 1);
	ws_tail_offer(t, span(4, 8, 5, WS_STATUS_UNSET), 0);
	CHECK_INT(ws_tail_held(t), 1);
	CHECK_INT(total(t), 8);
	ws_tail_free(t); /* held spans freed: ASan's leak check */
}

/* When the trace that fills the span bound is the oldest, it and the new span go. */
TEST(a_trace_past_the_span_bound_on_its_own_is_dropped_whole)
{
	struct kept k;
	struct ws_tail *t = tail(&k, 4, 2, 16);

	ws_tail_offer(t, span(5, 1, 5, WS_STATUS_UNSET), 0);
	ws_tail_offer(t, span(5, 2, 5, WS_STATUS_UNSET), 0);
	ws_tail_offer(t, span(5, 3, 5, WS_STATUS_UNSET), 0);
	CHECK_INT(counter(t, WS_TAIL_DROPPED_OVERFLOW), 3);
	CHECK_INT(ws_tail_held(t), 0);
	ws_tail_offer(t, span(5, 4, 5, WS_STATUS_UNSET), 0);
	CHECK_INT(counter(t, WS_TAIL_DROPPED_DECIDED), 1);
	CHECK_INT(total(t), 4);
	ws_tail_free(t);
}

TEST(the_decision_cache_forgets_the_least_recently_used_first)
{
	struct kept k;
	struct ws_tail *t = tail(&k, 16, 64, 2);

	ws_tail_offer(t, span(1, 1, 5, WS_STATUS_ERROR), 0);
	ws_tail_offer(t, span(2, 2, 5, WS_STATUS_ERROR), 0);
	ws_tail_offer(t, span(1, 3, 5, WS_STATUS_UNSET), 0); /* uses 1: 2 is now the oldest */
	CHECK_INT(counter(t, WS_TAIL_KEPT_DECIDED), 1);
	ws_tail_offer(t, span(3, 4, 5, WS_STATUS_ERROR), 0); /* a third decision: 2 goes */
	ws_tail_offer(t, span(1, 5, 5, WS_STATUS_UNSET), 0);
	CHECK_INT(counter(t, WS_TAIL_KEPT_DECIDED), 2);
	ws_tail_offer(t, span(2, 6, 5, WS_STATUS_UNSET), 0); /* forgotten: it waits again */
	CHECK_INT(counter(t, WS_TAIL_KEPT_DECIDED), 2);
	CHECK_INT(ws_tail_held(t), 1);
	ws_tail_flush(t);
	CHECK_INT(ws_tail_held(t), 0);
	CHECK_INT(counter(t, WS_TAIL_DROPPED_WAITED), 1);
	CHECK_INT(total(t), 6);
	ws_tail_free(t);
}

/* splitmix64: the same traces on every run. */
static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct by_trace {
	size_t n;
	uint64_t id[1024];
	uint32_t spans[1024];
};

static void count_cb(void *ctx, struct ws_span *sp)
{
	struct by_trace *b = ctx;
	uint64_t id;

	memcpy(&id, sp->trace_id, 8);
	for (size_t i = 0; i < b->n; i++)
		if (b->id[i] == id)
			b->spans[i]++;
	ws_span_free(sp);
}

/*
 * 1,000 random traces of 1..6 spans, interleaved, 5% with one error span
 * somewhere: every error trace arrives whole at the callback, no clean one
 * does, and offered = counted + held at every step (the hash index's
 * backward-shift deletion gets exercised by the churn).
 */
TEST(random_traces_error_ones_kept_whole_clean_ones_dropped_every_span_counted)
{
	enum { TRACES = 1000 };
	static uint64_t ids[TRACES];
	static uint8_t nspans[TRACES], sent[TRACES], err_at[TRACES];
	static struct by_trace b;
	uint64_t seed = 7, now = 0, offered = 0, errors = 0, left = 0;
	/* A window's spans span at most 120 ms: the wait outlasts it. */
	struct ws_tail_opts o = { .wait_ns = 150 * MS,
				  .max_traces = 256,
				  .max_spans = 1024,
				  .max_decided = 128,
				  .seed = 1,
				  .keep = count_cb,
				  .ctx = &b };
	struct ws_tail *t = ws_tail_new(&o);

	b.n = 0;
	for (int i = 0; i < TRACES; i++) {
		ids[i] = mix(&seed);
		nspans[i] = 1 + mix(&seed) % 6;
		err_at[i] = mix(&seed) % 100 < 5 ? 1 + mix(&seed) % nspans[i] : 0;
		left += nspans[i];
		if (err_at[i] && b.n < 1024)
			b.id[b.n++] = ids[i];
		errors += !!err_at[i];
	}
	/* Windows of 20 traces at a time, their spans shuffled, 1 ms apart. */
	for (int w = 0; w < TRACES; w += 20) {
		for (;;) {
			int i = w + mix(&seed) % 20, done = 1;
			struct ws_span *s;

			for (int j = w; j < w + 20; j++)
				done &= sent[j] == nspans[j];
			if (done)
				break;
			if (sent[i] == nspans[i])
				continue;
			s = ws_span_new();
			memcpy(s->trace_id, &ids[i], 8);
			s->end_unix_ns = now;
			s->status = ++sent[i] == err_at[i] ? WS_STATUS_ERROR : WS_STATUS_UNSET;
			ws_tail_offer(t, s, now);
			offered++;
			now += MS;
			CHECK_INT(total(t), offered);
		}
	}
	CHECK_INT(offered, left);
	CHECK(errors > 30 && errors < 75);
	CHECK_INT(counter(t, WS_TAIL_DROPPED_OVERFLOW), 0);
	for (size_t i = 0; i < b.n; i++)
		for (int j = 0; j < TRACES; j++)
			if (ids[j] == b.id[i])
				CHECK_INT(b.spans[i], nspans[j]);
	ws_tail_flush(t);
	CHECK_INT(ws_tail_held(t), 0);
	CHECK_INT(counter(t, WS_TAIL_KEPT_ERROR) + counter(t, WS_TAIL_KEPT_DECIDED), ({
			  uint64_t s = 0;
			  for (size_t i = 0; i < b.n; i++)
				  s += b.spans[i];
			  s;
		  }));
	ws_tail_free(t);
}

TEST(a_kept_span_loses_th_but_keeps_the_rest_of_its_tracestate)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "ot=th:8", "" },
		{ "ot=th:8;rv:0123456789abcd,vendor=x", "ot=rv:0123456789abcd,vendor=x" },
		{ "vendor=x,ot=th:c", "vendor=x" },
		{ "a=1, ot=p:8;th:c;q:1 ,b=2", "a=1,ot=p:8;q:1,b=2" },
		{ "vendor=th:8", "vendor=th:8" },
	};
	struct kept k;
	struct ws_tail *t = tail(&k, 4, 4, 4);

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ws_span *s = span(1, 1, 1, WS_STATUS_ERROR);

		CHECK_INT(ws_span_set_tracestate(s, v[i].in, strlen(v[i].in)), 0);
		ws_tail_erase_th(s);
		CHECK_MEM(s->strbuf + s->tracestate_off, s->tracestate_len, v[i].out);
		ws_span_free(s);
	}
	ws_tail_free(t);
}

TEST(bad_bounds_are_refused)
{
	struct ws_tail_opts o = {
		.max_traces = 1, .max_spans = 1, .max_decided = 0, .keep = keep_cb
	};

	errno = 0;
	CHECK(ws_tail_new(&o) == NULL);
	CHECK_INT(errno, EINVAL);
	o.max_decided = WS_TAIL_BOUND_MAX + 1;
	CHECK(ws_tail_new(&o) == NULL);
	o.max_decided = 1;
	o.keep = NULL;
	CHECK(ws_tail_new(&o) == NULL);
}

static const struct check_case cases[] = {
	CASE(an_error_span_keeps_its_trace_whole_before_and_after_it),
	CASE(a_slow_span_keeps_its_trace_and_a_fast_one_does_not),
	CASE(a_call_to_a_degraded_partner_keeps_its_trace_whole),
	CASE(a_clean_trace_is_dropped_when_its_wait_ends_and_its_late_spans_follow),
	CASE(full_bounds_end_the_oldest_wait_early_and_are_counted),
	CASE(a_trace_past_the_span_bound_on_its_own_is_dropped_whole),
	CASE(the_decision_cache_forgets_the_least_recently_used_first),
	CASE(random_traces_error_ones_kept_whole_clean_ones_dropped_every_span_counted),
	CASE(a_kept_span_loses_th_but_keeps_the_rest_of_its_tracestate),
	CASE(bad_bounds_are_refused),
};

CHECK_MAIN("tail", cases)
