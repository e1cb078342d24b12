/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The character classes of RFC 9110 that every header-shaped input shares:
 * HTTP heads, W3C trace context and baggage, the OTLP headers variable, the
 * partner and request-id lists. One definition, so they cannot drift apart.
 */
#ifndef WS_HTTPCHARS_H
#define WS_HTTPCHARS_H

#include <stdbool.h>

/*
 * RFC 9110 5.6.2 tchar: what a token (method, header name, baggage key) is
 * made of. A table: every byte of every header name goes through this.
 */
static const bool ws_tchar_tab[256] = {
	['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true,
	['!'] = true, ['#'] = true, ['$'] = true, ['%'] = true, ['&'] = true, ['\''] = true,
	['*'] = true, ['+'] = true, ['-'] = true, ['.'] = true, ['^'] = true, ['_'] = true,
	['`'] = true, ['|'] = true, ['~'] = true,
};

static inline bool ws_is_tchar(unsigned char c)
{
	return ws_tchar_tab[c];
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
