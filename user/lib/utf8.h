/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Well-formed UTF-8 (RFC 3629, Unicode Table 3-7), for the encoders that
 * must send only valid text: OTLP string fields are UTF-8, and a receiver
 * that checks rejects a whole request over one bad byte of a raw header.
 * One repair for every encoder: each byte that is not part of a
 * well-formed sequence (and NUL) becomes U+FFFD, the rest is kept as it is.
 * Inline: the encoders call it for every string of every span.
 */
#ifndef WS_UTF8_H
#define WS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* Eight bytes of ASCII without NUL: the common case, checked a word at a time. */
static inline bool ws_utf8_ascii8(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return !(w & 0x8080808080808080ULL) &&
	       !((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL);
}

/* Four bytes of ASCII without NUL. */
static inline bool ws_utf8_ascii4(const unsigned char *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return !(w & 0x80808080U) && !((w - 0x01010101U) & ~w & 0x80808080U);
}

/*
 * The length of p[0..len) once repaired: len when it can go out as it is,
 * at most 3 * len. Most text is ASCII: words of it are skipped at once.
 */
static inline size_t ws_utf8_repair_len(const unsigned char *p, size_t len)
{
	size_t i = 0, n, out;

	while (len - i >= 8 && ws_utf8_ascii8(p + i))
		i += 8;
	/* Under eight bytes left: the tail as one word overlapping the last one checked. */
	if (i < len && len - i < 8 && len >= 8 && ws_utf8_ascii8(p + (len - 8)))
		return len;
	/* A short string (method, scheme, version) as two words that may overlap. */
	if (len >= 4 && len < 8 && ws_utf8_ascii4(p) && ws_utf8_ascii4(p + (len - 4)))
		return len;
	out = i;
	while (i < len) {
		if (p[i] - 1u < 0x7f) {
			i++;
			out++;
			continue;
		}
		n = ws_utf8_seq(p + i, len - i);
		if (n) {
			i += n;
			out += n;
		} else {
			i++;
			out += 3;
		}
	}
	return out;
}

/*
 * One step of the repair at p (len > 0 bytes readable), for an encoder
 * that also escapes: the well-formed sequence there is copied to dst, or
 * U+FFFD written for its first byte. Returns dst past what was written
 * (at most 4 bytes), *used the bytes of p taken.
 */
static inline char *ws_utf8_repair_step(char *dst, const unsigned char *p, size_t len, size_t *used)
{
	size_t n = ws_utf8_seq(p, len);

	if (!n) {
		memcpy(dst, WS_UTF8_REPLACEMENT, 3);
		*used = 1;
		return dst + 3;
	}
	memcpy(dst, p, n);
	*used = n;
	return dst + n;
}

/* Writes the repaired copy of p[0..len), ws_utf8_repair_len() bytes, at dst. */
static inline void ws_utf8_repair(void *dst, const unsigned char *p, size_t len)
{
	char *o = dst;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] - 1u < 0x7f) {
			*o++ = (char)p[i++];
			continue;
		}
		o = ws_utf8_repair_step(o, p + i, len - i, &n);
		i += n;
	}
}

#endif /* WS_UTF8_H */
