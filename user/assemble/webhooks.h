/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Webhook routes: incoming requests (a partner calling back, e.g. Stripe's
 * POST /webhooks/stripe) whose trace context is not on the wire but in the
 * body, in metadata an earlier outgoing call stored with the partner. A
 * route names the method, the path and the JSON field holding a W3C
 * traceparent value, and whether that context becomes a span link (the
 * default) or the parent. Pure: parsed once from the configuration; the
 * assembler asks which route a request takes and what its body's first
 * bytes say.
 */
#ifndef WS_WEBHOOKS_H
#define WS_WEBHOOKS_H

#include <stddef.h>

#include "jsonpath.h"
#include "tracectx.h"

#define WS_MAX_WEBHOOKS 16
/*
 * Body bytes read for the field, from the body's start: the field must lie
 * within them (and within what the kernel copied of each read, see
 * --capture-bytes). Read only on configured routes, dropped at once.
 */
#define WS_WEBHOOK_BODY_MAX 8192

enum ws_webhook_mode { WS_WEBHOOK_LINK = 0, WS_WEBHOOK_PARENT = 1 };

struct ws_webhook {
	char method[21]; /* a token, case-sensitive as methods are */
	char path[256];	 /* absolute path; a final '*' matches any rest */
	struct ws_jsonpath field;
	unsigned char mode; /* enum ws_webhook_mode */
};

struct ws_webhooks {
	struct ws_webhook w[WS_MAX_WEBHOOKS];
	size_t n;
};

/*
 * Adds one route: "METHOD /path=json.path[,link|,parent]", e.g.
 * "POST /webhooks/stripe=data.object.metadata.trace_parent". The path ends
 * at the first '='; it has no query. 0, or -EINVAL / -ENOSPC (nothing added).
 */
int ws_webhooks_add(struct ws_webhooks *ws, const char *spec);

/* The route of a request (its target in origin form; the query is ignored); NULL: none. */
const struct ws_webhook *ws_webhook_match(const struct ws_webhooks *ws, const char *method,
					  size_t method_len, const char *target, size_t target_len);

/*
 * The trace context in the first len bytes of a body: the route's field,
 * when it is there whole and a valid traceparent. 0 with *out set, or
 * -ENOENT (absent, cut, not JSON, not a valid traceparent).
 */
int ws_webhook_context(const struct ws_webhook *w, const char *body, size_t len,
		       struct ws_traceparent *out);

#endif /* WS_WEBHOOKS_H */
