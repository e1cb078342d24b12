/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The console exporter: one readable line per span, for a person at a
 * terminal or a script reading a pipe.
 *
 *   SERVER GET /users?id=REDACTED 200 1.234ms service=python3 pid=4242 trace=<32 hex> span=<16 hex> parent=-
 *   CLIENT GET http://api:8080/v1?q=REDACTED 503 12.000ms service=curl pid=77 trace=... span=... parent=<16 hex> error=503
 *   CLIENT POST https://api.stripe.com/v1/x 200 8.125ms service=shop pid=9 peer.service=stripe
 *     request-id=req_123 trace=... (one line)
 *
 * Fields: kind (padded to 6), method, URL (url.full for a client span, else
 * url.path and "?" url.query), status code or "-", duration in ms, then
 * key=value pairs; peer.service= and <name>= for each partner request id
 * (http.response.header.<name>) only when the span has them, so a failed
 * call to a partner shows the id its support desk asks for;
 * link=<trace>-<span> once per span link (a webhook's originating call),
 * error= only when the span's status is ERROR.
 *
 * Attribute values come off the network (and service names from the traced
 * process), so nothing in them reaches the output raw if it could act on a
 * terminal or fake structure: C0 controls, space, DEL, C1 controls (as UTF-8
 * or bare bytes), bytes that are not UTF-8, line/paragraph separators and the
 * bidirectional overrides are written as \xNN per byte, and a backslash as
 * "\\", so every line is one line with space-separated fields. Valid UTF-8
 * text otherwise passes as is. Each value has a length bound; a cut value
 * ends with "…".
 *
 * A batch is written and then flushed: output is often a pipe.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"
#include "resource.h"
#include "span.h"
#include "tracectx.h"
#include "utf8.h"

/* Output bytes per value, escapes included, before it is cut. */
#define URL_MAX 512
#define METHOD_MAX 32
#define STATUS_MAX 32
#define SERVICE_MAX 128
#define ERROR_MAX 128
/* A partner's name, a request id and its header's name (64 bytes at most, by config). */
#define PEER_MAX 128
#define REQID_MAX 128
#define HEADER_NAME_MAX 96
/*
 * Every field at its bound fits with room to spare: 8 request ids (config's
 * limit) of 128 + 96 bytes are ~1.8 KiB of it.
 */
#define LINE_MAX_BYTES 4096

static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 */

struct console {
	struct ws_exporter exp;
	FILE *out;
};

struct line {
	char buf[LINE_MAX_BYTES];
	size_t len;
};

/* Appends what fits, always leaving room for the closing newline. */
static void put(struct line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->len;

	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void putf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct line *l, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/*
 * One value being written: rem output bytes left before it is cut, start to
 * tell an empty value (written as "-").
 */
struct field {
	struct line *l;
	size_t start, rem;
	bool cut;
};

static void field_begin(struct field *f, struct line *l, size_t max)
{
	f->l = l;
	f->start = l->len;
	f->rem = max;
	f->cut = false;
}

/* Appends n output bytes as one unit: all of them, or the value is cut here. */
static void field_put(struct field *f, const char *s, size_t n)
{
	if (f->cut)
		return;
	if (n > f->rem) {
		f->cut = true;
		return;
	}
	put(f->l, s, n);
	f->rem -= n;
}

static void field_end(struct field *f)
{
	if (f->cut)
		puts_(f->l, ellipsis);
	else if (f->l->len == f->start)
		puts_(f->l, "-");
}

/*
 * Length of the well-formed UTF-8 sequence at p (utf8.h: the encoders'
 * rule) and its code point, or 0.
 */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	/* The lead byte's payload bits, by sequence length. */
	static const uint8_t lead_bits[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	size_t len = ws_utf8_seq(p, n);
	uint32_t c;

	if (!len)
		return 0;
	c = p[0] & lead_bits[len];
	for (size_t i = 1; i < len; i++)
		c = c << 6 | (p[i] & 0x3f);
	*cp = c;
	return len;
}

/* Valid code points that still must not reach a terminal raw. */
static bool unsafe_cp(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) ||		  /* C1 controls: U+009B is CSI */
	       c == 0x2028 || c == 0x2029 ||		  /* line and paragraph separators */
	       (c >= 0x202a && c <= 0x202e) ||		  /* bidi embeddings and overrides */
	       (c >= 0x2066 && c <= 0x2069) ||		  /* bidi isolates */
	       c == 0x200e || c == 0x200f || c == 0xfeff; /* marks, BOM */
}

static void field_esc_bytes(struct field *f, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char e[16];

	for (size_t i = 0; i < n; i++) {
		e[4 * i] = '\\';
		e[4 * i + 1] = 'x';
		e[4 * i + 2] = digits[p[i] >> 4];
		e[4 * i + 3] = digits[p[i] & 0xf];
	}
	field_put(f, e, 4 * n);
}

/* Appends untrusted bytes, escaped as the header comment says. */
static void field_esc(struct field *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n && !f->cut) {
		unsigned char c = p[i];
		uint32_t cp = 0;
		size_t k;

		if (c < 0x80) {
			if (c <= 0x20 || c == 0x7f)
				field_esc_bytes(f, p + i, 1);
			else if (c == '\\')
				field_put(f, "\\\\", 2);
			else
				field_put(f, s + i, 1);
			i++;
			continue;
		}
		k = utf8_seq(p + i, n - i, &cp);
		if (!k) {
			field_esc_bytes(f, p + i, 1);
			i++;
		} else {
			if (unsafe_cp(cp))
				field_esc_bytes(f, p + i, k);
			else
				field_put(f, s + i, k);
			i += k;
		}
	}
}

static const struct ws_attr *str_attr(const struct ws_span *s, const char *key)
{
	const struct ws_attr *a = ws_span_attr(s, key);

	return a && a->type == WS_ATTR_STR ? a : NULL;
}

/* An attribute's value as one field of at most max bytes; "-" when absent. */
static void put_attr(struct line *l, const struct ws_span *s, const char *key, size_t max)
{
	const struct ws_attr *a = ws_span_attr(s, key);
	struct field f;

	field_begin(&f, l, max);
	if (a && a->type == WS_ATTR_INT) {
		char num[24];
		int n = snprintf(num, sizeof(num), "%" PRId64, a->ival);

		field_put(&f, num, n);
	} else if (a && a->type == WS_ATTR_STR) {
		field_esc(&f, ws_attr_str(s, a), a->len);
	}
	field_end(&f);
}

static void put_url(struct line *l, const struct ws_span *s)
{
	const struct ws_attr *full = str_attr(s, "url.full");
	const struct ws_attr *path = str_attr(s, "url.path");
	const struct ws_attr *query = str_attr(s, "url.query");
	struct field f;

	field_begin(&f, l, URL_MAX);
	/* A client knows the whole URL; a server, or a client without one, its target. */
	if (full && (s->kind == WS_KIND_CLIENT || (!path && !query))) {
		field_esc(&f, ws_attr_str(s, full), full->len);
	} else {
		if (path)
			field_esc(&f, ws_attr_str(s, path), path->len);
		if (query) {
			field_put(&f, "?", 1);
			field_esc(&f, ws_attr_str(s, query), query->len);
		}
	}
	field_end(&f);
}

/* The attribute key prefix of the request ids partners.c keeps on CLIENT spans. */
#define REQID_KEY_PREFIX "http.response.header."

/*
 * peer.service=<name> and <header>=<value> per request id, when present.
 * The header names were checked by config, but they are escaped like the
 * values: nothing on this line reaches a terminal unescaped.
 */
static void put_partner(struct line *l, const struct ws_span *s)
{
	const size_t plen = sizeof(REQID_KEY_PREFIX) - 1;
	const struct ws_attr *peer = str_attr(s, "peer.service");
	struct field f;

	if (peer) {
		puts_(l, " peer.service=");
		field_begin(&f, l, PEER_MAX);
		field_esc(&f, ws_attr_str(s, peer), peer->len);
		field_end(&f);
	}
	for (uint16_t i = 0; i < s->nattrs && i < WS_SPAN_MAX_ATTRS; i++) {
		const struct ws_attr *a = &s->attrs[i];

		if (a->type != WS_ATTR_STR || strncmp(a->key, REQID_KEY_PREFIX, plen) ||
		    !a->key[plen])
			continue;
		puts_(l, " ");
		field_begin(&f, l, HEADER_NAME_MAX);
		field_esc(&f, a->key + plen, strlen(a->key + plen));
		field_end(&f);
		puts_(l, "=");
		field_begin(&f, l, REQID_MAX);
		field_esc(&f, ws_attr_str(s, a), a->len);
		field_end(&f);
	}
}

static void put_duration(struct line *l, const struct ws_span *s)
{
	uint64_t d = s->end_unix_ns > s->start_unix_ns ? s->end_unix_ns - s->start_unix_ns : 0;
	uint64_t us = d / 1000 + (d % 1000 >= 500);

	putf(l, "%" PRIu64 ".%03" PRIu64 "ms", us / 1000, us % 1000);
}

static void format_span(struct line *l, const struct ws_span *s)
{
	char hex[33];
	struct field f;

	l->len = 0;
	switch (s->kind) {
	case WS_KIND_SERVER:
		puts_(l, "SERVER ");
		break;
	case WS_KIND_CLIENT:
		puts_(l, "CLIENT ");
		break;
	default:
		puts_(l, "SPAN   ");
		break;
	}

	field_begin(&f, l, METHOD_MAX);
	field_esc(&f, s->name, strnlen(s->name, sizeof(s->name)));
	field_end(&f);
	puts_(l, " ");
	put_url(l, s);
	puts_(l, " ");
	put_attr(l, s, "http.response.status_code", STATUS_MAX);
	puts_(l, " ");
	put_duration(l, s);

	puts_(l, " service=");
	field_begin(&f, l, SERVICE_MAX);
	if (s->res)
		field_esc(&f, s->res->service_name,
			  strnlen(s->res->service_name, sizeof(s->res->service_name)));
	field_end(&f);
	if (s->res)
		putf(l, " pid=%" PRIu32, s->res->pid);
	else
		puts_(l, " pid=-");
	put_partner(l, s);

	ws_hex(s->trace_id, sizeof(s->trace_id), hex);
	puts_(l, " trace=");
	puts_(l, hex);
	ws_hex(s->span_id, sizeof(s->span_id), hex);
	puts_(l, " span=");
	puts_(l, hex);
	puts_(l, " parent=");
	if (ws_span_is_root(s)) {
		puts_(l, "-");
	} else {
		ws_hex(s->parent_span_id, sizeof(s->parent_span_id), hex);
		puts_(l, hex);
	}
	for (uint8_t i = 0; i < s->nlinks && i < WS_SPAN_MAX_LINKS; i++) {
		ws_hex(s->links[i].trace_id, sizeof(s->links[i].trace_id), hex);
		puts_(l, " link=");
		puts_(l, hex);
		ws_hex(s->links[i].span_id, sizeof(s->links[i].span_id), hex);
		puts_(l, "-");
		puts_(l, hex);
	}
	if (s->status == WS_STATUS_ERROR) {
		puts_(l, " error=");
		put_attr(l, s, "error.type", ERROR_MAX);
	}
	/* put() kept this byte free. */
	l->buf[l->len++] = '\n';
}

static int console_export(struct ws_exporter *e, struct ws_span *const *spans, size_t n)
{
	struct console *c = (struct console *)e;
	struct line l;
	int err = 0;

	errno = 0;
	for (size_t i = 0; i < n && !err; i++) {
		if (!spans[i])
			continue;
		format_span(&l, spans[i]);
		/* One write per line: lines from other writers to out never split it. */
		if (fwrite(l.buf, 1, l.len, c->out) != l.len)
			err = errno ? errno : EIO;
	}
	if (fflush(c->out) == EOF && !err)
		err = errno ? errno : EIO;
	if (!err && ferror(c->out))
		err = EIO;
	if (err) {
		/* Reported once; the next batch gets a fresh try (a full disk can drain). */
		clearerr(c->out);
		return -err;
	}
	return 0;
}

static void console_shutdown(struct ws_exporter *e)
{
	struct console *c = (struct console *)e;

	if (!c)
		return;
	/* Not closed: out belongs to the caller. */
	fflush(c->out);
	free(c);
}

struct ws_exporter *ws_console_exporter_new(FILE *out)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->out = out ? out : stdout;
	c->exp.export = console_export;
	c->exp.shutdown = console_shutdown;
	c->exp.name = "console";
	return &c->exp;
}
