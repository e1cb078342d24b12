/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The grouping both OTLP encodings share: a batch of spans becomes one
 * ResourceSpans per distinct resource, in order of first appearance, each
 * holding its spans in batch order. A pure step over the batch; the
 * encoders (otlp_pb.c, otlp_json.c) then write group after group.
 */
#ifndef WS_OTLP_GROUP_H
#define WS_OTLP_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "otlp_pb.h"

struct ws_span;
struct ws_resource;

/* One distinct resource of the batch: its spans are order[first .. first + nspans). */
struct ws_otlp_group {
	const struct ws_resource *res;
	uint32_t nspans;
	uint32_t first;
};

struct ws_otlp_groups {
	const struct ws_otlp_group *group; /* n groups, in order of first appearance */
	size_t n;
	const uint32_t *order; /* span indexes, group after group, batch order within each */
};

/*
 * Groups spans[0..n) by resource pointer. The tables live in b->scratch
 * (grown as needed, kept for the next batch) and stay valid until b is used
 * again; b's data is not touched. Span indexes are 32-bit: n above
 * UINT32_MAX / 2 is refused. 0, or -ENOMEM.
 */
int ws_otlp_group(struct ws_span *const *spans, size_t n, struct ws_buf *b,
		  struct ws_otlp_groups *out);

#endif /* WS_OTLP_GROUP_H */
