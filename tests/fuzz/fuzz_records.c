// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fuzz-links: user/assemble/assemble.c user/assemble/conns.c user/assemble/webhook_body.c user/assemble/parentage.c user/assemble/semconv.c user/assemble/http1.c user/assemble/links.c user/assemble/gocalls.c user/assemble/partners.c user/assemble/baggage.c user/assemble/span.c user/process/resource.c user/process/container.c user/process/procstat.c user/process/procs.c user/process/golang.c user/process/elfsym.c user/assemble/tracectx.c user/assemble/redact.c user/assemble/webhooks.c user/assemble/jsonpath.c user/assemble/endpoints.c user/process/resattrs.c user/lib/jsonpick.c user/lib/json.c
/*
 * libFuzzer target for the assembler: the input is a script of ring buffer
 * records on a few sockets. Each step's first byte picks the socket, the
 * direction and what to send: raw payload bytes, payload built from HTTP
 * fragments (so the parser gets past request lines quickly), records with
 * uncaptured tails, close records (with how the connection ended), failed
 * connects, clock jumps that expire connections,
 * socket reuse by another process, well-formed records with one field
 * corrupted, and raw bytes of any size. Two webhook routes (POST /p, a link;
 * PUT anything, a parent) have their bodies searched. Spans are checked and freed in the
 * callback; the assembler is freed at the end, so ASan sees every leak.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "span.h"
#include "webhooks.h"
#include "wirespan.h"

#define NSOCK 4
#define MAX_CONNS 3 /* below NSOCK: the table fills and evicts */
#define IDLE_NS 50000000ull
#define PAYLOAD_MAX 20000

struct rd {
	const uint8_t *p;
	size_t n;
};

static unsigned rd_u8(struct rd *r)
{
	unsigned v;

	if (!r->n)
		return 0;
	v = *r->p++;
	r->n--;
	return v;
}

static unsigned rd_u16(struct rd *r)
{
	unsigned hi = rd_u8(r);

	return hi << 8 | rd_u8(r);
}

/* Fragments the payload builder concatenates. */
static const char *const toks[] = {
	"GET / HTTP/1.1\r\n",
	"POST /p?a=1&b=2 HTTP/1.1\r\n",
	"HEAD /h HTTP/1.1\r\n",
	"CONNECT ex.com:443 HTTP/1.1\r\n",
	"FOO /x HTTP/1.0\r\n",
	"GET http://u:p@ex.com:81/p?q=1#f HTTP/1.1\r\n",
	"OPTIONS * HTTP/1.1\r\n",
	"PUT /%zz?&=&a HTTP/1.1\r\n",
	"HTTP/1.1 200 OK\r\n",
	"HTTP/1.1 100 Continue\r\n",
	"HTTP/1.1 101 Switching Protocols\r\n",
	"HTTP/1.1 204 No Content\r\n",
	"HTTP/1.1 304 Not Modified\r\n",
	"HTTP/1.0 500 Err\r\n",
	"HTTP/1.1 404\r\n",
	"Host: example.com:8080\r\n",
	"Host: [::1]:80\r\n",
	"Host: \r\n",
	"Host: a@b\r\n",
	"Content-Length: 5\r\n",
	"Content-Length: 0\r\n",
	"Content-Length: 100\r\n",
	"Content-Length: 5, 5\r\n",
	"Transfer-Encoding: chunked\r\n",
	"Transfer-Encoding: gzip\r\n",
	"Connection: close\r\n",
	"Connection: keep-alive, Upgrade\r\n",
	"Upgrade: websocket\r\n",
	"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n",
	"traceparent: 01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz\r\n",
	"tracestate: a=b,c=d\r\n",
	"User-Agent: fuzz/1.0\r\n",
	"Expect: 100-continue\r\n",
	"\r\n",
	"hello",
	"5\r\nhello\r\n",
	"0\r\n\r\n",
	"a;ext=1\r\n0123456789\r\n",
	"0\r\nTrailer: x\r\n\r\n",
	"\r",
	"\n",
	"HTTP/",
	"GET ",
	" ",
	"{\"a\":{\"b\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}}",
	"{\"a\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\",",
	"{\"x\":[[{\"a\":\"\\u0030",
	"\x00\xff\x16\x03\x01",
};
#define NTOK (sizeof(toks) / sizeof(toks[0]))
/* Token numbers past the table make long runs: a long header value, a head too big. */
#define TOK_LONG NTOK
#define TOK_HUGE (NTOK + 1)

static size_t build_payload(struct rd *r, char *out, size_t max)
{
	unsigned count = rd_u8(r) % 24;
	size_t n = 0;

	for (unsigned i = 0; i < count && r->n; i++) {
		unsigned t = rd_u8(r) % (NTOK + 2);
		size_t l;

		if (t == TOK_LONG || t == TOK_HUGE) {
			static const char pre[] = "X-Long: ";
			size_t run = t == TOK_LONG ? 1500 : 17000;

			if (n + sizeof(pre) - 1 + run + 2 > max)
				break;
			memcpy(out + n, pre, sizeof(pre) - 1);
			n += sizeof(pre) - 1;
			memset(out + n, 'v', run);
			n += run;
			memcpy(out + n, "\r\n", 2);
			n += 2;
			continue;
		}
		/* The one token with a NUL in it: its length is fixed. */
		l = t == NTOK - 1 ? 5 : strlen(toks[t]);
		if (n + l > max)
			break;
		memcpy(out + n, toks[t], l);
		n += l;
	}
	return n;
}

struct sock {
	uint32_t tgid;
	char comm[16];
	struct ws_tuple t;
	bool seqs;	 /* its records say where they are in the stream (WS_F_SEQ) */
	uint32_t seq[2]; /* the stream position per direction */
};

static uint64_t nspans_seen;

static void sink(void *ctx, struct ws_span *s)
{
	(void)ctx;
	nspans_seen++;
	if (s->end_unix_ns < s->start_unix_ns)
		__builtin_trap();
	if (s->kind != WS_KIND_SERVER && s->kind != WS_KIND_CLIENT)
		__builtin_trap();
	if (s->nattrs > WS_SPAN_MAX_ATTRS || s->strbuf_used > WS_SPAN_STRBUF)
		__builtin_trap();
	if (!memchr(s->name, '\0', sizeof(s->name)))
		__builtin_trap();
	for (uint16_t i = 0; i < s->nattrs; i++) {
		const struct ws_attr *a = &s->attrs[i];

		if (!a->key)
			__builtin_trap();
		if (a->type == WS_ATTR_STR && (size_t)a->off + a->len > s->strbuf_used)
			__builtin_trap();
	}
	if (s->tracestate_len && (size_t)s->tracestate_off + s->tracestate_len > s->strbuf_used)
		__builtin_trap();
	if (s->nlinks > WS_SPAN_MAX_LINKS || (s->nlinks && s->kind != WS_KIND_SERVER))
		__builtin_trap();
	if (s->exc_time_unix_ns &&
	    ((size_t)s->exc_type_off + s->exc_type_len > s->strbuf_used ||
	     (size_t)s->exc_msg_off + s->exc_msg_len > s->strbuf_used || !s->exc_type_len))
		__builtin_trap();
	ws_span_free(s);
}

static _Alignas(8) unsigned char recbuf[sizeof(struct ws_data_rec) + PAYLOAD_MAX + 64];

/* The goroutine the next records carry (a Go process's), or 0: a few, so they meet. */
static uint64_t cur_goroutine;

static size_t make_data(struct sock *sk, uint64_t sock_id, int dir, uint64_t ts,
			const char *payload, size_t cap, uint64_t io)
{
	struct ws_data_rec *r = (struct ws_data_rec *)recbuf;

	memset(r, 0, sizeof(*r));
	r->hdr.type = WS_REC_DATA;
	r->hdr.flags = io > cap ? WS_F_TRUNCATED : 0;
	if (sk->seqs) {
		r->hdr.flags |= WS_F_SEQ;
		r->seq = sk->seq[dir & 1];
		sk->seq[dir & 1] += (uint32_t)io;
	}
	r->hdr.len = sizeof(*r) - sizeof(r->hdr) + cap;
	r->hdr.ts_ns = ts;
	r->hdr.tgid = sk->tgid;
	r->hdr.tid = sk->tgid + 1;
	r->hdr.sock_id = sock_id;
	r->tuple = sk->t;
	r->io_len = io > UINT32_MAX ? UINT32_MAX : (uint32_t)io;
	r->cap_len = cap;
	r->dir = dir;
	r->source = WS_SRC_SOCK_TP;
	r->goroutine = cur_goroutine;
	memcpy(r->comm, sk->comm, sizeof(r->comm));
	if (cap)
		memmove(r + 1, payload, cap);
	return sizeof(*r) + cap;
}

static void corrupt(struct rd *rd, size_t *size)
{
	struct ws_data_rec *r = (struct ws_data_rec *)recbuf;
	unsigned what = rd_u8(rd) % 10, v = rd_u16(rd);

	switch (what) {
	case 0:
		r->hdr.len += v - 32768;
		break;
	case 1:
		r->hdr.type = v;
		break;
	case 2:
		r->cap_len += v - 32768;
		break;
	case 3:
		r->io_len = v;
		break;
	case 4:
		r->dir = v;
		break;
	case 5:
		r->tuple.family = v;
		break;
	case 6:
		r->hdr.flags = v;
		break;
	case 7:
		*size = v % (*size + 1);
		break;
	case 8:
		r->seq += v - 32768;
		break;
	default:
		r->hdr.len = v % 2 ? UINT32_MAX : 0;
		break;
	}
}

/*
 * Hands a record over in a heap block of exactly its size, so ASan sees any
 * read past what the ring buffer would have given (malloc aligns as it does).
 */
static void submit(struct ws_assembler *a, const void *rec, size_t n)
{
	void *copy;

	if (!n) {
		ws_assembler_record(a, NULL, 0);
		return;
	}
	copy = malloc(n);
	if (!copy)
		return;
	memcpy(copy, rec, n);
	ws_assembler_record(a, copy, n);
	free(copy);
}

/* The kernel side asked to skip a body: a stretch is below 2^31 bytes, and dated. */
static void on_skip(void *ctx, uint64_t sock_id, const struct ws_skip *hint)
{
	(void)ctx;
	(void)sock_id;
	for (int d = 0; hint && d < 2; d++)
		if (hint->ts[d] &&
		    (hint->until[d] - hint->from[d] > INT32_MAX || hint->until[d] == hint->from[d]))
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char payload[PAYLOAD_MAX];
	static struct ws_webhooks hooks;
	struct ws_assembler_opts o = {
		.proc_root = "/nonexistent",
		.mono_to_unix_ns = 0,
		.idle_timeout_ns = IDLE_NS,
		.max_conns = MAX_CONNS,
		.webhooks = &hooks,
		.skip_body = on_skip,
	};
	struct rd rd = { data, size };
	struct sock socks[NSOCK];
	uint64_t st[WS_ASM_STAT__COUNT];
	struct ws_assembler *a;
	uint64_t ts = 1000000000ull;

	for (int i = 0; i < NSOCK; i++) {
		memset(&socks[i], 0, sizeof(socks[i]));
		socks[i].tgid = 100 + i % 2;
		strcpy(socks[i].comm, i % 2 ? "client" : "server");
		socks[i].t.family = AF_INET;
		inet_pton(AF_INET, "10.0.0.1", socks[i].t.saddr);
		inet_pton(AF_INET, "10.0.0.2", socks[i].t.daddr);
		socks[i].t.sport = 8080;
		socks[i].t.dport = 40000 + i;
		socks[i].seqs = i != 3; /* one socket's records are from an older agent */
	}
	if (!hooks.n &&
	    (ws_webhooks_add(&hooks, "POST /p=a.b") || ws_webhooks_add(&hooks, "PUT /*=a,parent")))
		__builtin_trap();
	nspans_seen = 0;
	a = ws_assembler_new(&o, sink, NULL);
	if (!a)
		return 0;

	while (rd.n) {
		unsigned op = rd_u8(&rd);
		unsigned si = op & 3, dir = (op >> 2) & 1, kind = op >> 3;
		struct sock *sk = &socks[si];
		uint64_t sock_id = 0xffff888000001000ull + si * 0x40;
		size_t cap, n;
		uint64_t io;
		unsigned gsel = rd_u8(&rd);

		ts += (rd_u8(&rd) + 1) * 1000ull;
		cur_goroutine = gsel & 0x80 ? 0xc000000000ull + (gsel & 7) * 0x1000 : 0;
		if (kind < 10) {
			/* Raw bytes of the input as the payload. */
			cap = rd_u16(&rd) % 2048;
			if (cap > rd.n)
				cap = rd.n;
			n = make_data(sk, sock_id, dir, ts, (const char *)rd.p, cap, cap);
			rd.p += cap;
			rd.n -= cap;
			submit(a, recbuf, n);
		} else if (kind < 12) {
			/* Raw bytes with an uncaptured tail. */
			uint64_t extra;

			cap = rd_u16(&rd) % 2048;
			extra = rd_u16(&rd) * (kind == 11 ? 65536ull : 1);
			if (cap > rd.n)
				cap = rd.n;
			io = cap + extra;
			n = make_data(sk, sock_id, dir, ts, (const char *)rd.p, cap, io);
			rd.p += cap;
			rd.n -= cap;
			submit(a, recbuf, n);
		} else if (kind < 20) {
			/* HTTP fragments. */
			cap = build_payload(&rd, payload, sizeof(payload));
			n = make_data(sk, sock_id, dir, ts, payload, cap, cap);
			submit(a, recbuf, n);
		} else if (kind < 23) {
			/* HTTP fragments, then only a prefix of them captured. */
			io = build_payload(&rd, payload, sizeof(payload));
			cap = io ? rd_u16(&rd) % (io + 1) : 0;
			io += rd_u8(&rd);
			n = make_data(sk, sock_id, dir, ts, payload, cap, io);
			submit(a, recbuf, n);
		} else if (kind < 25) {
			/* One payload split over several records. */
			size_t tot = build_payload(&rd, payload, sizeof(payload)), off = 0;

			while (off < tot) {
				size_t step = rd_u8(&rd) % 64 + 1;

				if (step > tot - off)
					step = tot - off;
				n = make_data(sk, sock_id, dir, ts, payload + off, step, step);
				submit(a, recbuf, n);
				off += step;
				ts += 10;
			}
		} else if (kind == 25 && !dir) {
			struct ws_close_rec *c = (struct ws_close_rec *)recbuf;

			memset(c, 0, sizeof(*c));
			c->hdr.type = WS_REC_CLOSE;
			c->hdr.flags = (rd_u8(&rd) & 0xf) << 4; /* peer closed, reset, timed out */
			c->hdr.len = sizeof(*c) - sizeof(c->hdr);
			c->hdr.ts_ns = ts;
			c->hdr.tgid = sk->tgid;
			c->hdr.sock_id = sock_id;
			c->tuple = sk->t;
			submit(a, recbuf, sizeof(*c));
		} else if (kind == 25) {
			/* A connect of this socket's process to its peer failed (or to another port). */
			struct ws_connect_fail_rec *f = (struct ws_connect_fail_rec *)recbuf;
			unsigned b = rd_u8(&rd);

			memset(f, 0, sizeof(*f));
			f->hdr.type = WS_REC_CONNECT_FAIL;
			f->hdr.flags = (b & 0xf) << 6; /* timed out, refused, unreachable */
			f->hdr.len = sizeof(*f) - sizeof(f->hdr);
			f->hdr.ts_ns = ts;
			f->hdr.tgid = sk->tgid;
			f->hdr.tid = sk->tgid + (b >> 7);
			f->hdr.sock_id = sock_id + 0x100000;
			f->tuple = sk->t;
			if (b & 0x10)
				f->tuple.dport++;
			f->start_ns = b & 0x20 ? ts + 1 : ts - 500;
			memcpy(f->comm, sk->comm, sizeof(f->comm));
			submit(a, recbuf, sizeof(*f));
		} else if (kind == 26 && dir) {
			/* Go's http.Transport: a goroutine asks for a request, another writes it. */
			struct ws_go_rec *g = (struct ws_go_rec *)recbuf;

			memset(g, 0, sizeof(*g));
			g->hdr.type = WS_REC_GO;
			g->hdr.len = sizeof(*g) - sizeof(g->hdr);
			g->hdr.ts_ns = ts;
			g->hdr.tgid = sk->tgid;
			g->goroutine = 0xc000000000ull + ((gsel >> 3) & 7) * 0x1000;
			g->req = 0xc000100000ull + (gsel & 3) * 0x200;
			g->event = (gsel >> 2) & 1 ? WS_GO_REQ_WRITE : WS_GO_ROUNDTRIP;
			if ((gsel & 0x40) && rd.n)
				g->event = rd_u8(
					&rd); /* any value: unknown events are bad records */
			submit(a, recbuf, sizeof(*g));
		} else if (kind == 26) {
			/* The clock jumps; idle connections go. */
			ts += rd_u16(&rd) * 1000ull;
			ws_assembler_expire(a, ts);
		} else if (kind == 27) {
			/* The socket address is reused by another process, or the family changes. */
			if (dir) {
				sk->tgid ^= 0x10000;
				sk->comm[0] ^= 1;
			} else {
				unsigned f = rd_u8(&rd) % 3;

				memset(sk->t.saddr, 0, 16);
				memset(sk->t.daddr, 0, 16);
				if (f == 0) {
					sk->t.family = AF_INET;
					inet_pton(AF_INET, "10.0.0.1", sk->t.saddr);
					inet_pton(AF_INET, "10.0.0.2", sk->t.daddr);
				} else {
					sk->t.family = AF_INET6;
					inet_pton(AF_INET6, f == 1 ? "::1" : "::ffff:10.0.0.1",
						  sk->t.saddr);
					inet_pton(AF_INET6, f == 1 ? "fe80::1" : "::ffff:10.0.0.2",
						  sk->t.daddr);
				}
			}
		} else if (kind == 29 && dir) {
			/* Bytes no record brought (the kernel skipped them, or they were lost). */
			sk->seq[rd_u8(&rd) & 1] += rd_u16(&rd) * (gsel & 1 ? 64u : 1u);
		} else if (kind < 30) {
			/* A well-formed record with one field corrupted. */
			cap = build_payload(&rd, payload, sizeof(payload));
			n = make_data(sk, sock_id, dir, ts, payload, cap, cap);
			corrupt(&rd, &n);
			submit(a, recbuf, n);
		} else {
			/* Raw bytes of any size, aligned as the ring buffer aligns records. */
			size_t want = rd_u16(&rd) % 512;

			cap = want < rd.n ? want : rd.n;
			memcpy(recbuf, rd.p, cap);
			rd.p += cap;
			rd.n -= cap;
			/* Keep the socket ids few so raw records meet real connections. */
			if (cap >= sizeof(struct ws_rec_hdr) && kind == 31)
				((struct ws_rec_hdr *)recbuf)->sock_id = sock_id;
			submit(a, recbuf, cap);
		}
		if (ws_assembler_nconns(a) > MAX_CONNS)
			__builtin_trap();
	}
	ws_assembler_stats(a, st);
	if (st[WS_ASM_SPANS] != nspans_seen)
		__builtin_trap();
	ws_assembler_free(a);
	return 0;
}
