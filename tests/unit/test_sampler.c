// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Head sampling: the specification's threshold math and its encodings, the
 * ratio and superset properties over fixed-seed trace ids, parent-based
 * decisions for every parent, the tracestate written and the settings.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "sampler.h"
#include "span.h"

/* splitmix64: fixed-seed trace ids, the same on every run. */
static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void random_trace(struct ws_span *s, uint64_t *seed)
{
	uint64_t hi = mix(seed), lo = mix(seed);

	memcpy(s->trace_id, &hi, 8);
	memcpy(s->trace_id + 8, &lo, 8);
}

/* A span with the trace id whose low 56 bits are r, no parent. */
static void span_with_r(struct ws_span *s, uint64_t r)
{
	memset(s, 0, offsetof(struct ws_span, attrs));
	s->trace_id[0] = 0xff;
	s->trace_id[8] = 0xee; /* not in the randomness */
	for (int i = 15; i >= 9; i--, r >>= 8)
		s->trace_id[i] = (uint8_t)r;
}

static struct ws_sampler sampler(const char *name, const char *arg)
{
	struct ws_sampler s;

	CHECK_INT(ws_sampler_init(&s, name, arg), 0);
	return s;
}

/* Computed from the specification's T = 2^56 - round(p * 2^56) in exact arithmetic (Python Fraction). */
TEST(thresholds_and_encodings_match_the_specification)
{
	static const struct {
		const char *arg;
		uint64_t t;
		const char *th;
	} v[] = {
		{ "1", 0, "0" },
		{ "0.5", 0x80000000000000ull, "8" },
		{ "0.25", 0xc0000000000000ull, "c" },
		{ "0.1", 0xe6666666666666ull, "e6666666666666" },
		{ "0.01", 0xfd70a3d70a3d71ull, "fd70a3d70a3d71" },
		{ "0.3333333333333333", 0xaaaaaaaaaaaaacull, "aaaaaaaaaaaaac" },
	};
	char buf[WS_SAMPLE_TH_MAX];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ws_sampler s = sampler("traceidratio", v[i].arg);

		CHECK_INT(s.threshold, v[i].t);
		CHECK_STR(s.th, v[i].th);
		CHECK_INT(s.th_len, strlen(v[i].th));
	}
	CHECK_INT(ws_sample_threshold(1.0 / 3), 0xaaaaaaaaaaaaacull);
	CHECK_INT(ws_sample_threshold(0), WS_SAMPLE_MAX);
	CHECK_INT(ws_sample_th_encode(0x00000000000001ull, buf), 14);
	CHECK_STR(buf, "00000000000001");
	CHECK_INT(ws_sample_th_encode(0xf0000000000000ull, buf), 1);
	CHECK_STR(buf, "f");
}

TEST(keep_iff_the_trace_ids_low_56_bits_reach_the_threshold)
{
	struct ws_sampler s = sampler("traceidratio", "0.1");
	struct ws_span sp;

	span_with_r(&sp, 0xe6666666666666ull);
	CHECK(ws_sampler_decide(&s, &sp).keep);
	CHECK_INT(ws_sampler_decide(&s, &sp).reason, WS_SAMPLE_KEPT_RATIO);
	CHECK(ws_sampler_decide(&s, &sp).write_th);
	span_with_r(&sp, 0xe6666666666665ull);
	CHECK(!ws_sampler_decide(&s, &sp).keep);
	CHECK_INT(ws_sampler_decide(&s, &sp).reason, WS_SAMPLE_DROPPED_RATIO);
	/* The byte above the low 56 bits is no part of it. */
	span_with_r(&sp, 0);
	memset(sp.trace_id, 0xff, 9);
	CHECK(!ws_sampler_decide(&s, &sp).keep);
	span_with_r(&sp, 0xffffffffffffffull);
	CHECK(ws_sampler_decide(&s, &sp).keep);
	s = sampler("traceidratio", "0");
	CHECK(!ws_sampler_decide(&s, &sp).keep);
	s = sampler("traceidratio", "1");
	span_with_r(&sp, 0);
	CHECK(ws_sampler_decide(&s, &sp).keep);
}

TEST(an_rv_in_the_ot_entry_overrides_the_trace_id)
{
	static const char ts[] = "a=1,ot=th:0;rv:e6666666666666,b=2";
	struct ws_sampler s = sampler("traceidratio", "0.1");
	struct ws_span *sp = ws_span_new();
	uint8_t id[16] = { 0 };

	CHECK_INT(ws_sample_randomness(id, ts, strlen(ts)), 0xe6666666666666ull);
	CHECK_INT(ws_sample_randomness(id, "ot=rv:e66666666666", 18), 0); /* 12 digits: not an rv */
	CHECK_INT(ws_sample_randomness(id, "ot=rv:E6666666666666", 20), 0); /* not lowercase */
	CHECK_INT(ws_sample_randomness(id, "x=rv:e6666666666666", 19), 0);  /* not ot */
	id[15] = 7;
	CHECK_INT(ws_sample_randomness(id, NULL, 0), 7);
	if (!sp)
		return;
	/* The trace id says drop; rv says keep, and the reverse. */
	CHECK_INT(ws_span_set_tracestate(sp, ts, strlen(ts)), 0);
	CHECK(ws_sampler_decide(&s, sp).keep);
	sp->strbuf_used = 0;
	CHECK_INT(ws_span_set_tracestate(sp, "ot=rv:00000000000001", 20), 0);
	memset(sp->trace_id, 0xff, 16);
	CHECK(!ws_sampler_decide(&s, sp).keep);
	ws_span_free(sp);
}

/* Kept of n fixed-seed traces at ratio arg. */
static size_t kept_of(const char *arg, size_t n, uint64_t seed)
{
	struct ws_sampler s = sampler("traceidratio", arg);
	struct ws_span sp;
	size_t kept = 0;

	memset(&sp, 0, offsetof(struct ws_span, attrs));
	for (size_t i = 0; i < n; i++) {
		random_trace(&sp, &seed);
		kept += ws_sampler_decide(&s, &sp).keep;
	}
	return kept;
}

TEST(the_ratio_holds_within_binomial_bounds_over_100000_traces)
{
	static const double ps[] = { 0.5, 0.25, 0.1, 0.01 };
	static const char *const args[] = { "0.5", "0.25", "0.1", "0.01" };

	for (size_t i = 0; i < 4; i++) {
		double mean = 100000 * ps[i], var = mean * (1 - ps[i]);
		size_t k = kept_of(args[i], 100000, 42 + i);
		double dev = (double)k - mean;

		/* 5 standard deviations: a correct sampler fails this about once in 3.5 million. */
		if (dev * dev > 25 * var)
			fprintf(stderr, "    p=%s kept %zu, want %.0f, variance %.0f\n", args[i], k,
				mean, var);
		CHECK(dev * dev <= 25 * var);
	}
	CHECK_INT(kept_of("1", 1000, 1), 1000);
	CHECK_INT(kept_of("0", 1000, 1), 0);
}

TEST(a_higher_ratio_keeps_a_superset_of_a_lower_one)
{
	static const char *const args[] = { "0.001",  "0.01", "0.1", "0.25",
					    "0.3333", "0.5",  "0.9", "1" };
	struct ws_sampler s[8];
	struct ws_span sp;
	uint64_t seed = 7;
	size_t bad = 0;

	for (int j = 0; j < 8; j++)
		s[j] = sampler("traceidratio", args[j]);
	memset(&sp, 0, offsetof(struct ws_span, attrs));
	for (int i = 0; i < 50000; i++) {
		bool was = false;

		random_trace(&sp, &seed);
		for (int j = 0; j < 8; j++) {
			bool k = ws_sampler_decide(&s[j], &sp).keep;

			bad += was && !k;
			was = k;
		}
	}
	CHECK_INT(bad, 0);
}

TEST(parent_based_follows_the_parent_and_the_root_sampler_decides_roots)
{
	/* [sampler][no parent, sampled parent, unsampled parent]: keep, reason */
	static const struct {
		const char *name;
		int keep[3], why[3];
	} v[] = {
		{ "parentbased_always_on",
		  { 1, 1, 0 },
		  { WS_SAMPLE_KEPT_ALWAYS, WS_SAMPLE_KEPT_PARENT, WS_SAMPLE_DROPPED_PARENT } },
		{ "parentbased_always_off",
		  { 0, 1, 0 },
		  { WS_SAMPLE_DROPPED_OFF, WS_SAMPLE_KEPT_PARENT, WS_SAMPLE_DROPPED_PARENT } },
		/* The trace id's R is below 0.5's threshold: the root is dropped. */
		{ "parentbased_traceidratio",
		  { 0, 1, 0 },
		  { WS_SAMPLE_DROPPED_RATIO, WS_SAMPLE_KEPT_PARENT, WS_SAMPLE_DROPPED_PARENT } },
		/* Not parent-based: the parent is not asked. */
		{ "traceidratio",
		  { 0, 0, 0 },
		  { WS_SAMPLE_DROPPED_RATIO, WS_SAMPLE_DROPPED_RATIO, WS_SAMPLE_DROPPED_RATIO } },
		{ "always_on",
		  { 1, 1, 1 },
		  { WS_SAMPLE_KEPT_ALWAYS, WS_SAMPLE_KEPT_ALWAYS, WS_SAMPLE_KEPT_ALWAYS } },
		{ "always_off",
		  { 0, 0, 0 },
		  { WS_SAMPLE_DROPPED_OFF, WS_SAMPLE_DROPPED_OFF, WS_SAMPLE_DROPPED_OFF } },
	};
	struct ws_span sp;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ws_sampler s = sampler(v[i].name, "0.5");

		for (int c = 0; c < 3; c++) {
			struct ws_sample_decision d;

			span_with_r(&sp, 0x10);
			if (c) {
				sp.parent_span_id[7] = 1;
				sp.trace_flags = c == 1 ? 1 : 0;
			}
			d = ws_sampler_decide(&s, &sp);
			if (d.keep != v[i].keep[c] || d.reason != v[i].why[c])
				fprintf(stderr, "    %s, parent case %d\n", v[i].name, c);
			CHECK_INT(d.keep, v[i].keep[c]);
			CHECK_INT(d.reason, v[i].why[c]);
			CHECK(!d.write_th);
		}
	}
}

TEST(a_ratio_root_of_parentbased_traceidratio_keeps_by_the_trace_id)
{
	struct ws_sampler s = sampler("parentbased_traceidratio", "0.5");
	struct ws_span sp;

	span_with_r(&sp, 0x80000000000000ull);
	CHECK(ws_sampler_decide(&s, &sp).keep);
	CHECK(ws_sampler_decide(&s, &sp).write_th);
	CHECK_INT(ws_sampler_decide(&s, &sp).reason, WS_SAMPLE_KEPT_RATIO);
}

/* The flag a new root's children inherit is the root's own decision, for every sampler. */
TEST(a_roots_flags_are_its_decision_so_its_children_follow_it)
{
	static const char *const names[] = WS_SAMPLER_NAMES;
	struct ws_span root, child;
	uint64_t seed = 99;

	for (int k = 0; k < WS_SAMPLER__COUNT; k++) {
		struct ws_sampler s = sampler(names[k], "0.3");
		size_t differ = 0, orphans = 0;

		memset(&root, 0, offsetof(struct ws_span, attrs));
		for (int i = 0; i < 10000; i++) {
			random_trace(&root, &seed);
			root.trace_flags = ws_sampler_root_flags(&s, root.trace_id);
			differ += root.trace_flags != ws_sampler_decide(&s, &root).keep;
			/* A child here: the root's trace id and flags, the root as its parent. */
			child = root;
			child.parent_span_id[0] = 1;
			orphans += ws_sampler_decide(&s, &child).keep &&
				   !ws_sampler_decide(&s, &root).keep;
		}
		if (differ || orphans)
			fprintf(stderr, "    %s\n", names[k]);
		CHECK_INT(differ, 0);
		CHECK_INT(orphans, 0);
	}
}

static const char *put_th(const char *ts, const char *th)
{
	static char out[WS_TRACESTATE_MAX + 1];
	int n = ws_tracestate_put_th(ts, ts ? strlen(ts) : 0, th, strlen(th), out, sizeof(out));

	CHECK(n >= 0);
	if (n >= 0)
		CHECK_INT(strlen(out), n);
	return out;
}

TEST(th_goes_first_in_the_ot_entry_and_the_ot_entry_first_in_the_list)
{
	CHECK_STR(put_th(NULL, "8"), "ot=th:8");
	CHECK_STR(put_th("", "0"), "ot=th:0");
	CHECK_STR(put_th("congo=t61rcWkgMzE", "8"), "ot=th:8,congo=t61rcWkgMzE");
	CHECK_STR(put_th("a=1,ot=rv:0123456789abcd;th:c;x:y,b=2", "e6666666666666"),
		  "ot=th:e6666666666666;rv:0123456789abcd;x:y,a=1,b=2");
	CHECK_STR(put_th("a=1 , ot=th:c ,b=2", "8"), "ot=th:8,a=1,b=2");
	CHECK_STR(put_th("a@v=1,,b=2", "8"), "ot=th:8,a@v=1,b=2");
}

TEST(the_tracestate_stays_within_32_members_and_512_bytes)
{
	char ts[2048], want[2048], m[16];
	size_t n = 0, w;
	const char *out;

	/* 40 members: ot and the first 31 stay. */
	w = (size_t)snprintf(want, sizeof(want), "ot=th:8");
	for (int i = 0; i < 40; i++) {
		snprintf(m, sizeof(m), "k%d=%d", i, i);
		n += (size_t)snprintf(ts + n, sizeof(ts) - n, "%s%s", i ? "," : "", m);
		if (i < 31)
			w += (size_t)snprintf(want + w, sizeof(want) - w, ",%s", m);
	}
	CHECK_STR(put_th(ts, "8"), want);
	/* Long members: what passes 512 bytes is dropped from the end. */
	memset(ts, 'v', 600);
	memcpy(ts, "a=", 2);
	ts[200] = ',';
	memcpy(ts + 201, "b=", 2);
	ts[400] = ',';
	memcpy(ts + 401, "c=", 2);
	ts[600] = '\0';
	out = put_th(ts, "8");
	CHECK_INT(strlen(out), 7 + 1 + 200 + 1 + 199);
	CHECK(!strstr(out, "c="));
	/* An ot value that would pass 256 bytes keeps only th. */
	n = (size_t)snprintf(ts, sizeof(ts), "ot=th:c;x:");
	memset(ts + n, 'y', 260);
	strcpy(ts + n + 260, ",z=1");
	CHECK_STR(put_th(ts, "8"), "ot=th:8,z=1");
	/* Too small an output: no cut list. */
	CHECK_INT(ws_tracestate_put_th(NULL, 0, "8", 1, want, 5), -ENOSPC);
}

TEST(a_kept_span_carries_the_sampled_flag_and_th)
{
	struct ws_sampler s = sampler("traceidratio", "0.1");
	struct ws_sample_decision d;
	struct ws_span *sp = ws_span_new();

	if (!sp)
		return;
	CHECK_INT(ws_span_add_str(sp, "k", "value", 5), 0);
	CHECK_INT(ws_span_set_tracestate(sp, "a=1,ot=x:1", 10), 0);
	memset(sp->trace_id + 9, 0xff, 7);
	sp = ws_span_shrink(sp);
	d = ws_sampler_decide(&s, sp);
	CHECK(d.keep);
	sp = ws_sample_mark(&s, &d, sp);
	CHECK_INT(sp->trace_flags, 1);
	CHECK(ws_span_in_arena(sp, sp->tracestate_off, sp->tracestate_len));
	CHECK_MEM(sp->strbuf + sp->tracestate_off, sp->tracestate_len,
		  "ot=th:e6666666666666;x:1,a=1");
	CHECK_MEM(ws_attr_str(sp, ws_span_attr(sp, "k")), 5, "value");
	ws_span_free(sp);

	/* always_on: the flag, and the tracestate as it came. */
	s = sampler(NULL, NULL);
	sp = ws_span_new();
	if (!sp)
		return;
	CHECK_INT(ws_span_set_tracestate(sp, "a=1", 3), 0);
	sp = ws_span_shrink(sp);
	d = ws_sampler_decide(&s, sp);
	sp = ws_sample_mark(&s, &d, sp);
	CHECK_INT(sp->trace_flags, 1);
	CHECK_MEM(sp->strbuf + sp->tracestate_off, sp->tracestate_len, "a=1");
	ws_span_free(sp);
}

TEST(settings_good_bad_and_unknown)
{
	struct ws_sampler s;
	double p;

	CHECK_INT(ws_sampler_init(&s, NULL, NULL), 0);
	CHECK_INT(s.kind, WS_SAMPLER_ALWAYS_ON);
	CHECK_INT(ws_sampler_init(&s, "parentbased_traceidratio", "0.25"), 0);
	CHECK_INT(s.kind, WS_SAMPLER_PB_TRACEIDRATIO);
	CHECK_STR(s.th, "c");
	CHECK_INT(ws_sampler_init(&s, "traceidratio", NULL), 0);
	CHECK_INT(s.threshold, 0); /* the ratio's default is 1 */
	CHECK_INT(ws_sampler_init(&s, "traceidratio", "1.5"), -EINVAL);
	CHECK_INT(ws_sampler_init(&s, "traceidratio", "-0.1"), -EINVAL);
	CHECK_INT(ws_sampler_init(&s, "traceidratio", "0.1x"), -EINVAL);
	CHECK_INT(ws_sampler_init(&s, "traceidratio", "nan"), -EINVAL);
	CHECK_INT(ws_sampler_init(&s, "traceidratio", ""), -EINVAL);
	/* The argument of a sampler without a ratio is not read. */
	CHECK_INT(ws_sampler_init(&s, "always_off", "lots"), 0);
	CHECK_INT(s.kind, WS_SAMPLER_ALWAYS_OFF);
	/* Unknown: the default, and the caller warns. */
	CHECK_INT(ws_sampler_init(&s, "jaeger_remote", "0.5"), -ENOENT);
	CHECK_INT(s.kind, WS_SAMPLER_ALWAYS_ON);
	CHECK_INT(ws_sampler_init(&s, "TraceIdRatio", NULL), -ENOENT);
	CHECK_INT(ws_sampler_parse_ratio("0.5", &p), 0);
	CHECK(p == 0.5);
}

static const struct check_case cases[] = {
	CASE(thresholds_and_encodings_match_the_specification),
	CASE(keep_iff_the_trace_ids_low_56_bits_reach_the_threshold),
	CASE(an_rv_in_the_ot_entry_overrides_the_trace_id),
	CASE(the_ratio_holds_within_binomial_bounds_over_100000_traces),
	CASE(a_higher_ratio_keeps_a_superset_of_a_lower_one),
	CASE(parent_based_follows_the_parent_and_the_root_sampler_decides_roots),
	CASE(a_ratio_root_of_parentbased_traceidratio_keeps_by_the_trace_id),
	CASE(a_roots_flags_are_its_decision_so_its_children_follow_it),
	CASE(th_goes_first_in_the_ot_entry_and_the_ot_entry_first_in_the_list),
	CASE(the_tracestate_stays_within_32_members_and_512_bytes),
	CASE(a_kept_span_carries_the_sampled_flag_and_th),
	CASE(settings_good_bad_and_unknown),
};

CHECK_MAIN("sampler", cases)
