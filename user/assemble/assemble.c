// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Span assembly: pairing and span building. Each kernel socket gets a
 * connection (conns.c): two HTTP/1.x parsers, one per direction, each
 * deciding from its first bytes whether it carries requests or responses,
 * and a FIFO of requests awaiting their responses. The direction that
 * carries requests gives the role: the process received them -> SERVER
 * span, it sent them -> CLIENT span. A span is built when its request head
 * is complete (so its strings live in the span's arena from then on) and
 * handed out when its response ends. Here: records in (one handler per
 * type, dispatched at the end of the file), the stream of each direction
 * with its holes, and pairing. Elsewhere: parents the wire does not carry
 * (parentage.c), attributes (semconv.c), webhook bodies (webhook_body.c),
 * and the processes' resources (procs.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "assemble.h"
#include "conns.h"
#include "http1.h"
#include "parentage.h"
#include "procs.h"
#include "resource.h"
#include "semconv.h"
#include "span.h"
#include "tracectx.h"
#include "webhook_body.h"
#include "webhooks.h"
#include "wirespan.h"

#define DEFAULT_IDLE_NS (300ull * 1000000000ull)
#define DEFAULT_MAX_CONNS 16384

struct ws_assembler {
	struct ws_assembler_opts o;
	ws_span_cb cb;
	void *ctx;
	struct ws_conns *conns;
	struct ws_procs *procs;		/* the resources of the processes seen */
	struct ws_parentage *parentage; /* parents the wire does not carry */
	struct ws_hooks hooks;		/* webhook bodies being gathered */
	struct ws_semconv_opts sc;
	uint64_t stats[WS_ASM_STAT__COUNT];
};

/* ---- the request FIFO ---- */

static void fifo_push(struct ws_assembler *a, struct ws_connection *c, struct ws_pending p)
{
	if (!ws_conn_push(c, p)) {
		a->stats[WS_ASM_PIPELINE_FULL]++;
		ws_parentage_request_done(a->parentage, p.span); /* its thread is done with it */
		ws_span_free(p.span);
	}
}

static struct ws_pending fifo_pop(struct ws_assembler *a, struct ws_connection *c)
{
	struct ws_pending p = ws_conn_pop(c);

	ws_parentage_request_done(a->parentage, p.span); /* its thread is done with it */
	return p;
}

/* The front request will get no answer we can read: counted, dropped. */
static void drop_front(struct ws_assembler *a, struct ws_connection *c)
{
	struct ws_pending p = fifo_pop(a, c);

	if (p.span) {
		a->stats[WS_ASM_REQ_NO_RESP]++;
		ws_span_free(p.span);
	}
}

static void pending_drop_all(struct ws_assembler *a, struct ws_connection *c)
{
	while (c->qlen)
		drop_front(a, c);
	c->resp = WS_RESP_IDLE;
}

/* ---- what a connection carries, and whose it is ---- */

/* The kernel side forgets what it was asked to skip on c. */
static void skip_forget(struct ws_assembler *a, struct ws_connection *c)
{
	if (ws_conn_skip_clear(c) && a->o.skip_body)
		a->o.skip_body(a->o.hint_ctx, c->key, NULL);
}

/* c leaves the table, or starts over: what it still carries is counted and let go. */
static void conn_drop(void *ctx, struct ws_connection *c)
{
	struct ws_assembler *a = ctx;

	ws_hook_drop(&a->hooks, c);
	skip_forget(a, c);
	pending_drop_all(a, c);
	ws_parentage_conn_gone(a->parentage, c);
}

/* The resource of a process; one read just now is counted and, if Go, followed. */
static struct ws_resource *res_lookup(struct ws_assembler *a, uint32_t pid, const char comm[16],
				      uint64_t ts)
{
	bool fresh;
	struct ws_resource *r = ws_procs_get(a->procs, pid, comm, ts, &fresh);

	if (fresh) {
		a->stats[WS_ASM_RES_ATTRS_DROPPED] += r->attrs_dropped;
		if (r->go_goroutines && a->o.go_process)
			a->o.go_process(a->o.hint_ctx, pid);
	}
	return r;
}

/* ---- span building: parents in parentage.c, attributes in semconv.c ---- */

/*
 * Who made an I/O. A Go program's threads run goroutines of many requests
 * in turn: there only the goroutine says which request a call serves, and
 * without it (an old Go, goroutines not followed) nothing is inferred:
 * none rather than a wrong parent.
 */
static struct ws_exec_ctx exec_of(const struct ws_assembler *a, const struct ws_connection *c,
				  const struct ws_data_rec *r)
{
	bool go = c->res && c->res->go;
	/*
	 * The kernel's mark outlives a Go process by up to the next sweep, and
	 * an exec: trust a goroutine only where this process is Go (or where
	 * no process can be read: a replay).
	 */
	bool replay = a->o.proc_root && !a->o.proc_root[0];

	if (r->goroutine && (go || replay))
		return (struct ws_exec_ctx){ .id = r->goroutine, .tgid = r->hdr.tgid };
	if (go)
		return (struct ws_exec_ctx){ 0 };
	return (struct ws_exec_ctx){ .id = r->hdr.tid };
}

static struct ws_span *request_span(struct ws_assembler *a, struct ws_connection *c, int dir,
				    const struct http1_head *h, struct ws_exec_ctx x, bool *wired)
{
	bool server = dir == WS_DIR_INGRESS;
	struct ws_span *s;

	s = ws_span_new();
	if (!s)
		return NULL;
	s->kind = server ? WS_KIND_SERVER : WS_KIND_CLIENT;
	s->start_unix_ns = c->d[dir].msg_start_ts + a->o.mono_to_unix_ns;
	s->exec = x;
	s->res = c->res ? ws_resource_get(c->res) : NULL;
	*wired = ws_semconv_trace_context(s, h);
	if (!*wired && a->o.root_flags)
		s->trace_flags = a->o.root_flags(a->o.root_ctx, s->trace_id);
	ws_parentage_request(a->parentage, c, s, *wired, c->d[dir].msg_start_ts);
	ws_semconv_request(s, h, &c->tuple, &a->sc);
	return s;
}

/* ---- finished spans ---- */

static void emit(struct ws_assembler *a, struct ws_span *s, uint64_t end_ts)
{
	s->end_unix_ns = end_ts + a->o.mono_to_unix_ns;
	if (s->end_unix_ns < s->start_unix_ns)
		s->end_unix_ns = s->start_unix_ns;
	a->stats[WS_ASM_SPANS]++;
	a->cb(a->ctx, ws_span_shrink(s));
}

/* The response being read ends at end_ts: its span is done. */
static void response_end(struct ws_assembler *a, struct ws_connection *c, uint64_t end_ts)
{
	struct ws_pending p;

	if (c->resp == WS_RESP_SPAN && c->qlen) {
		/* Answered before its body was read through: what came of it decides. */
		if (ws_conn_at(c, 0)->hook)
			ws_hook_end(&a->hooks, c);
		p = fifo_pop(a, c);
		if (p.span)
			emit(a, p.span, end_ts);
	}
	c->resp = WS_RESP_IDLE;
}

/* ---- parser events ---- */

/* The start of a message on dir was lost: keep the request FIFO paired. */
static void message_lost(struct ws_assembler *a, struct ws_connection *c, int dir)
{
	enum http1_kind k = ws_conn_dir_kind(c, dir);

	if (k == HTTP1_REQUESTS) {
		/* A request we cannot read still gets an answer: skip that answer. */
		fifo_push(a, c, (struct ws_pending){ 0 });
		/* ... and it was still the traced peer's request: keep the pairing in step. */
		if (dir == WS_DIR_INGRESS)
			ws_parentage_request_lost(a->parentage, c, c->d[dir].last_ts);
	} else if (k == HTTP1_RESPONSES && c->resp == WS_RESP_IDLE && c->qlen) {
		drop_front(a, c); /* its answer is unreadable: keep the rest paired */
	}
}

/* Whether h is a request the agent itself sent (see ws_assembler_opts.agent_token). */
static bool own_export(const struct ws_assembler *a, const struct http1_head *h)
{
	const struct http1_header *f = http1_get(h, HTTP1_H_WIRESPAN_AGENT);

	return f && a->o.agent_token && f->value_len == strlen(a->o.agent_token) && f->value_len &&
	       !memcmp(f->value, a->o.agent_token, f->value_len);
}

static void on_event(struct ws_assembler *a, struct ws_connection *c, int dir,
		     const struct http1_event *ev, uint64_t ts, struct ws_exec_ctx x);

/*
 * A request on c in direction dir: an answer in the other direction whose
 * end was never seen (its head was cut, or bytes lost) is over, since a
 * client asks again only once it has its answer. It ends with the last
 * bytes seen of it, not at the next answer's start.
 */
static void end_lost_answer(struct ws_assembler *a, struct ws_connection *c, int dir)
{
	struct ws_conn_dir *o = &c->d[!dir];
	struct http1_event ev;

	if (c->resp != WS_RESP_SPAN || ws_conn_dir_kind(c, !dir) != HTTP1_RESPONSES)
		return;
	http1_end_lost(&o->p, &ev);
	if (ev.type != HTTP1_EV_END)
		return;
	ev.inferred = 0; /* its time is known: o->last_ts */
	on_event(a, c, !dir, &ev, o->last_ts, (struct ws_exec_ctx){ 0 });
}

static void on_request_head(struct ws_assembler *a, struct ws_connection *c, int dir,
			    const struct http1_head *h, struct ws_exec_ctx x)
{
	const struct ws_webhook *route;
	struct ws_pending p = { 0 };
	bool wired = false;
	uint8_t qlen;

	end_lost_answer(a, c, dir);
	qlen = c->qlen;

	if (own_export(a, h)) {
		/* Still paired, so its answer is not taken for another's. */
		a->stats[WS_ASM_OWN_EXPORTS]++;
		fifo_push(a, c, p);
		return;
	}
	p.span = request_span(a, c, dir, h, x, &wired);
	p.head = h->method_len == 4 && !memcmp(h->method, "HEAD", 4);
	p.connect = h->method_len == 7 && !memcmp(h->method, "CONNECT", 7);
	fifo_push(a, c, p);
	if (!p.span || wired || dir != WS_DIR_INGRESS || c->qlen == qlen)
		return;
	route = ws_webhook_match(a->o.webhooks, h->method, h->method_len, h->target, h->target_len);
	if (route)
		ws_hook_begin(&a->hooks, c, dir, route);
}

static void on_response_head(struct ws_assembler *a, struct ws_connection *c, int dir,
			     const struct http1_head *h, uint64_t ts)
{
	struct ws_pending *front = c->qlen ? ws_conn_at(c, 0) : NULL;

	if (h->status >= 100 && h->status < 200 && h->status != 101) {
		c->resp = WS_RESP_INTERIM; /* 100 Continue and friends: the final answer follows */
		return;
	}
	if (!front) {
		a->stats[WS_ASM_RESP_NO_REQ]++;
		c->resp = WS_RESP_ORPHAN;
		return;
	}
	c->resp = WS_RESP_SPAN;
	if (front->span)
		ws_semconv_response(front->span, h, &a->sc);
	if (front->head)
		http1_no_body(&c->d[dir].p);
	if (h->status == 101 || (front->connect && h->status < 300)) {
		/* What follows is another protocol: the exchange is over at this head. */
		response_end(a, c, ts);
		c->tunnel = true;
	}
}

static void on_event(struct ws_assembler *a, struct ws_connection *c, int dir,
		     const struct http1_event *ev, uint64_t ts, struct ws_exec_ctx x)
{
	struct ws_conn_dir *d = &c->d[dir];

	switch (ev->type) {
	case HTTP1_EV_HEAD:
		d->in_msg = true;
		a->stats[WS_ASM_FIELDS_DROPPED] += ev->head->fields_dropped;
		a->stats[WS_ASM_HEADS_CUT] += ev->head->cut;
		if (ev->head->is_request)
			on_request_head(a, c, dir, ev->head, x);
		else
			on_response_head(a, c, dir, ev->head, ts);
		break;
	case HTTP1_EV_BODY:
		if (ws_hook_on(c, dir))
			ws_hook_bytes(&a->hooks, c, ev->body, ev->body_len);
		break;
	case HTTP1_EV_END:
		if (ws_hook_on(c, dir))
			ws_hook_end(&a->hooks, c);
		d->gathering = false;
		d->in_msg = false;
		if (ws_conn_dir_kind(c, dir) == HTTP1_RESPONSES) {
			if (c->resp == WS_RESP_INTERIM)
				c->resp = WS_RESP_IDLE;
			else
				response_end(a, c, ev->inferred ? d->prev_ts : ts);
		}
		break;
	case HTTP1_EV_ERROR:
		/* A broken body: what came before the break counts. */
		if (ws_hook_on(c, dir))
			ws_hook_end(&a->hooks, c);
		a->stats[ev->error == -E2BIG ? WS_ASM_HEAD_TOO_BIG : WS_ASM_PARSE_ERRORS]++;
		d->gathering = false;
		if (ws_conn_dir_kind(c, dir) == HTTP1_RESPONSES) {
			/* Broken in its head or body: the front request's answer, unless an orphan. */
			bool orphan = c->resp == WS_RESP_ORPHAN;

			c->resp = WS_RESP_IDLE;
			if (!orphan)
				message_lost(a, c, dir);
		} else if (!d->in_msg) {
			message_lost(a, c, dir);
		}
		d->in_msg = false;
		break;
	default:
		break;
	}
}

static void feed(struct ws_assembler *a, struct ws_connection *c, int dir, const char *buf,
		 size_t len, uint64_t ts, struct ws_exec_ctx x)
{
	struct ws_conn_dir *d = &c->d[dir];
	struct http1_event ev;
	long n;

	for (;;) {
		if (c->tunnel)
			return;
		if (len && !d->gathering) {
			d->msg_start_ts = ts;
			d->gathering = true;
		}
		n = http1_feed(&d->p, buf, len, &ev);
		if (n < 0 || (size_t)n > len)
			return; /* cannot happen by http1's contract; never loop on it */
		if (n) {
			buf += n;
			len -= n;
		}
		if (ev.type == HTTP1_EV_NONE) {
			if (!len || !n)
				return;
			continue;
		}
		on_event(a, c, dir, &ev, ts, x);
	}
}

/* n bytes the kernel did not copy. Inside a counted body they are skipped. */
static void gap(struct ws_assembler *a, struct ws_connection *c, int dir, uint64_t n, uint64_t ts,
		struct ws_exec_ctx x)
{
	struct ws_conn_dir *d = &c->d[dir];
	struct http1_parser *p = &d->p;
	/* Not inside a message: the first lost byte starts one. */
	bool was_lost = http1_lost_sync(p), start_lost = !d->in_msg;
	struct http1_event ev;
	long r;

	/* Body bytes after a hole would not continue those before it: search what came. */
	if (ws_hook_on(c, dir))
		ws_hook_end(&a->hooks, c);
	while (n && !c->tunnel) {
		r = http1_gap(p, n, &ev);
		if (r < 0 || (uint64_t)r > n)
			break; /* cannot happen by http1's contract; never loop on it */
		n -= r;
		if (ev.type == HTTP1_EV_END && n)
			start_lost =
				true; /* a body ended inside the gap: the rest is a new message */
		if (ev.type == HTTP1_EV_HEAD)
			start_lost = false; /* a cut head: its message goes on, unread to its end */
		if (ev.type != HTTP1_EV_NONE)
			on_event(a, c, dir, &ev, ts, x);
		else if (!r)
			break;
	}
	if (!was_lost && http1_lost_sync(p)) {
		a->stats[WS_ASM_GAP_DESYNC]++;
		if (start_lost)
			message_lost(a, c, dir);
		d->gathering = false;
		d->in_msg = false;
	}
	/* A gap may leave an END pending (a body that just finished). */
	feed(a, c, dir, "", 0, ts, x);
}

/*
 * The record r says where its bytes are in their stream: bytes before them
 * that no record brought (the kernel skipped them, or their records were
 * lost) are a gap inside a message, so a Content-Length body stays in sync
 * across them. Between messages they most likely held whole messages (an
 * I/O ends where a message does): their answers came, or will come,
 * unpaired and counted, and r starts the next message. Records from the
 * past (two threads on one socket) leave the position be.
 */
static void stream_position(struct ws_assembler *a, struct ws_connection *c,
			    const struct ws_data_rec *r, struct ws_exec_ctx x)
{
	struct ws_conn_dir *d = &c->d[r->dir];
	uint32_t missing = r->seq - d->next_seq;

	if (!(r->hdr.flags & WS_F_SEQ))
		return;
	if (d->have_seq && missing >= 1u << 31)
		return;
	if (d->have_seq && missing) {
		if (!ws_conn_skip_covers(c, r->dir, d->next_seq, missing))
			a->stats[WS_ASM_STREAM_GAPS]++;
		if (d->in_msg || d->gathering)
			gap(a, c, r->dir, missing, r->hdr.ts_ns, x);
	}
	d->next_seq = r->seq + r->io_len;
	d->have_seq = true;
}

/* A long body is under way on c: the kernel side is asked not to copy what is left of it. */
static void skip_ask(struct ws_assembler *a, struct ws_connection *c, int dir, uint64_t ts)
{
	if (a->o.skip_body && ws_conn_skip_plan(c, dir, ts)) {
		a->o.skip_body(a->o.hint_ctx, c->key, &c->skip);
		a->stats[WS_ASM_BODIES_SKIPPED]++;
	}
}

/*
 * Calls still waiting when the peer reset the connection, hung up, or
 * stopped answering: failed calls, recorded as errors that end at the close.
 * A client that gave up by itself closes first: nothing failed that we know.
 */
static void fail_pending_calls(struct ws_assembler *a, struct ws_connection *c, uint16_t flags,
			       uint64_t ts)
{
	const struct ws_failure *f = ws_failure_of_close(flags);

	while (f && c->qlen && c->resp == WS_RESP_IDLE && ws_conn_at(c, 0)->span &&
	       ws_conn_at(c, 0)->span->kind == WS_KIND_CLIENT) {
		struct ws_pending p = fifo_pop(a, c);

		ws_semconv_failed(p.span, f, ts + a->o.mono_to_unix_ns);
		emit(a, p.span, ts);
	}
}

/*
 * A connect() that failed before any byte: a failed call when its endpoint
 * was seen speaking HTTP (else it may be any protocol: counted, no span).
 * It starts when the connect began and belongs where a call of its thread
 * would (rule 2 of the README).
 */
static void on_connect_fail(struct ws_assembler *a, const struct ws_connect_fail_rec *r)
{
	const struct ws_failure *f = ws_failure_of_connect(r->hdr.flags);
	uint64_t start = r->start_ns && r->start_ns <= r->hdr.ts_ns ? r->start_ns : r->hdr.ts_ns;
	struct ws_span *s;

	if (!f || !ws_parentage_http_peer(a->parentage, &r->tuple)) {
		a->stats[WS_ASM_CONNECT_FAIL_OTHER]++;
		return;
	}
	s = ws_span_new();
	if (!s)
		return;
	s->kind = WS_KIND_CLIENT;
	s->start_unix_ns = start + a->o.mono_to_unix_ns;
	s->res = res_lookup(a, r->hdr.tgid, r->comm, r->hdr.ts_ns);
	/* In Go the dial runs on a goroutine of its own: no caller is known. */
	if (!s->res || !s->res->go)
		s->exec.id = r->hdr.tid;
	ws_ids_span(s->span_id);
	ws_ids_trace(s->trace_id);
	s->trace_flags = a->o.root_flags ? a->o.root_flags(a->o.root_ctx, s->trace_id) : 1;
	ws_parentage_thread_parent(a->parentage, s);
	ws_semconv_connect_failed(s, &r->tuple, f, r->hdr.ts_ns + a->o.mono_to_unix_ns, &a->sc);
	emit(a, s, r->hdr.ts_ns);
}

static void on_close(struct ws_assembler *a, struct ws_connection *c, uint16_t flags, uint64_t ts)
{
	struct http1_event ev;

	for (int dir = 0; dir < 2 && !c->tunnel; dir++) {
		struct ws_conn_dir *d = &c->d[dir];

		/*
		 * A body cut short while the kernel skipped it: its last bytes
		 * went unseen, and the close is the best bound of their time.
		 */
		if (d->in_msg && http1_body_left(&d->p) &&
		    ws_conn_skip_covers(c, dir, d->next_seq, 1))
			d->last_ts = ts > d->last_ts ? ts : d->last_ts;
		http1_close(&d->p, &ev);
		d->prev_ts = d->last_ts; /* an end inferred at close is the last bytes seen */
		if (ev.type == HTTP1_EV_HEAD) {
			/* A head cut by the close (a client that stopped reading): its END follows. */
			on_event(a, c, dir, &ev, d->last_ts, (struct ws_exec_ctx){ 0 });
			http1_close(&d->p, &ev);
		}
		if (ev.type != HTTP1_EV_NONE)
			on_event(a, c, dir, &ev, d->last_ts, (struct ws_exec_ctx){ 0 });
	}
	/*
	 * A response whose head was seen but whose body was cut (the client
	 * closed without reading it, or reset the connection): the exchange
	 * happened, its status is known, and it ends with the last bytes seen.
	 */
	if (c->resp == WS_RESP_SPAN && c->qlen) {
		int rd = ws_conn_dir_kind(c, WS_DIR_INGRESS) == HTTP1_RESPONSES ? WS_DIR_INGRESS
										: WS_DIR_EGRESS;

		response_end(a, c, c->d[rd].last_ts);
	}
	fail_pending_calls(a, c, flags, ts);
	ws_conns_del(a->conns, c);
}

/* ---- records: one handler per type, each validating its own body ---- */

static int rec_data(struct ws_assembler *a, const struct ws_rec_hdr *h)
{
	const struct ws_data_rec *r = (const struct ws_data_rec *)h;
	struct ws_exec_ctx x;
	struct ws_connection *c;
	struct ws_conn_dir *d;

	if (h->len < sizeof(*r) - sizeof(*h) || r->cap_len != h->len - (sizeof(*r) - sizeof(*h)) ||
	    r->dir > WS_DIR_INGRESS || (r->tuple.family != AF_INET && r->tuple.family != AF_INET6))
		return -EINVAL;
	if (r->cap_len > r->io_len && !(h->flags & (WS_F_NO_BUFFER | WS_F_READ_FAILED)))
		return -EINVAL;

	c = ws_conns_find(a->conns, h->sock_id);
	/*
	 * Another process, or other endpoints: the socket's address was reused
	 * by a new connection whose predecessor's close we could not use (its
	 * last bytes came after the close, as when a send races the peer's reset).
	 */
	if (c && (c->tgid != h->tgid || memcmp(&c->tuple, &r->tuple, sizeof(c->tuple)))) {
		conn_drop(a, c);
		ws_conn_reset(c, h->tgid);
	}
	if (!c) {
		bool evicted;

		c = ws_conns_add(a->conns, h->sock_id, h->tgid, &evicted);
		a->stats[WS_ASM_CONNS_EVICTED] += evicted;
		if (!c)
			return -ENOMEM;
	} else {
		ws_conns_touch(a->conns, c);
	}
	c->last_ts = h->ts_ns;
	c->tuple = r->tuple;
	if (!c->res)
		c->res = res_lookup(a, h->tgid, r->comm, h->ts_ns);

	d = &c->d[r->dir];
	d->prev_ts = d->last_ts ? d->last_ts : h->ts_ns;
	d->last_ts = h->ts_ns;
	x = exec_of(a, c, r);
	stream_position(a, c, r, x);
	if (r->cap_len)
		feed(a, c, r->dir, (const char *)(r + 1), r->cap_len, h->ts_ns, x);
	if (r->io_len > r->cap_len)
		gap(a, c, r->dir, r->io_len - r->cap_len, h->ts_ns, x);
	skip_ask(a, c, r->dir, h->ts_ns);
	return 0;
}

static int rec_close(struct ws_assembler *a, const struct ws_rec_hdr *h)
{
	struct ws_connection *c;

	if (h->len < sizeof(struct ws_close_rec) - sizeof(*h))
		return -EINVAL;
	c = ws_conns_find(a->conns, h->sock_id);
	if (c)
		on_close(a, c, h->flags, h->ts_ns);
	return 0;
}

static int rec_connect_fail(struct ws_assembler *a, const struct ws_rec_hdr *h)
{
	const struct ws_connect_fail_rec *f = (const struct ws_connect_fail_rec *)h;

	if (h->len < sizeof(*f) - sizeof(*h) ||
	    (f->tuple.family != AF_INET && f->tuple.family != AF_INET6))
		return -EINVAL;
	on_connect_fail(a, f);
	return 0;
}

static int rec_go(struct ws_assembler *a, const struct ws_rec_hdr *h)
{
	const struct ws_go_rec *g = (const struct ws_go_rec *)h;

	if (h->len < sizeof(*g) - sizeof(*h))
		return -EINVAL;
	return ws_parentage_go(a->parentage, g);
}

int ws_assembler_record(struct ws_assembler *a, const void *data, size_t size)
{
	const struct ws_rec_hdr *h = data;
	int err;

	a->stats[WS_ASM_RECORDS]++;
	if (size < sizeof(*h) || h->len > size - sizeof(*h))
		goto bad;
	switch (h->type) {
	case WS_REC_DATA:
		err = rec_data(a, h);
		break;
	case WS_REC_CLOSE:
		err = rec_close(a, h);
		break;
	case WS_REC_CONNECT_FAIL:
		err = rec_connect_fail(a, h);
		break;
	case WS_REC_GO:
		err = rec_go(a, h);
		break;
	case WS_REC_FLOOR:
		err = 0; /* --floor-copy: a benchmark's bytes, counted in records only */
		break;
	default:
		err = -EINVAL;
		break;
	}
	if (err != -EINVAL)
		return err;
bad:
	a->stats[WS_ASM_BAD_RECORDS]++;
	return -EINVAL;
}

void ws_assembler_expire(struct ws_assembler *a, uint64_t now_mono_ns)
{
	uint64_t cutoff = now_mono_ns > a->o.idle_timeout_ns ? now_mono_ns - a->o.idle_timeout_ns
							     : 0;

	a->stats[WS_ASM_CONNS_EVICTED] += ws_conns_expire(a->conns, cutoff);
}

struct ws_assembler *ws_assembler_new(const struct ws_assembler_opts *opts, ws_span_cb cb,
				      void *ctx)
{
	struct ws_assembler *a;

	if (!cb) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	if (opts)
		a->o = *opts;
	if (!a->o.proc_root)
		a->o.proc_root = "/proc";
	if (!a->o.idle_timeout_ns)
		a->o.idle_timeout_ns = DEFAULT_IDLE_NS;
	if (!a->o.max_conns)
		a->o.max_conns = DEFAULT_MAX_CONNS;
	a->parentage = ws_parentage_new(a->o.max_conns);
	a->conns = ws_conns_new(a->o.max_conns, conn_drop, a);
	a->procs = ws_procs_new(a->o.proc_root, a->o.resource_attrs);
	if (!a->parentage || !a->conns || !a->procs) {
		ws_assembler_free(a);
		return NULL;
	}
	a->hooks.links = ws_parentage_links(a->parentage);
	a->sc.partners = a->o.partners;
	a->sc.baggage = a->o.baggage;
	a->sc.baggage_keys = a->o.baggage_keys;
	a->cb = cb;
	a->ctx = ctx;
	if (!a->o.hint_ctx)
		a->o.hint_ctx = ctx;
	return a;
}

void ws_assembler_stats(const struct ws_assembler *a, uint64_t out[WS_ASM_STAT__COUNT])
{
	memcpy(out, a->stats, sizeof(a->stats));
	out[WS_ASM_WEBHOOK_LINKED] = a->hooks.linked;
	out[WS_ASM_WEBHOOK_NO_CONTEXT] = a->hooks.no_context;
	out[WS_ASM_WEBHOOK_BUSY] = a->hooks.refused;
}

size_t ws_assembler_nconns(const struct ws_assembler *a)
{
	return ws_conns_count(a->conns);
}

void ws_assembler_free(struct ws_assembler *a)
{
	if (!a)
		return;
	ws_conns_free(a->conns); /* first: its connections' requests end in parentage */
	ws_procs_free(a->procs);
	ws_parentage_free(a->parentage);
	free(a);
}
