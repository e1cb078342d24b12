/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A finished span, as the assembler builds it and every exporter reads it.
 * Attributes are a flat list whose string values live in the span's own
 * arena, so a span is one allocation that can cross to the export thread.
 */
#ifndef WS_SPAN_H
#define WS_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "resource.h"

#define WS_SPAN_MAX_ATTRS 24
#define WS_SPAN_STRBUF 2048    /* arena for attribute strings and tracestate */
#define WS_ATTR_VALUE_MAX 1024 /* longer string values are cut to this */

/* Values are OTLP's Span.SpanKind and Status.StatusCode numbers. */
enum ws_span_kind { WS_KIND_SERVER = 2, WS_KIND_CLIENT = 3 };
enum ws_status_code { WS_STATUS_UNSET = 0, WS_STATUS_OK = 1, WS_STATUS_ERROR = 2 };

enum ws_attr_type { WS_ATTR_STR = 1, WS_ATTR_INT = 2 };

struct ws_attr {
	const char *
		key; /* a literal, or a token checked by the configuration: ASCII, never copied or freed */
	uint8_t type; /* enum ws_attr_type */
	uint8_t ascii; /* WS_ATTR_STR: 1: every value byte is 0x01..0x7f (sent unchecked); 0: not known */
	uint16_t off;  /* WS_ATTR_STR: value at span->strbuf + off */
	uint16_t len;  /* WS_ATTR_STR: value length, no NUL counted */
	uint16_t klen; /* strlen(key), or 0 when not known: see ws_attr_klen() */
	int64_t ival;  /* WS_ATTR_INT */
};

/*
 * Who handled a request, for the parents the wire does not carry (links.h):
 * a thread (tgid 0, id its tid: thread ids are unique on the host) or a
 * goroutine of Go process tgid (id its runtime g, an address in that
 * process). id 0: not known, no parent is inferred.
 */
struct ws_exec_ctx {
	uint64_t id;
	uint32_t tgid;
};

/* A span link (OTLP Span.Link): a related span in another trace, e.g. the call that registered a webhook. */
struct ws_span_link {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t trace_flags;
};

#define WS_SPAN_MAX_LINKS 2

struct ws_span {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8]; /* all zero: a root span */
	uint8_t trace_flags;	   /* W3C trace-flags (bit 0: sampled) */
	uint8_t kind;		   /* enum ws_span_kind */
	uint8_t status;		   /* enum ws_status_code */
	char name[24];		   /* the HTTP method, or "HTTP" when it is not a known one */
	uint64_t start_unix_ns;
	uint64_t end_unix_ns;
	struct ws_exec_ctx exec;		 /* who handled the request */
	struct ws_resource *res;		 /* holds a reference: ws_span_free() drops it */
	uint16_t tracestate_off, tracestate_len; /* in strbuf; len 0: none */
	uint16_t nattrs;
	uint16_t strbuf_used;
	uint16_t dropped_attrs; /* attributes that did not fit */
	uint8_t nlinks;
	struct ws_span_link links[WS_SPAN_MAX_LINKS];
	/*
	 * One "exception" event (OTLP Span.Event) where a failure is known
	 * (connection refused, reset, timeout): exc_time_unix_ns 0 means none.
	 * exception.type and exception.message live in strbuf.
	 */
	uint64_t exc_time_unix_ns;
	uint16_t exc_type_off, exc_type_len;
	uint16_t exc_msg_off, exc_msg_len;
	struct ws_attr attrs[WS_SPAN_MAX_ATTRS];
	char strbuf[WS_SPAN_STRBUF];
};

/*
 * A new span, zeroed up to its attribute table: nattrs and strbuf_used are
 * 0, and the table's slots and the arena hold garbage until added to (so
 * nothing may read attrs[] at or past nattrs). NULL with errno ENOMEM.
 */
struct ws_span *ws_span_new(void);
/*
 * A finished span gives back the arena bytes it did not use (most of them:
 * a span's strings are a few hundred bytes), so queued spans cost what they
 * hold. strbuf[strbuf_used] stays readable and is NUL. The span is read-only
 * after this: nothing may be added. Returns the span (maybe moved). Only
 * for a span of ws_span_new(), once: its full-size block is kept for the
 * calling thread's next ws_span_new().
 */
struct ws_span *ws_span_shrink(struct ws_span *s);
/* Drops the resource reference, frees the span. NULL is a no-op. */
void ws_span_free(struct ws_span *s);

/*
 * Append attributes; values longer than WS_ATTR_VALUE_MAX are cut. 0 or
 * -ENOSPC (counted in dropped_attrs). klen is strlen(key).
 */
int ws_span_add_str_kl(struct ws_span *s, const char *key, size_t klen, const char *val,
		       size_t len);
int ws_span_add_int_kl(struct ws_span *s, const char *key, size_t klen, int64_t val);

/*
 * The same, measuring the key here: inline, so that a literal key's length
 * is a constant and no exporter measures it again for every span.
 */
static inline int ws_span_add_str(struct ws_span *s, const char *key, const char *val, size_t len)
{
	return ws_span_add_str_kl(s, key, key ? strlen(key) : 0, val, len);
}

static inline int ws_span_add_int(struct ws_span *s, const char *key, int64_t val)
{
	return ws_span_add_int_kl(s, key, key ? strlen(key) : 0, val);
}
/* Stores the tracestate header value in the arena. 0 or -ENOSPC. */
int ws_span_set_tracestate(struct ws_span *s, const char *val, size_t len);

/* Adds a link; -ENOSPC when WS_SPAN_MAX_LINKS are there already. */
int ws_span_add_link(struct ws_span *s, const uint8_t trace_id[16], const uint8_t span_id[8],
		     uint8_t trace_flags);
/* Records the exception event (replacing an earlier one). 0 or -ENOSPC. */
int ws_span_set_exception(struct ws_span *s, uint64_t time_unix_ns, const char *type,
			  const char *msg);

/* Lookups, for exporters and tests: NULL when absent. */
const struct ws_attr *ws_span_attr(const struct ws_span *s, const char *key);
/* A root span: its parent_span_id is all zero (on the wire, no parent at all). */
static inline bool ws_span_is_root(const struct ws_span *s)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < sizeof(s->parent_span_id); i++)
		acc |= s->parent_span_id[i];
	return !acc;
}

/*
 * Whether [off, off + len) lies in the part of the arena the span holds:
 * a finished span is shrunk to it. false is a bug upstream, and exporters
 * then drop the value rather than read outside the span.
 */
static inline bool ws_span_in_arena(const struct ws_span *s, size_t off, size_t len)
{
	size_t used = s->strbuf_used < WS_SPAN_STRBUF ? s->strbuf_used : WS_SPAN_STRBUF;

	return off <= used && len <= used - off;
}

/* The length of a's key: measured only for an attribute not made by ws_span_add_*(). */
static inline size_t ws_attr_klen(const struct ws_attr *a)
{
	return a->klen ? a->klen : strlen(a->key);
}

/* Whether an exporter can send attribute a of s (else: counted as dropped). */
static inline bool ws_attr_readable(const struct ws_span *s, const struct ws_attr *a)
{
	return a->key && (a->type == WS_ATTR_INT ||
			  (a->type == WS_ATTR_STR && ws_span_in_arena(s, a->off, a->len)));
}

/* The string value of attr (not NUL-terminated; use attr->len). */
static inline const char *ws_attr_str(const struct ws_span *s, const struct ws_attr *a)
{
	return s->strbuf + a->off;
}

#endif /* WS_SPAN_H */
