/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Resource attributes from OTEL_RESOURCE_ATTRIBUTES ("k1=v1,k2=v2", keys and
 * values percent-encoded, OWS around them trimmed): the agent's own as a
 * base, each traced process's own merged over them. A fixed-size set: the
 * input is another process's environment, so every bound is checked and an
 * entry that is malformed or does not fit is dropped and counted, never a
 * crash and never a cut value.
 */
#ifndef WS_RESATTRS_H
#define WS_RESATTRS_H

#include <stddef.h>
#include <stdint.h>

#define WS_RES_ATTRS_MAX 32   /* attributes in one set */
#define WS_RES_ATTRS_BUF 2048 /* their keys and values, each NUL-terminated */
#define WS_RES_KEY_MAX 128    /* decoded bytes */
#define WS_RES_VALUE_MAX 512  /* decoded bytes */

struct ws_res_attr {
	uint16_t key, val;   /* offsets of NUL-terminated strings in buf */
	uint16_t klen, vlen; /* their lengths */
};

struct ws_res_attrs {
	uint16_t n;	  /* attributes in a[] */
	uint16_t used;	  /* bytes of buf taken */
	uint16_t dropped; /* entries refused: malformed, too long, or no room */
	struct ws_res_attr a[WS_RES_ATTRS_MAX];
	char buf[WS_RES_ATTRS_BUF];
};

/* An empty set (a zeroed struct is one too). */
void ws_res_attrs_init(struct ws_res_attrs *s);

/*
 * Adds the entries of an OTEL_RESOURCE_ATTRIBUTES value (len bytes, not
 * necessarily NUL-terminated) to s; a key already in s gets the new value.
 * An entry is dropped (counted in s->dropped) when it has no '=', its key
 * is empty, a '%' is not followed by two hex digits, it decodes to a NUL or
 * another control character, it is longer than the limits above, or s is
 * full. Empty entries (",,") are not entries. Returns the entries dropped
 * by this call.
 */
int ws_res_attrs_parse(struct ws_res_attrs *s, const char *text, size_t len);

/* Sets key to val (klen, vlen bytes), replacing its value if present. 0 or -ENOSPC. */
int ws_res_attrs_set(struct ws_res_attrs *s, const char *key, size_t klen, const char *val,
		     size_t vlen);

/* The value of key, NUL-terminated, or NULL. */
const char *ws_res_attrs_get(const struct ws_res_attrs *s, const char *key);

/* Key and value of attribute i (< s->n), NUL-terminated. */
static inline const char *ws_res_attr_key(const struct ws_res_attrs *s, unsigned int i)
{
	return s->buf + s->a[i].key;
}

static inline const char *ws_res_attr_val(const struct ws_res_attrs *s, unsigned int i)
{
	return s->buf + s->a[i].val;
}

#endif /* WS_RESATTRS_H */
