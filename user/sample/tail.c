// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tail rules (see tail.h). Two maps of trace ids share one shape: a fixed
 * array of nodes, an open-addressing index of node numbers (linear probing,
 * at most half full, backward-shift deletion so no tombstones pile up), and
 * a doubly linked list through the nodes. The waiting traces' list is in
 * arrival order, which is deadline order (the wait is one constant), so
 * expiry pops from its head; the decision cache's list is in use order, so
 * a full cache forgets its least recently used decision. Held spans sit in a
 * pool of links, one list per trace. Nothing is allocated after ws_tail_new().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "span.h"
#include "tail.h"

#define NIL UINT32_MAX

struct tnode {
	uint8_t id[16];
	uint32_t prev, next; /* list order; NIL at the ends */
};

struct tmap {
	struct tnode *n;
	/*
	 * Low half: node + 1, 0: empty; high half: the id's 32-bit hash, so a
	 * probe past another id, and a deletion's shift, read no node (measured:
	 * a miss in the decision cache, the common case, cost two cache misses
	 * per probe without it).
	 */
	uint64_t *ix;
	uint32_t mask, cap, used;
	uint32_t head, tail; /* oldest first */
	uint32_t free;	     /* free nodes, chained through next */
};

struct waiting {
	uint64_t deadline_ns;
	uint32_t first, last; /* held spans, oldest first */
};

struct held {
	struct ws_span *sp;
	uint32_t next;
};

struct ws_tail {
	struct ws_tail_opts o;
	struct tmap traces, decided;
	struct waiting *w; /* by traces' node */
	uint8_t *keep;	   /* by decided's node */
	struct held *spans;
	uint32_t spans_free, nheld;
	uint64_t count[WS_TAIL__COUNT];
};

static uint64_t hash_id(const struct ws_tail *t, const uint8_t id[16])
{
	uint64_t a, b, z;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	z = a ^ (b * 0x9e3779b97f4a7c15ull) ^ t->o.seed;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int tmap_init(struct tmap *m, uint32_t cap)
{
	uint32_t size = 2;

	while (size < 2 * (uint64_t)cap)
		size <<= 1;
	m->n = calloc(cap, sizeof(*m->n));
	m->ix = calloc(size, sizeof(*m->ix));
	if (!m->n || !m->ix)
		return -ENOMEM;
	m->mask = size - 1;
	m->cap = cap;
	m->head = m->tail = NIL;
	for (uint32_t i = 0; i < cap; i++)
		m->n[i].next = i + 1 < cap ? i + 1 : NIL;
	m->free = 0;
	return 0;
}

static void tmap_fini(struct tmap *m)
{
	free(m->n);
	free(m->ix);
}

static uint32_t ix_node(uint64_t e)
{
	return (uint32_t)e - 1;
}

/* The index slot holding id (hash h), or the empty slot where it would go. */
static uint32_t tmap_slot(const struct tmap *m, const uint8_t id[16], uint32_t h)
{
	uint32_t i = h & m->mask;

	while (m->ix[i] &&
	       ((uint32_t)(m->ix[i] >> 32) != h || memcmp(m->n[ix_node(m->ix[i])].id, id, 16)))
		i = (i + 1) & m->mask;
	return i;
}

static uint32_t tmap_find(const struct ws_tail *t, const struct tmap *m, const uint8_t id[16])
{
	uint32_t i = tmap_slot(m, id, (uint32_t)hash_id(t, id));

	return m->ix[i] ? ix_node(m->ix[i]) : NIL;
}

static void list_unlink(struct tmap *m, uint32_t x)
{
	struct tnode *n = &m->n[x];

	if (n->prev != NIL)
		m->n[n->prev].next = n->next;
	else
		m->head = n->next;
	if (n->next != NIL)
		m->n[n->next].prev = n->prev;
	else
		m->tail = n->prev;
}

static void list_append(struct tmap *m, uint32_t x)
{
	m->n[x].prev = m->tail;
	m->n[x].next = NIL;
	if (m->tail != NIL)
		m->n[m->tail].next = x;
	else
		m->head = x;
	m->tail = x;
}

/* A new node for id (not in m; m not full), last in the list. */
static uint32_t tmap_add(const struct ws_tail *t, struct tmap *m, const uint8_t id[16])
{
	uint32_t x = m->free, h = (uint32_t)hash_id(t, id);

	m->free = m->n[x].next;
	memcpy(m->n[x].id, id, 16);
	m->ix[tmap_slot(m, id, h)] = (uint64_t)h << 32 | (x + 1);
	list_append(m, x);
	m->used++;
	return x;
}

/* Removes node x: out of the list, out of the index (backward shift), onto the free list. */
static void tmap_del(const struct ws_tail *t, struct tmap *m, uint32_t x)
{
	uint32_t i = tmap_slot(m, m->n[x].id, (uint32_t)hash_id(t, m->n[x].id)), j = i, home;

	list_unlink(m, x);
	for (;;) {
		j = (j + 1) & m->mask;
		if (!m->ix[j])
			break;
		home = (uint32_t)(m->ix[j] >> 32) & m->mask;
		/* j's entry may fill the hole at i unless its home lies cyclically in (i, j]. */
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->ix[i] = m->ix[j];
			i = j;
		}
	}
	m->ix[i] = 0;
	m->n[x].next = m->free;
	m->free = x;
	m->used--;
}

struct ws_tail *ws_tail_new(const struct ws_tail_opts *o)
{
	struct ws_tail *t;

	if (!o->keep || !o->max_traces || !o->max_spans || !o->max_decided ||
	    o->max_traces > WS_TAIL_BOUND_MAX || o->max_spans > WS_TAIL_BOUND_MAX ||
	    o->max_decided > WS_TAIL_BOUND_MAX) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	t->o = *o;
	if (tmap_init(&t->traces, o->max_traces) || tmap_init(&t->decided, o->max_decided))
		goto nomem;
	t->w = calloc(o->max_traces, sizeof(*t->w));
	t->keep = calloc(o->max_decided, 1);
	t->spans = calloc(o->max_spans, sizeof(*t->spans));
	if (!t->w || !t->keep || !t->spans)
		goto nomem;
	for (uint32_t i = 0; i < o->max_spans; i++)
		t->spans[i].next = i + 1 < o->max_spans ? i + 1 : NIL;
	t->spans_free = 0;
	return t;
nomem:
	ws_tail_free(t);
	errno = ENOMEM;
	return NULL;
}

bool ws_tail_triggers(const struct ws_tail *t, const struct ws_span *sp, enum ws_tail_reason *why)
{
	if (sp->status == WS_STATUS_ERROR) {
		*why = WS_TAIL_KEPT_ERROR;
		return true;
	}
	if (t->o.slow_ns && sp->end_unix_ns > sp->start_unix_ns &&
	    sp->end_unix_ns - sp->start_unix_ns >= t->o.slow_ns) {
		*why = WS_TAIL_KEPT_SLOW;
		return true;
	}
	if (t->o.degraded && t->o.degraded(t->o.degraded_ctx, sp)) {
		*why = WS_TAIL_KEPT_DEGRADED;
		return true;
	}
	return false;
}

/* Remembers trace id's decision, forgetting the least recently used one when full. */
static void decide(struct ws_tail *t, const uint8_t id[16], bool keep)
{
	struct tmap *m = &t->decided;
	uint32_t x = tmap_find(t, m, id);

	if (x == NIL) {
		if (m->used == m->cap)
			tmap_del(t, m, m->head);
		x = tmap_add(t, m, id);
	}
	t->keep[x] = keep;
}

static void keep_span(struct ws_tail *t, struct ws_span *sp, enum ws_tail_reason why)
{
	sp->trace_flags |= 1;
	ws_tail_erase_th(sp);
	t->count[why]++;
	t->o.keep(t->o.ctx, sp);
}

/* Ends waiting trace x: its held spans kept (why) or freed (counted as why). */
static void end_wait(struct ws_tail *t, uint32_t x, bool keep, enum ws_tail_reason why)
{
	struct waiting *w = &t->w[x];

	for (uint32_t h = w->first, next; h != NIL; h = next) {
		struct ws_span *sp = t->spans[h].sp;

		next = t->spans[h].next;
		t->spans[h].sp = NULL;
		t->spans[h].next = t->spans_free;
		t->spans_free = h;
		t->nheld--;
		if (keep) {
			keep_span(t, sp, why);
		} else {
			t->count[why]++;
			ws_span_free(sp);
		}
	}
	w->first = w->last = NIL;
	tmap_del(t, &t->traces, x);
}

void ws_tail_tick(struct ws_tail *t, uint64_t now_ns)
{
	struct tmap *m = &t->traces;

	while (m->head != NIL && t->w[m->head].deadline_ns <= now_ns) {
		uint8_t id[16];

		memcpy(id, m->n[m->head].id, 16);
		end_wait(t, m->head, false, WS_TAIL_DROPPED_WAITED);
		decide(t, id, false);
	}
}

/* Ends waiting trace x early, dropped (the head's decision), and remembers that. */
static void evict(struct ws_tail *t, uint32_t x)
{
	uint8_t id[16];

	memcpy(id, t->traces.n[x].id, 16);
	end_wait(t, x, false, WS_TAIL_DROPPED_OVERFLOW);
	decide(t, id, false);
}

void ws_tail_offer(struct ws_tail *t, struct ws_span *sp, uint64_t now_ns)
{
	enum ws_tail_reason why;
	uint32_t x, h;

	ws_tail_tick(t, now_ns);
	x = tmap_find(t, &t->decided, sp->trace_id);
	if (x != NIL) {
		/* A use: the decision moves to the cache's recent end. */
		list_unlink(&t->decided, x);
		list_append(&t->decided, x);
		if (t->keep[x]) {
			keep_span(t, sp, WS_TAIL_KEPT_DECIDED);
		} else {
			t->count[WS_TAIL_DROPPED_DECIDED]++;
			ws_span_free(sp);
		}
		return;
	}
	x = tmap_find(t, &t->traces, sp->trace_id);
	if (ws_tail_triggers(t, sp, &why)) {
		if (x != NIL)
			end_wait(t, x, true, why);
		decide(t, sp->trace_id, true); /* first: the callback takes sp */
		keep_span(t, sp, why);
		return;
	}
	/*
	 * No room: the oldest waiting trace ends early instead of the new one
	 * getting no wait at all, so under load every trace still waits a
	 * while (the wait shrinks) and the errors that come soon are caught.
	 */
	while (t->spans_free == NIL || (x == NIL && t->traces.used == t->traces.cap)) {
		bool own = t->traces.head == x;

		evict(t, t->traces.head);
		if (own) {
			t->count[WS_TAIL_DROPPED_OVERFLOW]++;
			ws_span_free(sp);
			return;
		}
	}
	if (x == NIL) {
		x = tmap_add(t, &t->traces, sp->trace_id);
		t->w[x].deadline_ns = now_ns + t->o.wait_ns;
		t->w[x].first = t->w[x].last = NIL;
	}
	h = t->spans_free;
	t->spans_free = t->spans[h].next;
	t->spans[h].sp = sp;
	t->spans[h].next = NIL;
	if (t->w[x].last != NIL)
		t->spans[t->w[x].last].next = h;
	else
		t->w[x].first = h;
	t->w[x].last = h;
	t->nheld++;
}

void ws_tail_flush(struct ws_tail *t)
{
	while (t->traces.head != NIL)
		end_wait(t, t->traces.head, false, WS_TAIL_DROPPED_WAITED);
}

void ws_tail_stats(const struct ws_tail *t, uint64_t out[WS_TAIL__COUNT])
{
	memcpy(out, t->count, sizeof(t->count));
}

uint64_t ws_tail_held(const struct ws_tail *t)
{
	return t->nheld;
}

/* The next element of a list separated by sep in [*p, end): trimmed of OWS. */
static bool next_elem(const char **p, const char *end, char sep, const char **e, size_t *len)
{
	const char *s = *p, *q;

	if (s >= end)
		return false;
	q = memchr(s, sep, end - s);
	if (!q)
		q = end;
	*p = q + 1;
	while (s < q && (*s == ' ' || *s == '\t'))
		s++;
	while (q > s && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	*e = s;
	*len = q - s;
	return true;
}

void ws_tail_erase_th(struct ws_span *sp)
{
	char buf[WS_SPAN_STRBUF];
	const char *ts, *m, *mp, *v, *vp, *end;
	size_t mlen, vlen, n = 0, mark;
	bool found = false;

	if (!sp->tracestate_len || !ws_span_in_arena(sp, sp->tracestate_off, sp->tracestate_len))
		return;
	ts = sp->strbuf + sp->tracestate_off;
	end = ts + sp->tracestate_len;
	for (mp = ts; next_elem(&mp, end, ',', &m, &mlen);) {
		if (!mlen)
			continue;
		mark = n;
		if (n)
			buf[n++] = ',';
		if (mlen < 3 || memcmp(m, "ot=", 3)) {
			memcpy(buf + n, m, mlen);
			n += mlen;
			continue;
		}
		memcpy(buf + n, "ot=", 3);
		n += 3;
		for (vp = m + 3; next_elem(&vp, m + mlen, ';', &v, &vlen);) {
			if (!vlen)
				continue;
			if (vlen >= 3 && !memcmp(v, "th:", 3)) {
				found = true;
				continue;
			}
			if (buf[n - 1] != '=')
				buf[n++] = ';';
			memcpy(buf + n, v, vlen);
			n += vlen;
		}
		if (buf[n - 1] == '=')
			n = mark; /* ot held only th: the member goes */
	}
	if (!found)
		return;
	memcpy(sp->strbuf + sp->tracestate_off, buf, n);
	sp->tracestate_len = (uint16_t)n;
}

void ws_tail_free(struct ws_tail *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; t->spans && i < t->o.max_spans; i++)
		ws_span_free(t->spans[i].sp);
	free(t->spans);
	free(t->keep);
	free(t->w);
	tmap_fini(&t->decided);
	tmap_fini(&t->traces);
	free(t);
}
