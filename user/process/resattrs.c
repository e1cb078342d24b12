// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* OTEL_RESOURCE_ATTRIBUTES parsing into a bounded attribute set (see resattrs.h). */
#include <errno.h>
#include <string.h>

#include "httpchars.h"
#include "resattrs.h"

void ws_res_attrs_init(struct ws_res_attrs *s)
{
	s->n = 0;
	s->used = 0;
	s->dropped = 0;
}

/*
 * Strict percent-decoding of in[0..len) into out (outsz bytes): the decoded
 * length, or -1 when a '%' is not followed by two hex digits, a byte decodes
 * to a control character (it would let a value fake structure in a log or
 * a header downstream), or the result does not fit. Non-UTF-8 bytes pass:
 * the OTLP encoder repairs them.
 */
static int pct_decode_strict(const char *in, size_t len, char *out, size_t outsz)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)in[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3 || (hi = ws_hexval(in[i + 1])) < 0 ||
			    (lo = ws_hexval(in[i + 2])) < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || o == outsz)
			return -1;
		out[o++] = (char)c;
	}
	return (int)o;
}

static int find(const struct ws_res_attrs *s, const char *key, size_t klen)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (s->a[i].klen == klen && !memcmp(s->buf + s->a[i].key, key, klen))
			return (int)i;
	return -1;
}

/* Copies p[0..len) and a NUL to the end of buf; its offset, or -1 when it does not fit. */
static int store(struct ws_res_attrs *s, const char *p, size_t len)
{
	int off = s->used;

	if (len >= sizeof(s->buf) - s->used)
		return -1;
	memcpy(s->buf + s->used, p, len);
	s->buf[s->used + len] = '\0';
	s->used += len + 1;
	return off;
}

int ws_res_attrs_set(struct ws_res_attrs *s, const char *key, size_t klen, const char *val,
		     size_t vlen)
{
	int i = find(s, key, klen), k, v;

	if (klen > WS_RES_KEY_MAX || vlen > WS_RES_VALUE_MAX)
		return -ENOSPC;
	if (i >= 0 && vlen <= s->a[i].vlen) {
		/* A value no longer than the old one takes its place: no buffer spent. */
		memcpy(s->buf + s->a[i].val, val, vlen);
		s->buf[s->a[i].val + vlen] = '\0';
		s->a[i].vlen = vlen;
		return 0;
	}
	if (i >= 0) {
		v = store(s, val, vlen);
		if (v < 0)
			return -ENOSPC;
		s->a[i].val = v;
		s->a[i].vlen = vlen;
		return 0;
	}
	if (s->n == WS_RES_ATTRS_MAX || klen + vlen + 2 > sizeof(s->buf) - s->used)
		return -ENOSPC;
	k = store(s, key, klen);
	v = store(s, val, vlen);
	s->a[s->n] = (struct ws_res_attr){ .key = k, .val = v, .klen = klen, .vlen = vlen };
	s->n++;
	return 0;
}

const char *ws_res_attrs_get(const struct ws_res_attrs *s, const char *key)
{
	int i = find(s, key, strlen(key));

	return i < 0 ? NULL : s->buf + s->a[i].val;
}

/* One "key=value" entry; 0, or -1 when it is dropped. */
static int parse_entry(struct ws_res_attrs *s, const char *e, const char *end)
{
	const char *eq = memchr(e, '=', end - e), *ks = e, *ke, *vs, *ve = end;
	char key[WS_RES_KEY_MAX], val[WS_RES_VALUE_MAX];
	int klen, vlen;

	if (!eq)
		return -1;
	ke = eq;
	vs = eq + 1;
	ws_trim_ows(&ks, &ke);
	ws_trim_ows(&vs, &ve);
	klen = pct_decode_strict(ks, ke - ks, key, sizeof(key));
	vlen = pct_decode_strict(vs, ve - vs, val, sizeof(val));
	if (klen <= 0 || vlen < 0)
		return -1;
	return ws_res_attrs_set(s, key, klen, val, vlen) ? -1 : 0;
}

int ws_res_attrs_parse(struct ws_res_attrs *s, const char *text, size_t len)
{
	const char *p = text, *end;
	int dropped = 0;

	if (!text)
		return 0;
	end = text + len;
	while (p < end) {
		const char *comma = memchr(p, ',', end - p), *e = comma ? comma : end;
		const char *ts = p, *te = e;

		ws_trim_ows(&ts, &te);
		if (ts < te && parse_entry(s, ts, te))
			dropped++;
		p = e + 1;
	}
	if (s->dropped + dropped > UINT16_MAX)
		s->dropped = UINT16_MAX;
	else
		s->dropped += dropped;
	return dropped;
}
