// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The JSON scanner (contract in json.h). Skipping keeps the kinds of the
 * open containers in an array instead of recursing, so nesting costs no C
 * stack. Where the bytes end mid-token the answer is -ENODATA, but bytes
 * already present that cannot be JSON are -EINVAL even then: a reader of a
 * body's first bytes tells "cut" from "wrong" by it.
 */
#include <errno.h>
#include <string.h>

#include "httpchars.h"
#include "json.h"
#include "utf8.h"

/* Where a decoded string goes: what fits of it in out[0..cap); len counts it all. */
struct sink {
	char *out;
	size_t cap, len;
};

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

int ws_json_peek(struct ws_json *j)
{
	while (j->pos < j->len && is_space(j->p[j->pos]))
		j->pos++;
	return j->pos < j->len ? j->p[j->pos] : -ENODATA;
}

static void put(struct sink *s, const void *b, size_t n)
{
	if (s->len < s->cap)
		memcpy(s->out + s->len, b, n < s->cap - s->len ? n : s->cap - s->len);
	s->len += n;
}

static void put_cp(struct sink *s, uint32_t cp)
{
	unsigned char b[4];

	if (cp < 0x80) {
		b[0] = cp;
		put(s, b, 1);
	} else if (cp < 0x800) {
		b[0] = 0xc0 | cp >> 6;
		b[1] = 0x80 | (cp & 0x3f);
		put(s, b, 2);
	} else if (cp < 0x10000) {
		b[0] = 0xe0 | cp >> 12;
		b[1] = 0x80 | (cp >> 6 & 0x3f);
		b[2] = 0x80 | (cp & 0x3f);
		put(s, b, 3);
	} else {
		b[0] = 0xf0 | cp >> 18;
		b[1] = 0x80 | (cp >> 12 & 0x3f);
		b[2] = 0x80 | (cp >> 6 & 0x3f);
		b[3] = 0x80 | (cp & 0x3f);
		put(s, b, 4);
	}
}

static int hex4(struct ws_json *j, uint32_t *out)
{
	uint32_t v = 0;

	if (j->len - j->pos < 4) {
		/* Bad hex already in what is there is an error, not a cut. */
		for (size_t k = j->pos; k < j->len; k++)
			if (ws_hexval(j->p[k]) < 0)
				return -EINVAL;
		return -ENODATA;
	}
	for (int k = 0; k < 4; k++) {
		int d = ws_hexval(j->p[j->pos + k]);

		if (d < 0)
			return -EINVAL;
		v = v << 4 | d;
	}
	j->pos += 4;
	*out = v;
	return 0;
}

/* After "\u" and a high surrogate: its low half, or U+FFFD for a lone one. */
static int surrogate_pair(struct ws_json *j, uint32_t hi, uint32_t *cp)
{
	size_t at = j->pos;
	uint32_t lo;
	int r;

	*cp = 0xfffd;
	if (j->pos < j->len && j->p[j->pos] != '\\')
		return 0;
	if (j->pos + 1 < j->len && j->p[j->pos + 1] != 'u')
		return 0;
	if (j->len - j->pos < 2)
		return -ENODATA;
	j->pos += 2;
	if ((r = hex4(j, &lo)))
		return r;
	if (lo < 0xdc00 || lo > 0xdfff) {
		j->pos = at; /* not its pair: that escape is read on its own */
		return 0;
	}
	*cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

/* The escape after a backslash. */
static int escape(struct ws_json *j, struct sink *s)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	uint32_t cp;
	int r;

	if (j->pos >= j->len)
		return -ENODATA;
	if (j->p[j->pos] != 'u') {
		e = j->p[j->pos] ? strchr(from, j->p[j->pos]) : NULL;
		if (!e)
			return -EINVAL;
		put(s, &to[e - from], 1);
		j->pos++;
		return 0;
	}
	j->pos++;
	if ((r = hex4(j, &cp)))
		return r;
	if (cp >= 0xd800 && cp <= 0xdbff)
		r = surrogate_pair(j, cp, &cp);
	else if (cp >= 0xdc00 && cp <= 0xdfff)
		cp = 0xfffd;
	if (!r)
		put_cp(s, cp);
	return r;
}

int ws_json_string(struct ws_json *j, char *out, size_t cap, size_t *len)
{
	struct sink s = { out, out ? cap : 0, 0 };

	if (j->pos >= j->len)
		return -ENODATA;
	if (j->p[j->pos] != '"')
		return -EINVAL;
	j->pos++;
	for (;;) {
		size_t run = j->pos;
		unsigned char ch;
		int r;

		/* Plain bytes go in runs: most of a string is these. */
		while (run < j->len) {
			ch = j->p[run];
			if (ch == '"' || ch == '\\' || ch < 0x20)
				break;
			if (ch >= 0x80 && j->utf8) {
				size_t n = ws_utf8_seq(j->p + run, j->len - run);

				if (!n)
					return -EINVAL;
				run += n;
			} else {
				run++;
			}
		}
		put(&s, j->p + j->pos, run - j->pos);
		j->pos = run;
		if (j->pos >= j->len)
			return -ENODATA;
		ch = j->p[j->pos++];
		if (ch == '"') {
			*len = s.len;
			return 0;
		}
		if (ch < 0x20)
			return -EINVAL; /* control characters must be escaped */
		if ((r = escape(j, &s)))
			return r;
	}
}

static size_t digits(struct ws_json *j)
{
	size_t start = j->pos;

	while (j->pos < j->len && is_digit(j->p[j->pos]))
		j->pos++;
	return j->pos - start;
}

int ws_json_number(struct ws_json *j, int64_t *iv, bool *is_int)
{
	bool neg = false, integer = true, fits = true;
	uint64_t m = 0;

	if (j->pos < j->len && j->p[j->pos] == '-') {
		neg = true;
		j->pos++;
	}
	if (j->pos >= j->len)
		return -ENODATA;
	if (j->p[j->pos] == '0') {
		j->pos++;
	} else if (!is_digit(j->p[j->pos])) {
		return -EINVAL;
	} else {
		while (j->pos < j->len && is_digit(j->p[j->pos])) {
			unsigned d = j->p[j->pos++] - '0';

			if (m > (UINT64_MAX - d) / 10)
				fits = false;
			else
				m = m * 10 + d;
		}
	}
	if (j->pos < j->len && j->p[j->pos] == '.') {
		j->pos++;
		if (!digits(j))
			return j->pos >= j->len ? -ENODATA : -EINVAL;
		integer = false;
	}
	if (j->pos < j->len && (j->p[j->pos] == 'e' || j->p[j->pos] == 'E')) {
		j->pos++;
		if (j->pos < j->len && (j->p[j->pos] == '+' || j->p[j->pos] == '-'))
			j->pos++;
		if (!digits(j))
			return j->pos >= j->len ? -ENODATA : -EINVAL;
		integer = false;
	}
	if (m > (uint64_t)INT64_MAX + neg)
		fits = false;
	*is_int = integer && fits;
	if (iv && *is_int)
		*iv = neg ? (int64_t)((uint64_t)0 - m) : (int64_t)m;
	return 0;
}

static int literal(struct ws_json *j, const char *lit)
{
	size_t n = strlen(lit);

	for (size_t k = 0; k < n; k++) {
		if (j->pos + k >= j->len)
			return -ENODATA;
		if (j->p[j->pos + k] != (unsigned char)lit[k])
			return -EINVAL;
	}
	j->pos += n;
	return 0;
}

bool ws_json_null(struct ws_json *j)
{
	if (j->len - j->pos < 4 || memcmp(j->p + j->pos, "null", 4))
		return false;
	j->pos += 4;
	return true;
}

/* A member's key (decoded into out, see ws_json_string) and its colon. */
static int member_name(struct ws_json *j, char *out, size_t cap, size_t *len)
{
	size_t n;
	int r;

	if ((r = ws_json_peek(j)) < 0)
		return r;
	if ((r = ws_json_string(j, out, cap, len ? len : &n)) || (r = ws_json_peek(j)) < 0)
		return r;
	if (j->p[j->pos++] != ':')
		return -EINVAL;
	return 0;
}

int ws_json_member(struct ws_json *j, bool *first, char *key, size_t cap, size_t *keylen)
{
	int r, ch = ws_json_peek(j);

	if (ch < 0)
		return ch;
	if (ch == '}') {
		j->pos++;
		return 0;
	}
	if (!*first) {
		if (ch != ',')
			return -EINVAL;
		j->pos++;
	}
	*first = false;
	r = member_name(j, key, cap, keylen);
	return r ? r : 1;
}

/* After a value inside containers: closes those that end, or takes a comma. 1: the outer value is done. */
static int after_value(struct ws_json *j, const bool *in_array, unsigned *depth)
{
	while (*depth) {
		bool array = in_array[*depth - 1];
		int ch = ws_json_peek(j);

		if (ch < 0)
			return ch;
		j->pos++;
		if (ch == ',')
			return array ? 0 : member_name(j, NULL, 0, NULL);
		if (ch != (array ? ']' : '}'))
			return -EINVAL;
		(*depth)--;
	}
	return 1;
}

int ws_json_skip(struct ws_json *j, unsigned max_depth)
{
	bool in_array[WS_JSON_MAX_NEST]; /* per open container: an array, not an object */
	unsigned depth = 0;
	bool is_int;
	size_t n;
	int r;

	if (max_depth > WS_JSON_MAX_NEST)
		max_depth = WS_JSON_MAX_NEST;
	for (;;) {
		int ch = ws_json_peek(j);

		if (ch < 0)
			return ch;
		if (ch == '{' || ch == '[') {
			if (depth == max_depth)
				return -E2BIG;
			in_array[depth++] = ch == '[';
			j->pos++;
			if ((r = ws_json_peek(j)) < 0)
				return r;
			if (r != (ch == '[' ? ']' : '}')) {
				if (ch == '{' && (r = member_name(j, NULL, 0, NULL)))
					return r;
				continue; /* the container's first value */
			}
			j->pos++; /* empty: a whole value */
			depth--;
			r = 0;
		} else if (ch == '"') {
			r = ws_json_string(j, NULL, 0, &n);
		} else if (ch == 't') {
			r = literal(j, "true");
		} else if (ch == 'f') {
			r = literal(j, "false");
		} else if (ch == 'n') {
			r = literal(j, "null");
		} else if (ch == '-' || is_digit(ch)) {
			r = ws_json_number(j, NULL, &is_int);
		} else {
			return -EINVAL;
		}
		if (r)
			return r;
		r = after_value(j, in_array, &depth);
		if (r)
			return r > 0 ? 0 : r;
	}
}
