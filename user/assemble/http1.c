/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Incremental HTTP/1.x parser (contract in http1.h). One state machine per
 * stream direction:
 *
 *   IDLE        between messages; CR/LF skipped
 *   HEAD        a head whole in one feed is parsed where it lies; else it is
 *               gathered into head_buf up to the empty line
 *   BODY        counting body bytes (length, chunked, or until close); the
 *               first body_want of them handed out as EV_BODY
 *   END_PENDING a HEAD without body was handed out; its END goes next
 *   RESYNC      skipping bytes to the next message start (after an error or
 *               a gap); a candidate start is kept in head_buf across feeds
 *
 * Framing follows RFC 9112 section 6.3. Every read is bounded by the
 * caller's length or by head_len. The only allocation is head_buf, grown by
 * doubling while a head (or a resync candidate) is gathered and dropped at
 * the next call once nothing points into it.
 *
 * Past 800 lines on purpose: one state machine, whose states share the
 * head buffer, the framing and the resync search; split into files, their
 * private state would become a header every piece could touch.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "httpchars.h"

/* First head_buf size: most request and response heads fit. */
#define HEAD_BUF_MIN 1024
/* The header table sits in front of head_buf in the same block. */
#define HDRS_BYTES (HTTP1_MAX_HEADERS * sizeof(struct http1_header))

enum { ST_IDLE, ST_HEAD, ST_BODY, ST_END_PENDING, ST_RESYNC };

/* chunk_state while in a chunked body */
enum {
	CH_SIZE0,   /* chunk-size line, no hex digit yet */
	CH_SIZE,    /* in the hex digits */
	CH_SIZE_WS, /* whitespace after the size */
	CH_EXT,	    /* chunk extension: skipped up to LF */
	CH_SIZE_LF, /* CR after the size seen, LF due */
	CH_DATA,    /* remaining bytes of chunk data */
	CH_DATA_CR, /* CRLF after the data */
	CH_DATA_LF,
	CH_TRL_START, /* start of a trailer line or of the final empty line */
	CH_TRL_LINE,  /* inside a trailer line: skipped up to LF */
	CH_TRL_LF,    /* CR of the final empty line seen, LF due */
};

/* chunk_state flags while in HEAD and RESYNC (it is unused there otherwise) */
#define HS_LINE1_OK 1 /* start line already checked */
#define RS_AT_START 1 /* next byte is at a line start or a capture boundary */

#define METHOD_MAX 20
#define PREFIX_CHECK 24 /* enough for a 20-byte method, SP and a target byte */
#define CHUNK_MAX (1ULL << 60)
#define CL_DIGITS_MAX 18 /* keeps Content-Length below INT64_MAX */

/* Message starts resync looks for: index 0 is the status line, the rest methods. */
static const char *const starts[] = {
	"HTTP/1.", "GET ",     "POST ",	 "PUT ",     "DELETE ",
	"HEAD ",   "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
};

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Field values and reason phrases: HT, SP, VCHAR, obs-text. */
static bool is_field_char(unsigned char c)
{
	return (c >= 0x20 || c == '\t') && c != 0x7f;
}

/*
 * Whether every byte of [s, e) is a field char: eight at a time while no
 * byte of a word is a control (< 0x20, which takes in HT) or DEL; a word
 * that has one is looked at byte by byte. Every byte of every header value
 * goes through here.
 */
static bool field_chars_ok(const char *s, const char *e)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	const char *start = s;

	while (e - s >= 8) {
		uint64_t w, del;

		memcpy(&w, s, 8);
		del = w ^ (0x7f * ones);
		if (((w - 0x20 * ones) & ~w & highs) || ((del - ones) & ~del & highs)) {
			for (int i = 0; i < 8; i++)
				if (!is_field_char(s[i]))
					return false;
		}
		s += 8;
	}
	/* The tail as one word overlapping the last: bytes before s are known good. */
	if (s < e && e - 8 >= start) {
		uint64_t w, del;

		memcpy(&w, e - 8, 8);
		del = w ^ (0x7f * ones);
		if (!((w - 0x20 * ones) & ~w & highs) && !((del - ones) & ~del & highs))
			return true;
	}
	for (; s < e; s++)
		if (!is_field_char(*s))
			return false;
	return true;
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool ieq_n(const char *a, size_t alen, const char *lit, size_t litlen)
{
	if (alen != litlen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(lit[i]))
			return false;
	return true;
}

/* Next non-empty element of a comma-separated list in [*s, end), OWS trimmed. */
static bool next_elem(const char **s, const char *end, const char **e, size_t *elen)
{
	const char *p = *s;

	while (p < end) {
		const char *comma = memchr(p, ',', end - p);
		const char *a = p, *b = comma ? comma : end;

		p = comma ? comma + 1 : end;
		while (a < b && ws_is_ows(*a))
			a++;
		while (b > a && ws_is_ows(b[-1]))
			b--;
		if (a < b) {
			*s = p;
			*e = a;
			*elen = b - a;
			return true;
		}
	}
	*s = end;
	return false;
}

/* 1: b starts with a message start of this kind; -1: b is a proper prefix of one; 0: neither. */
static int start_match(enum http1_kind kind, const char *b, size_t n)
{
	size_t first = kind == HTTP1_REQUESTS ? 1 : 0;
	size_t last = kind == HTTP1_RESPONSES ? 1 : sizeof(starts) / sizeof(starts[0]);
	int r = 0;

	for (size_t i = first; i < last; i++) {
		size_t sl = strlen(starts[i]);

		if (n >= sl) {
			if (!memcmp(b, starts[i], sl))
				return 1;
		} else if (!memcmp(b, starts[i], n)) {
			r = -1;
		}
	}
	return r;
}

static void ev_clear(struct http1_event *ev)
{
	ev->type = HTTP1_EV_NONE;
	ev->head = NULL;
	ev->error = 0;
	ev->inferred = 0;
	ev->body = NULL;
	ev->body_len = 0;
}

static void end_message(struct http1_parser *p, struct http1_event *ev, int inferred)
{
	p->body_want = 0;
	p->in_message = 0;
	p->state = ST_IDLE;
	p->body_mode = HTTP1_BODY_NONE;
	p->remaining = 0;
	p->chunk_state = 0;
	p->chunk_acc = 0;
	ev->type = HTTP1_EV_END;
	ev->inferred = inferred;
}

/* Stops tracking the current message's framing; in_message stays for an inferred END. */
static void lose_sync(struct http1_parser *p, int at_start)
{
	p->state = ST_RESYNC;
	p->body_want = 0;
	p->head_len = 0;
	p->body_mode = HTTP1_BODY_NONE;
	p->remaining = 0;
	p->chunk_acc = 0;
	p->chunk_state = at_start ? RS_AT_START : 0;
}

static void set_error(struct http1_parser *p, struct http1_event *ev, int err)
{
	lose_sync(p, 0);
	ev->type = HTTP1_EV_ERROR;
	ev->error = err;
}

/* 1 response, 0 request, -1 not known yet (AUTO and fewer than 5 bytes of "HTTP/"). */
static int is_response(enum http1_kind kind, const char *b, size_t len)
{
	size_t n = len < 5 ? len : 5;

	if (kind != HTTP1_AUTO)
		return kind == HTTP1_RESPONSES;
	if (memcmp(b, "HTTP/", n))
		return 0;
	return n == 5 ? 1 : -1;
}

static int head_is_response(const struct http1_parser *p)
{
	return is_response(p->kind, p->head_buf, p->head_len);
}

/* Byte i of a status line's first 13 bytes: "HTTP/1.x NNN" then SP or EOL. */
static bool status_byte_bad(size_t i, unsigned char c)
{
	if (i < 7)
		return c != (unsigned char)starts[0][i];
	switch (i) {
	case 7:
		return c != '0' && c != '1';
	case 8:
		return c != ' ';
	case 9:
		return c < '1' || c > '9';
	case 10:
	case 11:
		return !is_digit(c);
	case 12:
		return c != ' ' && c != '\r' && c != '\n';
	default:
		return false;
	}
}

/* Cheap early check of the first bytes, so binary garbage fails fast, not at 16 KiB. */
static bool head_prefix_bad(const struct http1_parser *p)
{
	const unsigned char *b = (const unsigned char *)p->head_buf;
	size_t n = p->head_len < PREFIX_CHECK ? p->head_len : PREFIX_CHECK;
	int resp = head_is_response(p);

	if (resp < 0)
		return false;
	if (resp) {
		for (size_t i = 0; i < n; i++)
			if (status_byte_bad(i, b[i]))
				return true;
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (b[i] == ' ')
			return i == 0 || (i + 1 < n && (b[i + 1] <= ' ' || b[i + 1] == 0x7f));
		if (!ws_is_tchar(b[i]) || i >= METHOD_MAX)
			return true;
	}
	return false;
}

/* "HTTP/1.0" or "HTTP/1.1" at l (n bytes available); minor or -1. */
static int parse_version(const char *l, size_t n)
{
	if (n < 8 || memcmp(l, "HTTP/1.", 7) || (l[7] != '0' && l[7] != '1'))
		return -1;
	return l[7] - '0';
}

/*
 * Bytes of [s, s + n) before the first SP, control or DEL: eight at a time
 * while a word has none of them (every target byte goes through here). The
 * lowest flagged byte of a word is a true one (as in field_in_place()), so
 * the word that has one gives the answer; a target is followed by its
 * line's " HTTP/1.x", so the byte loop takes only short lines.
 */
static size_t target_run(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0;

	for (; n - i >= 8; i += 8) {
		uint64_t w, del, m;

		memcpy(&w, s + i, 8);
		w = le64toh(w);
		del = w ^ (0x7f * ones);
		m = ((w - 0x21 * ones) & ~w & highs) | ((del - ones) & ~del & highs);
		if (m)
			return i + __builtin_ctzll(m) / 8;
	}
	while (i < n && (unsigned char)s[i] > ' ' && s[i] != 0x7f)
		i++;
	return i;
}

static int parse_request_line(struct http1_head *h, const char *l, size_t n)
{
	size_t i = 0, t;

	while (i < n && i <= METHOD_MAX && ws_is_tchar(l[i]))
		i++;
	if (i == 0 || i > METHOD_MAX || i >= n || l[i] != ' ')
		return -1;
	h->method = l;
	h->method_len = i;
	t = ++i;
	i += target_run(l + i, n - i);
	if (i == t || i >= n || l[i] != ' ')
		return -1;
	h->target = l + t;
	h->target_len = i - t;
	i++;
	if (n - i != 8)
		return -1;
	h->version_minor = parse_version(l + i, n - i);
	h->is_request = 1;
	return h->version_minor < 0 ? -1 : 0;
}

/* HTTP/1.x SP 3DIGIT [SP reason]; the SP before an empty reason may be missing. */
static int parse_status_line(struct http1_head *h, const char *l, size_t n)
{
	h->version_minor = parse_version(l, n);
	if (h->version_minor < 0 || n < 12 || l[8] != ' ')
		return -1;
	if (l[9] < '1' || l[9] > '9' || !is_digit(l[10]) || !is_digit(l[11]))
		return -1;
	h->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (n == 12)
		return 0;
	if (l[12] != ' ')
		return -1;
	for (size_t i = 13; i < n; i++)
		if (!is_field_char(l[i]))
			return -1;
	return 0;
}

static void head_reset(struct http1_head *h)
{
	h->is_request = 0;
	h->method = NULL;
	h->method_len = 0;
	h->target = NULL;
	h->target_len = 0;
	h->status = 0;
	h->version_minor = 0;
	h->nheaders = 0;
	h->content_length = -1;
	h->chunked = 0;
	h->conn_close = 0;
	h->upgrade = 0;
	h->cut = 0;
	memset(h->known_first, 0, sizeof(h->known_first));
	memset(h->known_n, 0, sizeof(h->known_n));
	h->fields_dropped = 0;
}

static int parse_start_line(struct http1_head *h, int resp, const char *l, size_t n)
{
	head_reset(h);
	return resp ? parse_status_line(h, l, n) : parse_request_line(h, l, n);
}

/* Content-Length: a list of identical decimal values ("5, 5" is 5). */
static int parse_content_length(const char *v, size_t n, int64_t *out)
{
	const char *s = v, *e;
	size_t elen, i;
	int64_t val = -1;

	/* One plain number, as nearly every sender writes it: no list to split. */
	for (i = 0, val = 0; i < n && i < CL_DIGITS_MAX && is_digit(v[i]); i++)
		val = val * 10 + (v[i] - '0');
	if (i && i == n) {
		*out = val;
		return 0;
	}
	val = -1;
	while (next_elem(&s, v + n, &e, &elen)) {
		int64_t x = 0;

		if (elen > CL_DIGITS_MAX)
			return -1;
		for (size_t i = 0; i < elen; i++) {
			if (!is_digit(e[i]))
				return -1;
			x = x * 10 + (e[i] - '0');
		}
		if (val >= 0 && x != val)
			return -1;
		val = x;
	}
	if (val < 0)
		return -1;
	*out = val;
	return 0;
}

/* Header names the parser itself reads, after the ones it indexes for callers. */
enum { K_NONE = -1, K_CONTENT_LENGTH = HTTP1_H__COUNT, K_TRANSFER_ENCODING, K_CONNECTION };

/*
 * Whether name n (len >= 4 bytes, tchars only) is lit (as long, lower case,
 * letters, digits and '-') in any case: OR-ing 0x20 folds a tchar onto a
 * lower-case letter only from that letter's capital, and onto '-' or a
 * digit only from itself, so whole words compare at once. The same holds
 * for the bytes of a field value (HT, SP to '~', obs-text): only CR, never
 * in one, would fold onto '-'.
 */
static bool name_is(const char *n, size_t len, const char *lit)
{
	if (len >= 8) {
		uint64_t a, b, x, y;

		memcpy(&a, n, 8);
		memcpy(&b, n + (len - 8), 8);
		memcpy(&x, lit, 8);
		memcpy(&y, lit + (len - 8), 8);
		return ((a | 0x2020202020202020ULL) == x) & ((b | 0x2020202020202020ULL) == y);
	} else {
		uint32_t a, b, x, y;

		memcpy(&a, n, 4);
		memcpy(&b, n + (len - 4), 4);
		memcpy(&x, lit, 4);
		memcpy(&y, lit + (len - 4), 4);
		return ((a | 0x20202020U) == x) & ((b | 0x20202020U) == y);
	}
}

/* A list element of a field value is lit (4 bytes or more), in any case. */
#define token_is(e, elen, lit) ((elen) == sizeof(lit) - 1 && name_is(e, elen, lit ""))

/* Which known header name l[0..n) is, by its length first; K_NONE for any other. Once a field. */
static inline __attribute__((always_inline)) int classify(const char *l, size_t n)
{
	switch (n) {
	case 4:
		return name_is(l, n, "host") ? HTTP1_H_HOST : K_NONE;
	case 7:
		return name_is(l, n, "baggage") ? HTTP1_H_BAGGAGE : K_NONE;
	case 10:
		switch (l[0] | 0x20) {
		case 'u':
			return name_is(l, n, "user-agent") ? HTTP1_H_USER_AGENT : K_NONE;
		case 'c':
			return name_is(l, n, "connection") ? K_CONNECTION : K_NONE;
		case 't':
			return name_is(l, n, "tracestate") ? HTTP1_H_TRACESTATE : K_NONE;
		default:
			return K_NONE;
		}
	case 11:
		return name_is(l, n, "traceparent") ? HTTP1_H_TRACEPARENT : K_NONE;
	case 14:
		return name_is(l, n, "content-length") ? K_CONTENT_LENGTH : K_NONE;
	case 16:
		return name_is(l, n, "x-wirespan-agent") ? HTTP1_H_WIRESPAN_AGENT : K_NONE;
	case 17:
		/* name_is() compares 16 bytes, the first 8 and the last 8: the 9th too. */
		return l[8] == '-' && name_is(l, n, "transfer-encoding") ? K_TRANSFER_ENCODING
									 : K_NONE;
	default:
		return K_NONE;
	}
}

struct head_scan {
	bool te;    /* a Transfer-Encoding with at least one coding was seen */
	bool close; /* Connection tokens */
	bool keep_alive;
};

/* The framing fields' values (kind k): Content-Length, Transfer-Encoding, Connection. */
static int field_frame(struct http1_head *h, int k, const char *v, const char *ve,
		       struct head_scan *sc)
{
	const char *s = v, *e;
	size_t elen;

	if (k == K_CONTENT_LENGTH) {
		int64_t cl;

		if (parse_content_length(v, ve - v, &cl))
			return -1;
		if (h->content_length >= 0 && cl != h->content_length)
			return -1;
		h->content_length = cl;
	} else if (k == K_TRANSFER_ENCODING) {
		while (next_elem(&s, ve, &e, &elen)) {
			const char *semi = memchr(e, ';', elen);

			if (semi)
				elen = semi - e;
			while (elen && ws_is_ows(e[elen - 1]))
				elen--;
			/* Only the last coding decides (RFC 9112 6.3). */
			h->chunked = token_is(e, elen, "chunked");
			sc->te = true;
		}
	} else if (k == K_CONNECTION) {
		while (next_elem(&s, ve, &e, &elen)) {
			if (token_is(e, elen, "close"))
				sc->close = true;
			else if (token_is(e, elen, "keep-alive"))
				sc->keep_alive = true;
			else if (token_is(e, elen, "upgrade"))
				h->upgrade = 1;
		}
	}
	return 0;
}

/*
 * A field whose name (l, i bytes of tchars) and value bytes [v, ve) (field
 * chars) were checked: trimmed, stored, indexed, and read for the framing.
 * Inline: it runs for every field, and most need nothing more.
 */
static inline __attribute__((always_inline)) int field_store(struct http1_head *h, const char *l,
							     size_t i, const char *v,
							     const char *ve, struct head_scan *sc)
{
	bool known;
	int k;

	while (v < ve && ws_is_ows(*v))
		v++;
	while (ve > v && ws_is_ows(ve[-1]))
		ve--;
	k = classify(l, i);
	known = k >= 0 && k < HTTP1_H__COUNT;
	if (h->nheaders < HTTP1_MAX_HEADERS - HTTP1_H__COUNT ||
	    (known && !h->known_first[k] && h->nheaders < HTTP1_MAX_HEADERS)) {
		struct http1_header *f = &h->headers[h->nheaders++];

		f->name = l;
		f->name_len = i;
		f->value = v;
		f->value_len = ve - v;
		if (known && !h->known_first[k])
			h->known_first[k] = (uint8_t)h->nheaders;
	}
	if (known && h->known_n[k] < UINT8_MAX)
		h->known_n[k]++;
	return k >= HTTP1_H__COUNT ? field_frame(h, k, v, ve, sc) : 0;
}

static int parse_field(struct http1_head *h, const char *l, size_t n, struct head_scan *sc)
{
	size_t i = 0;

	/* Also rejects obs-fold (leading SP/HT) and SP before the colon. */
	while (i < n && ws_is_tchar(l[i]))
		i++;
	if (i == 0 || i >= n || l[i] != ':')
		return -1;
	if (!field_chars_ok(l + i + 1, l + n)) {
		/*
		 * A byte RFC 9110 forbids in the value (ESC, NUL, a lone CR):
		 * many servers answer all the same, so the field is left out
		 * and the head stands. One that frames the message cannot be
		 * left out: without it the body's length would be guessed.
		 */
		if (classify(l, i) >= HTTP1_H__COUNT)
			return -1;
		if (h->fields_dropped < UINT16_MAX)
			h->fields_dropped++;
		return 0;
	}
	return field_store(h, l, i, l + i + 1, l + n, sc);
}

/*
 * One field line of a head parsed in place, from l: its value's bytes are
 * checked in the same pass that finds the line's end (no search for the LF
 * first). The byte after the LF, or NULL for anything but a good field
 * ending before end, which the caller leaves to the gathering path.
 */
static const char *field_in_place(struct http1_head *h, const char *l, const char *end,
				  struct head_scan *sc)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	const char *p = l, *v, *next;

	/* Four name bytes a test while four are left: every byte of every name comes here. */
	while (end - p >= 4 && ws_is_tchar(p[0]) && ws_is_tchar(p[1]) && ws_is_tchar(p[2]) &&
	       ws_is_tchar(p[3]))
		p += 4;
	while (p < end && ws_is_tchar(*p))
		p++;
	if (p == l || p >= end || *p != ':')
		return NULL;
	v = ++p;
	/*
	 * Eight bytes at a time up to the first control byte or DEL: the
	 * lowest flagged byte of a word is always a true one (a false flag
	 * only follows a true one), so its place is the count of trailing
	 * zero bits. An HT is a field char: the search goes on past it.
	 */
	for (;;) {
		if (end - p >= 8) {
			uint64_t w, del, m;

			memcpy(&w, p, 8);
			w = le64toh(w);
			del = w ^ (0x7f * ones);
			m = ((w - 0x20 * ones) & ~w & highs) | ((del - ones) & ~del & highs);
			if (!m) {
				p += 8;
				continue;
			}
			p += __builtin_ctzll(m) / 8;
			if (*p == '\t') {
				p++;
				continue;
			}
		} else {
			while (p < end && is_field_char(*p))
				p++;
			if (p == end)
				return NULL;
		}
		break;
	}
	if (*p == '\n')
		next = p + 1;
	else if (*p == '\r' && end - p >= 2 && p[1] == '\n')
		next = p + 2;
	else
		return NULL;
	return field_store(h, l, v - 1 - l, v, p, sc) ? NULL : next;
}

/*
 * Parses the complete head in head_buf (it ends with the empty line), or,
 * cut, the whole lines gathered of a head whose end was lost.
 */
static int parse_head(struct http1_parser *p, int resp, struct head_scan *sc, bool cut)
{
	struct http1_head *h = &p->head;
	const char *s = p->head_buf, *end = p->head_buf + p->head_len;
	bool first = true;

	memset(sc, 0, sizeof(*sc));
	h->headers = (struct http1_header *)(void *)p->head_mem;
	for (;;) {
		const char *nl = memchr(s, '\n', end - s), *e;

		if (!nl && cut && !first)
			break; /* the line the cut went through */
		if (!nl)
			return -1;
		e = nl;
		if (e > s && e[-1] == '\r')
			e--;
		if (first) {
			if (parse_start_line(h, resp, s, e - s))
				return -1;
			first = false;
		} else if (e == s) {
			break;
		} else if (parse_field(h, s, e - s, sc)) {
			return -1;
		}
		s = nl + 1;
	}
	h->conn_close = sc->close || (h->version_minor == 0 && !sc->keep_alive);
	return 0;
}

/* The head is parsed: choose the body framing, emit HEAD or ERROR. */
static void head_parsed(struct http1_parser *p, int resp, const struct head_scan *sc,
			struct http1_event *ev)
{
	struct http1_head *h = &p->head;
	enum http1_body_mode mode;

	if (!resp) {
		if (sc->te && !h->chunked) {
			/* RFC 9112 6.3: a request body's length cannot be known. */
			set_error(p, ev, -EPROTO);
			return;
		}
		mode = sc->te		       ? HTTP1_BODY_CHUNKED
		       : h->content_length > 0 ? HTTP1_BODY_LENGTH
					       : HTTP1_BODY_NONE;
	} else if ((h->status < 200 && h->status != 101) || h->status == 204 || h->status == 304) {
		mode = HTTP1_BODY_NONE;
	} else if (h->status == 101) {
		/* Whatever follows is another protocol. */
		mode = HTTP1_BODY_UNTIL_CLOSE;
	} else if (sc->te) {
		mode = h->chunked ? HTTP1_BODY_CHUNKED : HTTP1_BODY_UNTIL_CLOSE;
	} else if (h->content_length >= 0) {
		mode = h->content_length ? HTTP1_BODY_LENGTH : HTTP1_BODY_NONE;
	} else {
		mode = HTTP1_BODY_UNTIL_CLOSE;
	}

	if (p->kind == HTTP1_AUTO)
		p->kind = resp ? HTTP1_RESPONSES : HTTP1_REQUESTS;
	p->in_message = 1;
	p->body_want = 0;
	p->body_mode = mode;
	p->remaining = mode == HTTP1_BODY_LENGTH ? (uint64_t)h->content_length : 0;
	p->chunk_state = CH_SIZE0;
	p->chunk_acc = 0;
	p->state = mode == HTTP1_BODY_NONE ? ST_END_PENDING : ST_BODY;
	ev->type = HTTP1_EV_HEAD;
	ev->head = h;
}

/* The head in head_buf is complete: parse it, then as head_parsed(). */
static void head_done(struct http1_parser *p, struct http1_event *ev)
{
	int resp = head_is_response(p) == 1;
	struct head_scan sc;

	if (parse_head(p, resp, &sc, false)) {
		set_error(p, ev, -EPROTO);
		return;
	}
	head_parsed(p, resp, &sc, ev);
}

static bool blank_line_at_end(const struct http1_parser *p)
{
	const char *b = p->head_buf;
	size_t n = p->head_len; /* b[n - 1] is LF */

	if (n >= 2 && b[n - 2] == '\n')
		return true;
	return n >= 3 && b[n - 2] == '\r' && b[n - 3] == '\n';
}

/*
 * A few blocks of the first size, kept per thread between heads: every
 * message's head takes one and gives it back when the message is read, and
 * malloc/free of a 3 KiB block is a good share of the parse. Per thread,
 * so parsers on different threads never share one; the cache is bounded.
 */
#define BLOCK_CACHE 8
static _Thread_local char *block_cache[BLOCK_CACHE];
static _Thread_local unsigned int block_cached;

/*
 * Bytes of head buffers grown past the first size, in use on this thread,
 * and their bound: a client that sends long heads on many connections and
 * never ends them would otherwise hold up to HTTP1_HEAD_MAX of the agent's
 * memory per connection (1 GiB at the connection table's bound). Past it a
 * head that needs more is dropped as too big (-E2BIG, counted): 512 such
 * heads of 64 KiB gathered at once.
 */
#define BIG_HEADS_BUDGET (32u << 20)
static _Thread_local size_t big_heads;

static size_t big_bytes(size_t cap)
{
	return cap > HEAD_BUF_MIN ? cap : 0;
}

/* Room for need bytes in head_buf: 0, -ENOMEM, or -E2BIG past the budget. */
static int head_reserve(struct http1_parser *p, size_t need)
{
	size_t cap = p->head_cap ? p->head_cap : HEAD_BUF_MIN, grow;
	char *nb;

	if (need <= p->head_cap)
		return 0;
	if (!p->head_mem && need <= HEAD_BUF_MIN && block_cached) {
		p->head_mem = block_cache[--block_cached];
		p->head_buf = p->head_mem + HDRS_BYTES;
		p->head_cap = HEAD_BUF_MIN;
		return 0;
	}
	while (cap < need)
		cap *= 2;
	if (cap > HTTP1_HEAD_MAX)
		cap = HTTP1_HEAD_MAX;
	grow = big_bytes(cap) - big_bytes(p->head_cap);
	if (big_heads + grow > BIG_HEADS_BUDGET)
		return -E2BIG;
	/* Moving the block is safe: head pointers are set again when the head completes. */
	nb = realloc(p->head_mem, HDRS_BYTES + cap);
	if (!nb)
		return -ENOMEM;
	big_heads += grow;
	p->head_mem = nb;
	p->head_buf = nb + HDRS_BYTES;
	p->head_cap = cap;
	return 0;
}

static void head_drop(struct http1_parser *p)
{
	big_heads -= big_bytes(p->head_cap);
	if (p->head_mem && p->head_cap == HEAD_BUF_MIN && block_cached < BLOCK_CACHE)
		block_cache[block_cached++] = p->head_mem;
	else
		free(p->head_mem);
	p->head_mem = NULL;
	p->head_buf = NULL;
	p->head.headers = NULL;
	p->head.nheaders = 0;
	p->head_cap = 0;
	p->head_len = 0;
}

/*
 * At the start of every call: a head handed out by the previous call is no
 * longer pointed to, so its buffer goes unless a head is being gathered.
 */
static void head_release_unused(struct http1_parser *p)
{
	if (p->head_mem && p->state != ST_HEAD && !(p->state == ST_RESYNC && p->head_len)) {
		head_drop(p);
		/* No pointer may outlive the buffer; the numbers may stay. */
		p->head.method = p->head.target = NULL;
		p->head.method_len = p->head.target_len = 0;
		p->head.nheaders = 0;
	}
}

/*
 * The common case: a head that starts this feed and ends in it, parsed
 * where it lies, each line end found once, nothing copied. 0 for anything
 * else (the head goes on past buf, or does not parse) with nothing changed
 * that the copying path depends on: it then takes the same bytes and
 * decides, so events and offsets are those of a head split over feeds.
 */
static size_t head_in_place(struct http1_parser *p, const char *buf, size_t len,
			    struct http1_event *ev)
{
	size_t max = len < HTTP1_HEAD_MAX ? len : HTTP1_HEAD_MAX;
	const char *s = buf, *end = buf + max, *nl, *e;
	struct http1_head *h = &p->head;
	int resp = is_response(p->kind, buf, max);
	struct head_scan sc;

	if (resp < 0 || !(nl = memchr(s, '\n', max)))
		return 0;
	e = nl > s && nl[-1] == '\r' ? nl - 1 : nl;
	/* Its first bytes pass head_prefix_bad() whenever the start line parses. */
	if (parse_start_line(h, resp, s, e - s) || head_reserve(p, 1))
		return 0;
	h->headers = (struct http1_header *)(void *)p->head_mem; /* the table only */
	memset(&sc, 0, sizeof(sc));
	for (s = nl + 1;;) {
		/* A line that does not start with a name byte is the empty one ending the head, or bad. */
		if (s < end && !ws_is_tchar(*s)) {
			if (*s == '\n') {
				s++;
				break;
			}
			if (*s == '\r' && end - s >= 2 && s[1] == '\n') {
				s += 2;
				break;
			}
			return 0;
		}
		s = field_in_place(h, s, end, &sc);
		if (!s)
			return 0;
	}
	h->conn_close = sc.close || (h->version_minor == 0 && !sc.keep_alive);
	head_parsed(p, resp, &sc, ev);
	return (size_t)(s - buf);
}

/* Copies line by line so the terminator search only looks at new bytes. */
static size_t feed_head(struct http1_parser *p, const char *buf, size_t len, struct http1_event *ev)
{
	size_t i = 0;

	while (i < len) {
		size_t room = HTTP1_HEAD_MAX - p->head_len;
		size_t take = len - i < room ? len - i : room;
		const char *nl = memchr(buf + i, '\n', take);
		size_t seg = nl ? (size_t)(nl - (buf + i)) + 1 : take;
		size_t old = p->head_len;
		int r = head_reserve(p, old + seg);

		if (r) {
			set_error(p, ev, r);
			return i;
		}
		memcpy(p->head_buf + old, buf + i, seg);
		p->head_len += seg;
		i += seg;
		if (old < PREFIX_CHECK && head_prefix_bad(p)) {
			set_error(p, ev, -EPROTO);
			return i;
		}
		if (nl) {
			if (!(p->chunk_state & HS_LINE1_OK)) {
				/* First LF: the start line is complete, check it now. */
				size_t n = p->head_len - 1;

				if (n && p->head_buf[n - 1] == '\r')
					n--;
				p->chunk_state |= HS_LINE1_OK;
				if (parse_start_line(&p->head, head_is_response(p) == 1,
						     p->head_buf, n)) {
					set_error(p, ev, -EPROTO);
					return i;
				}
			}
			if (blank_line_at_end(p)) {
				head_done(p, ev);
				return i;
			}
		}
		if (p->head_len == HTTP1_HEAD_MAX) {
			set_error(p, ev, -E2BIG);
			return i;
		}
	}
	return i;
}

static void chunk_size_done(struct http1_parser *p)
{
	if (p->chunk_acc) {
		p->remaining = p->chunk_acc;
		p->chunk_state = CH_DATA;
	} else {
		p->chunk_state = CH_TRL_START;
	}
	p->chunk_acc = 0;
}

/* n body bytes at b, of which the caller still wants some: an EV_BODY. */
static void give_body(struct http1_parser *p, struct http1_event *ev, const char *b, uint64_t n)
{
	if (n > p->body_want)
		n = p->body_want;
	p->body_want -= n;
	ev->type = HTTP1_EV_BODY;
	ev->body = b;
	ev->body_len = n;
}

static size_t feed_chunked(struct http1_parser *p, const char *buf, size_t len,
			   struct http1_event *ev)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c;
		int d;

		if (p->chunk_state == CH_DATA) {
			uint64_t take = len - i < p->remaining ? len - i : p->remaining;

			p->remaining -= take;
			if (p->body_want)
				give_body(p, ev, buf + i, take);
			i += take;
			if (!p->remaining)
				p->chunk_state = CH_DATA_CR;
			if (ev->type == HTTP1_EV_BODY)
				return i;
			continue;
		}
		if (p->chunk_state == CH_EXT || p->chunk_state == CH_TRL_LINE) {
			const char *nl = memchr(buf + i, '\n', len - i);

			if (!nl)
				return len;
			i = nl - buf + 1;
			if (p->chunk_state == CH_EXT)
				chunk_size_done(p);
			else
				p->chunk_state = CH_TRL_START;
			continue;
		}
		c = buf[i++];
		switch (p->chunk_state) {
		case CH_SIZE0:
		case CH_SIZE:
			d = ws_hexval(c);
			if (d >= 0) {
				if (p->chunk_acc > (CHUNK_MAX >> 4))
					goto bad;
				p->chunk_acc = p->chunk_acc * 16 + d;
				if (p->chunk_acc > CHUNK_MAX)
					goto bad;
				p->chunk_state = CH_SIZE;
				break;
			}
			if (p->chunk_state == CH_SIZE0)
				goto bad;
			/* fall through */
		case CH_SIZE_WS:
			if (ws_is_ows(c))
				p->chunk_state = CH_SIZE_WS;
			else if (c == ';')
				p->chunk_state = CH_EXT;
			else if (c == '\r')
				p->chunk_state = CH_SIZE_LF;
			else if (c == '\n')
				chunk_size_done(p);
			else
				goto bad;
			break;
		case CH_SIZE_LF:
			if (c != '\n')
				goto bad;
			chunk_size_done(p);
			break;
		case CH_DATA_CR:
			if (c == '\r')
				p->chunk_state = CH_DATA_LF;
			else if (c == '\n')
				p->chunk_state = CH_SIZE0;
			else
				goto bad;
			break;
		case CH_DATA_LF:
			if (c != '\n')
				goto bad;
			p->chunk_state = CH_SIZE0;
			break;
		case CH_TRL_START:
			if (c == '\n') {
				end_message(p, ev, 0);
				return i;
			}
			p->chunk_state = c == '\r' ? CH_TRL_LF : CH_TRL_LINE;
			break;
		case CH_TRL_LF:
			if (c != '\n')
				goto bad;
			end_message(p, ev, 0);
			return i;
		default:
			goto bad;
		}
	}
	return i;
bad:
	set_error(p, ev, -EPROTO);
	return i;
}

static size_t feed_body(struct http1_parser *p, const char *buf, size_t len, struct http1_event *ev)
{
	uint64_t take;

	switch (p->body_mode) {
	case HTTP1_BODY_LENGTH:
		take = len < p->remaining ? len : p->remaining;
		p->remaining -= take;
		if (p->body_want && take)
			give_body(p, ev, buf, take);
		if (!p->remaining) {
			/* One event per call: after body bytes, the END waits for the next. */
			if (ev->type == HTTP1_EV_BODY)
				p->state = ST_END_PENDING;
			else
				end_message(p, ev, 0);
		}
		return take;
	case HTTP1_BODY_CHUNKED:
		return feed_chunked(p, buf, len, ev);
	default:
		if (p->body_want && len)
			give_body(p, ev, buf, len);
		return len;
	}
}

/* A start was found (it is in head_buf): gather its head, first ending a lost message. */
static void resync_found(struct http1_parser *p, struct http1_event *ev)
{
	p->state = ST_HEAD;
	p->chunk_state = 0;
	if (p->in_message) {
		p->in_message = 0;
		ev->type = HTTP1_EV_END;
		ev->inferred = 1;
	}
}

/*
 * Candidates are tried at line starts and capture boundaries only; the bytes
 * of a candidate go to head_buf so a start split across feeds is still seen.
 */
static size_t feed_resync(struct http1_parser *p, const char *buf, size_t len,
			  struct http1_event *ev)
{
	bool ls = p->chunk_state & RS_AT_START;
	const char *nl;
	size_t i = 0;

	while (i < len) {
		if (p->head_len || ls) {
			char c = buf[i];
			bool retry;
			int m;

			if (head_reserve(p, p->head_len + 1)) {
				p->head_len = 0; /* no memory: this candidate is not tried */
				ls = false;
				i++;
				continue;
			}
			p->head_buf[p->head_len++] = c;
			m = start_match(p->kind, p->head_buf, p->head_len);
			if (m > 0) {
				resync_found(p, ev);
				return i + 1;
			}
			if (m < 0) {
				ls = false;
				i++;
				continue;
			}
			/* A byte breaking a candidate may itself begin one. */
			retry = p->head_len > 1 && ls;
			p->head_len = 0;
			if (retry)
				continue;
			ls = c == '\n';
			i++;
			continue;
		}
		nl = memchr(buf + i, '\n', len - i);
		if (!nl)
			return len;
		i = nl - buf + 1;
		ls = true;
	}
	return i;
}

void http1_init(struct http1_parser *p, enum http1_kind kind)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->state = ST_IDLE;
	p->head.content_length = -1;
}

void http1_release(struct http1_parser *p)
{
	head_drop(p);
}

long http1_feed(struct http1_parser *p, const char *buf, size_t len, struct http1_event *ev)
{
	struct http1_event dummy;
	size_t off = 0;

	if (!ev)
		ev = &dummy;
	ev_clear(ev);
	head_release_unused(p);
	if (!buf)
		len = 0;
	if (p->state == ST_END_PENDING) {
		end_message(p, ev, 0);
		return 0;
	}
	while (off < len && ev->type == HTTP1_EV_NONE) {
		switch (p->state) {
		case ST_IDLE:
			/* RFC 9112 2.2: empty lines before a message are ignored. */
			if (buf[off] == '\r' || buf[off] == '\n') {
				off++;
				break;
			}
			p->state = ST_HEAD;
			p->head_len = 0;
			p->chunk_state = 0;
			break;
		case ST_HEAD:
			if (!p->head_len) {
				size_t n = head_in_place(p, buf + off, len - off, ev);

				if (n) {
					off += n;
					break;
				}
			}
			off += feed_head(p, buf + off, len - off, ev);
			break;
		case ST_BODY:
			off += feed_body(p, buf + off, len - off, ev);
			break;
		case ST_RESYNC:
			off += feed_resync(p, buf + off, len - off, ev);
			break;
		default:
			/* Not reached: END_PENDING is only entered with a HEAD event. */
			return (long)off;
		}
	}
	if (p->state == ST_RESYNC)
		p->chunk_state = off == len || (off && buf[off - 1] == '\n') ? RS_AT_START : 0;
	return (long)off;
}

/*
 * Bytes of the head being gathered were lost: what came of it is handed
 * out (HEAD, cut), so the exchange keeps its span with what the head said
 * before the cut, and sync is lost, so the message ends at the next start
 * (inferred). False when not even the start line came whole, or a field
 * before the cut is malformed.
 */
static bool head_cut(struct http1_parser *p, struct http1_event *ev)
{
	int resp = head_is_response(p) == 1;
	struct head_scan sc;

	if (!(p->chunk_state & HS_LINE1_OK) || parse_head(p, resp, &sc, true))
		return false;
	p->head.cut = 1;
	if (p->kind == HTTP1_AUTO)
		p->kind = resp ? HTTP1_RESPONSES : HTTP1_REQUESTS;
	p->in_message = 1;
	/* The buffer stays until the next call (head_len 0 lets it go then). */
	lose_sync(p, 1);
	ev->type = HTTP1_EV_HEAD;
	ev->head = &p->head;
	return true;
}

void http1_end_lost(struct http1_parser *p, struct http1_event *ev)
{
	ev_clear(ev);
	if (p->state != ST_RESYNC || !p->in_message)
		return;
	/* Still looking for a start: the answer's last bytes may come yet (another CPU's). */
	p->in_message = 0;
	ev->type = HTTP1_EV_END;
	ev->inferred = 1;
}

long http1_gap(struct http1_parser *p, uint64_t n, struct http1_event *ev)
{
	struct http1_event dummy;
	uint64_t take = n < LONG_MAX ? n : LONG_MAX;

	if (!ev)
		ev = &dummy;
	ev_clear(ev);
	head_release_unused(p);
	if (p->state == ST_END_PENDING) {
		end_message(p, ev, 0);
		return 0;
	}
	if (!n)
		return 0;
	p->body_want = 0; /* what follows the gap would not continue what came before */
	if (p->state == ST_BODY) {
		switch (p->body_mode) {
		case HTTP1_BODY_LENGTH:
			/* The body ends inside the gap: END now, the rest loses sync. */
			if (take > p->remaining)
				take = p->remaining;
			p->remaining -= take;
			if (!p->remaining)
				end_message(p, ev, 0);
			return (long)take;
		case HTTP1_BODY_UNTIL_CLOSE:
			return (long)take;
		case HTTP1_BODY_CHUNKED:
			if (p->chunk_state == CH_DATA && n <= p->remaining) {
				p->remaining -= n;
				if (!p->remaining)
					p->chunk_state = CH_DATA_CR;
				return (long)take;
			}
			break;
		default:
			break;
		}
	}
	if (p->state == ST_HEAD && head_cut(p, ev))
		return (long)take;
	lose_sync(p, 1);
	return (long)take;
}

void http1_close(struct http1_parser *p, struct http1_event *ev)
{
	struct http1_event dummy;
	enum http1_kind kind = p->kind;

	if (!ev)
		ev = &dummy;
	ev_clear(ev);
	if (p->state == ST_HEAD && head_cut(p, ev))
		return; /* its END comes with the next call */
	if (p->in_message) {
		if (p->state == ST_END_PENDING ||
		    (p->state == ST_BODY && p->body_mode == HTTP1_BODY_UNTIL_CLOSE))
			end_message(p, ev, 0);
		else if (p->state == ST_RESYNC)
			end_message(p, ev, 1);
	}
	head_drop(p);
	p->state = ST_IDLE;
	p->body_want = 0;
	p->in_message = 0;
	p->body_mode = HTTP1_BODY_NONE;
	p->remaining = 0;
	p->chunk_state = 0;
	p->chunk_acc = 0;
	p->head_len = 0;
	head_reset(&p->head);
	p->kind = kind;
}

void http1_no_body(struct http1_parser *p)
{
	if (!p->in_message || p->state != ST_BODY)
		return;
	p->state = ST_END_PENDING;
	p->body_want = 0;
	p->body_mode = HTTP1_BODY_NONE;
	p->remaining = 0;
	p->chunk_state = 0;
	p->chunk_acc = 0;
}

void http1_want_body(struct http1_parser *p, uint64_t n)
{
	if (p->in_message && p->state == ST_BODY)
		p->body_want = n;
}

uint64_t http1_body_left(const struct http1_parser *p)
{
	if (p->state != ST_BODY || p->body_mode != HTTP1_BODY_LENGTH || p->body_want)
		return 0;
	return p->remaining;
}

int http1_lost_sync(const struct http1_parser *p)
{
	return p->state == ST_RESYNC;
}

const struct http1_header *http1_find(const struct http1_head *h, const char *name)
{
	size_t n, len;

	if (!h || !name)
		return NULL;
	len = strlen(name);
	n = h->nheaders < HTTP1_MAX_HEADERS ? h->nheaders : HTTP1_MAX_HEADERS;
	for (size_t i = 0; i < n; i++)
		if (ieq_n(h->headers[i].name, h->headers[i].name_len, name, len))
			return &h->headers[i];
	return NULL;
}

int http1_looks_like_start(const char *buf, size_t len)
{
	return buf && start_match(HTTP1_AUTO, buf, len) > 0;
}
