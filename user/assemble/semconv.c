// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * HTTP semantic conventions for a request/response pair (see semconv.h).
 * Strings come from the network: they are copied into the span's arena,
 * cut to WS_ATTR_VALUE_MAX, and query values never leave redacted form.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "baggage.h"
#include "ipaddr.h"
#include "partners.h"
#include "redact.h"
#include "semconv.h"
#include "tracectx.h"

static const char *const known_methods[] = { "GET",	"HEAD",	   "POST",  "PUT",  "DELETE",
					     "CONNECT", "OPTIONS", "TRACE", "PATCH" };

/* Dotted quad by hand: inet_ntop goes through sprintf, twice per span. */
static void ipv4_str(const uint8_t *a, char *out)
{
	for (int i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

static void addr_str(const struct ws_tuple *t, const uint8_t *addr, char out[INET6_ADDRSTRLEN])
{
	if (t->family == AF_INET)
		ipv4_str(addr, out);
	else if (ws_ipv4_mapped(addr)) /* a dual-stack socket talking IPv4 */
		ipv4_str(addr + 12, out);
	else
		inet_ntop(AF_INET6, addr, out, INET6_ADDRSTRLEN);
}

static void add_cstr(struct ws_span *s, const char *key, const char *v)
{
	ws_span_add_str(s, key, v, strlen(v));
}

static void add_value(struct ws_span *s, const char *key, const struct http1_header *hd)
{
	if (hd && hd->value_len)
		ws_span_add_str(s, key, hd->value, hd->value_len);
}

static void add_hdr(struct ws_span *s, const char *key, const struct http1_head *h,
		    const char *name)
{
	add_value(s, key, http1_find(h, name));
}

static void set_name_and_method(struct ws_span *s, const struct http1_head *h)
{
	for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++) {
		if (strlen(known_methods[i]) == h->method_len &&
		    !memcmp(known_methods[i], h->method, h->method_len)) {
			strcpy(s->name, known_methods[i]);
			add_cstr(s, "http.request.method", known_methods[i]);
			return;
		}
	}
	/* Unknown methods would explode span-name cardinality: semconv's _OTHER. */
	strcpy(s->name, "HTTP");
	add_cstr(s, "http.request.method", "_OTHER");
	ws_span_add_str(s, "http.request.method_original", h->method, h->method_len);
}

/*
 * The values of every header of a known name, joined with ',' as RFC 9110
 * allows for list headers (tracestate, baggage may come in several lines).
 * Returns the length, or -ENOSPC when they do not fit; n counts the lines.
 * The parser indexed the first and counted them: most heads have none.
 */
static int join_headers(const struct http1_head *h, enum http1_known k, char *out, size_t outsz,
			int *n)
{
	const struct http1_header *first = http1_get(h, k);
	size_t len = 0;

	*n = 0;
	out[0] = '\0';
	if (!first)
		return 0;
	for (size_t i = h->known_first[k] - 1; i < h->nheaders && *n < h->known_n[k]; i++) {
		const struct http1_header *x = &h->headers[i];

		if (x->name_len != first->name_len ||
		    strncasecmp(x->name, first->name, first->name_len))
			continue;
		if (len + (*n ? 1 : 0) + x->value_len >= outsz)
			return -ENOSPC;
		if ((*n)++)
			out[len++] = ',';
		memcpy(out + len, x->value, x->value_len);
		len += x->value_len;
	}
	out[len] = '\0';
	return (int)len;
}

/*
 * The request's own traceparent, when it is valid and alone (two of them
 * start a new trace, as the W3C rules say); its tracestate is kept when the
 * list is valid, normalized. false: a new trace, for now.
 */
bool ws_semconv_trace_context(struct ws_span *s, const struct http1_head *h)
{
	char tp[512], list[1024], norm[1024];
	struct ws_traceparent ctx;
	int n, len;

	ws_ids_span(s->span_id);
	len = join_headers(h, HTTP1_H_TRACEPARENT, tp, sizeof(tp), &n);
	if (n == 1 && len > 0 && !ws_traceparent_parse(tp, len, &ctx)) {
		memcpy(s->trace_id, ctx.trace_id, sizeof(s->trace_id));
		memcpy(s->parent_span_id, ctx.parent_id, sizeof(s->parent_span_id));
		s->trace_flags = ctx.flags;
		len = join_headers(h, HTTP1_H_TRACESTATE, list, sizeof(list), &n);
		if (len > 0)
			len = ws_tracestate_check(list, len, norm, sizeof(norm));
		if (len > 0)
			ws_span_set_tracestate(s, norm, len);
		return true;
	}
	ws_ids_trace(s->trace_id);
	s->trace_flags = 1;
	return false;
}

/* url.* and server.* of a request; pure given the head and the tuple. */
static void add_url_attrs(struct ws_span *s, const struct http1_head *h, const struct ws_tuple *t,
			  bool server)
{
	const struct http1_header *hosth = http1_get(h, HTTP1_H_HOST);
	const char *host = NULL, *scheme = "http";
	size_t host_len = 0, scheme_len = 4;
	char peer[INET6_ADDRSTRLEN], q[1024], url[2048], pbuf[2048];
	const char *qp = NULL, *path = NULL;
	size_t qlen = 0, path_len = 0;
	struct ws_target tg;
	int port = -1, n;
	bool split;

	split = !ws_split_target(h->target, h->target_len, &tg);
	if (split && tg.form == WS_TARGET_ABSOLUTE) {
		scheme = tg.scheme;
		scheme_len = tg.scheme_len;
	}
	if (split && (tg.form == WS_TARGET_ABSOLUTE || tg.form == WS_TARGET_AUTHORITY)) {
		host = tg.host;
		host_len = tg.host_len;
		port = tg.port;
		/* A proxy request names its origin: its port is the scheme's, not the proxy's. */
		if (port < 0 && tg.form == WS_TARGET_ABSOLUTE)
			port = scheme_len == 5 && !strncasecmp(scheme, "https", 5) ? 443 : 80;
	} else if (hosth &&
		   ws_parse_host_header(hosth->value, hosth->value_len, &host, &host_len, &port)) {
		host = NULL;
		port = -1;
	}
	if (port < 0)
		port = server ? t->sport : t->dport; /* the connection's own port */
	if (!host) {
		/* No name given: the address the bytes went to is the server. */
		addr_str(t, server ? t->saddr : t->daddr, peer);
		host = peer;
		host_len = strlen(peer);
	}
	ws_span_add_str(s, "server.address", host, host_len);
	ws_span_add_int(s, "server.port", port);
	if (split && tg.query) {
		qlen = ws_redact_query(tg.query, tg.query_len, q, sizeof(q));
		qp = q;
	}
	if (split && tg.path)
		path = ws_redact_path(tg.path, tg.path_len, pbuf, sizeof(pbuf), &path_len);
	if (server) {
		if (path) {
			ws_span_add_str(s, "url.path", path, path_len);
			if (qp)
				ws_span_add_str(s, "url.query", qp, qlen);
		}
		add_cstr(s, "url.scheme", "http");
		return;
	}
	if (!path)
		return;
	n = ws_build_url_full(scheme, scheme_len, host, host_len, port, path, path_len, qp, qlen,
			      url, sizeof(url));
	if (n >= 0 || n == -ENOSPC)
		add_cstr(s, "url.full", url);
}

struct baggage_ctx {
	const struct ws_semconv_opts *o;
	struct ws_span *s;
};

static void baggage_attr(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
	const struct baggage_ctx *b = ctx;
	char dec[WS_ATTR_VALUE_MAX];

	(void)klen;
	/* key is the allowlist's own pointer: its index names the attribute */
	for (size_t i = 0; i < b->o->baggage->nkeys; i++) {
		if (b->o->baggage->keys[i] == key) {
			ws_span_add_str(b->s, b->o->baggage_keys[i], dec,
					ws_pct_decode(val, vlen, dec, sizeof(dec)));
			return;
		}
	}
}

/* Allowed baggage members become attributes; nothing when no key is allowed. */
static void add_baggage(const struct ws_semconv_opts *o, struct ws_span *s,
			const struct http1_head *h)
{
	struct baggage_ctx b = { o, s };
	char list[WS_BAGGAGE_MAX_BYTES + 1];
	int n, len;

	if (!o || !o->baggage || !o->baggage->nkeys || !o->baggage_keys)
		return;
	len = join_headers(h, HTTP1_H_BAGGAGE, list, sizeof(list), &n);
	if (len > 0) {
		ws_baggage_each_allowed(list, len, o->baggage, baggage_attr, &b);
	} else if (len == -ENOSPC) {
		/* Over the limit: the first line's members within it (the spec allows dropping). */
		const struct http1_header *first = http1_get(h, HTTP1_H_BAGGAGE);

		ws_baggage_each_allowed(first->value, first->value_len, o->baggage, baggage_attr,
					&b);
	}
}

/* CLIENT spans: the partner the call went to, by the host it named. */
static void add_partner(const struct ws_semconv_opts *o, struct ws_span *s)
{
	const struct ws_attr *host = ws_span_attr(s, "server.address");
	const char *name;

	if (!host || !o || !o->partners)
		return;
	name = ws_partner_of(o->partners, ws_attr_str(s, host), host->len);
	if (name)
		ws_span_add_str(s, "peer.service", name, strlen(name));
}

void ws_semconv_request(struct ws_span *s, const struct http1_head *h, const struct ws_tuple *t,
			const struct ws_semconv_opts *o)
{
	bool server = s->kind == WS_KIND_SERVER;
	char peer[INET6_ADDRSTRLEN];

	set_name_and_method(s, h);
	add_url_attrs(s, h, t, server);
	addr_str(t, t->daddr, peer);
	add_cstr(s, "network.peer.address", peer);
	ws_span_add_int(s, "network.peer.port", t->dport);
	add_cstr(s, "network.protocol.version", h->version_minor ? "1.1" : "1.0");
	if (server) {
		add_cstr(s, "client.address", peer);
		add_value(s, "user_agent.original", http1_get(h, HTTP1_H_USER_AGENT));
	} else {
		add_partner(o, s);
	}
	add_baggage(o, s, h);
}

void ws_semconv_response(struct ws_span *s, const struct http1_head *h,
			 const struct ws_semconv_opts *o)
{
	char code[8];

	ws_span_add_int(s, "http.response.status_code", h->status);
	/* A server answering 4xx did its job; a client receiving one did not get what it asked. */
	if (h->status >= 500 || (s->kind == WS_KIND_CLIENT && h->status >= 400)) {
		s->status = WS_STATUS_ERROR;
		snprintf(code, sizeof(code), "%d", h->status);
		add_cstr(s, "error.type", code);
	}
	/* The partner's own request id, to find this call in its dashboard. */
	if (s->kind == WS_KIND_CLIENT && o && o->partners)
		for (size_t i = 0; i < o->partners->nhdr; i++)
			add_hdr(s, o->partners->key[i], h, o->partners->hdr[i]);
}

static const struct ws_failure reset = { "connection_reset", "ECONNRESET",
					 "Connection reset by peer" };
static const struct ws_failure timed_out = { "timeout", "ETIMEDOUT", "Connection timed out" };
static const struct ws_failure hung_up = { "connection_closed", NULL, NULL };
static const struct ws_failure refused = { "connection_refused", "ECONNREFUSED",
					   "Connection refused" };
static const struct ws_failure host_unreach = { "host_unreachable", "EHOSTUNREACH",
						"No route to host" };
static const struct ws_failure net_unreach = { "network_unreachable", "ENETUNREACH",
					       "Network is unreachable" };

const struct ws_failure *ws_failure_of_close(uint16_t flags)
{
	/* A reset says more than the hang-up that may have come with it. */
	if (flags & WS_F_RESET)
		return &reset;
	if (flags & WS_F_TIMED_OUT)
		return &timed_out;
	if (flags & WS_F_CLOSED_BY_PEER)
		return &hung_up;
	return NULL;
}

const struct ws_failure *ws_failure_of_connect(uint16_t flags)
{
	if (flags & WS_F_REFUSED)
		return &refused;
	if (flags & WS_F_TIMED_OUT)
		return &timed_out;
	if (flags & WS_F_HOST_UNREACH)
		return &host_unreach;
	if (flags & WS_F_NET_UNREACH)
		return &net_unreach;
	return NULL;
}

void ws_semconv_failed(struct ws_span *s, const struct ws_failure *f, uint64_t time_unix_ns)
{
	s->status = WS_STATUS_ERROR;
	add_cstr(s, "error.type", f->error_type);
	if (f->exc_type)
		ws_span_set_exception(s, time_unix_ns, f->exc_type, f->exc_msg);
}

void ws_semconv_connect_failed(struct ws_span *s, const struct ws_tuple *t,
			       const struct ws_failure *f, uint64_t time_unix_ns,
			       const struct ws_semconv_opts *o)
{
	char peer[INET6_ADDRSTRLEN];

	strcpy(s->name, "HTTP");
	addr_str(t, t->daddr, peer);
	add_cstr(s, "server.address", peer);
	ws_span_add_int(s, "server.port", t->dport);
	add_cstr(s, "network.peer.address", peer);
	ws_span_add_int(s, "network.peer.port", t->dport);
	add_partner(o, s);
	ws_semconv_failed(s, f, time_unix_ns);
}
