/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a span says about its HTTP exchange, per the OpenTelemetry HTTP
 * semantic conventions (stable): name, url.*, server.*, network.*, status
 * and error.type, plus the W3C trace context, the allowlisted baggage and
 * the partner attributes. Pure: a parsed head and a tuple in, attributes out.
 */
#ifndef WS_SEMCONV_H
#define WS_SEMCONV_H

#include <stdbool.h>
#include <stdint.h>

#include "http1.h"
#include "span.h"
#include "wirespan.h"

struct ws_partners;
struct ws_baggage_allow;

struct ws_semconv_opts {
	const struct ws_partners *partners;	/* NULL: no partner names or request ids */
	const struct ws_baggage_allow *baggage; /* NULL or empty: nothing from baggage */
	const char (*baggage_keys)[64];		/* attribute keys of baggage->keys[i] */
};

/*
 * New span and trace ids, or the request's own traceparent when it is valid
 * and alone (two of them start a new trace, as the W3C rules say); its
 * tracestate is then kept when valid, normalized. true: the wire's context.
 */
bool ws_semconv_trace_context(struct ws_span *s, const struct http1_head *h);
/* The request's attributes; s->kind says which side the process is on. */
void ws_semconv_request(struct ws_span *s, const struct http1_head *h, const struct ws_tuple *t,
			const struct ws_semconv_opts *o);
/* The final response's status, error and (CLIENT spans) the partner's request id. */
void ws_semconv_response(struct ws_span *s, const struct http1_head *h,
			 const struct ws_semconv_opts *o);
/*
 * How a call failed: error.type (low cardinality, as semconv asks) and,
 * where the system named an error, the exception event's type (its errno
 * name) and message (its strerror text).
 */
struct ws_failure {
	const char *error_type;
	const char *exc_type; /* NULL: no exception event (a plain hang-up) */
	const char *exc_msg;
};

/* What a close record's flags say of the calls still waiting; NULL: nothing failed. */
const struct ws_failure *ws_failure_of_close(uint16_t flags);
/* What a failed-connect record's flags say; NULL: not a failure (the caller gave up). */
const struct ws_failure *ws_failure_of_connect(uint16_t flags);

/* A call that got no answer: status ERROR, error.type, the exception event at time_unix_ns. */
void ws_semconv_failed(struct ws_span *s, const struct ws_failure *f, uint64_t time_unix_ns);
/*
 * A CLIENT call whose connect() failed: nothing of the request is known but
 * where it went (server.*, network.peer.*, peer.service), named "HTTP" as
 * semconv names a call of unknown method; then ws_semconv_failed().
 */
void ws_semconv_connect_failed(struct ws_span *s, const struct ws_tuple *t,
			       const struct ws_failure *f, uint64_t time_unix_ns,
			       const struct ws_semconv_opts *o);

#endif /* WS_SEMCONV_H */
