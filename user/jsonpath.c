// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The JSON path extractor (contract in jsonpath.h). One cursor walks the
 * bytes once: down the path's objects member by member, skipping every
 * other value with an explicit stack of container kinds (one bit per level)
 * instead of recursion, so nesting costs no C stack. Running out of bytes
 * anywhere is -ENOENT: the caller only ever has a body's first bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "jsonpath.h"

struct cur {
	const unsigned char *p;
	size_t n, i;
};

/* Where a decoded string goes: up to cap bytes at out; len counts them all. */
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

static int hexval(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Skips whitespace; -ENOENT when nothing follows it. */
static int skip_space(struct cur *c)
{
	while (c->i < c->n && is_space(c->p[c->i]))
		c->i++;
	return c->i < c->n ? 0 : -ENOENT;
}

static void put(struct sink *s, const void *b, size_t n)
{
	if (!s)
		return;
	if (s->len + n <= s->cap)
		memcpy(s->out + s->len, b, n);
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

static int hex4(struct cur *c, uint32_t *out)
{
	uint32_t v = 0;

	if (c->n - c->i < 4) {
		/* Bad hex already in what is there is an error, not a cut. */
		for (size_t k = c->i; k < c->n; k++)
			if (hexval(c->p[k]) < 0)
				return -EINVAL;
		return -ENOENT;
	}
	for (int k = 0; k < 4; k++) {
		int d = hexval(c->p[c->i + k]);

		if (d < 0)
			return -EINVAL;
		v = v << 4 | d;
	}
	c->i += 4;
	*out = v;
	return 0;
}

/* After "\u" and a high surrogate: its low half, or U+FFFD for a lone one. */
static int surrogate_pair(struct cur *c, uint32_t hi, uint32_t *cp)
{
	size_t at = c->i;
	uint32_t lo;
	int r;

	*cp = 0xfffd;
	if (c->i < c->n && c->p[c->i] != '\\')
		return 0;
	if (c->i + 1 < c->n && c->p[c->i + 1] != 'u')
		return 0;
	if (c->n - c->i < 2)
		return -ENOENT;
	c->i += 2;
	if ((r = hex4(c, &lo)))
		return r;
	if (lo < 0xdc00 || lo > 0xdfff) {
		c->i = at; /* not its pair: that escape is read on its own */
		return 0;
	}
	*cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

static int escape(struct cur *c, struct sink *s)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	uint32_t cp;
	int r;

	if (c->i >= c->n)
		return -ENOENT;
	if (c->p[c->i] != 'u') {
		e = c->p[c->i] ? strchr(from, c->p[c->i]) : NULL;
		if (!e)
			return -EINVAL;
		put(s, &to[e - from], 1);
		c->i++;
		return 0;
	}
	c->i++;
	if ((r = hex4(c, &cp)))
		return r;
	if (cp >= 0xd800 && cp <= 0xdbff)
		r = surrogate_pair(c, cp, &cp);
	else if (cp >= 0xdc00 && cp <= 0xdfff)
		cp = 0xfffd;
	if (!r)
		put_cp(s, cp);
	return r;
}

/* The string whose opening quote is at c->i, decoded into s (NULL: only checked). */
static int string(struct cur *c, struct sink *s)
{
	c->i++;
	for (;;) {
		size_t run = c->i;
		unsigned char ch;
		int r;

		/* Plain bytes go in runs: most of a body is these. */
		while (run < c->n && c->p[run] != '"' && c->p[run] != '\\' && c->p[run] >= 0x20)
			run++;
		put(s, c->p + c->i, run - c->i);
		c->i = run;
		if (c->i >= c->n)
			return -ENOENT;
		ch = c->p[c->i++];
		if (ch == '"')
			return 0;
		if (ch < 0x20)
			return -EINVAL; /* control characters must be escaped */
		if ((r = escape(c, s)))
			return r;
	}
}

static int literal(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	for (size_t k = 0; k < n; k++) {
		if (c->i + k >= c->n)
			return -ENOENT;
		if (c->p[c->i + k] != (unsigned char)lit[k])
			return -EINVAL;
	}
	c->i += n;
	return 0;
}

static size_t digits(struct cur *c)
{
	size_t start = c->i;

	while (c->i < c->n && is_digit(c->p[c->i]))
		c->i++;
	return c->i - start;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; ending at the end of the bytes, it may go on. */
static int number(struct cur *c)
{
	if (c->p[c->i] == '-')
		c->i++;
	if (c->i >= c->n)
		return -ENOENT;
	if (c->p[c->i] == '0')
		c->i++;
	else if (!digits(c))
		return -EINVAL;
	if (c->i < c->n && c->p[c->i] == '.') {
		c->i++;
		if (!digits(c))
			return c->i >= c->n ? -ENOENT : -EINVAL;
	}
	if (c->i < c->n && (c->p[c->i] == 'e' || c->p[c->i] == 'E')) {
		c->i++;
		if (c->i < c->n && (c->p[c->i] == '+' || c->p[c->i] == '-'))
			c->i++;
		if (!digits(c))
			return c->i >= c->n ? -ENOENT : -EINVAL;
	}
	return c->i >= c->n ? -ENOENT : 0;
}

/* A member's name and its colon; the name decoded into s (NULL: only checked). */
static int member_name(struct cur *c, struct sink *s)
{
	int r;

	if ((r = skip_space(c)))
		return r;
	if (c->p[c->i] != '"')
		return -EINVAL;
	if ((r = string(c, s)) || (r = skip_space(c)))
		return r;
	if (c->p[c->i++] != ':')
		return -EINVAL;
	return 0;
}

/* After a value inside containers: closes those that end, or takes a comma. 1: the outer value is done. */
static int after_value(struct cur *c, uint64_t *arrays, unsigned *depth)
{
	int r;

	while (*depth) {
		unsigned char ch;

		if ((r = skip_space(c)))
			return r;
		ch = c->p[c->i++];
		if (ch == ',')
			return *arrays & 1 ? 0 : member_name(c, NULL);
		if (ch != (*arrays & 1 ? ']' : '}'))
			return -EINVAL;
		(*depth)--;
		*arrays >>= 1;
	}
	return 1;
}

/* The value at c->i and everything nested in it. */
static int skip_value(struct cur *c)
{
	uint64_t arrays = 0; /* bit 0: the innermost open container is an array */
	unsigned depth = 0;
	int r;

	for (;;) {
		unsigned char ch;

		if ((r = skip_space(c)))
			return r;
		ch = c->p[c->i];
		if (ch == '{' || ch == '[') {
			if (depth == WS_JSON_MAX_DEPTH)
				return -E2BIG;
			arrays = arrays << 1 | (ch == '[');
			depth++;
			c->i++;
			if ((r = skip_space(c)))
				return r;
			if (c->p[c->i] != (arrays & 1 ? ']' : '}')) {
				if (!(arrays & 1) && (r = member_name(c, NULL)))
					return r;
				continue; /* the container's first value */
			}
			c->i++; /* empty: a whole value */
			depth--;
			arrays >>= 1;
		} else if (ch == '"') {
			r = string(c, NULL);
		} else if (ch == 't') {
			r = literal(c, "true");
		} else if (ch == 'f') {
			r = literal(c, "false");
		} else if (ch == 'n') {
			r = literal(c, "null");
		} else if (ch == '-' || is_digit(ch)) {
			r = number(c);
		} else {
			return -EINVAL;
		}
		if (r)
			return r;
		r = after_value(c, &arrays, &depth);
		if (r)
			return r > 0 ? 0 : r;
	}
}

int ws_jsonpath_parse(const char *spec, size_t len, struct ws_jsonpath *out)
{
	struct ws_jsonpath p;
	size_t i = 0;

	if (!spec || !out)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	for (;;) {
		size_t start = i;

		while (i < len && spec[i] != '.') {
			unsigned char ch = spec[i];

			if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
				return -EINVAL;
			i++;
		}
		if (i == start || i - start > WS_JSONPATH_KEY_MAX || p.nkeys == WS_JSONPATH_MAX_KEYS)
			return -EINVAL;
		memcpy(p.key[p.nkeys], spec + start, i - start);
		p.len[p.nkeys++] = i - start;
		if (i == len)
			break;
		i++; /* the dot; a trailing one leaves an empty key: refused above */
	}
	*out = p;
	return 0;
}

int ws_json_find_string(const char *buf, size_t len, const struct ws_jsonpath *path, char *out,
			size_t outsz)
{
	struct cur c = { (const unsigned char *)buf, buf ? len : 0, 0 };
	char key[WS_JSONPATH_KEY_MAX] = { 0 }; /* written before read; cppcheck cannot tell */
	struct sink s;
	int r;

	if (!path || !path->nkeys || path->nkeys > WS_JSONPATH_MAX_KEYS || !out || !outsz)
		return -EINVAL;
	for (size_t k = 0; k < path->nkeys; k++) {
		if ((r = skip_space(&c)))
			return r;
		if (c.p[c.i] != '{')
			return -ENOENT; /* the path runs through something that is not an object */
		c.i++;
		if ((r = skip_space(&c)))
			return r;
		if (c.p[c.i] == '}')
			return -ENOENT;
		for (;;) {
			unsigned char ch;

			s = (struct sink){ key, sizeof(key), 0 };
			if ((r = member_name(&c, &s)))
				return r;
			if (s.len == path->len[k] && !memcmp(key, path->key[k], s.len))
				break; /* its value is the next level */
			if ((r = skip_value(&c)) || (r = skip_space(&c)))
				return r;
			ch = c.p[c.i++];
			if (ch == '}')
				return -ENOENT;
			if (ch != ',')
				return -EINVAL;
		}
	}
	if ((r = skip_space(&c)))
		return r;
	if (c.p[c.i] != '"')
		return -ENOENT;
	s = (struct sink){ out, outsz - 1, 0 };
	if ((r = string(&c, &s)))
		return r;
	if (s.len > outsz - 1 || s.len > INT32_MAX)
		return -ENOSPC;
	out[s.len] = '\0';
	return (int)s.len;
}
