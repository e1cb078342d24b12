/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
// fuzz-links: user/assemble/http1.c
/*
 * libFuzzer target for the HTTP/1.x parser. Input: byte 0 picks the kind
 * and options, byte 1 seeds the split, the rest is the stream. Three runs:
 *   A  the stream in one record;
 *   B  the same stream in pseudo-random pieces: its events must equal A's
 *      up to and including the first error (after an error, resync may
 *      legitimately differ: it also tries capture boundaries);
 *   C  the stream as a script of feeds, gaps, no_body, close and empty feeds;
 *   D  A's stream in pieces, some of them replaced by a gap of their length.
 * Every run checks the caller's contract: progress or an event on every
 * call (a bounded number of calls), HEAD and END alternate, in_message
 * agrees, error codes, and every head pointer inside head_buf or, for a
 * head parsed in place, inside the bytes the call consumed. With bit
 * 0x20 of byte 0, A, B and D ask for the first bytes of every body
 * (http1_want_body) and C may ask mid-stream: body bytes lie inside the fed
 * buffer, inside a message, never more than asked; A and B hand out the
 * same bytes per message (their hash rides on the END).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http1.h"

#define MAX_EVS 4096
#define STREAM_MAX (1 << 18)

struct rec {
	int type, error, inferred;
	int is_request, status, version;
	unsigned chunked, conn_close, upgrade;
	long long cl;
	size_t nheaders;
	uint32_t hash;
};

struct run {
	struct http1_parser p;
	int open; /* a HEAD was seen and not its END */
	size_t nev;
	int first_error;    /* index of the first ERROR, -1 when none */
	uint64_t want;	    /* body bytes asked for after every HEAD; 0: none */
	uint64_t left;	    /* body bytes the parser may still hand out */
	uint32_t body_hash; /* of the current message's body bytes */
	const char *fed;    /* the bytes the last feed consumed: where an in-place head lies */
	size_t fed_len;
	struct rec ev[MAX_EVS];
};

static struct run A, B, C, D;
static char stream[STREAM_MAX];

#define ASSERT(c)                                                                                  \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static uint32_t fnv(uint32_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* s..s+n lies inside the gathered head or the bytes just fed; every byte is read so ASan checks it. */
static uint32_t check_span(const struct run *r, const char *s, size_t n, uint32_t h)
{
	const struct http1_parser *p = &r->p;
	uintptr_t b = (uintptr_t)p->head_buf, e = b + p->head_len, x = (uintptr_t)s;
	uintptr_t fb = (uintptr_t)r->fed, fe = fb + r->fed_len;

	ASSERT(s && ((p->head_len && x >= b && x <= e && n <= e - x) ||
		     (!p->head_len && r->fed && x >= fb && x <= fe && n <= fe - x)));
	return fnv(h, s, n);
}

static void check_head(struct run *r, const struct http1_head *h, struct rec *out)
{
	const struct http1_parser *p = &r->p;
	uint32_t hash = 2166136261u;

	ASSERT(h == &p->head);
	ASSERT(p->head_len <= HTTP1_HEAD_MAX);
	ASSERT(h->nheaders <= HTTP1_MAX_HEADERS);
	ASSERT(h->version_minor == 0 || h->version_minor == 1);
	ASSERT(h->content_length >= -1);
	if (h->is_request) {
		ASSERT(h->method_len >= 1 && h->method_len <= 20 && h->target_len >= 1);
		hash = check_span(r, h->method, h->method_len, hash);
		hash = check_span(r, h->target, h->target_len, hash);
		ASSERT(p->kind != HTTP1_RESPONSES);
	} else {
		ASSERT(h->status >= 100 && h->status <= 999 && !h->method);
		ASSERT(p->kind != HTTP1_REQUESTS);
	}
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http1_header *f = &h->headers[i];

		ASSERT(f->name_len >= 1);
		hash = check_span(r, f->name, f->name_len, hash);
		hash = check_span(r, f->value, f->value_len, hash);
		/* Trimmed values. */
		ASSERT(!f->value_len || (f->value[0] != ' ' && f->value[f->value_len - 1] != ' '));
	}
	if (h->nheaders) {
		const struct http1_header *f = &h->headers[h->nheaders - 1];
		char name[64];

		if (f->name_len < sizeof(name)) {
			memcpy(name, f->name, f->name_len);
			name[f->name_len] = 0;
			ASSERT(http1_find(h, name) != NULL);
		}
	}
	out->is_request = h->is_request;
	out->status = h->status;
	out->version = h->version_minor;
	out->chunked = h->chunked;
	out->conn_close = h->conn_close;
	out->upgrade = h->upgrade;
	out->cl = h->content_length;
	out->nheaders = h->nheaders;
	out->hash = hash;
}

static void on_event(struct run *r, const struct http1_event *ev)
{
	struct rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.type = ev->type;
	switch (ev->type) {
	case HTTP1_EV_NONE:
		ASSERT(r->p.in_message == r->open);
		return;
	case HTTP1_EV_HEAD:
		ASSERT(!r->open);
		r->open = 1;
		check_head(r, ev->head, &rec);
		break;
	case HTTP1_EV_BODY:
		ASSERT(0); /* taken by feed() */
		break;
	case HTTP1_EV_END:
		ASSERT(r->open);
		r->open = 0;
		rec.inferred = ev->inferred;
		rec.hash = r->body_hash;
		ASSERT(ev->inferred == 0 || ev->inferred == 1);
		break;
	case HTTP1_EV_ERROR:
		ASSERT(ev->error == -EPROTO || ev->error == -E2BIG);
		ASSERT(http1_lost_sync(&r->p));
		rec.error = ev->error;
		if (r->first_error < 0)
			r->first_error = (int)r->nev;
		break;
	default:
		ASSERT(0);
	}
	ASSERT(r->p.in_message == r->open);
	if (r->nev < MAX_EVS)
		r->ev[r->nev++] = rec;
}

/* The assembler's loop over one record, fetching a pending END after each HEAD. */
static void feed(struct run *r, const char *buf, size_t len)
{
	size_t calls = 0, limit = 2 * len + 8;

	while (len) {
		struct http1_event ev;
		long n = http1_feed(&r->p, buf, len, &ev);

		ASSERT(n >= 0 && (size_t)n <= len);
		ASSERT(n > 0 || ev.type != HTTP1_EV_NONE);
		ASSERT(++calls <= limit);
		if (ev.type == HTTP1_EV_BODY) {
			/* Inside what this call consumed, inside a message, as much as asked. */
			ASSERT(r->open && r->p.in_message);
			ASSERT(ev.body >= buf && ev.body_len > 0 &&
			       ev.body_len <= (size_t)n - (size_t)(ev.body - buf));
			ASSERT(ev.body_len <= r->left);
			r->left -= ev.body_len;
			r->body_hash = fnv(r->body_hash, ev.body, ev.body_len);
			buf += n;
			len -= n;
			continue;
		}
		r->fed = buf;
		r->fed_len = (size_t)n;
		on_event(r, &ev);
		r->fed = NULL;
		if (ev.type == HTTP1_EV_HEAD) {
			r->body_hash = 2166136261u;
			r->left = 0;
			if (r->want) {
				http1_want_body(&r->p, r->want);
				r->left = r->p.body_want;
			}
			ASSERT(http1_feed(&r->p, NULL, 0, &ev) == 0);
			ASSERT(ev.type == HTTP1_EV_NONE || ev.type == HTTP1_EV_END);
			on_event(r, &ev);
		}
		buf += n;
		len -= n;
	}
}

static void gap(struct run *r, uint64_t n)
{
	size_t calls = 0;

	while (n) {
		struct http1_event ev;
		long k = http1_gap(&r->p, n, &ev);

		ASSERT(k >= 0 && (uint64_t)k <= n);
		ASSERT(k > 0 || ev.type != HTTP1_EV_NONE);
		ASSERT(ev.type != HTTP1_EV_BODY);
		ASSERT(++calls <= 8);
		on_event(r, &ev);
		n -= k;
	}
}

static void finish(struct run *r)
{
	struct http1_event ev;

	http1_close(&r->p, &ev);
	ASSERT(ev.type == HTTP1_EV_NONE || ev.type == HTTP1_EV_END);
	if (ev.type == HTTP1_EV_END)
		on_event(r, &ev);
	else
		r->open = 0;
	ASSERT(!r->p.in_message && !http1_lost_sync(&r->p));
}

static void start(struct run *r, enum http1_kind kind, uint64_t want)
{
	http1_release(&r->p); /* the previous input's buffer, if any */
	http1_init(&r->p, kind);
	r->want = want;
	r->left = 0;
	r->body_hash = 2166136261u;
	r->open = 0;
	r->nev = 0;
	r->first_error = -1;
}

static int rec_eq(const struct rec *a, const struct rec *b)
{
	return a->type == b->type && a->error == b->error && a->inferred == b->inferred &&
	       a->is_request == b->is_request && a->status == b->status &&
	       a->version == b->version && a->chunked == b->chunked &&
	       a->conn_close == b->conn_close && a->upgrade == b->upgrade && a->cl == b->cl &&
	       a->nheaders == b->nheaders && a->hash == b->hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum http1_kind kind;
	uint32_t x;
	size_t len, reps, upto, i;
	uint64_t want;

	if (size < 2)
		return 0;
	want = data[0] & 0x20 ? 1 + (uint64_t)data[1] * 37 : 0;
	kind = (enum http1_kind)((data[0] & 3) % 3);
	x = data[1] * 2654435761u + 1;
	/* Repeating the stream reaches the 16 KiB head limit with short inputs. */
	reps = data[0] & 0x80 ? (data[0] & 0x40 ? 64 : 8) : 1;
	len = 0;
	for (size_t k = 0; k < reps && len + size - 2 <= STREAM_MAX; k++) {
		memcpy(stream + len, data + 2, size - 2);
		len += size - 2;
	}

	start(&A, kind, want);
	feed(&A, stream, len);
	finish(&A);

	start(&B, kind, want);
	for (size_t off = 0; off < len;) {
		size_t piece;

		x = x * 1103515245u + 12345u;
		piece = data[1] & 1 ? 1 : 1 + (x >> 16) % 64;
		if (piece > len - off)
			piece = len - off;
		feed(&B, stream + off, piece);
		off += piece;
	}
	finish(&B);

	/* Same events up to and including the first error; all of them if none. */
	if (A.first_error < 0 && B.first_error < 0) {
		if (A.nev < MAX_EVS && B.nev < MAX_EVS)
			ASSERT(A.nev == B.nev);
		upto = A.nev < B.nev ? A.nev : B.nev;
	} else {
		ASSERT(A.first_error >= 0 && B.first_error >= 0);
		ASSERT(A.first_error == B.first_error);
		upto = (size_t)A.first_error + 1;
	}
	for (i = 0; i < upto; i++)
		ASSERT(rec_eq(&A.ev[i], &B.ev[i]));

	start(&D, kind, want);
	for (size_t off = 0; off < len;) {
		size_t piece;

		x = x * 1103515245u + 12345u;
		piece = 1 + (x >> 16) % 97;
		if (piece > len - off)
			piece = len - off;
		if ((x >> 8) % 8 == 0)
			gap(&D, piece);
		else
			feed(&D, stream + off, piece);
		off += piece;
	}
	finish(&D);

	/* A script over the raw input: op byte, then maybe that many stream bytes. */
	start(&C, kind, 0);
	for (i = 2; i < size;) {
		unsigned op = data[i++], arg = op >> 3;
		struct http1_event ev;
		size_t n;

		switch (op & 7) {
		case 0:
			/* Small gaps fit in chunks and bodies, large ones don't. */
			gap(&C, arg == 31 ? (1ULL << 40) : arg < 16 ? arg + 1 : (arg - 15) * 1000);
			break;
		case 1:
			if (arg & 1) {
				/* Mid-stream: only the current body, if any, hands bytes out. */
				http1_want_body(&C.p, arg * 50);
				C.left = C.p.body_want;
			} else {
				http1_no_body(&C.p);
			}
			break;
		case 2:
			finish(&C);
			break;
		case 3:
			ASSERT(http1_feed(&C.p, NULL, 0, &ev) == 0);
			on_event(&C, &ev);
			break;
		default:
			n = 1 + arg * 3;
			if (n > size - i)
				n = size - i;
			feed(&C, (const char *)data + i, n);
			i += n;
		}
	}
	finish(&C);

	/* Reads stay within len. */
	for (i = 0; i < 12 && i <= size - 2; i++)
		(void)http1_looks_like_start((const char *)data + 2, i);
	return 0;
}
