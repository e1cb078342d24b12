// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Webhook routes and the trace context of their bodies (see webhooks.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "httpchars.h"
#include "webhooks.h"

/* Longest field value read: a traceparent is 55 bytes; a later version may add fields. */
#define VALUE_MAX 256

static bool path_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '?' && c != '#';
}

/* "METHOD /path" in [s, e) into w; 0 or -EINVAL. */
static int parse_route(const char *s, const char *e, struct ws_webhook *w)
{
	const char *sp = memchr(s, ' ', e - s), *ps;

	if (!sp || sp == s || (size_t)(sp - s) >= sizeof(w->method))
		return -EINVAL;
	for (const char *x = s; x < sp; x++)
		if (!ws_is_tchar(*x))
			return -EINVAL;
	memcpy(w->method, s, sp - s);
	ps = sp + 1;
	if (ps >= e || *ps != '/' || (size_t)(e - ps) >= sizeof(w->path))
		return -EINVAL;
	for (const char *x = ps; x < e; x++)
		if (!path_char(*x) || (*x == '*' && x != e - 1))
			return -EINVAL;
	memcpy(w->path, ps, e - ps);
	return 0;
}

int ws_webhooks_add(struct ws_webhooks *ws, const char *spec)
{
	const char *end, *eq, *comma;
	struct ws_webhook w;

	if (!ws || !spec)
		return -EINVAL;
	if (ws->n == WS_MAX_WEBHOOKS)
		return -ENOSPC;
	memset(&w, 0, sizeof(w));
	end = spec + strlen(spec);
	eq = strchr(spec, '=');
	if (!eq || parse_route(spec, eq, &w))
		return -EINVAL;
	comma = memchr(eq + 1, ',', end - eq - 1);
	if (comma) {
		if (!strcmp(comma + 1, "parent"))
			w.mode = WS_WEBHOOK_PARENT;
		else if (strcmp(comma + 1, "link"))
			return -EINVAL;
	}
	if (ws_jsonpath_parse(eq + 1, (comma ? comma : end) - eq - 1, &w.field))
		return -EINVAL;
	ws->w[ws->n++] = w;
	return 0;
}

static bool path_matches(const char *route, const char *path, size_t len)
{
	size_t rl = strlen(route);

	if (rl && route[rl - 1] == '*')
		return len >= rl - 1 && !memcmp(route, path, rl - 1);
	return len == rl && !memcmp(route, path, len);
}

const struct ws_webhook *ws_webhook_match(const struct ws_webhooks *ws, const char *method,
					  size_t method_len, const char *target, size_t target_len)
{
	size_t plen = 0;

	if (!ws || !ws->n || !method || !target)
		return NULL;
	while (plen < target_len && target[plen] != '?' && target[plen] != '#')
		plen++;
	for (size_t i = 0; i < ws->n; i++) {
		const struct ws_webhook *w = &ws->w[i];

		if (strlen(w->method) == method_len && !memcmp(w->method, method, method_len) &&
		    path_matches(w->path, target, plen))
			return w;
	}
	return NULL;
}

int ws_webhook_context(const struct ws_webhook *w, const char *body, size_t len,
		       struct ws_traceparent *out)
{
	char val[VALUE_MAX];
	int n;

	if (!w || !out)
		return -ENOENT;
	n = ws_json_find_string(body, len, &w->field, val, sizeof(val));
	if (n <= 0 || ws_traceparent_parse(val, n, out))
		return -ENOENT;
	return 0;
}
