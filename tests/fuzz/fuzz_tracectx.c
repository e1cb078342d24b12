// fuzz-links: user/assemble/tracectx.c user/assemble/baggage.c
// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the trace-context headers. The input is used whole as
 * a traceparent, a tracestate and a baggage value; byte 0 also picks a prefix
 * that becomes an allowlist for a second baggage walk over the rest. Each
 * call's contract is checked, not only its memory safety:
 *   traceparent  a success round-trips through ws_hex and the parser;
 *   tracestate   checking alone and writing agree, one byte less is -ENOSPC,
 *                the output is normalized, each member follows the W3C
 *                grammar (level 2 keys), and it checks to itself;
 *   baggage      every reported key is an allowed one, once, every value lies
 *                in the first 8192 bytes and holds only baggage-octets;
 *   pct_decode   the output is UTF-8 without control chars, and a smaller
 *                buffer gets a prefix of it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "baggage.h"
#include "tracectx.h"

#define ASSERT(c)                                                                                  \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Strict UTF-8 (RFC 3629), independent of the decoder's own logic. */
static bool utf8_ok(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			k = 1;
			cp = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			k = 2;
			cp = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			k = 3;
			cp = p[i] & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		if (cp < 0xa0) /* C1 controls */
			return false;
		i += k + 1;
	}
	return true;
}

static void check_decode(const char *in, size_t len)
{
	size_t cap = 3 * len + 1, n, m;
	char *full = malloc(cap), *part;

	ASSERT(full);
	n = ws_pct_decode(in, len, full, cap);
	/* One input byte gives at most one U+FFFD. */
	ASSERT(n <= 3 * len);
	for (size_t i = 0; i < n; i++)
		ASSERT((unsigned char)full[i] >= 0x20 && full[i] != 0x7f);
	ASSERT(utf8_ok((const unsigned char *)full, n));
	part = malloc(n / 2 + 1);
	ASSERT(part);
	m = ws_pct_decode(in, len, part, n / 2);
	ASSERT(m <= n / 2 && !memcmp(part, full, m));
	/* Less than one character short of the room: the cut is a whole character. */
	ASSERT(n / 2 - m < 4);
	free(part);
	free(full);
}

static void fuzz_traceparent(const char *d, size_t len)
{
	struct ws_traceparent tp, again;
	char buf[64] = "00-";
	size_t b = 0, e = len;
	int rc = ws_traceparent_parse(d, len, &tp);

	ASSERT(rc == 0 || rc == -EINVAL);
	if (rc)
		return;
	while (b < e && is_ows(d[b]))
		b++;
	while (e > b && is_ows(d[e - 1]))
		e--;
	ASSERT(e - b >= 55 && tp.version != 0xff);
	ASSERT(tp.version != 0 || e - b == 55);
	ws_hex(tp.trace_id, 16, buf + 3);
	buf[35] = '-';
	ws_hex(tp.parent_id, 8, buf + 36);
	buf[52] = '-';
	ws_hex(&tp.flags, 1, buf + 53);
	/* The four fields as received (hex was lower case to be accepted). */
	ASSERT(!memcmp(buf + 2, d + b + 2, 53));
	ASSERT(ws_traceparent_parse(buf, 55, &again) == 0);
	ASSERT(!memcmp(again.trace_id, tp.trace_id, 16) &&
	       !memcmp(again.parent_id, tp.parent_id, 8) && again.flags == tp.flags);
}

/*
 * One accepted "key=value", by the W3C grammar written out again (Level 2):
 * key = (lcalpha / DIGIT) 0*255(keychar), keychar = lcalpha / DIGIT / "_" /
 * "-" / "*" / "/" / "@"; value = 0*255(chr) nblk-chr, chr = %x20-7E but
 * ',' and '='.
 */
static void check_member(const char *p, size_t n)
{
	const char *eq = memchr(p, '=', n);
	size_t k, v;

	ASSERT(eq);
	k = eq - p;
	v = n - k - 1;
	ASSERT(k >= 1 && k <= 256 && v >= 1 && v <= 256 && eq[v] != ' ');
	ASSERT((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= '0' && p[0] <= '9'));
	for (size_t i = 1; i < k; i++)
		ASSERT((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		       strchr("_-*/@", p[i]));
	for (size_t i = 1; i <= v; i++)
		ASSERT(eq[i] >= 0x20 && eq[i] <= 0x7e && eq[i] != ',' && eq[i] != '=');
}

static void check_normalized(const char *s, size_t n)
{
	size_t members = n ? 1 : 0, start = 0;

	if (!n)
		return;
	ASSERT(s[0] != ',' && s[n - 1] != ',' && !is_ows(s[0]) && !is_ows(s[n - 1]));
	for (size_t i = 0; i < n; i++) {
		ASSERT(s[i] != '\t' && s[i] != '\0');
		if (s[i] != ',')
			continue;
		members++;
		ASSERT(s[i + 1] != ',' && !is_ows(s[i + 1]) && !is_ows(s[i - 1]));
		check_member(s + start, i - start);
		start = i + 1;
	}
	check_member(s + start, n - start);
	ASSERT(members <= WS_TRACESTATE_MAX_MEMBERS);
}

static void fuzz_tracestate(const char *d, size_t len)
{
	int n = ws_tracestate_check(d, len, NULL, 0), m;
	char *out, *again;

	ASSERT(n >= 0 || n == -EINVAL);
	if (n < 0) {
		char big[64];

		ASSERT(ws_tracestate_check(d, len, big, sizeof(big)) == -EINVAL);
		return;
	}
	ASSERT((size_t)n <= len);
	out = malloc(n + 1);
	again = malloc(n + 1);
	ASSERT(out && again);
	ASSERT(ws_tracestate_check(d, len, out, n) == -ENOSPC);
	ASSERT(ws_tracestate_check(d, len, out, n + 1) == n);
	ASSERT(out[n] == '\0');
	check_normalized(out, n);
	m = ws_tracestate_check(out, n, again, n + 1);
	ASSERT(m == n && !memcmp(out, again, n));
	free(again);
	free(out);
}

struct walk {
	const struct ws_baggage_allow *allow;
	const char *hdr;
	size_t len;
	unsigned int seen;
	int calls;
};

static bool is_baggage_octet(char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

static void on_member(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
	struct walk *w = ctx;
	size_t lim = w->len < WS_BAGGAGE_MAX_BYTES ? w->len : WS_BAGGAGE_MAX_BYTES;
	size_t i;

	for (i = 0; i < w->allow->nkeys; i++)
		if (w->allow->keys[i] == key && w->allow->klens[i] == klen)
			break;
	ASSERT(i < w->allow->nkeys && !(w->seen & 1u << i));
	w->seen |= 1u << i;
	w->calls++;
	ASSERT(val >= w->hdr && (size_t)(val - w->hdr) + vlen <= lim);
	/* The header's key is the allowed one, and the value follows it. */
	ASSERT((size_t)(val - w->hdr) > klen);
	for (size_t j = 0; j < vlen; j++)
		ASSERT(is_baggage_octet(val[j]));
	check_decode(val, vlen);
}

static void walk_baggage(const char *d, size_t len, const struct ws_baggage_allow *a)
{
	struct walk w = { .allow = a, .hdr = d, .len = len };
	int rc = ws_baggage_each_allowed(d, len, a, on_member, &w);

	if (!a->nkeys) {
		ASSERT(rc == 0);
		return;
	}
	ASSERT(rc == w.calls || rc == -E2BIG);
	ASSERT(len <= WS_BAGGAGE_MAX_BYTES || rc == -E2BIG);
}

static void fuzz_baggage(const char *d, size_t len)
{
	static const char fixed[] = "a,k,key1,partnerId,tenant,x-y,~";
	struct ws_baggage_allow a;
	size_t plen;
	char csv[33];
	int rc;

	ASSERT(ws_baggage_parse_allowlist(fixed, &a) == 0 && a.nkeys == 7);
	walk_baggage(d, len, &a);
	if (!len)
		return;
	/* A prefix of up to 32 bytes as the allowlist, the rest as the header. */
	plen = (unsigned char)d[0] % 33;
	if (plen > len - 1)
		plen = len - 1;
	memcpy(csv, d + 1, plen);
	csv[plen] = '\0';
	rc = ws_baggage_parse_allowlist(csv, &a);
	ASSERT(rc == 0 || rc == -EINVAL);
	if (rc)
		return;
	ASSERT(a.nkeys <= WS_BAGGAGE_MAX_KEYS);
	for (size_t i = 0; i < a.nkeys; i++)
		ASSERT(a.keys[i] >= csv && a.keys[i] + a.klens[i] <= csv + plen && a.klens[i]);
	walk_baggage(d + 1 + plen, len - 1 - plen, &a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;

	fuzz_traceparent(d, size);
	fuzz_tracestate(d, size);
	fuzz_baggage(d, size);
	check_decode(d, size);
	return 0;
}
