/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The character classes of RFC 9110 that every header-shaped input shares:
 * HTTP heads, W3C trace context and baggage, the OTLP headers variable, the
 * partner and request-id lists. One definition, so they cannot drift apart.
 */
#ifndef WS_HTTPCHARS_H
#define WS_HTTPCHARS_H

#include <stdbool.h>
#include <string.h>

/* RFC 9110 5.6.2 tchar: what a token (method, header name, baggage key) is made of. */
static inline bool ws_is_tchar(unsigned char c)
{
	if (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
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
