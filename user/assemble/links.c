// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Inferred parent/child links (see links.h): a table of threads handling a
 * server request, and a table of client connections with the requests they
 * sent and no server has claimed yet. Both are chained hash tables with a
 * fixed bucket array and a bound on entries.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hashmix.h"
#include "ipaddr.h"
#include "links.h"

#define NBUCKETS 4096 /* a power of two */
#define SENT_MAX 8    /* unmatched client requests kept per connection */
/*
 * Thread entries kept for reuse: a server thread's entry lives from its
 * request's head to its response's end, so without them every request
 * paid a calloc and a free.
 */
#define THR_SPARE_MAX 64

struct thr {
	struct ws_exec_ctx x;
	uint32_t nactive; /* server requests in flight on this thread */
	bool valid;	  /* ctx is the one in flight: no overlap since the thread went idle */
	struct ws_link_ctx ctx;
	struct thr *next;
};

/* A connection's endpoints, IPv4-mapped IPv6 written as IPv4 so both ends agree. */
struct tkey {
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
	uint16_t family;
};

struct sent {
	struct ws_link_ctx ctx;
	uint64_t ts;
};

struct cli {
	struct tkey key;
	uint8_t head, n; /* ring of sent requests, oldest at head */
	/*
	 * Server requests read before their client's send was seen (the send is
	 * stamped after the kernel may have woken the reader): that many sends
	 * to come are already answered for, and must not pair with later reads.
	 */
	uint8_t skip;
	struct sent q[SENT_MAX];
	struct cli *next;
};

struct ws_links {
	size_t max_entries, nthr, ncli;
	struct thr *thr_spare; /* chained by next; nspare of them */
	size_t nspare;
	struct thr *thr[NBUCKETS];
	struct cli *cli[NBUCKETS];
};

static size_t mix(uint64_t k)
{
	return (size_t)ws_mix64(k) & (NBUCKETS - 1);
}

static void addr_canon(uint16_t family, const uint8_t in[16], uint8_t out[16], uint16_t *fam)
{
	memset(out, 0, 16);
	if (family == 10 && ws_ipv4_mapped(in)) {
		memcpy(out, in + 12, 4);
		*fam = 2;
	} else if (family == 10) {
		memcpy(out, in, 16);
		*fam = 10;
	} else {
		memcpy(out, in, 4);
		*fam = 2;
	}
}

/* The key of a connection as its client sees it; reversed when the server's tuple is given. */
static struct tkey key_of(const struct ws_tuple *t, bool reversed)
{
	struct tkey k;

	memset(&k, 0, sizeof(k));
	addr_canon(t->family, reversed ? t->daddr : t->saddr, k.saddr, &k.family);
	addr_canon(t->family, reversed ? t->saddr : t->daddr, k.daddr, &k.family);
	k.sport = reversed ? t->dport : t->sport;
	k.dport = reversed ? t->sport : t->dport;
	return k;
}

static size_t key_hash(const struct tkey *k)
{
	uint64_t h = ((uint64_t)k->sport << 16 | k->dport) ^ ((uint64_t)k->family << 48);

	for (int i = 0; i < 16; i += 8) {
		uint64_t a, b;

		memcpy(&a, k->saddr + i, 8);
		memcpy(&b, k->daddr + i, 8);
		h = (h ^ a) * 0x9e3779b97f4a7c15ull ^ b;
	}
	return mix(h);
}

static bool same_exec(struct ws_exec_ctx a, struct ws_exec_ctx b)
{
	return a.id == b.id && a.tgid == b.tgid;
}

static size_t exec_hash(struct ws_exec_ctx x)
{
	return mix(x.id ^ (uint64_t)x.tgid << 40);
}

static struct thr **thr_slot(struct ws_links *l, struct ws_exec_ctx x)
{
	struct thr **pp = &l->thr[exec_hash(x)];

	while (*pp && !same_exec((*pp)->x, x))
		pp = &(*pp)->next;
	return pp;
}

static struct cli **cli_slot(struct ws_links *l, const struct tkey *k)
{
	struct cli **pp = &l->cli[key_hash(k)];

	while (*pp && memcmp(&(*pp)->key, k, sizeof(*k)))
		pp = &(*pp)->next;
	return pp;
}

struct ws_links *ws_links_new(size_t max_entries)
{
	struct ws_links *l = calloc(1, sizeof(*l));

	if (l)
		l->max_entries = max_entries ? max_entries : 65536;
	return l;
}

/* A zeroed thread entry, a spare one when there is; NULL when memory ran out. */
static struct thr *thr_alloc(struct ws_links *l)
{
	struct thr *t = l->thr_spare;

	if (!t)
		return calloc(1, sizeof(*t));
	l->thr_spare = t->next;
	l->nspare--;
	memset(t, 0, sizeof(*t));
	return t;
}

static void thr_release(struct ws_links *l, struct thr *t)
{
	if (l->nspare >= THR_SPARE_MAX) {
		free(t);
		return;
	}
	t->next = l->thr_spare;
	l->thr_spare = t;
	l->nspare++;
}

void ws_links_free(struct ws_links *l)
{
	if (!l)
		return;
	while (l->thr_spare) {
		struct thr *t = l->thr_spare;

		l->thr_spare = t->next;
		free(t);
	}
	for (size_t i = 0; i < NBUCKETS; i++) {
		while (l->thr[i]) {
			struct thr *t = l->thr[i];

			l->thr[i] = t->next;
			free(t);
		}
		while (l->cli[i]) {
			struct cli *c = l->cli[i];

			l->cli[i] = c->next;
			free(c);
		}
	}
	free(l);
}

void ws_links_server_begin(struct ws_links *l, struct ws_exec_ctx x, const struct ws_link_ctx *ctx)
{
	struct thr **pp, *t;

	if (!x.id)
		return;
	pp = thr_slot(l, x);
	t = *pp;
	if (!t) {
		if (l->nthr >= l->max_entries || !(t = thr_alloc(l)))
			return; /* unknown thread: its client requests get no parent */
		t->x = x;
		t->valid = true;
		t->ctx = *ctx;
		*pp = t;
		l->nthr++;
	} else {
		t->valid = false; /* overlapping requests: which one a call belongs to is unknown */
	}
	t->nactive++;
}

void ws_links_server_end(struct ws_links *l, struct ws_exec_ctx x)
{
	struct thr **pp, *t;

	if (!x.id)
		return;
	pp = thr_slot(l, x);
	t = *pp;
	if (!t || --t->nactive)
		return;
	*pp = t->next;
	thr_release(l, t);
	l->nthr--;
}

void ws_links_server_update(struct ws_links *l, struct ws_exec_ctx x, const struct ws_link_ctx *ctx)
{
	struct thr *t = x.id ? *thr_slot(l, x) : NULL;

	if (t && !memcmp(t->ctx.span_id, ctx->span_id, sizeof(ctx->span_id)))
		t->ctx = *ctx;
}

int ws_links_thread_parent(const struct ws_links *l, struct ws_exec_ctx x, struct ws_link_ctx *out)
{
	const struct thr *t = x.id ? l->thr[exec_hash(x)] : NULL;

	while (t && !same_exec(t->x, x))
		t = t->next;
	if (!t)
		return -ENOENT;
	if (t->nactive != 1 || !t->valid)
		return -EBUSY;
	*out = t->ctx;
	return 0;
}

void ws_links_client_sent(struct ws_links *l, const struct ws_tuple *t, uint64_t ts,
			  const struct ws_link_ctx *ctx)
{
	struct tkey k = key_of(t, false);
	struct cli **pp = cli_slot(l, &k), *c = *pp;

	if (!c) {
		if (l->ncli >= l->max_entries || !(c = calloc(1, sizeof(*c))))
			return;
		c->key = k;
		*pp = c;
		l->ncli++;
	}
	if (c->skip) {
		c->skip--;
		return;
	}
	if (c->n == SENT_MAX) { /* the oldest was never claimed: its server is not traced */
		c->head = (c->head + 1) % SENT_MAX;
		c->n--;
	}
	c->q[(c->head + c->n) % SENT_MAX] = (struct sent){ .ctx = *ctx, .ts = ts };
	c->n++;
}

int ws_links_peer_client(struct ws_links *l, const struct ws_tuple *t, uint64_t ts,
			 uint64_t skew_ns, struct ws_link_ctx *out)
{
	struct tkey k = key_of(t, true);
	struct cli **pp = cli_slot(l, &k), *c = *pp;

	if (!c || !c->n || c->q[c->head].ts > ts + skew_ns) {
		/* Its client's send may still come: remember it is taken. */
		if (!c && l->ncli < l->max_entries && (c = calloc(1, sizeof(*c)))) {
			c->key = k;
			*pp = c;
			l->ncli++;
		}
		if (c && c->skip < UINT8_MAX)
			c->skip++;
		return -ENOENT;
	}
	/* In order: the oldest request not yet read is this one. */
	*out = c->q[c->head].ctx;
	c->head = (c->head + 1) % SENT_MAX;
	c->n--;
	return 0;
}

static void cli_forget(struct ws_links *l, const struct tkey *k)
{
	struct cli **pp = cli_slot(l, k), *c = *pp;

	if (!c)
		return;
	*pp = c->next;
	free(c);
	l->ncli--;
}

void ws_links_client_closed(struct ws_links *l, const struct ws_tuple *t)
{
	struct tkey k = key_of(t, false);

	cli_forget(l, &k);
}

void ws_links_server_closed(struct ws_links *l, const struct ws_tuple *t)
{
	struct tkey k = key_of(t, true);

	cli_forget(l, &k);
}
