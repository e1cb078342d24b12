/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Webhook body gathering: a request on a webhook route (webhooks.h) that
 * brought no trace context in its head may carry one in its body's first
 * bytes, the context a partner kept from our call. Those bytes are gathered
 * into one bounded buffer per such request (a bounded number at once),
 * searched once, and the buffer wiped and dropped. What is found becomes a
 * link of the request's span, or its parent where the route asks for that.
 */
#ifndef WS_WEBHOOK_BODY_H
#define WS_WEBHOOK_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "conns.h"
#include "webhooks.h"

struct ws_links;

/* Webhook bodies gathered at once: memory stays under 64 x 8 KiB whatever the traffic. */
#define WS_HOOKS_MAX 64

/* The first bytes of a webhook request's body, kept until searched once. */
struct ws_hook_body {
	const struct ws_webhook *route;
	int dir; /* the direction its request came in on */
	size_t len;
	char buf[WS_WEBHOOK_BODY_MAX];
};

/* The gathering of one assembler: what it lends and what it counts. */
struct ws_hooks {
	struct ws_links *links; /* a context made parent moves the handler's calls too */
	size_t busy;		/* bodies being gathered */
	uint64_t linked;	/* spans given the context found in their body */
	uint64_t no_context;	/* bodies without a whole, valid context in their first bytes */
	uint64_t refused;	/* bodies not read: WS_HOOKS_MAX being read already, or no memory */
};

/*
 * The newest request of c (just pushed, from direction dir, on route) has
 * its body's first bytes gathered; an earlier body still gathered on c is
 * searched first.
 */
void ws_hook_begin(struct ws_hooks *h, struct ws_connection *c, int dir,
		   const struct ws_webhook *route);
/* Body bytes of the request being gathered on c; searched once the buffer is full. */
void ws_hook_bytes(struct ws_hooks *h, struct ws_connection *c, const char *b, size_t n);
/*
 * The body gathered on c ended, was cut, or its request was answered:
 * searched once, applied to its request's span, and dropped. No-op when none.
 */
void ws_hook_end(struct ws_hooks *h, struct ws_connection *c);
/* The body's bytes go, unread: the connection went first (nothing to link). */
void ws_hook_drop(struct ws_hooks *h, struct ws_connection *c);

/* Whether c is gathering a body that came in direction dir. */
static inline bool ws_hook_on(const struct ws_connection *c, int dir)
{
	return c->hook && c->hook->dir == dir;
}

#endif /* WS_WEBHOOK_BODY_H */
