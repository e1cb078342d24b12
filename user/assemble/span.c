/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Span storage: allocation, attributes appended into the span's own string
 * arena (so a finished span is one block that can be handed to the export
 * thread), the tracestate copy, and attribute lookup. Nothing here is shared
 * between threads: a span has one owner at a time, and the cache of blocks
 * below is each thread's own.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "span.h"

/*
 * Full-size blocks kept per thread between spans: a span is built in one
 * and leaves, once finished, as a copy sized to what it holds, its block
 * coming back here. Building then costs no 3 KiB malloc and finishing no
 * shrinking realloc (together a tenth of the replay's instructions). The
 * copies are what other threads free; the cache is bounded.
 */
#define SPAN_CACHE 32
static _Thread_local struct ws_span *span_cache[SPAN_CACHE];
static _Thread_local unsigned int span_cached;

struct ws_span *ws_span_new(void)
{
	struct ws_span *s = span_cached ? span_cache[--span_cached] : malloc(sizeof(*s));

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	/*
	 * The attribute table and the arena are written before they are read
	 * (nattrs, strbuf_used): zeroing them would cost 2.6 KiB a span.
	 */
	memset(s, 0, offsetof(struct ws_span, attrs));
	return s;
}

struct ws_span *ws_span_shrink(struct ws_span *s)
{
	size_t used = s->strbuf_used, size = offsetof(struct ws_span, strbuf) + used + 1;
	size_t nattrs = s->nattrs < WS_SPAN_MAX_ATTRS ? s->nattrs : WS_SPAN_MAX_ATTRS;
	struct ws_span *n;

	if (used >= WS_SPAN_STRBUF)
		return s;
	s->strbuf[used] = '\0';
	n = malloc(size);
	if (!n)
		return s; /* kept whole: it still works, it just holds more */
	/* The attributes held and the arena's used part; the table's unused slots stay unwritten. */
	memcpy(n, s, offsetof(struct ws_span, attrs) + nattrs * sizeof(s->attrs[0]));
	memcpy(n->strbuf, s->strbuf, used + 1);
	if (span_cached < SPAN_CACHE)
		span_cache[span_cached++] = s;
	else
		free(s);
	return n;
}

void ws_span_free(struct ws_span *s)
{
	if (!s)
		return;
	ws_resource_put(s->res);
	free(s);
}

static void count_dropped(struct ws_span *s)
{
	/* Saturate: a wrapped counter would claim fewer drops than happened. */
	if (s->dropped_attrs < UINT16_MAX)
		s->dropped_attrs++;
}

/*
 * Cut len to max without splitting a UTF-8 sequence: a value cut inside a
 * multi-byte character would no longer be valid UTF-8, which OTLP string
 * fields require. Bytes that are not UTF-8 at all are cut where they fall.
 */
static size_t cut_len(const char *val, size_t len, size_t max)
{
	size_t n, back;

	if (len <= max)
		return len;
	n = max;
	/* At most three continuation bytes (10xxxxxx) precede a boundary. */
	for (back = 0; back < 3 && n > 0; back++) {
		if (((unsigned char)val[n] & 0xc0) != 0x80)
			break;
		n--;
	}
	if (((unsigned char)val[n] & 0xc0) == 0x80)
		return max; /* not UTF-8: any cut is as good as another */
	return n;
}

/*
 * Copies len bytes to dst; true when each is 0x01..0x7f, text that is
 * UTF-8 as it is (NUL is not: encoders repair it). The test rides on the
 * copy, eight bytes a step, so encoders skip their own pass over values.
 */
static bool copy_ascii(char *dst, const char *src, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t w, bad = 0;
	uint32_t v, bad4 = 0;
	size_t i;

	if (len >= 8) {
		for (i = 0; len - i >= 8; i += 8) {
			memcpy(&w, src + i, 8);
			memcpy(dst + i, &w, 8);
			bad |= w | ((w - ones) & ~w);
		}
		/* The tail as one word overlapping the last: its bytes are written twice, the same. */
		if (i < len) {
			memcpy(&w, src + len - 8, 8);
			memcpy(dst + len - 8, &w, 8);
			bad |= w | ((w - ones) & ~w);
		}
		return !(bad & 0x80 * ones);
	}
	if (len >= 4) {
		/* Two four-byte words that may overlap. */
		memcpy(&v, src, 4);
		memcpy(dst, &v, 4);
		bad4 = v | ((v - 0x01010101U) & ~v);
		memcpy(&v, src + len - 4, 4);
		memcpy(dst + len - 4, &v, 4);
		bad4 |= v | ((v - 0x01010101U) & ~v);
		return !(bad4 & 0x80808080U);
	}
	for (i = 0; i < len; i++) {
		unsigned char c = src[i];

		dst[i] = c;
		bad4 |= c ? c : 0x80;
	}
	return !(bad4 & 0x80);
}

/* Copies len bytes into the arena; the offset in *off, or -ENOSPC. */
static int arena_put(struct ws_span *s, const char *val, size_t len, uint16_t *off)
{
	if (len > (size_t)(WS_SPAN_STRBUF - s->strbuf_used))
		return -ENOSPC;
	*off = s->strbuf_used;
	if (len)
		memcpy(s->strbuf + s->strbuf_used, val, len);
	s->strbuf_used += len;
	return 0;
}

/* A key too long for klen is measured when read, as one of an unknown length. */
static uint16_t klen_of(size_t klen)
{
	return klen <= UINT16_MAX ? (uint16_t)klen : 0;
}

int ws_span_add_str_kl(struct ws_span *s, const char *key, size_t klen, const char *val, size_t len)
{
	struct ws_attr *a;
	uint16_t off;

	if (!s || !key || (!val && len))
		return -EINVAL;
	if (s->nattrs >= WS_SPAN_MAX_ATTRS) {
		count_dropped(s);
		return -ENOSPC;
	}
	len = cut_len(val, len, WS_ATTR_VALUE_MAX);
	if (len > (size_t)(WS_SPAN_STRBUF - s->strbuf_used)) {
		count_dropped(s);
		return -ENOSPC;
	}
	off = s->strbuf_used;
	s->strbuf_used += len;
	a = &s->attrs[s->nattrs++];
	a->ascii = copy_ascii(s->strbuf + off, val, len);
	a->key = key;
	a->type = WS_ATTR_STR;
	a->off = off;
	a->len = len;
	a->klen = klen_of(klen);
	a->ival = 0;
	return 0;
}

int ws_span_add_int_kl(struct ws_span *s, const char *key, size_t klen, int64_t val)
{
	struct ws_attr *a;

	if (!s || !key)
		return -EINVAL;
	if (s->nattrs >= WS_SPAN_MAX_ATTRS) {
		count_dropped(s);
		return -ENOSPC;
	}
	a = &s->attrs[s->nattrs++];
	a->key = key;
	a->type = WS_ATTR_INT;
	a->ascii = 0;
	a->off = 0;
	a->len = 0;
	a->klen = klen_of(klen);
	a->ival = val;
	return 0;
}

int ws_span_set_tracestate(struct ws_span *s, const char *val, size_t len)
{
	uint16_t off;

	if (!s || (!val && len))
		return -EINVAL;
	/*
	 * A cut tracestate could end inside a list member and corrupt it for
	 * the vendor that owns it, so one that does not fit is not stored.
	 * Setting it again leaves the old copy in the arena: it happens at
	 * most once per span.
	 */
	if (arena_put(s, val, len, &off))
		return -ENOSPC;
	s->tracestate_off = off;
	s->tracestate_len = len;
	return 0;
}

int ws_span_add_link(struct ws_span *s, const uint8_t trace_id[16], const uint8_t span_id[8],
		     uint8_t trace_flags)
{
	struct ws_span_link *l;

	if (s->nlinks >= WS_SPAN_MAX_LINKS)
		return -ENOSPC;
	l = &s->links[s->nlinks++];
	memcpy(l->trace_id, trace_id, sizeof(l->trace_id));
	memcpy(l->span_id, span_id, sizeof(l->span_id));
	l->trace_flags = trace_flags;
	return 0;
}

int ws_span_set_exception(struct ws_span *s, uint64_t time_unix_ns, const char *type,
			  const char *msg)
{
	size_t tl = strlen(type), ml = strlen(msg);
	uint16_t toff, moff;

	if (tl > WS_ATTR_VALUE_MAX || ml > WS_ATTR_VALUE_MAX)
		return -EINVAL;
	if (arena_put(s, type, tl, &toff) || arena_put(s, msg, ml, &moff))
		return -ENOSPC;
	s->exc_time_unix_ns = time_unix_ns ? time_unix_ns : 1;
	s->exc_type_off = toff;
	s->exc_type_len = tl;
	s->exc_msg_off = moff;
	s->exc_msg_len = ml;
	return 0;
}

const struct ws_attr *ws_span_attr(const struct ws_span *s, const char *key)
{
	if (!s || !key)
		return NULL;
	for (uint16_t i = 0; i < s->nattrs; i++) {
		if (s->attrs[i].key == key || !strcmp(s->attrs[i].key, key))
			return &s->attrs[i];
	}
	return NULL;
}
