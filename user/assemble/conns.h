/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The connection table of span assembly: one struct ws_connection per kernel
 * socket, found by its socket id in a hash, kept in least-recently-used
 * order so a full table and idle connections drop the oldest first, and
 * bounded by a count fixed at creation. A connection holds the stream state
 * of both directions (an HTTP/1.x parser each) and the FIFO of requests
 * awaiting their responses; what a request means is the assembler's. The
 * table calls the drop callback before it frees a connection, so the
 * assembler can count and release what the connection still carries.
 */
#ifndef WS_CONNS_H
#define WS_CONNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http1.h"
#include "wirespan.h"

struct ws_span;
struct ws_resource;
struct ws_hook_body;

/* Requests in flight on one connection; pipelining deeper than this is rare. */
#define WS_PIPELINE_MAX 32
/*
 * Held in the connection itself: almost every connection has one request in
 * flight at a time, so the rest of the FIFO is allocated only by a pipelining
 * client (it saves ~0.5 KiB per connection, 5 MiB at 10,000 connections).
 */
#define WS_PIPELINE_INLINE 2

/* What the response stream of a connection is in the middle of. */
enum ws_resp_state {
	WS_RESP_IDLE = 0,
	WS_RESP_SPAN,	 /* answering the FIFO's front request */
	WS_RESP_ORPHAN,	 /* no request waiting: consume it, build nothing */
	WS_RESP_INTERIM, /* a 1xx before the final response */
};

struct ws_pending {
	struct ws_span *span; /* NULL: a request we could not read; its response is skipped */
	bool head;	      /* HEAD request: the response has no body */
	bool connect;	      /* CONNECT: a 2xx turns the connection into a tunnel */
	bool hook;	      /* its body is being read for a webhook context */
};

struct ws_conn_dir {
	uint64_t msg_start_ts; /* record time of the first bytes of the current message */
	uint64_t last_ts;      /* time of the latest record fed */
	uint64_t prev_ts;      /* time of the record before it: an inferred end */
	bool gathering;	       /* bytes of a message have been fed since its start */
	bool in_msg;	       /* its HEAD was seen, its END not yet */
	bool have_seq;	       /* next_seq is known */
	uint32_t next_seq;     /* stream position after the latest record (ws_data_rec.seq) */
	struct http1_parser p;
};

struct ws_connection {
	uint64_t key; /* the kernel's socket id */
	struct ws_connection *hnext;
	struct ws_connection *lru_prev, *lru_next;
	uint64_t last_ts;
	uint32_t tgid;
	struct ws_tuple tuple;
	struct ws_resource *res; /* a reference, put when the connection is reset or freed */
	bool tunnel;		 /* upgraded or CONNECTed: no longer HTTP */
	bool client;		 /* requests went out on it: known to links by its tuple */
	bool server;		 /* requests came in on it: known to links by its tuple */
	uint8_t resp;		 /* enum ws_resp_state */
	uint8_t qhead, qlen, qcap;
	struct ws_pending *q; /* q_inline, or WS_PIPELINE_MAX entries on the heap */
	struct ws_pending q_inline[WS_PIPELINE_INLINE];
	struct ws_hook_body *hook; /* NULL unless a webhook body is being read */
	bool skip_set;		   /* the kernel side was given skip (skip_body) */
	struct ws_skip skip;	   /* the stretches it was asked to skip, per direction */
	struct ws_conn_dir d[2];   /* indexed by enum ws_dir */
};

/*
 * Called before a connection leaves the table (closed, evicted, reset for a
 * new owner, or the table freed): release what c carries for the caller
 * (its requests, links, hints). c's own memory is the table's.
 */
typedef void (*ws_conn_drop_cb)(void *ctx, struct ws_connection *c);

struct ws_conns;

/* A table of at most max_conns connections (> 0); NULL with errno on failure. */
struct ws_conns *ws_conns_new(size_t max_conns, ws_conn_drop_cb drop, void *ctx);
/* Drops every connection (drop callback first), then the table. NULL: no-op. */
void ws_conns_free(struct ws_conns *t);
struct ws_connection *ws_conns_find(struct ws_conns *t, uint64_t key);
/*
 * A new connection for socket key, owned by process tgid, the most recently
 * used. A full table first drops its least recently used one (*evicted set).
 * NULL with errno when out of memory.
 */
struct ws_connection *ws_conns_add(struct ws_conns *t, uint64_t key, uint32_t tgid, bool *evicted);
/* c was used: it becomes the most recently used (the caller sets its last_ts). */
void ws_conns_touch(struct ws_conns *t, struct ws_connection *c);
/* c leaves the table: drop callback, then freed. */
void ws_conns_del(struct ws_conns *t, struct ws_connection *c);
/* Drops the connections last used before cutoff_ts, oldest first; returns how many. */
size_t ws_conns_expire(struct ws_conns *t, uint64_t cutoff_ts);
size_t ws_conns_count(const struct ws_conns *t);

/*
 * c starts over for process tgid, as a fresh connection: no resource, not a
 * tunnel, unknown to links, new parsers. The drop callback is not called:
 * the caller released c's requests, links and hints first.
 */
void ws_conn_reset(struct ws_connection *c, uint32_t tgid);

/*
 * The request FIFO and the direction kinds are inline: every request passes
 * through the one and most parser events ask the other, and as calls into
 * conns.c they cost about 1% of the replay benchmark's CPU time (bench/README.md).
 */

/* The i-th request from the front (i < qlen). */
static inline struct ws_pending *ws_conn_at(struct ws_connection *c, unsigned int i)
{
	return &c->q[(c->qhead + i) % c->qcap];
}

/* Moves a full inline FIFO to the heap (WS_PIPELINE_MAX entries); false: no memory. */
bool ws_conn_fifo_grow(struct ws_connection *c);

/* Appends p; false when WS_PIPELINE_MAX are in flight (or no memory). */
static inline bool ws_conn_push(struct ws_connection *c, struct ws_pending p)
{
	if (c->qlen == c->qcap && (c->qcap == WS_PIPELINE_MAX || !ws_conn_fifo_grow(c)))
		return false;
	*ws_conn_at(c, c->qlen) = p;
	c->qlen++;
	return true;
}

/* Removes the front request (qlen > 0). */
static inline struct ws_pending ws_conn_pop(struct ws_connection *c)
{
	struct ws_pending p = c->q[c->qhead];

	c->qhead = (c->qhead + 1) % c->qcap;
	c->qlen--;
	return p;
}

/*
 * What direction dir of c carries. A parser decides at its first good head;
 * until then the other direction tells: opposite of requests are responses.
 */
static inline enum http1_kind ws_conn_dir_kind(const struct ws_connection *c, int dir)
{
	enum http1_kind other = c->d[!dir].p.kind;

	if (c->d[dir].p.kind != HTTP1_AUTO)
		return c->d[dir].p.kind;
	if (other == HTTP1_REQUESTS)
		return HTTP1_RESPONSES;
	if (other == HTTP1_RESPONSES)
		return HTTP1_REQUESTS;
	return HTTP1_AUTO;
}

/* Whether the stream bytes [from, from + n) lie inside the stretch of dir c asked to skip. */
bool ws_conn_skip_covers(const struct ws_connection *c, int dir, uint32_t from, uint32_t n);

/*
 * A long Content-Length body is under way in direction dir of c: its bytes
 * will only be counted, so the kernel side need not copy them (a stretch
 * below 2^31 bytes: positions wrap at 2^32). Records the stretch in c->skip
 * and returns true when the kernel side should be told (not asked already);
 * ts: the latest record's.
 */
bool ws_conn_skip_plan(struct ws_connection *c, int dir, uint64_t ts);
/* Forgets c's stretches; true when the kernel side had been given some. */
bool ws_conn_skip_clear(struct ws_connection *c);

#endif /* WS_CONNS_H */
