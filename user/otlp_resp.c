/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reads partial_success from a collector's ExportTraceServiceResponse. The
 * protobuf side walks the wire format (pbwire.h); the JSON side is a small
 * recursive-descent reader (RFC 8259) with a depth limit that decodes only
 * the two fields it wants and skips, but still checks, everything else.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "otlp_resp.h"
#include "pbwire.h"
#include "utf8.h"

/* Deeper JSON than this is refused: an answer of a few fields needs 3. */
#define JSON_MAX_DEPTH 64

static void set_message(struct ws_otlp_partial *out, const uint8_t *p, size_t len)
{
	size_t n = len < sizeof(out->message) - 1 ? len : sizeof(out->message) - 1;

	memcpy(out->message, p, n);
	out->message[n] = '\0';
	out->message_len = n;
}

static int partial_pb(const uint8_t *p, size_t len, struct ws_otlp_partial *out)
{
	struct ws_pb_reader r = { p, p + len };
	struct ws_pb_field f;
	int rc;

	while ((rc = ws_pb_next(&r, &f)) == 1) {
		if (f.num == 1 && f.type == WS_PB_VARINT)
			out->rejected = (int64_t)f.v; /* int64: two's complement in ten bytes */
		else if (f.num == 2 && f.type == WS_PB_LEN)
			set_message(out, f.data, f.len);
		else if (f.num == 1 || f.num == 2)
			return -EBADMSG; /* a known field of the wrong type */
	}
	return rc;
}

int ws_otlp_resp_pb(const uint8_t *p, size_t len, struct ws_otlp_partial *out)
{
	struct ws_pb_reader r = { p, p + (p ? len : 0) };
	struct ws_pb_field f;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!len)
		return 0;
	while ((rc = ws_pb_next(&r, &f)) == 1) {
		if (f.num != 1)
			continue;
		/* An embedded message given twice merges, as protobuf parsers do. */
		if (f.type != WS_PB_LEN || partial_pb(f.data, f.len, out))
			return -EBADMSG;
	}
	if (out->rejected < 0)
		out->rejected = 0;
	return rc;
}

struct jr {
	const char *p, *end;
};

static void skip_ws(struct jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool literal(struct jr *r, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n))
		return false;
	r->p += n;
	return true;
}

static int hex4(struct jr *r, uint32_t *out)
{
	uint32_t v = 0;

	if (r->end - r->p < 4)
		return -EBADMSG;
	for (int i = 0; i < 4; i++) {
		char c = *r->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v |= (uint32_t)((c | 0x20) - 'a' + 10);
		else
			return -EBADMSG;
	}
	*out = v;
	return 0;
}

/* Appends what fits of p[0..n) to out[0..outsz); *len counts what fit. */
static void emit(char *out, size_t outsz, size_t *len, const void *p, size_t n)
{
	if (!out || *len >= outsz)
		return;
	if (n > outsz - *len)
		n = outsz - *len;
	memcpy(out + *len, p, n);
	*len += n;
}

static size_t utf8_put(uint32_t cp, char b[4])
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | cp >> 18);
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX (the backslash-u read), a surrogate pair as one code point, a lone one as U+FFFD. */
static int unicode_escape(struct jr *r, uint32_t *cp)
{
	uint32_t lo;

	if (hex4(r, cp))
		return -EBADMSG;
	if (*cp < 0xd800 || *cp > 0xdfff)
		return 0;
	if (*cp <= 0xdbff && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
		struct jr peek = { r->p + 2, r->end };

		if (!hex4(&peek, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
			*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
			r->p = peek.p;
			return 0;
		}
	}
	*cp = 0xfffd;
	return 0;
}

/*
 * A string at r->p (which is '"'), checked whole; its decoded bytes, as far
 * as they fit, go to out (NULL: nowhere), their count to *outlen.
 */
static int string(struct jr *r, char *out, size_t outsz, size_t *outlen)
{
	size_t len = 0;

	if (r->p == r->end || *r->p != '"')
		return -EBADMSG;
	r->p++;
	while (r->p < r->end) {
		unsigned char c = (unsigned char)*r->p;
		size_t n;

		if (c == '"') {
			r->p++;
			if (outlen)
				*outlen = len;
			return 0;
		}
		if (c < 0x20)
			return -EBADMSG; /* control characters must be escaped */
		if (c == '\\') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *e;
			uint32_t cp;
			char b[4];

			if (r->end - r->p < 2)
				return -EBADMSG;
			c = (unsigned char)r->p[1];
			r->p += 2;
			if (c == 'u') {
				if (unicode_escape(r, &cp))
					return -EBADMSG;
				emit(out, outsz, &len, b, utf8_put(cp, b));
			} else if (c && (e = strchr(from, c))) {
				emit(out, outsz, &len, &to[e - from], 1);
			} else {
				return -EBADMSG;
			}
			continue;
		}
		n = ws_utf8_seq((const unsigned char *)r->p, (size_t)(r->end - r->p));
		if (!n)
			return -EBADMSG;
		emit(out, outsz, &len, r->p, n);
		r->p += n;
	}
	return -EBADMSG;
}

static bool digit(struct jr *r)
{
	return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

/*
 * A number; *is_int and *iv say whether it was a plain integer that fits
 * int64 (iv may be NULL).
 */
static int number(struct jr *r, int64_t *iv, bool *is_int)
{
	bool neg = false, fits = true;
	uint64_t m = 0;

	if (r->p < r->end && *r->p == '-') {
		neg = true;
		r->p++;
	}
	if (!digit(r))
		return -EBADMSG;
	if (*r->p == '0') {
		r->p++;
	} else {
		while (digit(r)) {
			unsigned d = (unsigned)(*r->p++ - '0');

			if (m > (UINT64_MAX - d) / 10)
				fits = false;
			else
				m = m * 10 + d;
		}
	}
	*is_int = true;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (!digit(r))
			return -EBADMSG;
		while (digit(r))
			r->p++;
		*is_int = false;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (!digit(r))
			return -EBADMSG;
		while (digit(r))
			r->p++;
		*is_int = false;
	}
	if (m > (uint64_t)INT64_MAX + neg)
		fits = false;
	*is_int = *is_int && fits;
	if (iv && *is_int)
		*iv = neg ? (int64_t)((uint64_t)0 - m) : (int64_t)m;
	return 0;
}

static int value(struct jr *r, int depth);

/* Members of an object or elements of an array, r->p just past the opening bracket. */
static int container(struct jr *r, int depth, bool object)
{
	char close = object ? '}' : ']';

	if (depth > JSON_MAX_DEPTH)
		return -EBADMSG;
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return 0;
	}
	for (;;) {
		skip_ws(r);
		if (object) {
			if (string(r, NULL, 0, NULL))
				return -EBADMSG;
			skip_ws(r);
			if (r->p == r->end || *r->p++ != ':')
				return -EBADMSG;
		}
		if (value(r, depth + 1))
			return -EBADMSG;
		skip_ws(r);
		if (r->p == r->end)
			return -EBADMSG;
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (*r->p++ == close)
			return 0;
		return -EBADMSG;
	}
}

/* Any value, checked and skipped. */
static int value(struct jr *r, int depth)
{
	bool is_int;

	skip_ws(r);
	if (r->p == r->end)
		return -EBADMSG;
	switch (*r->p) {
	case '{':
		r->p++;
		return container(r, depth, true);
	case '[':
		r->p++;
		return container(r, depth, false);
	case '"':
		return string(r, NULL, 0, NULL);
	case 't':
		return literal(r, "true") ? 0 : -EBADMSG;
	case 'f':
		return literal(r, "false") ? 0 : -EBADMSG;
	case 'n':
		return literal(r, "null") ? 0 : -EBADMSG;
	default:
		return number(r, NULL, &is_int);
	}
}

bool ws_json_valid(const char *p, size_t len)
{
	struct jr r = { p, p + (p ? len : 0) };

	if (!p)
		return false;
	if (value(&r, 0))
		return false;
	skip_ws(&r);
	return r.p == r.end;
}

/* A member's key into key[] (cut keys never match a field name). */
static int member_key(struct jr *r, char *key, size_t keysz)
{
	size_t n;

	skip_ws(r);
	if (string(r, key, keysz - 1, &n))
		return -EBADMSG;
	key[n] = '\0';
	skip_ws(r);
	if (r->p == r->end || *r->p++ != ':')
		return -EBADMSG;
	skip_ws(r);
	return 0;
}

/* Members of an object one at a time: 1 with the key read, 0 at its end. */
static int next_member(struct jr *r, bool *first, char *key, size_t keysz)
{
	skip_ws(r);
	if (r->p == r->end)
		return -EBADMSG;
	if (*r->p == '}') {
		r->p++;
		return 0;
	}
	if (!*first && *r->p++ != ',')
		return -EBADMSG;
	*first = false;
	return member_key(r, key, keysz) ? -EBADMSG : 1;
}

static bool is_key(const char *key, const char *camel, const char *orig)
{
	return !strcmp(key, camel) || !strcmp(key, orig);
}

/* int64 in the JSON mapping: a number, or a string holding one. */
static int int64_value(struct jr *r, int64_t *out)
{
	bool is_int;
	char buf[32];
	size_t n;

	if (r->p < r->end && *r->p == '"') {
		struct jr inner;

		if (string(r, buf, sizeof(buf) - 1, &n) || n >= sizeof(buf) - 1)
			return -EBADMSG;
		inner = (struct jr){ buf, buf + n };
		if (number(&inner, out, &is_int) || inner.p != inner.end || !is_int)
			return -EBADMSG;
		return 0;
	}
	if (number(r, out, &is_int) || !is_int)
		return -EBADMSG;
	return 0;
}

static int partial_json(struct jr *r, struct ws_otlp_partial *out)
{
	bool first = true;
	char key[32];
	int rc;

	if (literal(r, "null"))
		return 0;
	if (r->p == r->end || *r->p++ != '{')
		return -EBADMSG;
	while ((rc = next_member(r, &first, key, sizeof(key))) == 1) {
		if (literal(r, "null"))
			continue; /* null is the field's default */
		if (is_key(key, "rejectedSpans", "rejected_spans")) {
			if (int64_value(r, &out->rejected))
				return -EBADMSG;
		} else if (is_key(key, "errorMessage", "error_message")) {
			if (string(r, out->message, sizeof(out->message) - 1, &out->message_len))
				return -EBADMSG;
			out->message[out->message_len] = '\0';
		} else if (value(r, 2)) {
			return -EBADMSG;
		}
	}
	return rc;
}

int ws_otlp_resp_json(const char *p, size_t len, struct ws_otlp_partial *out)
{
	struct jr r = { p, p + (p ? len : 0) };
	bool first = true;
	char key[32];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!p)
		return 0;
	skip_ws(&r);
	if (r.p == r.end)
		return 0;
	if (*r.p++ != '{')
		return -EBADMSG;
	while ((rc = next_member(&r, &first, key, sizeof(key))) == 1) {
		if (is_key(key, "partialSuccess", "partial_success")) {
			if (partial_json(&r, out))
				return -EBADMSG;
		} else if (value(&r, 1)) {
			return -EBADMSG;
		}
	}
	if (rc)
		return -EBADMSG;
	skip_ws(&r);
	if (r.p != r.end)
		return -EBADMSG;
	if (out->rejected < 0)
		out->rejected = 0;
	return 0;
}
