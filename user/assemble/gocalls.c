// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Whose call a Go writer goroutine writes: see gocalls.h. */
#include <stdbool.h>
#include <stdlib.h>

#include "gocalls.h"
#include "hashmix.h"

#define SETS 1024 /* per table, a power of two */
#define WAYS 4	  /* a set holds this many: 100 calls at once do not collide */
/* A call may wait this long for a connection (dial, full pool) before its write. */
#define ASK_MAX_AGE_NS (60ull * 1000000000ull)
/* Request.write reaches the socket within microseconds; this is generous. */
#define WRITE_MAX_AGE_NS (5ull * 1000000000ull)

struct slot {
	uint64_t key; /* the request, or the writer goroutine */
	uint64_t caller;
	uint64_t req; /* writing: the request being written */
	uint64_t ts;
	uint32_t tgid;
	bool used;
};

struct ws_gocalls {
	struct slot *asked;   /* (tgid, req) -> the goroutine that asked for it */
	struct slot *writing; /* (tgid, writer) -> the caller of what it writes */
};

struct ws_gocalls *ws_gocalls_new(void)
{
	return calloc(1, sizeof(struct ws_gocalls));
}

void ws_gocalls_free(struct ws_gocalls *g)
{
	if (!g)
		return;
	free(g->asked);
	free(g->writing);
	free(g);
}

/* The WAYS slots where (tgid, key) may be. */
static struct slot *set_of(struct slot *t, uint32_t tgid, uint64_t key)
{
	return &t[(ws_mix64(key ^ (uint64_t)tgid << 40) & (SETS - 1)) * WAYS];
}

static bool tables(struct ws_gocalls *g)
{
	if (!g->asked)
		g->asked = calloc(SETS * WAYS, sizeof(struct slot));
	if (!g->writing)
		g->writing = calloc(SETS * WAYS, sizeof(struct slot));
	return g->asked && g->writing;
}

/* The live entry of (tgid, key) not older than max_age at ts, or NULL. */
static struct slot *find(struct slot *t, uint32_t tgid, uint64_t key, uint64_t ts, uint64_t max_age)
{
	struct slot *s;

	if (!t)
		return NULL;
	s = set_of(t, tgid, key);
	for (int i = 0; i < WAYS; i++, s++) {
		if (s->used && s->key == key && s->tgid == tgid)
			return ts < s->ts || ts - s->ts > max_age ? NULL : s;
	}
	return NULL;
}

/* (tgid, key)'s own slot, else a free one, else the oldest of its set. */
static void put(struct slot *t, uint32_t tgid, uint64_t key, uint64_t caller, uint64_t req,
		uint64_t ts)
{
	struct slot *set = set_of(t, tgid, key), *s = NULL;

	for (int i = 0; i < WAYS && !s; i++) {
		if (set[i].used && set[i].key == key && set[i].tgid == tgid)
			s = &set[i];
	}
	for (int i = 0; i < WAYS && !s; i++) {
		if (!set[i].used)
			s = &set[i];
	}
	if (!s) {
		s = set;
		for (int i = 1; i < WAYS; i++) {
			if (set[i].ts < s->ts)
				s = &set[i];
		}
	}
	*s = (struct slot){
		.key = key, .caller = caller, .req = req, .ts = ts, .tgid = tgid, .used = true
	};
}

void ws_gocalls_roundtrip(struct ws_gocalls *g, uint32_t tgid, uint64_t req, uint64_t caller,
			  uint64_t ts)
{
	if (req && caller && tables(g))
		put(g->asked, tgid, req, caller, req, ts);
}

void ws_gocalls_write(struct ws_gocalls *g, uint32_t tgid, uint64_t req, uint64_t writer,
		      uint64_t ts)
{
	struct slot *a, *w;

	if (!writer || !tables(g))
		return;
	a = find(g->asked, tgid, req, ts, ASK_MAX_AGE_NS);
	w = find(g->writing, tgid, writer, ts, UINT64_MAX);
	if (!a) {
		/*
		 * Not a call we saw: what this writer writes next is its own.
		 * Unless it is the same write again: a function entry runs twice
		 * when Go grows the goroutine's stack first.
		 */
		if (w && w->req != req)
			w->used = false;
		return;
	}
	a->used = false; /* one call, one write: a reused address is not this call */
	put(g->writing, tgid, writer, a->caller, req, ts);
}

uint64_t ws_gocalls_owner(struct ws_gocalls *g, uint32_t tgid, uint64_t writer, uint64_t ts)
{
	struct slot *w = find(g->writing, tgid, writer, ts, WRITE_MAX_AGE_NS);

	if (!w)
		return writer;
	w->used = false;
	return w->caller;
}
