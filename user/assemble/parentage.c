// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Parentage for the assembler: requests in, inferred parents out, over the
 * link, Go-call and endpoint tables (each a module of its own with its own
 * tests). Here only the order of the calls: what a request tells each table,
 * and when a parent found is taken (never over one that came on the wire).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "gocalls.h"
#include "links.h"
#include "parentage.h"

/*
 * A send is stamped after the kernel may have woken its reader, and the
 * sender may be preempted in between: a sanity bound, not a precision.
 */
#define PEER_SKEW_NS 100000000ull

struct ws_parentage {
	struct ws_links *links;
	struct ws_gocalls *gocalls;	/* Go: whose call a writer goroutine writes */
	struct ws_endpoints *endpoints; /* where HTTP was seen: failed connects there are calls */
};

struct ws_parentage *ws_parentage_new(size_t max_conns)
{
	struct ws_parentage *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->links = ws_links_new(max_conns);
	p->gocalls = ws_gocalls_new();
	p->endpoints = ws_endpoints_new(0);
	if (!p->links || !p->endpoints || !p->gocalls) {
		ws_parentage_free(p);
		return NULL;
	}
	return p;
}

void ws_parentage_free(struct ws_parentage *p)
{
	if (!p)
		return;
	ws_links_free(p->links);
	ws_gocalls_free(p->gocalls);
	ws_endpoints_free(p->endpoints);
	free(p);
}

struct ws_links *ws_parentage_links(struct ws_parentage *p)
{
	return p->links;
}

static void adopt_parent(struct ws_span *s, const struct ws_link_ctx *p)
{
	memcpy(s->trace_id, p->trace_id, sizeof(s->trace_id));
	memcpy(s->parent_span_id, p->span_id, sizeof(s->parent_span_id));
	s->trace_flags = p->flags;
}

static struct ws_link_ctx link_ctx(const struct ws_span *s)
{
	struct ws_link_ctx x;

	memcpy(x.trace_id, s->trace_id, sizeof(x.trace_id));
	memcpy(x.span_id, s->span_id, sizeof(x.span_id));
	x.flags = s->trace_flags;
	return x;
}

void ws_parentage_request(struct ws_parentage *p, struct ws_connection *c, struct ws_span *s,
			  bool wired, uint64_t ts)
{
	struct ws_link_ctx parent, self;

	if (s->kind == WS_KIND_SERVER) {
		ws_endpoints_add(p->endpoints, c->tuple.family, c->tuple.saddr, c->tuple.sport);
		if (!ws_links_peer_client(p->links, &c->tuple, ts, PEER_SKEW_NS, &parent) && !wired)
			adopt_parent(s, &parent);
		self = link_ctx(s);
		ws_links_server_begin(p->links, s->exec, &self);
		c->server = true;
		return;
	}
	ws_endpoints_add(p->endpoints, c->tuple.family, c->tuple.daddr, c->tuple.dport);
	/* Go's http.Transport writes from another goroutine than the caller's. */
	if (s->exec.tgid)
		s->exec.id = ws_gocalls_owner(p->gocalls, s->exec.tgid, s->exec.id, ts);
	if (!wired && !ws_links_thread_parent(p->links, s->exec, &parent))
		adopt_parent(s, &parent);
	self = link_ctx(s);
	ws_links_client_sent(p->links, &c->tuple, ts, &self);
	c->client = true;
}

void ws_parentage_request_lost(struct ws_parentage *p, struct ws_connection *c, uint64_t ts)
{
	struct ws_link_ctx unused;

	ws_links_peer_client(p->links, &c->tuple, ts, PEER_SKEW_NS, &unused);
	c->server = true;
}

void ws_parentage_request_done(struct ws_parentage *p, const struct ws_span *s)
{
	if (s && s->kind == WS_KIND_SERVER)
		ws_links_server_end(p->links, s->exec);
}

void ws_parentage_conn_gone(struct ws_parentage *p, struct ws_connection *c)
{
	if (c->client)
		ws_links_client_closed(p->links, &c->tuple);
	if (c->server)
		ws_links_server_closed(p->links, &c->tuple);
}

int ws_parentage_go(struct ws_parentage *p, const struct ws_go_rec *g)
{
	const struct ws_rec_hdr *h = &g->hdr;

	if (g->event == WS_GO_ROUNDTRIP)
		ws_gocalls_roundtrip(p->gocalls, h->tgid, g->req, g->goroutine, h->ts_ns);
	else if (g->event == WS_GO_REQ_WRITE)
		ws_gocalls_write(p->gocalls, h->tgid, g->req, g->goroutine, h->ts_ns);
	else
		return -EINVAL;
	return 0;
}

bool ws_parentage_http_peer(const struct ws_parentage *p, const struct ws_tuple *t)
{
	return ws_endpoints_has(p->endpoints, t->family, t->daddr, t->dport);
}

void ws_parentage_thread_parent(const struct ws_parentage *p, struct ws_span *s)
{
	struct ws_link_ctx parent;

	if (!ws_links_thread_parent(p->links, s->exec, &parent))
		adopt_parent(s, &parent);
}
