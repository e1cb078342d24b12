/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The character classes of RFC 9110 that every header-shaped input shares:
 * HTTP heads, W3C trace context and baggage, the OTLP headers variable, the
 * partner and request-id lists. One definition, so they cannot drift apart.
 */
#ifndef WS_HTTPCHARS_H
#define WS_HTTPCHARS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * RFC 9110 5.6.2 tchar: what a token (method, header name, baggage key) is
 * made of. A table: every byte of every header name goes through this.
 */
static const bool ws_tchar_tab[256] = {
	['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true, ['!'] = true,
	['#'] = true,	      ['$'] = true,	    ['%'] = true,	  ['&'] = true,
	['\''] = true,	      ['*'] = true,	    ['+'] = true,	  ['-'] = true,
	['.'] = true,	      ['^'] = true,	    ['_'] = true,	  ['`'] = true,
	['|'] = true,	      ['~'] = true,
};

static inline bool ws_is_tchar(unsigned char c)
{
	return ws_tchar_tab[c];
}

/* RFC 5234 HEXDIG, either case: its value, or -1. */
static inline int ws_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Lenient percent-decoding (W3C Baggage, gRPC's grpc-message, the OTLP
 * headers variable), a byte at a time: "%XX" with two hex digits is the
 * byte it names, anything else (a lone '%' too) is itself. The byte at *i,
 * advancing *i past it; -1 at the end.
 */
static inline int ws_pct_next(const char *in, size_t len, size_t *i)
{
	int hi, lo;

	if (*i >= len)
		return -1;
	if (in[*i] == '%' && len - *i > 2 && (hi = ws_hexval(in[*i + 1])) >= 0 &&
	    (lo = ws_hexval(in[*i + 2])) >= 0) {
		*i += 3;
		return hi << 4 | lo;
	}
	return (unsigned char)in[(*i)++];
}

/* RFC 9110 5.6.3 OWS: optional whitespace. */
static inline bool ws_is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Narrows [*s, *e) to drop OWS at both ends. */
static inline void ws_trim_ows(const char **s, const char **e)
{
	while (*s < *e && ws_is_ows(**s))
		(*s)++;
	while (*e > *s && ws_is_ows((*e)[-1]))
		(*e)--;
}

#endif /* WS_HTTPCHARS_H */
