/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of semconv.c alone, without the assembler: parsed request and
 * response heads in, the attributes, span name, status and error.type of
 * the OpenTelemetry HTTP semantic conventions (stable) out, as the README
 * states them; then the failure tables (error.type and the exception event
 * of resets, timeouts, hang-ups and failed connects) and the trace context
 * taken from the wire. Each table row is one exchange and every expectation
 * of the row is checked, so a row fails alone and names itself.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "baggage.h"
#include "check.h"
#include "http1.h"
#include "partners.h"
#include "semconv.h"
#include "span.h"
#include "wirespan.h"

/* An attribute a row expects: a string, an integer, or absent. */
enum want_kind { W_END = 0, W_STR, W_INT, W_NONE };

struct want {
	enum want_kind kind;
	const char *key;
	const char *str;
	int64_t ival;
};

#define STR(k, v)                                                                                  \
	{                                                                                          \
		W_STR, (k), (v), 0                                                                 \
	}
#define INT(k, v)                                                                                  \
	{                                                                                          \
		W_INT, (k), NULL, (v)                                                              \
	}
#define NONE(k)                                                                                    \
	{                                                                                          \
		W_NONE, (k), NULL, 0                                                               \
	}
#define MAX_WANTS 16

static int failed_row(const char *row, const char *what, const char *key)
{
	fprintf(stderr, "    row \"%s\": attribute %s %s\n", row, key, what);
	check_failed_in_test = 1;
	return 0;
}

/* Checks every expectation of a row against s; prints the row's name with each miss. */
static void check_wants(const char *row, const struct ws_span *s, const struct want *w)
{
	for (; w->kind != W_END; w++) {
		const struct ws_attr *a = ws_span_attr(s, w->key);

		if (w->kind == W_NONE) {
			CHECK(!a || failed_row(row, "present, should not be", w->key));
			continue;
		}
		if (!a) {
			CHECK(failed_row(row, "missing", w->key));
			continue;
		}
		if (w->kind == W_INT) {
			CHECK_INT(a->type, WS_ATTR_INT);
			CHECK(a->ival == w->ival || failed_row(row, "has another value", w->key));
			continue;
		}
		CHECK_INT(a->type, WS_ATTR_STR);
		if (a->len != strlen(w->str) || memcmp(ws_attr_str(s, a), w->str, a->len)) {
			fprintf(stderr, "    row \"%s\": %s is \"%.*s\", want \"%s\"\n", row,
				w->key, (int)a->len, ws_attr_str(s, a), w->str);
			CHECK(!"attribute value");
		}
	}
}

static struct ws_tuple tuple(int family, const char *saddr, uint16_t sport, const char *daddr,
			     uint16_t dport)
{
	struct ws_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = family;
	CHECK_INT(inet_pton(family, saddr, t.saddr), 1);
	CHECK_INT(inet_pton(family, daddr, t.daddr), 1);
	t.sport = sport;
	t.dport = dport;
	return t;
}

/* The traced server listens on 127.0.0.1:8080; its peer is 192.168.1.50:54321. */
#define SRV4 AF_INET, "127.0.0.1", 8080, "192.168.1.50", 54321
/* The traced client on 192.168.1.50:54321 calls 10.0.0.7:8080. */
#define CLI4 AF_INET, "192.168.1.50", 54321, "10.0.0.7", 8080

/*
 * Parses one whole head (request or response) with a fresh parser. The head
 * points into msg (a head that comes whole in one feed is parsed where it
 * lies) and into p's table: valid until p is released.
 */
static const struct http1_head *head_of(struct http1_parser *p, const char *msg)
{
	struct http1_event ev;
	long n;

	http1_init(p, HTTP1_AUTO);
	n = http1_feed(p, msg, strlen(msg), &ev);
	CHECK(n > 0);
	CHECK_INT(ev.type, HTTP1_EV_HEAD);
	return n > 0 && ev.type == HTTP1_EV_HEAD ? ev.head : NULL;
}

static struct ws_span *span_of_kind(int kind)
{
	struct ws_span *s = ws_span_new();

	CHECK(s != NULL);
	if (s)
		s->kind = kind;
	return s;
}

/* ---- requests: name, method, url.*, server.*, network.*, client.*, user_agent ---- */

struct request_row {
	const char *name;
	int kind;
	struct {
		int family;
		const char *saddr;
		uint16_t sport;
		const char *daddr;
		uint16_t dport;
	} t;
	const char *head;
	const char *span_name;
	struct want want[MAX_WANTS];
};

static const struct request_row request_rows[] = {
	{ "server GET: every server attribute",
	  WS_KIND_SERVER,
	  { SRV4 },
	  "GET /a/b?q=secret&page=2 HTTP/1.1\r\nHost: shop.example:8443\r\n"
	  "User-Agent: curl/8.1\r\n\r\n",
	  "GET",
	  { STR("http.request.method", "GET"), STR("server.address", "shop.example"),
	    INT("server.port", 8443), STR("url.path", "/a/b"),
	    STR("url.query", "q=REDACTED&page=REDACTED"), STR("url.scheme", "http"),
	    STR("client.address", "192.168.1.50"), STR("network.peer.address", "192.168.1.50"),
	    INT("network.peer.port", 54321), STR("network.protocol.version", "1.1"),
	    STR("user_agent.original", "curl/8.1"), NONE("url.full"),
	    NONE("http.request.method_original"), NONE("peer.service") } },
	{ "server without Host: the local address and port",
	  WS_KIND_SERVER,
	  { SRV4 },
	  "POST /submit HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
	  "POST",
	  { STR("server.address", "127.0.0.1"), INT("server.port", 8080),
	    STR("url.path", "/submit"), NONE("url.query"), NONE("user_agent.original") } },
	{ "server HTTP/1.0",
	  WS_KIND_SERVER,
	  { SRV4 },
	  "GET / HTTP/1.0\r\nHost: h\r\n\r\n",
	  "GET",
	  { STR("network.protocol.version", "1.0"), STR("server.address", "h"),
	    INT("server.port", 8080) } },
	{ "unknown method: HTTP and _OTHER, the original kept",
	  WS_KIND_SERVER,
	  { SRV4 },
	  "PURGE /cache HTTP/1.1\r\nHost: h\r\n\r\n",
	  "HTTP",
	  { STR("http.request.method", "_OTHER"), STR("http.request.method_original", "PURGE") } },
	{ "method names are case-sensitive",
	  WS_KIND_SERVER,
	  { SRV4 },
	  "get / HTTP/1.1\r\nHost: h\r\n\r\n",
	  "HTTP",
	  { STR("http.request.method", "_OTHER"), STR("http.request.method_original", "get") } },
	{ "server path parameters redacted, names kept",
	  WS_KIND_SERVER,
	  { SRV4 },
	  "GET /b;jsessionid=abc;TOKEN HTTP/1.1\r\nHost: h\r\n\r\n",
	  "GET",
	  { STR("url.path", "/b;jsessionid=REDACTED;REDACTED") } },
	{ "client GET: url.full on the connection's port, no server-only attributes",
	  WS_KIND_CLIENT,
	  { CLI4 },
	  "GET /v1/items?id=7 HTTP/1.1\r\nHost: api.example\r\n"
	  "User-Agent: app/1\r\n\r\n",
	  "GET",
	  { STR("url.full", "http://api.example:8080/v1/items?id=REDACTED"),
	    STR("server.address", "api.example"), INT("server.port", 8080),
	    STR("network.peer.address", "10.0.0.7"), INT("network.peer.port", 8080),
	    NONE("url.path"), NONE("url.query"), NONE("url.scheme"), NONE("client.address"),
	    NONE("user_agent.original") } },
	{ "client absolute form: the origin's default port, userinfo dropped",
	  WS_KIND_CLIENT,
	  { CLI4 },
	  "GET http://user:pw@origin.example/p?k=v HTTP/1.1\r\nHost: origin.example\r\n\r\n",
	  "GET",
	  { STR("url.full", "http://origin.example/p?k=REDACTED"),
	    STR("server.address", "origin.example"), INT("server.port", 80) } },
	{ "client absolute https: port 443",
	  WS_KIND_CLIENT,
	  { CLI4 },
	  "GET https://secure.example/x HTTP/1.1\r\nHost: secure.example\r\n\r\n",
	  "GET",
	  { STR("url.full", "https://secure.example/x"), INT("server.port", 443) } },
	{ "client CONNECT: authority form names the server, no url.full",
	  WS_KIND_CLIENT,
	  { CLI4 },
	  "CONNECT tunnel.example:443 HTTP/1.1\r\nHost: tunnel.example:443\r\n\r\n",
	  "CONNECT",
	  { STR("server.address", "tunnel.example"), INT("server.port", 443), NONE("url.full") } },
	{ "client without Host: the peer's address",
	  WS_KIND_CLIENT,
	  { CLI4 },
	  "DELETE /r/1 HTTP/1.1\r\n\r\n",
	  "DELETE",
	  { STR("server.address", "10.0.0.7"), INT("server.port", 8080),
	    STR("url.full", "http://10.0.0.7:8080/r/1") } },
	{ "IPv6 server: the peer's address as written by inet_ntop",
	  WS_KIND_SERVER,
	  { AF_INET6, "2001:db8::1", 8080, "2001:db8::2", 40000 },
	  "GET / HTTP/1.1\r\n\r\n",
	  "GET",
	  { STR("server.address", "2001:db8::1"), STR("network.peer.address", "2001:db8::2"),
	    STR("client.address", "2001:db8::2"), INT("network.peer.port", 40000) } },
	{ "IPv4-mapped IPv6 peer shown as IPv4",
	  WS_KIND_SERVER,
	  { AF_INET6, "::ffff:10.1.2.3", 80, "::ffff:10.9.8.7", 5555 },
	  "GET / HTTP/1.1\r\n\r\n",
	  "GET",
	  { STR("server.address", "10.1.2.3"), STR("network.peer.address", "10.9.8.7") } },
};

TEST(request_heads_give_the_semconv_attributes)
{
	for (size_t i = 0; i < sizeof(request_rows) / sizeof(request_rows[0]); i++) {
		const struct request_row *r = &request_rows[i];
		struct ws_tuple t = tuple(r->t.family, r->t.saddr, r->t.sport, r->t.daddr,
					  r->t.dport);
		struct ws_semconv_opts o = { 0 };
		struct http1_parser p;
		const struct http1_head *h = head_of(&p, r->head);
		struct ws_span *s = span_of_kind(r->kind);

		if (h && s) {
			ws_semconv_request(s, h, &t, &o);
			if (strcmp(s->name, r->span_name)) {
				fprintf(stderr, "    row \"%s\": name \"%s\", want \"%s\"\n",
					r->name, s->name, r->span_name);
				CHECK(!"span name");
			}
			CHECK_INT(s->status, WS_STATUS_UNSET);
			check_wants(r->name, s, r->want);
		}
		ws_span_free(s);
		http1_release(&p);
	}
}

/* ---- responses: status code, span status and error.type ---- */

struct response_row {
	int kind;
	int status;
	int want_status;
	const char *error_type; /* NULL: none */
};

/* A server answering 4xx did its job; a client receiving one did not get what it asked. */
static const struct response_row response_rows[] = {
	{ WS_KIND_SERVER, 200, WS_STATUS_UNSET, NULL },
	{ WS_KIND_SERVER, 302, WS_STATUS_UNSET, NULL },
	{ WS_KIND_SERVER, 404, WS_STATUS_UNSET, NULL },
	{ WS_KIND_SERVER, 499, WS_STATUS_UNSET, NULL },
	{ WS_KIND_SERVER, 500, WS_STATUS_ERROR, "500" },
	{ WS_KIND_SERVER, 503, WS_STATUS_ERROR, "503" },
	{ WS_KIND_SERVER, 599, WS_STATUS_ERROR, "599" },
	{ WS_KIND_CLIENT, 200, WS_STATUS_UNSET, NULL },
	{ WS_KIND_CLIENT, 304, WS_STATUS_UNSET, NULL },
	{ WS_KIND_CLIENT, 399, WS_STATUS_UNSET, NULL },
	{ WS_KIND_CLIENT, 400, WS_STATUS_ERROR, "400" },
	{ WS_KIND_CLIENT, 404, WS_STATUS_ERROR, "404" },
	{ WS_KIND_CLIENT, 429, WS_STATUS_ERROR, "429" },
	{ WS_KIND_CLIENT, 502, WS_STATUS_ERROR, "502" },
};

TEST(response_status_rules_by_side)
{
	for (size_t i = 0; i < sizeof(response_rows) / sizeof(response_rows[0]); i++) {
		const struct response_row *r = &response_rows[i];
		char msg[128], row[48];
		struct http1_parser p;
		const struct http1_head *h;
		struct ws_span *s = span_of_kind(r->kind);

		snprintf(msg, sizeof(msg), "HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n", r->status);
		snprintf(row, sizeof(row), "%s %d", r->kind == WS_KIND_SERVER ? "server" : "client",
			 r->status);
		h = head_of(&p, msg);
		if (h && s) {
			struct want err = STR("error.type", r->error_type);
			struct want no_err = NONE("error.type");
			struct want w[] = { INT("http.response.status_code", r->status),
					    r->error_type ? err : no_err,
					    { W_END, NULL, NULL, 0 } };

			ws_semconv_response(s, h, NULL);
			CHECK(s->status == r->want_status ||
			      !fprintf(stderr, "    row \"%s\": status %d\n", row, s->status));
			check_wants(row, s, w);
		}
		ws_span_free(s);
		http1_release(&p);
	}
}

/* ---- failures: what a close or a failed connect says ---- */

struct failure_row {
	bool connect; /* ws_failure_of_connect, else ws_failure_of_close */
	uint16_t flags;
	const char *error_type; /* NULL: not a failure */
	const char *exc_type;	/* NULL: no exception event */
	const char *exc_msg;
};

static const struct failure_row failure_rows[] = {
	{ false, 0, NULL, NULL, NULL },
	{ false, WS_F_RESET, "connection_reset", "ECONNRESET", "Connection reset by peer" },
	/* A reset says more than the hang-up that may have come with it. */
	{ false, WS_F_RESET | WS_F_CLOSED_BY_PEER, "connection_reset", "ECONNRESET",
	  "Connection reset by peer" },
	{ false, WS_F_TIMED_OUT, "timeout", "ETIMEDOUT", "Connection timed out" },
	{ false, WS_F_CLOSED_BY_PEER, "connection_closed", NULL, NULL },
	{ true, 0, NULL, NULL, NULL },
	{ true, WS_F_REFUSED, "connection_refused", "ECONNREFUSED", "Connection refused" },
	{ true, WS_F_TIMED_OUT, "timeout", "ETIMEDOUT", "Connection timed out" },
	{ true, WS_F_HOST_UNREACH, "host_unreachable", "EHOSTUNREACH", "No route to host" },
	{ true, WS_F_NET_UNREACH, "network_unreachable", "ENETUNREACH", "Network is unreachable" },
};

TEST(failures_name_their_error_type_and_exception)
{
	for (size_t i = 0; i < sizeof(failure_rows) / sizeof(failure_rows[0]); i++) {
		const struct failure_row *r = &failure_rows[i];
		const struct ws_failure *f = r->connect ? ws_failure_of_connect(r->flags)
							: ws_failure_of_close(r->flags);
		struct ws_span *s;

		if (!r->error_type) {
			CHECK(f == NULL);
			continue;
		}
		CHECK(f != NULL);
		if (!f)
			continue;
		CHECK_STR(f->error_type, r->error_type);
		s = span_of_kind(WS_KIND_CLIENT);
		if (!s)
			continue;
		ws_semconv_failed(s, f, 12345);
		CHECK_INT(s->status, WS_STATUS_ERROR);
		check_wants(r->error_type, s,
			    (const struct want[]){ STR("error.type", r->error_type),
						   { W_END, NULL, NULL, 0 } });
		if (r->exc_type) {
			CHECK_INT(s->exc_time_unix_ns, 12345);
			CHECK_MEM(s->strbuf + s->exc_type_off, s->exc_type_len, r->exc_type);
			CHECK_MEM(s->strbuf + s->exc_msg_off, s->exc_msg_len, r->exc_msg);
		} else {
			CHECK_INT(s->exc_time_unix_ns, 0);
		}
		ws_span_free(s);
	}
}

/* A connect that failed: named HTTP (no method was sent), where it went, and why. */
TEST(failed_connect_span_names_where_it_went)
{
	struct ws_tuple t = tuple(AF_INET, "192.168.1.50", 40000, "203.0.113.9", 443);
	static struct ws_partners ps;
	struct ws_semconv_opts o = { .partners = &ps };
	struct ws_span *s = span_of_kind(WS_KIND_CLIENT);
	static const struct want w[] = { STR("server.address", "203.0.113.9"),
					 INT("server.port", 443),
					 STR("network.peer.address", "203.0.113.9"),
					 INT("network.peer.port", 443),
					 STR("error.type", "connection_refused"),
					 NONE("peer.service"),
					 NONE("http.request.method"),
					 NONE("url.full"),
					 { W_END, NULL, NULL, 0 } };

	ws_partners_init(&ps);
	CHECK_INT(ws_partners_add(&ps, "api.stripe.com=stripe"), 0);
	if (!s)
		return;
	ws_semconv_connect_failed(s, &t, ws_failure_of_connect(WS_F_REFUSED), 777, &o);
	CHECK_STR(s->name, "HTTP");
	CHECK_INT(s->status, WS_STATUS_ERROR);
	CHECK_INT(s->exc_time_unix_ns, 777);
	check_wants("refused connect", s, w);
	ws_span_free(s);
}

/* ---- partners and baggage ---- */

TEST(partner_calls_carry_its_name_and_its_request_id)
{
	struct ws_tuple t = tuple(CLI4);
	static struct ws_partners ps;
	struct ws_semconv_opts o = { .partners = &ps };
	struct http1_parser pq, pr;
	const struct http1_head *req, *resp;
	struct ws_span *s = span_of_kind(WS_KIND_CLIENT), *other = span_of_kind(WS_KIND_CLIENT);

	ws_partners_init(&ps);
	CHECK_INT(ws_partners_add(&ps, "api.stripe.com=stripe"), 0);
	req = head_of(&pq, "POST /v1/charges HTTP/1.1\r\nHost: api.stripe.com\r\n\r\n");
	resp = head_of(&pr, "HTTP/1.1 402 Payment Required\r\nRequest-Id: req_9\r\n\r\n");
	if (req && resp && s && other) {
		ws_semconv_request(s, req, &t, &o);
		ws_semconv_response(s, resp, &o);
		check_wants("stripe", s,
			    (const struct want[]){ STR("peer.service", "stripe"),
						   STR("http.response.header.request-id", "req_9"),
						   STR("error.type", "402"),
						   { W_END, NULL, NULL, 0 } });
		/* The same answer read by a server span: no partner headers on that side. */
		other->kind = WS_KIND_SERVER;
		ws_semconv_response(other, resp, &o);
		check_wants("server side", other,
			    (const struct want[]){ NONE("http.response.header.request-id"),
						   NONE("error.type"),
						   { W_END, NULL, NULL, 0 } });
	}
	http1_release(&pq);
	http1_release(&pr);
	ws_span_free(s);
	ws_span_free(other);
}

TEST(only_allowlisted_baggage_becomes_attributes_decoded)
{
	static const char keys[WS_BAGGAGE_MAX_KEYS][64] = { "app.partner" };
	struct ws_tuple t = tuple(SRV4);
	struct ws_baggage_allow allow;
	struct ws_semconv_opts o = { 0 };
	struct http1_parser p;
	const struct http1_head *h;
	struct ws_span *s = span_of_kind(WS_KIND_SERVER), *none = span_of_kind(WS_KIND_SERVER);

	CHECK_INT(ws_baggage_parse_allowlist("partnerId", &allow), 0);
	o.baggage = &allow;
	o.baggage_keys = keys;
	h = head_of(&p, "GET / HTTP/1.1\r\nHost: h\r\n"
			"baggage: userId=alice,partnerId=acme%20corp;prop=1\r\n\r\n");
	if (h && s && none) {
		ws_semconv_request(s, h, &t, &o);
		check_wants("allowlisted", s,
			    (const struct want[]){ STR("app.partner", "acme corp"),
						   NONE("userId"),
						   NONE("partnerId"),
						   { W_END, NULL, NULL, 0 } });
		ws_semconv_request(none, h, &t, NULL); /* no options: nothing from baggage */
		check_wants("no allowlist", none,
			    (const struct want[]){ NONE("app.partner"), { W_END, NULL, NULL, 0 } });
	}
	http1_release(&p);
	ws_span_free(s);
	ws_span_free(none);
}

/* ---- trace context from the wire ---- */

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

struct context_row {
	const char *name;
	const char *head;
	bool wired;		/* the wire's context is taken */
	const char *tracestate; /* NULL: none kept */
};

static const struct context_row context_rows[] = {
	{ "no traceparent: a new trace", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", false, NULL },
	{ "a valid traceparent", "GET / HTTP/1.1\r\ntraceparent: " TP "\r\n\r\n", true, NULL },
	{ "two traceparents: ambiguous, a new trace",
	  "GET / HTTP/1.1\r\ntraceparent: " TP "\r\ntraceparent: " TP "\r\n\r\n", false, NULL },
	{ "an invalid traceparent: a new trace",
	  "GET / HTTP/1.1\r\ntraceparent: 00-xyz-00f067aa0ba902b7-01\r\n\r\n", false, NULL },
	{ "tracestate lines joined and normalized",
	  "GET / HTTP/1.1\r\ntraceparent: " TP "\r\ntracestate: rojo=00f067aa0ba902b7 , \r\n"
	  "tracestate: congo=t61rcWkgMzE\r\n\r\n",
	  true, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" },
	{ "an invalid tracestate dropped, the parent kept",
	  "GET / HTTP/1.1\r\ntraceparent: " TP "\r\ntracestate: Bad=1,ok=2\r\n\r\n", true, NULL },
};

TEST(trace_context_is_taken_from_one_valid_traceparent)
{
	static const uint8_t trace[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
					   0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	static const uint8_t parent[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
	static const uint8_t zero[16];

	for (size_t i = 0; i < sizeof(context_rows) / sizeof(context_rows[0]); i++) {
		const struct context_row *r = &context_rows[i];
		struct http1_parser p;
		const struct http1_head *h = head_of(&p, r->head);
		struct ws_span *s = span_of_kind(WS_KIND_SERVER);
		bool wired;

		if (h && s) {
			wired = ws_semconv_trace_context(s, h);
			CHECK(wired == r->wired || !fprintf(stderr, "    row \"%s\"\n", r->name));
			CHECK(memcmp(s->span_id, zero, 8) != 0);
			CHECK(!memcmp(s->trace_id, trace, 16) == r->wired);
			CHECK(!memcmp(s->parent_span_id, r->wired ? parent : zero, 8));
			CHECK_INT(s->trace_flags, 1);
			if (r->tracestate)
				CHECK_MEM(s->strbuf + s->tracestate_off, s->tracestate_len,
					  r->tracestate);
			else
				CHECK_INT(s->tracestate_len, 0);
		}
		ws_span_free(s);
		http1_release(&p);
	}
}

/* The sampled flag is the wire's, even when it says not sampled. */
TEST(trace_flags_come_from_the_wire)
{
	struct http1_parser p;
	const struct http1_head *h = head_of(
		&p, "GET / HTTP/1.1\r\ntraceparent: "
		    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00\r\n\r\n");
	struct ws_span *s = span_of_kind(WS_KIND_SERVER);

	if (h && s) {
		CHECK(ws_semconv_trace_context(s, h));
		CHECK_INT(s->trace_flags, 0);
	}
	ws_span_free(s);
	http1_release(&p);
}

static const struct check_case cases[] = {
	CASE(request_heads_give_the_semconv_attributes),
	CASE(response_status_rules_by_side),
	CASE(failures_name_their_error_type_and_exception),
	CASE(failed_connect_span_names_where_it_went),
	CASE(partner_calls_carry_its_name_and_its_request_id),
	CASE(only_allowlisted_baggage_becomes_attributes_decoded),
	CASE(trace_context_is_taken_from_one_valid_traceparent),
	CASE(trace_flags_come_from_the_wire),
};

CHECK_MAIN("semconv", cases)
