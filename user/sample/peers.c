// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The degraded-partner tracker (see peers.h): a table of peers allocated
 * once, found by a chained hash of their names and kept in least recently
 * called order, so that the full table gives up its stalest peer in O(1).
 * Each peer holds its ring of window slots (calls, errors, a latency
 * histogram) and its state; a call is counted, then the peer judged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmix.h"
#include "peers.h"
#include "span.h"

#define NO_PEER UINT32_MAX

struct slot {
	uint64_t
		epoch; /* now / slot width of the calls counted here; stale when out of the window */
	uint32_t calls, errors;
	uint32_t bins[WS_PEERS_BINS];
};

struct peer {
	char name[WS_PEER_NAME_MAX];
	uint64_t hash;
	uint32_t chain;	     /* next in the hash bucket */
	uint32_t prev, next; /* the recency list: head is the most recent call */
	uint64_t newest;     /* the newest epoch counted: the window ends there */
	bool degraded;
	uint32_t calls, error_pct, p99_ms; /* as last judged */
	struct slot slots[WS_PEERS_SLOTS];
};

struct ws_peers {
	struct ws_peers_opts o;
	uint64_t slot_ns;
	uint32_t n, nbuckets; /* peers in use; hash buckets, a power of two */
	uint32_t head, tail;
	uint32_t degraded;
	uint64_t transitions, evicted;
	uint32_t *buckets;
	struct peer *peers;
};

/* 2^(k/4) for k = 0..3: the bins' steps within a doubling. */
static const double quarter[WS_PEERS_BINS_PER_DOUBLING] = { 1.0, 1.189207115002721,
							    1.414213562373095, 1.681792830507429 };

/* The k-th edge, 2^(k/4) ms, in ns: bin k + 1 starts there. */
static uint64_t edge_ns(unsigned k)
{
	return (uint64_t)(1e6 * (double)(1ull << (k / WS_PEERS_BINS_PER_DOUBLING)) *
			  quarter[k % WS_PEERS_BINS_PER_DOUBLING]);
}

unsigned ws_peers_bin(uint64_t ns)
{
	unsigned lo = 0, hi = WS_PEERS_BINS - 1; /* the edges at or under ns: lo..hi */

	while (lo < hi) {
		unsigned mid = (lo + hi + 1) / 2;

		if (edge_ns(mid - 1) <= ns)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

uint64_t ws_peers_bin_upper_ms(unsigned bin)
{
	if (bin >= WS_PEERS_BINS - 1)
		bin = WS_PEERS_BINS - 2; /* over the top: reported as the top edge */
	return (edge_ns(bin) + 999999) / 1000000;
}

static uint32_t or_default(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

struct ws_peers *ws_peers_new(const struct ws_peers_opts *opts)
{
	struct ws_peers *p = calloc(1, sizeof(*p));

	if (!p)
		goto fail;
	p->o = *opts;
	p->o.max_peers = or_default(opts->max_peers, WS_PEERS_DEFAULT_MAX);
	p->o.window_s = or_default(opts->window_s, WS_PEERS_DEFAULT_WINDOW_S);
	p->o.error_pct = or_default(opts->error_pct, WS_PEERS_DEFAULT_ERROR_PCT);
	p->o.recover_pct = or_default(opts->recover_pct, WS_PEERS_DEFAULT_RECOVER_PCT);
	if (p->o.recover_pct > p->o.error_pct)
		p->o.recover_pct = p->o.error_pct;
	p->o.p99_ms = or_default(opts->p99_ms, WS_PEERS_DEFAULT_P99_MS);
	p->o.min_calls = or_default(opts->min_calls, WS_PEERS_DEFAULT_MIN_CALLS);
	p->slot_ns = (uint64_t)p->o.window_s * 1000000000ull / WS_PEERS_SLOTS;
	/* Two buckets a peer at most: short chains. */
	for (p->nbuckets = 16; p->nbuckets < 2 * p->o.max_peers; p->nbuckets *= 2)
		;
	p->buckets = malloc(p->nbuckets * sizeof(p->buckets[0]));
	p->peers = calloc(p->o.max_peers, sizeof(p->peers[0]));
	if (!p->buckets || !p->peers) {
		ws_peers_free(p);
		goto fail;
	}
	memset(p->buckets, 0xff, p->nbuckets * sizeof(p->buckets[0]));
	p->head = p->tail = NO_PEER;
	return p;
fail:
	errno = ENOMEM;
	return NULL;
}

void ws_peers_free(struct ws_peers *p)
{
	if (!p)
		return;
	free(p->peers);
	free(p->buckets);
	free(p);
}

/* FNV-1a, mixed: names share long prefixes. */
static uint64_t name_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return ws_mix64(h);
}

/*
 * The peer's name for span s into out (NUL-terminated, cut to fit): its
 * peer.service, else "server.address:server.port". Its length; 0: a span
 * with neither, or not a CLIENT span.
 */
static size_t peer_name(const struct ws_span *s, char out[WS_PEER_NAME_MAX])
{
	const struct ws_attr *a;
	int n;

	if (s->kind != WS_KIND_CLIENT)
		return 0;
	a = ws_span_attr(s, "peer.service");
	if (!a || a->type != WS_ATTR_STR || !a->len)
		a = ws_span_attr(s, "server.address");
	if (!a || a->type != WS_ATTR_STR || !a->len || !ws_span_in_arena(s, a->off, a->len))
		return 0;
	if (!strcmp(a->key, "peer.service")) {
		n = snprintf(out, WS_PEER_NAME_MAX, "%.*s", (int)a->len, ws_attr_str(s, a));
	} else {
		const struct ws_attr *port = ws_span_attr(s, "server.port");

		if (port && port->type == WS_ATTR_INT)
			n = snprintf(out, WS_PEER_NAME_MAX, "%.*s:%lld", (int)a->len,
				     ws_attr_str(s, a), (long long)port->ival);
		else
			n = snprintf(out, WS_PEER_NAME_MAX, "%.*s", (int)a->len, ws_attr_str(s, a));
	}
	return n < WS_PEER_NAME_MAX ? (size_t)n : WS_PEER_NAME_MAX - 1;
}

static uint32_t find(const struct ws_peers *p, const char *name, uint64_t h)
{
	uint32_t i = p->buckets[h & (p->nbuckets - 1)];

	while (i != NO_PEER && (p->peers[i].hash != h || strcmp(p->peers[i].name, name)))
		i = p->peers[i].chain;
	return i;
}

static void unlink_recent(struct ws_peers *p, uint32_t i)
{
	struct peer *e = &p->peers[i];

	if (e->prev != NO_PEER)
		p->peers[e->prev].next = e->next;
	else
		p->head = e->next;
	if (e->next != NO_PEER)
		p->peers[e->next].prev = e->prev;
	else
		p->tail = e->prev;
}

static void push_recent(struct ws_peers *p, uint32_t i)
{
	struct peer *e = &p->peers[i];

	e->prev = NO_PEER;
	e->next = p->head;
	if (p->head != NO_PEER)
		p->peers[p->head].prev = i;
	p->head = i;
	if (p->tail == NO_PEER)
		p->tail = i;
}

static void unlink_chain(struct ws_peers *p, uint32_t i)
{
	uint32_t *at = &p->buckets[p->peers[i].hash & (p->nbuckets - 1)];

	while (*at != i)
		at = &p->peers[*at].chain;
	*at = p->peers[i].chain;
}

/* A slot for a new peer: a free one, or the least recently called one's (counted). */
static uint32_t take_slot(struct ws_peers *p)
{
	uint32_t i;

	if (p->n < p->o.max_peers)
		return p->n++;
	i = p->tail;
	unlink_recent(p, i);
	unlink_chain(p, i);
	if (p->peers[i].degraded)
		p->degraded--;
	p->evicted++;
	return i;
}

static uint32_t find_or_add(struct ws_peers *p, const char *name, size_t len)
{
	uint64_t h = name_hash(name, len);
	uint32_t i = find(p, name, h), *bucket;
	struct peer *e;

	if (i != NO_PEER) {
		unlink_recent(p, i);
		push_recent(p, i);
		return i;
	}
	i = take_slot(p);
	e = &p->peers[i];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, len + 1);
	e->hash = h;
	bucket = &p->buckets[h & (p->nbuckets - 1)];
	e->chain = *bucket;
	*bucket = i;
	push_recent(p, i);
	return i;
}

/* The window's totals ending at the peer's newest epoch, and its p99 bin's upper edge. */
static void judge_window(const struct peer *e, uint32_t *calls, uint32_t *errors, uint32_t *p99_ms)
{
	uint64_t bins[WS_PEERS_BINS] = { 0 }, rank, seen = 0;
	unsigned b;

	*calls = *errors = 0;
	for (int i = 0; i < WS_PEERS_SLOTS; i++) {
		const struct slot *s = &e->slots[i];

		if (!s->calls || s->epoch + WS_PEERS_SLOTS <= e->newest)
			continue;
		*calls += s->calls;
		*errors += s->errors;
		for (b = 0; b < WS_PEERS_BINS; b++)
			bins[b] += s->bins[b];
	}
	/* The 99th percentile call: rank ceil(0.99 n), counted from the fastest. */
	rank = ((uint64_t)*calls * 99 + 99) / 100;
	for (b = 0; b < WS_PEERS_BINS - 1; b++) {
		seen += bins[b];
		if (seen >= rank)
			break;
	}
	*p99_ms = *calls ? (uint32_t)ws_peers_bin_upper_ms(b) : 0;
}

static void judge(struct ws_peers *p, struct peer *e)
{
	struct ws_peer_transition t = { .peer = e->name, .window_s = p->o.window_s };
	uint32_t errors;
	bool by_errors, by_latency;

	judge_window(e, &e->calls, &errors, &e->p99_ms);
	e->error_pct = e->calls ? (uint32_t)((uint64_t)errors * 100 / e->calls) : 0;
	if (e->calls < p->o.min_calls)
		return; /* too little to say either way */
	if (!e->degraded) {
		by_errors = (uint64_t)errors * 100 >= (uint64_t)p->o.error_pct * e->calls;
		by_latency = e->p99_ms >= p->o.p99_ms;
		if (!by_errors && !by_latency)
			return;
		t.by_errors = by_errors;
		t.error_threshold_pct = p->o.error_pct;
		t.p99_threshold_ms = p->o.p99_ms;
	} else {
		t.p99_threshold_ms = (uint32_t)((uint64_t)p->o.p99_ms * WS_PEERS_RECOVER_P99_PCT /
						100);
		t.error_threshold_pct = p->o.recover_pct;
		if ((uint64_t)errors * 100 >= (uint64_t)p->o.recover_pct * e->calls ||
		    e->p99_ms >= t.p99_threshold_ms)
			return;
	}
	e->degraded = !e->degraded;
	e->degraded ? p->degraded++ : p->degraded--;
	p->transitions++;
	t.degraded = e->degraded;
	t.error_pct = e->error_pct;
	t.p99_ms = e->p99_ms;
	t.calls = e->calls;
	if (p->o.on_transition)
		p->o.on_transition(p->o.ctx, &t);
}

void ws_peers_observe(struct ws_peers *p, const struct ws_span *s, uint64_t now_ns)
{
	char name[WS_PEER_NAME_MAX];
	size_t len = p ? peer_name(s, name) : 0;
	uint64_t epoch = p ? now_ns / p->slot_ns : 0;
	struct peer *e;
	struct slot *sl;

	if (!p || !len)
		return;
	e = &p->peers[find_or_add(p, name, len)];
	if (e->newest >= WS_PEERS_SLOTS && epoch <= e->newest - WS_PEERS_SLOTS)
		return; /* out of the window already */
	if (epoch > e->newest)
		e->newest = epoch;
	sl = &e->slots[epoch % WS_PEERS_SLOTS];
	if (sl->epoch != epoch || !sl->calls) {
		memset(sl, 0, sizeof(*sl));
		sl->epoch = epoch;
	}
	sl->calls++;
	if (s->status == WS_STATUS_ERROR)
		sl->errors++;
	sl->bins[ws_peers_bin(s->end_unix_ns > s->start_unix_ns ? s->end_unix_ns - s->start_unix_ns
								: 0)]++;
	judge(p, e);
}

bool ws_peers_span_degraded(const struct ws_peers *p, const struct ws_span *s)
{
	char name[WS_PEER_NAME_MAX];
	size_t len;
	uint32_t i;

	if (!p || !p->degraded)
		return false;
	len = peer_name(s, name);
	if (!len)
		return false;
	i = find(p, name, name_hash(name, len));
	return i != NO_PEER && p->peers[i].degraded;
}

size_t ws_peers_degraded_now(const struct ws_peers *p)
{
	return p ? p->degraded : 0;
}

void ws_peers_stats(const struct ws_peers *p, struct ws_peers_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!p)
		return;
	out->transitions = p->transitions;
	out->evicted = p->evicted;
	out->peers = p->n;
	out->degraded = p->degraded;
}

size_t ws_peers_list(const struct ws_peers *p, struct ws_peer_info *out, size_t max)
{
	size_t n = 0;

	if (!p)
		return 0;
	/* Two passes over the recency list: the degraded, then the others. */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = p->head; i != NO_PEER && n < max; i = p->peers[i].next) {
			const struct peer *e = &p->peers[i];

			if (e->degraded != (pass == 0))
				continue;
			memcpy(out[n].name, e->name, sizeof(out[n].name));
			out[n].degraded = e->degraded;
			out[n].calls = e->calls;
			out[n].error_pct = e->error_pct;
			out[n].p99_ms = e->p99_ms;
			n++;
		}
	}
	return n;
}

int ws_peer_transition_line(const struct ws_peer_transition *t, char *out, size_t outsz)
{
	if (!t->degraded)
		return snprintf(out, outsz,
				"wirespan: partner %s recovered: error rate %u%% (< %u%%) and p99 "
				"%u ms (< %u ms) over %u s\n",
				t->peer, t->error_pct, t->error_threshold_pct, t->p99_ms,
				t->p99_threshold_ms, t->window_s);
	if (t->by_errors)
		return snprintf(out, outsz,
				"wirespan: partner %s degraded: error rate %u%% (>= %u%%) over "
				"%u s, p99 %u ms\n",
				t->peer, t->error_pct, t->error_threshold_pct, t->window_s,
				t->p99_ms);
	return snprintf(out, outsz,
			"wirespan: partner %s degraded: p99 %u ms (>= %u ms) over %u s, error "
			"rate %u%%\n",
			t->peer, t->p99_ms, t->p99_threshold_ms, t->window_s, t->error_pct);
}
