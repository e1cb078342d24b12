/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Parent/child links the wire does not carry, inferred from outside:
 *
 * - inside a process: a CLIENT request sent by a thread (or, in a Go
 *   program, a goroutine: struct ws_exec_ctx) that is handling exactly one
 *   SERVER request is that request's child. A thread with several server
 *   requests in flight at once (an event loop with overlapping requests)
 *   is ambiguous: no parent is given, never a guess.
 * - across processes on this host: a SERVER request read from a connection
 *   whose other end is a traced CLIENT connection is the child of the
 *   client request sent there, matched in order (pipelining keeps order).
 *
 * Pure bookkeeping: no I/O, bounded tables, nothing kept past a span's end.
 */
#ifndef WS_LINKS_H
#define WS_LINKS_H

#include <stddef.h>
#include <stdint.h>

#include "span.h"
#include "wirespan.h"

struct ws_links;

/* A span's identity, as a parent. */
struct ws_link_ctx {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t flags;
};

/* max_entries bounds each table (threads, client connections). NULL + errno. */
struct ws_links *ws_links_new(size_t max_entries);
void ws_links_free(struct ws_links *l);

/*
 * Thread or goroutine x read a SERVER request (ctx: its span) / is done with
 * one. Every call is a no-op for an unknown x (id 0).
 */
void ws_links_server_begin(struct ws_links *l, struct ws_exec_ctx x, const struct ws_link_ctx *ctx);
void ws_links_server_end(struct ws_links *l, struct ws_exec_ctx x);
/*
 * The server request x handles (the one with ctx->span_id) moved to another
 * trace after it began (a webhook whose body names its parent): calls made
 * from now on follow it. No effect when x handles another request.
 */
void ws_links_server_update(struct ws_links *l, struct ws_exec_ctx x,
			    const struct ws_link_ctx *ctx);
/* The one server request x handles: 0; -ENOENT none (or x unknown); -EBUSY several (ambiguous). */
int ws_links_thread_parent(const struct ws_links *l, struct ws_exec_ctx x, struct ws_link_ctx *out);

/*
 * A CLIENT request went out at ts on the connection t (local -> remote, as
 * the client's records give it). Kept until matched, replaced by newer
 * ones (8 per connection), or ws_links_client_closed().
 */
void ws_links_client_sent(struct ws_links *l, const struct ws_tuple *t, uint64_t ts,
			  const struct ws_link_ctx *ctx);
/*
 * A SERVER request arrived at ts on t (local -> remote, as the server's
 * records give it). When the other end is a traced client connection: its
 * oldest unmatched request sent no later than ts + skew_ns, which is then
 * matched. 0 with *out set, or -ENOENT; then the client's send, if it comes
 * later (ring order is not causal order), is dropped rather than paired with
 * a later read. The server's connection must be closed with
 * ws_links_client_closed(its tuple reversed) — ws_links_server_closed().
 */
int ws_links_peer_client(struct ws_links *l, const struct ws_tuple *t, uint64_t ts,
			 uint64_t skew_ns, struct ws_link_ctx *out);
void ws_links_client_closed(struct ws_links *l, const struct ws_tuple *t);
/* A server connection closed (t as its records give it): forget what it left. */
void ws_links_server_closed(struct ws_links *l, const struct ws_tuple *t);

#endif /* WS_LINKS_H */
