/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Parentage: the assembler's one door to the context the wire does not
 * carry. It owns the three tables that infer it (links.h: threads serving
 * requests and traced clients at the other end of a connection; gocalls.h:
 * which Go caller a writer goroutine writes for; endpoints.h: where HTTP
 * was seen, so a failed connect there is a failed call) and keeps them in
 * step with the connections' requests: every request is recorded, wired or
 * not, so later ones stay paired.
 */
#ifndef WS_PARENTAGE_H
#define WS_PARENTAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conns.h"
#include "span.h"
#include "wirespan.h"

struct ws_parentage;
struct ws_links;

/* max_conns bounds the link tables. NULL with errno on failure. */
struct ws_parentage *ws_parentage_new(size_t max_conns);
void ws_parentage_free(struct ws_parentage *p);
/* The link tables, for a webhook context that makes a server span's calls follow it. */
struct ws_links *ws_parentage_links(struct ws_parentage *p);

/*
 * The request span s was read on c (s->kind says which side) at record time
 * ts. Unless wired (its context came on the wire) it is given the parent
 * found: a server request, the traced client request at the other end; a
 * client request, the one server request its thread is handling. Sets
 * c->server or c->client.
 */
void ws_parentage_request(struct ws_parentage *p, struct ws_connection *c, struct ws_span *s,
			  bool wired, uint64_t ts);
/* A request came in on c at ts, unreadable: still the traced peer's, so pairing stays in step. */
void ws_parentage_request_lost(struct ws_parentage *p, struct ws_connection *c, uint64_t ts);
/* The request of span s (NULL: none) leaves its connection: its thread is done with it. */
void ws_parentage_request_done(struct ws_parentage *p, const struct ws_span *s);
/* c is closed, evicted or reused: what was known by its tuple goes. */
void ws_parentage_conn_gone(struct ws_parentage *p, struct ws_connection *c);

/* A Go client event (struct ws_go_rec); -EINVAL for an unknown event. */
int ws_parentage_go(struct ws_parentage *p, const struct ws_go_rec *g);
/* Whether t's destination was seen speaking HTTP: a failed connect there is a failed call. */
bool ws_parentage_http_peer(const struct ws_parentage *p, const struct ws_tuple *t);
/* A client span s without context: the parent its thread gives, if one does. */
void ws_parentage_thread_parent(const struct ws_parentage *p, struct ws_span *s);

#endif /* WS_PARENTAGE_H */
