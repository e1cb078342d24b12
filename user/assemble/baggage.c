// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * W3C Baggage: an allowlist of keys from the configuration, a walk over the
 * baggage header that reports only allowed members, and a percent-decoder
 * whose output is valid UTF-8 without control characters, ready to become
 * an attribute value. No allocation: everything points into the caller's
 * buffers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "baggage.h"
#include "httpchars.h"

static bool is_token(const char *p, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ws_is_tchar(p[i]))
			return false;
	return true;
}

/* Printable ASCII but space, '"', ',', ';' and '\': what a value may hold unencoded. */
static bool is_baggage_octet(char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

/* Narrows [*b, *e) of p to exclude OWS at both ends. */
static void trim(const char *p, size_t *b, size_t *e)
{
	while (*b < *e && ws_is_ows(p[*b]))
		(*b)++;
	while (*e > *b && ws_is_ows(p[*e - 1]))
		(*e)--;
}

static int allow_find(const struct ws_baggage_allow *a, const char *key, size_t klen)
{
	size_t n = a->nkeys < WS_BAGGAGE_MAX_KEYS ? a->nkeys : WS_BAGGAGE_MAX_KEYS;

	for (size_t i = 0; i < n; i++)
		if (a->klens[i] == klen && !memcmp(a->keys[i], key, klen))
			return (int)i;
	return -1;
}

int ws_baggage_parse_allowlist(const char *csv, struct ws_baggage_allow *out)
{
	struct ws_baggage_allow a = { .nkeys = 0 };
	size_t len, pos = 0;

	if (!out)
		return -EINVAL;
	len = csv ? strlen(csv) : 0;
	while (pos < len) {
		const char *c = memchr(csv + pos, ',', len - pos);
		size_t b = pos, e = c ? (size_t)(c - csv) : len;

		pos = e + 1;
		trim(csv, &b, &e);
		if (b == e || allow_find(&a, csv + b, e - b) >= 0)
			continue;
		if (!is_token(csv + b, e - b) || a.nkeys == WS_BAGGAGE_MAX_KEYS)
			return -EINVAL;
		a.keys[a.nkeys] = csv + b;
		a.klens[a.nkeys++] = e - b;
	}
	*out = a;
	return 0;
}

struct bg_member {
	const char *key, *val;
	size_t klen, vlen;
};

/* Splits one trimmed, non-empty list-member; false when it is not well-formed. */
static bool member_split(const char *p, size_t n, struct bg_member *m)
{
	const char *eq = memchr(p, '=', n), *semi;
	size_t kb = 0, ke, vb, ve;

	if (!eq)
		return false;
	ke = eq - p;
	vb = ke + 1;
	trim(p, &kb, &ke);
	/* The value ends at the first ';': properties follow, and are ignored. */
	semi = memchr(p + vb, ';', n - vb);
	ve = semi ? (size_t)(semi - p) : n;
	trim(p, &vb, &ve);
	if (!is_token(p + kb, ke - kb))
		return false;
	for (size_t i = vb; i < ve; i++)
		if (!is_baggage_octet(p[i]))
			return false;
	m->key = p + kb;
	m->klen = ke - kb;
	m->val = p + vb;
	m->vlen = ve - vb;
	return true;
}

/*
 * End of the member that starts at pos: the next ',' or len. SIZE_MAX when
 * it would end past WS_BAGGAGE_MAX_BYTES: the members from there on are
 * dropped, never cut.
 */
static size_t member_end(const char *hdr, size_t len, size_t pos)
{
	size_t lim = len <= WS_BAGGAGE_MAX_BYTES ? len : WS_BAGGAGE_MAX_BYTES + 1;
	const char *c = pos < lim ? memchr(hdr + pos, ',', lim - pos) : NULL;

	if (c)
		return c - hdr;
	return len <= WS_BAGGAGE_MAX_BYTES ? len : SIZE_MAX;
}

int ws_baggage_each_allowed(const char *hdr, size_t len, const struct ws_baggage_allow *allow,
			    ws_baggage_cb cb, void *ctx)
{
	size_t pos = 0, members = 0;
	unsigned int seen = 0; /* allowlist indexes already reported */
	int calls = 0;

	if (!allow || !allow->nkeys)
		return 0;
	if ((!hdr && len) || !cb)
		return -EINVAL;
	while (pos <= len) {
		size_t end = member_end(hdr, len, pos), b = pos, e = end;
		struct bg_member m;
		int i;

		if (end == SIZE_MAX)
			return -E2BIG;
		pos = end + 1;
		trim(hdr, &b, &e);
		if (b == e)
			continue; /* empty members come from joined header lines */
		if (++members > WS_BAGGAGE_MAX_MEMBERS)
			return -E2BIG;
		if (!member_split(hdr + b, e - b, &m))
			continue;
		i = allow_find(allow, m.key, m.klen);
		if (i < 0 || seen & 1u << i)
			continue;
		seen |= 1u << i;
		cb(ctx, allow->keys[i], allow->klens[i], m.val, m.vlen);
		calls++;
	}
	return calls;
}

/* Percent-decoding */

/*
 * How many continuation bytes lead byte b takes, and the range of the first
 * one (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
 * 0 for a byte that cannot start a sequence.
 */
static int utf8_lead(int b, int *lo, int *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf)
		return 1;
	if (b >= 0xe0 && b <= 0xef) {
		if (b == 0xe0)
			*lo = 0xa0;
		else if (b == 0xed)
			*hi = 0x9f;
		return 2;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		if (b == 0xf0)
			*lo = 0x90;
		else if (b == 0xf4)
			*hi = 0x8f;
		return 3;
	}
	return 0;
}

/*
 * Decodes one character starting with byte b into u (1 to 4 bytes),
 * consuming its continuation bytes from in at *i. A broken sequence gives
 * U+FFFD and leaves the byte that broke it for the next character.
 */
static size_t utf8_take(const char *in, size_t len, size_t *i, int b, unsigned char *u)
{
	static const unsigned char fffd[3] = { 0xef, 0xbf, 0xbd };
	int lo, hi, need;

	if (b < 0x80) {
		u[0] = b < 0x20 || b == 0x7f ? '?' : (unsigned char)b;
		return 1;
	}
	need = utf8_lead(b, &lo, &hi);
	u[0] = (unsigned char)b;
	for (int k = 1; k <= need; k++) {
		size_t j = *i;
		int c = ws_pct_next(in, len, &j);

		if (c < lo || c > hi) {
			need = 0;
			break;
		}
		u[k] = (unsigned char)c;
		*i = j;
		lo = 0x80;
		hi = 0xbf;
	}
	if (!need) {
		memcpy(u, fffd, sizeof(fffd));
		return sizeof(fffd);
	}
	/* C1 controls (U+0080-U+009F) act on terminals like C0 ones. */
	if (b == 0xc2 && u[1] < 0xa0) {
		u[0] = '?';
		return 1;
	}
	return need + 1;
}

size_t ws_pct_decode(const char *in, size_t len, char *out, size_t outsz)
{
	size_t i = 0, o = 0;
	int b;

	if (!in || !out)
		return 0;
	while ((b = ws_pct_next(in, len, &i)) >= 0) {
		unsigned char u[4];
		size_t n = utf8_take(in, len, &i, b, u);

		if (n > outsz - o)
			break;
		memcpy(out + o, u, n);
		o += n;
	}
	return o;
}
