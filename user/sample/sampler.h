/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Head sampling: the OpenTelemetry samplers OTEL_TRACES_SAMPLER names, with
 * the specification's consistent probability sampling for the ratio ones
 * ("TraceState: Probability Sampling", OTEP 235). A decision depends only on
 * the span's trace id (or the rv of its tracestate's ot entry), its parent
 * and its trace flags, so two agents that never talk keep the same traces,
 * and a higher ratio keeps a superset of a lower one.
 *
 * Randomness R: the trace id's low 56 bits, or ot's rv (14 hex digits).
 * Threshold T for ratio p: 2^56 - round(p * 2^56), the rejection threshold.
 * Keep iff R >= T. A kept span of a ratio sampler carries ot=th:T (T's 14
 * hex digits, trailing zeros dropped, "0" for T = 0) first in its tracestate.
 */
#ifndef WS_SAMPLER_H
#define WS_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ws_span;

enum ws_sampler_kind {
	WS_SAMPLER_ALWAYS_ON = 0, /* wirespan's default, for now: keep everything */
	WS_SAMPLER_ALWAYS_OFF,
	WS_SAMPLER_TRACEIDRATIO,
	WS_SAMPLER_PB_ALWAYS_ON,
	WS_SAMPLER_PB_ALWAYS_OFF,
	WS_SAMPLER_PB_TRACEIDRATIO,
	WS_SAMPLER__COUNT,
};

/* OTEL_TRACES_SAMPLER's values, by enum ws_sampler_kind. */
#define WS_SAMPLER_NAMES                                                                           \
	{                                                                                          \
		"always_on", "always_off", "traceidratio", "parentbased_always_on",                \
			"parentbased_always_off", "parentbased_traceidratio"                       \
	}

/* Why a span was kept or dropped: the counters' names, by index. */
enum ws_sample_reason {
	WS_SAMPLE_KEPT_ALWAYS = 0, /* always_on, or a parent-based root under always_on */
	WS_SAMPLE_KEPT_RATIO,	   /* R >= T */
	WS_SAMPLE_KEPT_PARENT,	   /* parent-based: the parent was sampled */
	WS_SAMPLE_DROPPED_RATIO,   /* R < T */
	WS_SAMPLE_DROPPED_PARENT,  /* parent-based: the parent was not sampled */
	WS_SAMPLE_DROPPED_OFF,	   /* always_off, or a parent-based root under always_off */
	WS_SAMPLE__COUNT,
};

#define WS_SAMPLE_REASON_NAMES                                                                     \
	{                                                                                          \
		"sampled_kept_always", "sampled_kept_ratio", "sampled_kept_parent",                \
			"sampled_dropped_ratio", "sampled_dropped_parent", "sampled_dropped_off"   \
	}

/* 2^56: randomness and thresholds are 56-bit. */
#define WS_SAMPLE_MAX (1ull << 56)
/* th's value: at most 14 hex digits, and a NUL. */
#define WS_SAMPLE_TH_MAX 15
/* The W3C limits of a tracestate list, and OpenTelemetry's of the ot value. */
#define WS_TRACESTATE_MAX 512
#define WS_TRACESTATE_MEMBERS 32
#define WS_OT_VALUE_MAX 256

struct ws_sampler {
	enum ws_sampler_kind kind;
	double ratio;	    /* the ratio samplers' p, 0..1 (OTEL_TRACES_SAMPLER_ARG, default 1) */
	uint64_t threshold; /* T for ratio; WS_SAMPLE_MAX: nothing passes (p = 0) */
	char th[WS_SAMPLE_TH_MAX]; /* T encoded; "" when p = 0 (no span is kept to carry it) */
	uint8_t th_len;
};

struct ws_sample_decision {
	bool keep;
	bool write_th;	/* kept by the ratio: ot=th:<sampler's th> goes into the tracestate */
	uint8_t reason; /* enum ws_sample_reason */
};

/*
 * The sampler named name (NULL: always_on) with ratio arg (NULL: 1). 0;
 * -ENOENT when name is not one of WS_SAMPLER_NAMES (s is then always_on: the
 * specification's rule is a warning and the default); -EINVAL when arg is
 * not a number in [0, 1] and the sampler is a ratio one (for the others it
 * is not read, as the specification says).
 */
int ws_sampler_init(struct ws_sampler *s, const char *name, const char *arg);
/* An OTEL_TRACES_SAMPLER_ARG: a whole decimal number in [0, 1]. 0 or -EINVAL. */
int ws_sampler_parse_ratio(const char *arg, double *out);
/* The rejection threshold of probability p in [0, 1]: 2^56 - round(p * 2^56). */
uint64_t ws_sample_threshold(double p);
/* T < 2^56 as th's value: 14 hex digits, trailing zeros dropped ("0" for 0). Its length. */
size_t ws_sample_th_encode(uint64_t t, char out[WS_SAMPLE_TH_MAX]);
/*
 * R: the rv of the ot entry of the tracestate (ts, len), when it is there and
 * 14 hex digits, else the trace id's low 56 bits (bytes 9..15, big-endian).
 */
uint64_t ws_sample_randomness(const uint8_t trace_id[16], const char *ts, size_t len);

/* The decision for span sp: pure, no allocation. */
struct ws_sample_decision ws_sampler_decide(const struct ws_sampler *s, const struct ws_span *sp);

/*
 * The sampled flag (0 or 1) of a trace this agent starts with trace_id: its
 * root's decision, which ws_sampler_decide() gives the root span too. The
 * assembler's root_flags (ctx: a struct ws_sampler), so that the root's
 * in-process children follow it under a parent-based sampler.
 */
uint8_t ws_sampler_root_flags(const void *sampler, const uint8_t trace_id[16]);

/*
 * tracestate (ts, len) with th set in its ot entry: "ot=th:<th>[;other ot
 * sub-keys in order]" first, then the other members in order. Members past
 * the 32nd, or past 512 bytes, are dropped from the end (the W3C rule); an
 * ot value that would pass 256 bytes keeps only th. Length written (no NUL
 * counted, out NUL-terminated) or -ENOSPC when outsz is too small.
 */
int ws_tracestate_put_th(const char *ts, size_t len, const char *th, size_t thlen, char *out,
			 size_t outsz);

/*
 * Carries the decision on a kept span: the sampled flag (trace-flags bit 0)
 * and, when d->write_th, the tracestate with th. Returns the span, maybe
 * moved (its arena grows for the new tracestate); a tracestate that cannot
 * be written (no memory, no room in the arena) leaves the old one.
 */
struct ws_span *ws_sample_mark(const struct ws_sampler *s, const struct ws_sample_decision *d,
			       struct ws_span *sp);

#endif /* WS_SAMPLER_H */
