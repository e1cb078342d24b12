// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The connection table: a chained hash of power-of-two size (at least the
 * bound, so chains stay short when full) and an intrusive doubly linked LRU
 * list whose head is the least recently used connection, the one a full
 * table or the idle sweep drops first. Also each connection's request FIFO:
 * inline for the common single request, moved to the heap the first time a
 * pipelining client fills it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "conns.h"
#include "hashmix.h"
#include "resource.h"

struct ws_conns {
	struct ws_connection **buckets;
	size_t nbuckets; /* a power of two */
	size_t n, max;
	struct ws_connection *lru_head, *lru_tail; /* head: least recently used */
	ws_conn_drop_cb drop;
	void *ctx;
};

static size_t bucket_of(const struct ws_conns *t, uint64_t key)
{
	return (size_t)ws_mix64(key) & (t->nbuckets - 1);
}

static void lru_unlink(struct ws_conns *t, struct ws_connection *c)
{
	if (c->lru_prev)
		c->lru_prev->lru_next = c->lru_next;
	else
		t->lru_head = c->lru_next;
	if (c->lru_next)
		c->lru_next->lru_prev = c->lru_prev;
	else
		t->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void lru_push_tail(struct ws_conns *t, struct ws_connection *c)
{
	c->lru_prev = t->lru_tail;
	c->lru_next = NULL;
	if (t->lru_tail)
		t->lru_tail->lru_next = c;
	else
		t->lru_head = c;
	t->lru_tail = c;
}

struct ws_conns *ws_conns_new(size_t max_conns, ws_conn_drop_cb drop, void *ctx)
{
	struct ws_conns *t;

	if (!max_conns || !drop) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->max = max_conns;
	t->nbuckets = 1;
	while (t->nbuckets < max_conns)
		t->nbuckets <<= 1;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->drop = drop;
	t->ctx = ctx;
	return t;
}

void ws_conns_free(struct ws_conns *t)
{
	if (!t)
		return;
	while (t->lru_head)
		ws_conns_del(t, t->lru_head);
	free(t->buckets);
	free(t);
}

struct ws_connection *ws_conns_find(struct ws_conns *t, uint64_t key)
{
	for (struct ws_connection *c = t->buckets[bucket_of(t, key)]; c; c = c->hnext)
		if (c->key == key)
			return c;
	return NULL;
}

void ws_conn_reset(struct ws_connection *c, uint32_t tgid)
{
	ws_resource_put(c->res);
	c->res = NULL;
	c->tgid = tgid;
	c->tunnel = false;
	c->client = c->server = false;
	c->resp = WS_RESP_IDLE;
	for (int i = 0; i < 2; i++) {
		memset(&c->d[i], 0, offsetof(struct ws_conn_dir, p));
		http1_release(&c->d[i].p); /* a fresh (zeroed) conn has nothing to free */
		http1_init(&c->d[i].p, HTTP1_AUTO);
	}
}

struct ws_connection *ws_conns_add(struct ws_conns *t, uint64_t key, uint32_t tgid, bool *evicted)
{
	struct ws_connection *c;
	size_t b;

	*evicted = false;
	if (t->n >= t->max && t->lru_head) {
		*evicted = true;
		ws_conns_del(t, t->lru_head);
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->key = key;
	c->q = c->q_inline;
	c->qcap = WS_PIPELINE_INLINE;
	ws_conn_reset(c, tgid);
	b = bucket_of(t, key);
	c->hnext = t->buckets[b];
	t->buckets[b] = c;
	lru_push_tail(t, c);
	t->n++;
	return c;
}

void ws_conns_touch(struct ws_conns *t, struct ws_connection *c)
{
	lru_unlink(t, c);
	lru_push_tail(t, c);
}

void ws_conns_del(struct ws_conns *t, struct ws_connection *c)
{
	struct ws_connection **pp = &t->buckets[bucket_of(t, c->key)];

	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	lru_unlink(t, c);
	t->drop(t->ctx, c);
	ws_resource_put(c->res);
	http1_release(&c->d[0].p);
	http1_release(&c->d[1].p);
	if (c->q != c->q_inline)
		free(c->q);
	free(c);
	t->n--;
}

size_t ws_conns_expire(struct ws_conns *t, uint64_t cutoff_ts)
{
	size_t n = 0;

	while (t->lru_head && t->lru_head->last_ts < cutoff_ts) {
		ws_conns_del(t, t->lru_head);
		n++;
	}
	return n;
}

size_t ws_conns_count(const struct ws_conns *t)
{
	return t->n;
}

/* The inline FIFO is full: move it, in order, to a WS_PIPELINE_MAX one. */
bool ws_conn_fifo_grow(struct ws_connection *c)
{
	struct ws_pending *q = malloc(WS_PIPELINE_MAX * sizeof(*q));

	if (!q)
		return false;
	for (unsigned int i = 0; i < c->qlen; i++)
		q[i] = *ws_conn_at(c, i);
	c->q = q;
	c->qhead = 0;
	c->qcap = WS_PIPELINE_MAX;
	return true;
}

bool ws_conn_skip_covers(const struct ws_connection *c, int dir, uint32_t from, uint32_t n)
{
	uint32_t span = c->skip.until[dir] - c->skip.from[dir], at = from - c->skip.from[dir];

	return c->skip_set && c->skip.ts[dir] && at < span && span - at >= n;
}

bool ws_conn_skip_plan(struct ws_connection *c, int dir, uint64_t ts)
{
	struct ws_conn_dir *d = &c->d[dir];
	uint64_t left = http1_body_left(&d->p);
	uint32_t until;

	if (!d->have_seq || left < WS_SKIP_MIN_BODY || c->tunnel)
		return false;
	if (left > INT32_MAX)
		left = INT32_MAX;
	until = d->next_seq + (uint32_t)left;
	if (c->skip.ts[dir] && c->skip.until[dir] == until)
		return false; /* asked already */
	c->skip.ts[dir] = ts;
	c->skip.from[dir] = d->next_seq;
	c->skip.until[dir] = until;
	c->skip_set = true;
	return true;
}

bool ws_conn_skip_clear(struct ws_connection *c)
{
	bool was_set = c->skip_set;

	c->skip_set = false;
	memset(&c->skip, 0, sizeof(c->skip));
	return was_set;
}
