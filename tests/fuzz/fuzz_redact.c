// fuzz-links: user/assemble/redact.c
// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for URL redaction. The input is used whole as a path, a
 * query and a request-target; byte 0 also picks a small output size. The
 * contract is checked, not only memory safety, by walking input and output
 * side by side:
 *   path   same segments; each segment's name as sent (or, for ASP.NET's
 *          "(S(..))" shape of the whole segment or its name, its letters
 *          with every value REDACTED); each ';'-parameter empty, "REDACTED"
 *          or its own name + "=REDACTED";
 *          a path with no ';' and no "/(" comes back uncopied; a small
 *          buffer gets a prefix;
 *   query  same parameters and separators; each one empty, "REDACTED" or
 *          its own name + "=REDACTED"; a small buffer gets whole parameters;
 *   target split, redacted and built into url.full without a crash, and
 *          url.full holds no '#' and no '@' before its path.
 * So no byte of a value can reach an output: values are never copied.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

#define ASSERT(c)                                                                                  \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

#define R WS_REDACTED
#define RLEN (sizeof(WS_REDACTED) - 1)

static size_t span_to(const char *p, size_t len, const char *stops)
{
	size_t i = 0;

	while (i < len && !memchr(stops, p[i], strlen(stops)))
		i++;
	return i;
}

/* out is in with its value replaced: "" for "", REDACTED for a bare one, name=REDACTED. */
static void check_param(const char *in, size_t ilen, const char *out, size_t olen)
{
	const char *eq = memchr(in, '=', ilen);

	if (!ilen) {
		ASSERT(olen == 0);
	} else if (!eq) {
		ASSERT(olen == RLEN && !memcmp(out, R, RLEN));
	} else {
		size_t klen = eq - in;

		ASSERT(olen == klen + 1 + RLEN && !memcmp(out, in, klen + 1));
		ASSERT(!memcmp(out + klen + 1, R, RLEN));
	}
}

/* "(" 1*(ALPHA "(REDACTED)") ")", with the input's letters in order. */
static void check_cookieless(const char *in, size_t ilen, const char *out, size_t olen)
{
	size_t i = 1, o = 1;

	ASSERT(ilen >= 5 && in[0] == '(' && olen >= 2 && out[0] == '(' && out[olen - 1] == ')');
	while (o < olen - 1) {
		ASSERT(olen - 1 - o >= 2 + RLEN + 1 && out[o + 1] == '(');
		ASSERT(!memcmp(out + o + 2, R ")", RLEN + 1));
		ASSERT(i + 1 < ilen && in[i] == out[o] && in[i + 1] == '(');
		i += 2 + span_to(in + i + 2, ilen - i - 2, ")") + 1;
		o += 2 + RLEN + 1;
	}
	ASSERT(i == ilen - 1);
}

/* The grammar of ASP.NET's cookieless state, "(" 1*(ALPHA "(" value ")") ")". */
static bool cookieless(const char *s, size_t len)
{
	size_t i = 1;

	if (len < 5 || s[0] != '(' || s[len - 1] != ')')
		return false;
	while (i < len - 1) {
		size_t v = i + 2;

		if (((s[i] | 0x20) < 'a' || (s[i] | 0x20) > 'z') || s[i + 1] != '(')
			return false;
		while (v < len - 1 && s[v] != ')' && s[v] != '(')
			v++;
		if (v == len - 1 || s[v] != ')')
			return false;
		i = v + 1;
	}
	return true;
}

static void check_path(const char *in, size_t len, uint8_t small)
{
	size_t outsz = len * 5 + 16, olen, slen, plen = span_to(in, len, "?#");
	char *out = malloc(outsz), sbuf[64];
	const char *got = ws_redact_path(in, len, out, outsz, &olen), *sgot;
	size_t i = 0, o = 0;
	bool changed = false, copy = false;

	for (size_t k = 0; k < plen; k++)
		copy |= in[k] == ';' || (in[k] == '(' && (k == 0 || in[k - 1] == '/'));

	ASSERT(olen < outsz);
	/* Segment by segment: redaction writes no '/'. */
	for (;;) {
		size_t is = span_to(in + i, plen - i, "/"), os = span_to(got + o, olen - o, "/");
		size_t in_n = span_to(in + i, is, ";"), out_n = span_to(got + o, os, ";");
		size_t ip = i + in_n, op = o + out_n;

		/* A whole segment in that shape: a ';' inside is part of a value. */
		if (cookieless(in + i, is)) {
			check_cookieless(in + i, is, got + o, os);
			changed = true;
			ip = i + is;
			op = o + os;
		} else if (in_n != out_n || memcmp(in + i, got + o, in_n)) {
			ASSERT(cookieless(in + i, in_n));
			check_cookieless(in + i, in_n, got + o, out_n);
			changed = true;
		}
		/* ';'-parameters, one for one */
		while (ip < i + is) {
			size_t ipl = span_to(in + ip + 1, i + is - ip - 1, ";");
			size_t opl = span_to(got + op + 1, o + os - op - 1, ";");

			ASSERT(op < o + os && got[op] == ';');
			check_param(in + ip + 1, ipl, got + op + 1, opl);
			ip += 1 + ipl;
			op += 1 + opl;
			changed = true;
		}
		ASSERT(op == o + os);
		i += is;
		o += os;
		if (i == plen)
			break;
		ASSERT(o < olen && got[o] == '/');
		i++;
		o++;
	}
	ASSERT(o == olen);
	ASSERT(!changed || copy);
	ASSERT(copy ? got == out && out[olen] == '\0' : got == in);

	/* A small buffer: a prefix of the whole result (or the input itself, uncut). */
	sgot = ws_redact_path(in, len, sbuf, small % sizeof(sbuf), &slen);
	if (sgot == in)
		ASSERT(!copy && slen == olen);
	else
		ASSERT(slen <= olen && (slen == 0 || slen < small % sizeof(sbuf)) &&
		       !memcmp(sgot, got, slen));
	free(out);
}

static void check_query(const char *in, size_t len, uint8_t small)
{
	size_t outsz = len * 9 + 16, olen, slen, qlen = span_to(in, len, "#"), i = 0, o = 0;
	char *out = malloc(outsz), sbuf[64];

	olen = ws_redact_query(in, len, out, outsz);
	ASSERT(olen < outsz && out[olen] == '\0'); /* names may hold NULs: no strlen */
	for (;;) {
		size_t ip = span_to(in + i, qlen - i, "&;"), op = span_to(out + o, olen - o, "&;");

		check_param(in + i, ip, out + o, op);
		i += ip;
		o += op;
		if (i == qlen)
			break;
		ASSERT(o < olen && out[o] == in[i]); /* the separator as sent */
		i++;
		o++;
	}
	ASSERT(o == olen);

	/* Whole parameters only: the cut falls where the whole result has a separator. */
	slen = ws_redact_query(in, len, sbuf, small % sizeof(sbuf) + 1);
	ASSERT(slen <= olen && slen <= small % sizeof(sbuf) && !memcmp(sbuf, out, slen));
	ASSERT(slen == olen || out[slen] == '&' || out[slen] == ';' || slen == 0);
	free(out);
}

static void check_target(const char *in, size_t len)
{
	char pbuf[2048], q[1024], url[2048];
	const char *path, *qp = NULL, *auth, *at, *slash;
	size_t plen, qlen = 0;
	struct ws_target t;
	int n;

	if (ws_split_target(in, len, &t) || !t.path)
		return;
	if (t.query) {
		qlen = ws_redact_query(t.query, t.query_len, q, sizeof(q));
		qp = q;
	}
	path = ws_redact_path(t.path, t.path_len, pbuf, sizeof(pbuf), &plen);
	n = ws_build_url_full(t.scheme ? t.scheme : "http", t.scheme ? t.scheme_len : 4,
			      t.host ? t.host : "h", t.host ? t.host_len : 1, t.port, path, plen,
			      qp, qlen, url, sizeof(url));
	if (n < 0 && n != -ENOSPC)
		return;
	/* No fragment, and no userinfo: nothing like '@' before the path starts. */
	ASSERT(!strchr(url, '#'));
	auth = strstr(url, "://") + 3;
	at = strchr(auth, '@');
	slash = strchr(auth, '/');
	ASSERT(!at || (slash && at > slash));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	uint8_t small = size ? data[0] : 0;

	check_path(in, size, small);
	check_query(in, size, small);
	check_target(in, size);
	return 0;
}
