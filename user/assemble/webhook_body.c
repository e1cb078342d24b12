// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Webhook body gathering for the assembler. A connection gathers at most
 * one body at a time (the parser ends one body before the next head), and
 * its request is the one in the connection's FIFO marked hook, wherever it
 * has moved since. The search (webhooks.c) runs once per body, on what came
 * before the buffer filled, the body ended, a hole, a parse error or the
 * answer; the bytes are wiped before the buffer is freed.
 */
#include <stdlib.h>
#include <string.h>

#include "links.h"
#include "span.h"
#include "tracectx.h"
#include "webhook_body.h"

static bool is_root(const struct ws_span *s)
{
	static const uint8_t zero[8];

	return !memcmp(s->parent_span_id, zero, sizeof(zero));
}

/*
 * A link by default. As parent only when asked and nothing closer is known:
 * a parent inferred from a traced client at the other end is the caller
 * itself, so the body's context then stays a link.
 */
static void apply(struct ws_hooks *h, struct ws_span *s, const struct ws_webhook *w,
		  const struct ws_traceparent *tp)
{
	struct ws_link_ctx self;

	if (w->mode != WS_WEBHOOK_PARENT || !is_root(s)) {
		ws_span_add_link(s, tp->trace_id, tp->parent_id, tp->flags);
		return;
	}
	memcpy(s->trace_id, tp->trace_id, sizeof(s->trace_id));
	memcpy(s->parent_span_id, tp->parent_id, sizeof(s->parent_span_id));
	s->trace_flags = tp->flags;
	/* Calls the handler makes from now on belong to the new trace too. */
	memcpy(self.trace_id, s->trace_id, sizeof(self.trace_id));
	memcpy(self.span_id, s->span_id, sizeof(self.span_id));
	self.flags = s->trace_flags;
	ws_links_server_update(h->links, s->exec, &self);
}

void ws_hook_drop(struct ws_hooks *h, struct ws_connection *c)
{
	if (!c->hook)
		return;
	explicit_bzero(c->hook->buf, c->hook->len); /* no body bytes linger in freed memory */
	free(c->hook);
	c->hook = NULL;
	h->busy--;
}

void ws_hook_end(struct ws_hooks *h, struct ws_connection *c)
{
	struct ws_hook_body *hb = c->hook;
	struct ws_pending *p = NULL;
	struct ws_traceparent tp;

	if (!hb)
		return;
	for (uint8_t i = 0; i < c->qlen && !p; i++)
		if (ws_conn_at(c, i)->hook)
			p = ws_conn_at(c, i);
	if (p)
		p->hook = false;
	if (p && p->span && !ws_webhook_context(hb->route, hb->buf, hb->len, &tp)) {
		apply(h, p->span, hb->route, &tp);
		h->linked++;
	} else {
		h->no_context++;
	}
	ws_hook_drop(h, c);
}

void ws_hook_begin(struct ws_hooks *h, struct ws_connection *c, int dir,
		   const struct ws_webhook *route)
{
	struct ws_hook_body *hb;

	ws_hook_end(h, c); /* never two at once: the parser ends one body before the next head */
	if (h->busy >= WS_HOOKS_MAX || !(hb = malloc(sizeof(*hb)))) {
		h->refused++;
		return;
	}
	hb->route = route;
	hb->dir = dir;
	hb->len = 0;
	c->hook = hb;
	h->busy++;
	ws_conn_at(c, c->qlen - 1)->hook = true;
	http1_want_body(&c->d[dir].p, sizeof(hb->buf));
}

void ws_hook_bytes(struct ws_hooks *h, struct ws_connection *c, const char *b, size_t n)
{
	struct ws_hook_body *hb = c->hook;
	size_t room = sizeof(hb->buf) - hb->len;

	if (n > room)
		n = room; /* not reached: the parser hands out no more than asked */
	memcpy(hb->buf + hb->len, b, n);
	hb->len += n;
	if (hb->len == sizeof(hb->buf))
		ws_hook_end(h, c);
}
