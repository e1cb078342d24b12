/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The assembly tests' kit, shared by the test binaries of assemble/ and
 * process/procs.c: a span sink the assembler hands spans to, hand-built
 * ring buffer records (data, close) for a server or a client connection,
 * and attribute checks that print what they found. Everything is static
 * (inline where unused ones would warn): each test binary gets its own copy.
 */
#ifndef WS_ASMKIT_H
#define WS_ASMKIT_H

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assemble.h"
#include "baggage.h"
#include "check.h"
#include "tmptree.h"
#include "partners.h"
#include "procstat.h"
#include "resource.h"
#include "span.h"
#include "webhooks.h"
#include "wirespan.h"

#define COMM "svc-test"
#define TGID 4242
#define TID 4243
#define MAX_SPANS 1024

/* ---- the span sink ---- */

static struct ws_span *spans[MAX_SPANS];
static size_t nspans;
static size_t spans_overflow;

static inline void collect(void *ctx, struct ws_span *s)
{
	(void)ctx;
	if (nspans < MAX_SPANS)
		spans[nspans++] = s;
	else {
		spans_overflow++;
		ws_span_free(s);
	}
}

static inline void spans_clear(void)
{
	for (size_t i = 0; i < nspans; i++)
		ws_span_free(spans[i]);
	nspans = 0;
	spans_overflow = 0;
}

static inline struct ws_assembler *asm_open_opts(struct ws_assembler_opts *o)
{
	struct ws_assembler *a;

	spans_clear();
	a = ws_assembler_new(o, collect, NULL);
	CHECK(a != NULL);
	return a;
}

static inline struct ws_assembler *asm_open(void)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent", .mono_to_unix_ns = 0 };

	return asm_open_opts(&o);
}

static inline void asm_close(struct ws_assembler *a)
{
	ws_assembler_free(a);
	spans_clear();
}

static inline uint64_t stat_of(const struct ws_assembler *a, enum ws_asm_stat i)
{
	uint64_t st[WS_ASM_STAT__COUNT];

	ws_assembler_stats(a, st);
	return st[i];
}

/* ---- the record builder ---- */

struct cn {
	uint64_t sock;
	uint32_t tgid, tid;
	uint64_t g; /* the goroutine its records carry (a Go process's), or 0 */
	char comm[16];
	struct ws_tuple t;
};

static inline struct ws_tuple tuple4(const char *saddr, uint16_t sport, const char *daddr,
				     uint16_t dport)
{
	struct ws_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	inet_pton(AF_INET, saddr, t.saddr);
	inet_pton(AF_INET, daddr, t.daddr);
	t.sport = sport;
	t.dport = dport;
	return t;
}

static inline struct ws_tuple tuple6(const char *saddr, uint16_t sport, const char *daddr,
				     uint16_t dport)
{
	struct ws_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET6;
	inet_pton(AF_INET6, saddr, t.saddr);
	inet_pton(AF_INET6, daddr, t.daddr);
	t.sport = sport;
	t.dport = dport;
	return t;
}

/* The traced process is a server on 127.0.0.1:8080; its peer is 192.168.1.50:54321. */
static inline struct cn server_cn(uint64_t sock)
{
	struct cn c;

	memset(&c, 0, sizeof(c));
	c.sock = sock;
	c.tgid = TGID;
	c.tid = TID;
	strcpy(c.comm, COMM);
	c.t = tuple4("127.0.0.1", 8080, "192.168.1.50", 54321);
	return c;
}

/* The traced process is a client on 192.168.1.50:54321 talking to 127.0.0.1:8080. */
static inline struct cn client_cn(uint64_t sock)
{
	struct cn c = server_cn(sock);

	c.t = tuple4("192.168.1.50", 54321, "127.0.0.1", 8080);
	return c;
}

/* 8-byte aligned, as the ring buffer hands records out. */
static _Alignas(8) unsigned char recbuf[sizeof(struct ws_data_rec) + 65536];

static inline size_t build_data(void *buf, const struct cn *c, int dir, uint64_t ts,
				const void *payload, size_t cap, size_t io)
{
	struct ws_data_rec *r = buf;

	memset(r, 0, sizeof(*r));
	r->hdr.type = WS_REC_DATA;
	r->hdr.flags = io > cap ? WS_F_TRUNCATED : 0;
	r->hdr.len = sizeof(struct ws_data_rec) - sizeof(struct ws_rec_hdr) + cap;
	r->hdr.ts_ns = ts;
	r->hdr.tgid = c->tgid;
	r->hdr.tid = c->tid;
	r->hdr.sock_id = c->sock;
	r->tuple = c->t;
	r->io_len = io;
	r->cap_len = cap;
	r->dir = dir;
	r->role = WS_ROLE_UNKNOWN;
	r->source = WS_SRC_SOCK_TP;
	r->goroutine = c->g;
	memcpy(r->comm, c->comm, sizeof(r->comm));
	if (cap)
		memcpy(r + 1, payload, cap);
	return sizeof(*r) + cap;
}

static inline int rec_data(struct ws_assembler *a, const struct cn *c, int dir, uint64_t ts,
			   const void *payload, size_t cap, size_t io)
{
	size_t n;

	if (cap > sizeof(recbuf) - sizeof(struct ws_data_rec)) {
		CHECK(!"payload too big for recbuf");
		return -1;
	}
	n = build_data(recbuf, c, dir, ts, payload, cap, io);
	return ws_assembler_record(a, recbuf, n);
}

static inline int rec_str(struct ws_assembler *a, const struct cn *c, int dir, uint64_t ts,
			  const char *s)
{
	return rec_data(a, c, dir, ts, s, strlen(s), strlen(s));
}

static inline int rec_close_flags(struct ws_assembler *a, const struct cn *c, uint64_t ts,
				  uint16_t flags)
{
	_Alignas(8) struct ws_close_rec r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = WS_REC_CLOSE;
	r.hdr.flags = flags;
	r.hdr.len = sizeof(r) - sizeof(r.hdr);
	r.hdr.ts_ns = ts;
	r.hdr.tgid = c->tgid;
	r.hdr.tid = c->tid;
	r.hdr.sock_id = c->sock;
	r.tuple = c->t;
	return ws_assembler_record(a, &r, sizeof(r));
}

static inline int rec_close(struct ws_assembler *a, const struct cn *c, uint64_t ts)
{
	return rec_close_flags(a, c, ts, 0);
}

/* Server side: requests come in, responses go out. Client side: the reverse. */
#define SRV_REQ(a, c, ts, s) CHECK_INT(rec_str((a), (c), WS_DIR_INGRESS, (ts), (s)), 0)
#define SRV_RESP(a, c, ts, s) CHECK_INT(rec_str((a), (c), WS_DIR_EGRESS, (ts), (s)), 0)
#define CLI_REQ(a, c, ts, s) CHECK_INT(rec_str((a), (c), WS_DIR_EGRESS, (ts), (s)), 0)
#define CLI_RESP(a, c, ts, s) CHECK_INT(rec_str((a), (c), WS_DIR_INGRESS, (ts), (s)), 0)

/* ---- attribute checks ---- */

#define CHECK_ATTR_STR(s, key, want)                                                               \
	do {                                                                                       \
		const struct ws_attr *ca_ = ws_span_attr((s), (key));                              \
		if (!ca_) {                                                                        \
			fprintf(stderr, "    %s:%d: attribute %s missing\n", __FILE__, __LINE__,   \
				(key));                                                            \
			check_failed_in_test = 1;                                                  \
		} else {                                                                           \
			CHECK_INT(ca_->type, WS_ATTR_STR);                                         \
			CHECK_MEM(ws_attr_str((s), ca_), ca_->len, (want));                        \
		}                                                                                  \
	} while (0)

#define CHECK_ATTR_INT(s, key, want)                                                               \
	do {                                                                                       \
		const struct ws_attr *ca_ = ws_span_attr((s), (key));                              \
		if (!ca_) {                                                                        \
			fprintf(stderr, "    %s:%d: attribute %s missing\n", __FILE__, __LINE__,   \
				(key));                                                            \
			check_failed_in_test = 1;                                                  \
		} else {                                                                           \
			CHECK_INT(ca_->type, WS_ATTR_INT);                                         \
			CHECK_INT(ca_->ival, (want));                                              \
		}                                                                                  \
	} while (0)

#define CHECK_NO_ATTR(s, key)                                                                      \
	do {                                                                                       \
		const struct ws_attr *ca_ = ws_span_attr((s), (key));                              \
		if (ca_) {                                                                         \
			fprintf(stderr, "    %s:%d: attribute %s present, should not be\n",        \
				__FILE__, __LINE__, (key));                                        \
			check_failed_in_test = 1;                                                  \
		}                                                                                  \
	} while (0)

static inline int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static inline size_t attr_count(const struct ws_span *s, const char *key)
{
	size_t n = 0;

	for (uint16_t i = 0; i < s->nattrs; i++)
		if (!strcmp(s->attrs[i].key, key))
			n++;
	return n;
}

/* The span i, or NULL (and a failure) when fewer were built. */
static inline struct ws_span *span_at(size_t i)
{
	return i < nspans ? spans[i] : NULL;
}

#define REQ_HELLO                                                                                  \
	"GET /hello?name=bob&x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"                             \
	"User-Agent: curl/7.88\r\nAccept: */*\r\n\r\n"
#define RESP_OK "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

#endif /* WS_ASMKIT_H */
