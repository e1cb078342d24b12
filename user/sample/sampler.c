// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Head sampling (see sampler.h): the sampler's settings, the decision, the
 * probability math of the OpenTelemetry specification ("TraceState:
 * Probability Sampling": randomness R, rejection threshold T, keep iff
 * R >= T) and the writing of ot=th:T into a kept span's tracestate.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"
#include "span.h"

int ws_sampler_parse_ratio(const char *arg, double *out)
{
	char *end;
	double p;

	if (!arg || !*arg)
		return -EINVAL;
	errno = 0;
	p = strtod(arg, &end);
	if (errno || *end || !isfinite(p) || !(p >= 0.0 && p <= 1.0))
		return -EINVAL;
	*out = p;
	return 0;
}

uint64_t ws_sample_threshold(double p)
{
	uint64_t keep;

	if (!(p > 0.0))
		return WS_SAMPLE_MAX;
	if (p >= 1.0)
		return 0;
	/*
	 * Kept: the round(p * 2^56) randomness values at the top. Computing
	 * the kept count and subtracting it in integers keeps every bit of p
	 * (0.1 gives e6666666666666; (1 - p) * 2^56 in doubles would not).
	 */
	keep = (uint64_t)(p * (double)WS_SAMPLE_MAX + 0.5); /* exact scaling, then rounding */
	return WS_SAMPLE_MAX - keep;
}

size_t ws_sample_th_encode(uint64_t t, char out[WS_SAMPLE_TH_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 14;

	for (int i = 13; i >= 0; i--, t >>= 4)
		out[i] = hex[t & 0xf];
	while (n > 1 && out[n - 1] == '0')
		n--;
	out[n] = '\0';
	return n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The next list element of [*p, end) split on sep, trimmed of spaces and tabs. */
static bool next_elem(const char **p, const char *end, char sep, const char **e, size_t *elen)
{
	const char *s = *p, *x;

	if (s >= end)
		return false;
	x = memchr(s, sep, end - s);
	if (!x)
		x = end;
	*p = x < end ? x + 1 : end;
	while (s < x && ows(*s))
		s++;
	while (x > s && ows(x[-1]))
		x--;
	*e = s;
	*elen = x - s;
	return true;
}

/* The value of the first ot member of a tracestate, or NULL. */
static const char *ot_value(const char *ts, size_t len, size_t *vlen)
{
	const char *p = ts, *end = ts + len, *m;
	size_t mlen;

	while (ts && next_elem(&p, end, ',', &m, &mlen)) {
		if (mlen >= 3 && m[0] == 'o' && m[1] == 't' && m[2] == '=') {
			*vlen = mlen - 3;
			return m + 3;
		}
	}
	return NULL;
}

uint64_t ws_sample_randomness(const uint8_t trace_id[16], const char *ts, size_t len)
{
	const char *ot, *p, *e;
	size_t vlen, elen;
	uint64_t r = 0;

	ot = ot_value(ts, len, &vlen);
	for (p = ot; ot && next_elem(&p, ot + vlen, ';', &e, &elen);) {
		int i;

		if (elen != 17 || e[0] != 'r' || e[1] != 'v' || e[2] != ':')
			continue;
		for (i = 3, r = 0; i < 17 && hexval(e[i]) >= 0; i++)
			r = r << 4 | (uint64_t)hexval(e[i]);
		if (i == 17)
			return r;
	}
	r = 0;
	for (int i = 9; i < 16; i++)
		r = r << 8 | trace_id[i];
	return r;
}

int ws_sampler_init(struct ws_sampler *s, const char *name, const char *arg)
{
	static const char *const names[] = WS_SAMPLER_NAMES;
	int kind = -1;

	memset(s, 0, sizeof(*s));
	s->ratio = 1.0;
	for (int i = 0; name && i < WS_SAMPLER__COUNT; i++)
		if (!strcmp(name, names[i]))
			kind = i;
	s->kind = kind < 0 ? WS_SAMPLER_ALWAYS_ON : (enum ws_sampler_kind)kind;
	if ((s->kind == WS_SAMPLER_TRACEIDRATIO || s->kind == WS_SAMPLER_PB_TRACEIDRATIO) && arg &&
	    ws_sampler_parse_ratio(arg, &s->ratio))
		return -EINVAL;
	s->threshold = ws_sample_threshold(s->ratio);
	if (s->threshold < WS_SAMPLE_MAX)
		s->th_len = (uint8_t)ws_sample_th_encode(s->threshold, s->th);
	return name && kind < 0 ? -ENOENT : 0;
}

static struct ws_sample_decision decided(bool keep, bool th, enum ws_sample_reason why)
{
	return (struct ws_sample_decision){ .keep = keep, .write_th = th, .reason = why };
}

/* The root sampler of a sampler: what decides a span without a parent. */
static struct ws_sample_decision root_decision(const struct ws_sampler *s, const struct ws_span *sp)
{
	const char *ts = NULL;
	uint64_t r;

	switch (s->kind) {
	case WS_SAMPLER_ALWAYS_OFF:
	case WS_SAMPLER_PB_ALWAYS_OFF:
		return decided(false, false, WS_SAMPLE_DROPPED_OFF);
	case WS_SAMPLER_TRACEIDRATIO:
	case WS_SAMPLER_PB_TRACEIDRATIO:
		if (sp->tracestate_len &&
		    ws_span_in_arena(sp, sp->tracestate_off, sp->tracestate_len))
			ts = sp->strbuf + sp->tracestate_off;
		r = ws_sample_randomness(sp->trace_id, ts, ts ? sp->tracestate_len : 0);
		if (r >= s->threshold)
			return decided(true, true, WS_SAMPLE_KEPT_RATIO);
		return decided(false, false, WS_SAMPLE_DROPPED_RATIO);
	default:
		return decided(true, false, WS_SAMPLE_KEPT_ALWAYS);
	}
}

uint8_t ws_sampler_root_flags(const void *sampler, const uint8_t trace_id[16])
{
	const struct ws_sampler *s = sampler;

	switch (s->kind) {
	case WS_SAMPLER_ALWAYS_OFF:
	case WS_SAMPLER_PB_ALWAYS_OFF:
		return 0;
	case WS_SAMPLER_TRACEIDRATIO:
	case WS_SAMPLER_PB_TRACEIDRATIO:
		return ws_sample_randomness(trace_id, NULL, 0) >= s->threshold;
	default:
		return 1;
	}
}

struct ws_sample_decision ws_sampler_decide(const struct ws_sampler *s, const struct ws_span *sp)
{
	switch (s->kind) {
	case WS_SAMPLER_PB_ALWAYS_ON:
	case WS_SAMPLER_PB_ALWAYS_OFF:
	case WS_SAMPLER_PB_TRACEIDRATIO:
		if (ws_span_is_root(sp))
			return root_decision(s, sp);
		/* The parent's th, if any, stays as it came: the parent decided. */
		if (sp->trace_flags & 1)
			return decided(true, false, WS_SAMPLE_KEPT_PARENT);
		return decided(false, false, WS_SAMPLE_DROPPED_PARENT);
	default:
		return root_decision(s, sp);
	}
}

/* Appends [s, s + n) at *len if it fits under lim. */
static bool put(char *out, size_t *len, size_t lim, const char *s, size_t n)
{
	if (n > lim - *len)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	return true;
}

int ws_tracestate_put_th(const char *ts, size_t len, const char *th, size_t thlen, char *out,
			 size_t outsz)
{
	const char *ot = NULL, *p, *e, *end = ts ? ts + len : NULL;
	size_t n = 0, vlen = 0, elen, lim, start, members = 1;

	if (!outsz)
		return -ENOSPC;
	lim = outsz - 1 < WS_TRACESTATE_MAX ? outsz - 1 : WS_TRACESTATE_MAX;
	if (ts)
		ot = ot_value(ts, len, &vlen);
	if (!put(out, &n, lim, "ot=th:", 6) || !put(out, &n, lim, th, thlen))
		return -ENOSPC;
	start = n;
	for (p = ot; ot && next_elem(&p, ot + vlen, ';', &e, &elen);) {
		if (!elen || (elen >= 3 && !memcmp(e, "th:", 3)))
			continue;
		if (n - 3 + 1 + elen > WS_OT_VALUE_MAX || !put(out, &n, lim, ";", 1) ||
		    !put(out, &n, lim, e, elen)) {
			n = start; /* an ot value too long keeps only th */
			break;
		}
	}
	for (p = ts; ts && members < WS_TRACESTATE_MEMBERS && next_elem(&p, end, ',', &e, &elen);) {
		size_t at = n;

		if (!elen || (elen >= 3 && !memcmp(e, "ot=", 3)))
			continue;
		if (!put(out, &n, lim, ",", 1) || !put(out, &n, lim, e, elen)) {
			n = at; /* full: the members from here on are dropped */
			break;
		}
		members++;
	}
	out[n] = '\0';
	return (int)n;
}

struct ws_span *ws_sample_mark(const struct ws_sampler *s, const struct ws_sample_decision *d,
			       struct ws_span *sp)
{
	char buf[WS_TRACESTATE_MAX + 1];
	const char *ts = NULL;
	struct ws_span *n;
	size_t used;
	int len;

	sp->trace_flags |= 1;
	if (!d->write_th || !s->th_len)
		return sp;
	if (sp->tracestate_len && ws_span_in_arena(sp, sp->tracestate_off, sp->tracestate_len))
		ts = sp->strbuf + sp->tracestate_off;
	len = ws_tracestate_put_th(ts, ts ? sp->tracestate_len : 0, s->th, s->th_len, buf,
				   sizeof(buf));
	used = sp->strbuf_used;
	if (len <= 0 || used >= WS_SPAN_STRBUF || (size_t)len >= WS_SPAN_STRBUF - used)
		return sp;
	/* A finished span is one block sized to its arena (ws_span_shrink): it grows here. */
	n = realloc(sp, offsetof(struct ws_span, strbuf) + used + len + 1);
	if (!n)
		return sp;
	memcpy(n->strbuf + used, buf, len + 1);
	n->tracestate_off = (uint16_t)used;
	n->tracestate_len = (uint16_t)len;
	n->strbuf_used = (uint16_t)(used + len);
	return n;
}
