/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Well-formed UTF-8 (RFC 3629, Unicode Table 3-7), for the encoders that
 * must send only valid text: OTLP string fields are UTF-8, and a receiver
 * that checks rejects a whole request over one bad byte of a raw header.
 */
#ifndef WS_UTF8_H
#define WS_UTF8_H

#include <stddef.h>

/* The replacement character U+FFFD in UTF-8, what a byte that is not UTF-8 becomes. */
#define WS_UTF8_REPLACEMENT "\xef\xbf\xbd"

/*
 * Length of the well-formed sequence at p (len > 0 bytes readable), 0 when
 * there is none. NUL counts as none, as in the protobuf encoder, whose C
 * strings end at it: both encodings must carry the same text.
 */
static inline size_t ws_utf8_seq(const unsigned char *p, size_t len)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

#endif /* WS_UTF8_H */
