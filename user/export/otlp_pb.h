/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * OTLP protobuf encoding of finished spans: one ExportTraceServiceRequest
 * (the body of an OTLP/HTTP POST to /v1/traces) per batch, with the spans
 * grouped into one ResourceSpans per traced process. The growable buffer the
 * request is packed into also keeps the encoder's scratch memory, so the
 * export thread encodes batch after batch without allocating.
 */
#ifndef WS_OTLP_PB_H
#define WS_OTLP_PB_H

#include <stddef.h>
#include <stdint.h>

struct ws_span;

struct ws_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	/* The encoder's scratch tables (spans grouped by resource), kept between batches. */
	void *scratch;
	size_t scratch_cap;
};

#define WS_BUF_INIT                                                                                \
	{                                                                                          \
		0                                                                                  \
	}

/* Makes room for at least cap bytes in data; len is kept. 0 or -ENOMEM. */
int ws_buf_reserve(struct ws_buf *b, size_t cap);
/* Frees data and scratch; b is an empty WS_BUF_INIT buffer after. */
void ws_buf_release(struct ws_buf *b);

/*
 * Replaces out->data[0..len) with a serialized ExportTraceServiceRequest
 * holding the n spans (n == 0 gives an empty request, len 0). Strings are
 * borrowed from the spans and their resources while encoding, nothing is
 * kept after return; bytes that are not UTF-8 go out as U+FFFD. 0, or
 * -ENOMEM with out->len 0.
 */
int ws_otlp_encode(struct ws_span *const *spans, size_t n, struct ws_buf *out);

/*
 * The same request, left where the encoder writes it, at the end of
 * out->data (*data, *len; out->len is 0): no move of the whole request to
 * the front for a caller that takes a pointer anyway. Valid until out is
 * used again. 0, or -ENOMEM with *len 0.
 */
int ws_otlp_encode_end(struct ws_span *const *spans, size_t n, struct ws_buf *out,
		       const uint8_t **data, size_t *len);

#endif /* WS_OTLP_PB_H */
