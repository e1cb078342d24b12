/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Spans grouped by resource for the OTLP encoders (see otlp_group.h): an
 * open-addressing table keyed by the resource pointer, then a counting
 * pass that lays the span indexes out group after group. Everything lives
 * in the buffer's scratch memory, so a batch costs no allocation once it
 * has grown to the batch size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmix.h"
#include "otlp_group.h"
#include "span.h"

static inline size_t ptr_hash(const void *p, size_t mask)
{
	/* Resources are heap blocks: the low bits carry little, so mix them all in. */
	return (size_t)ws_mix64((uintptr_t)p) & mask;
}

static int scratch_reserve(struct ws_buf *b, size_t cap)
{
	void *p;

	if (cap <= b->scratch_cap)
		return 0;
	/* Batch sizes vary: grow geometrically, not once per slightly bigger batch. */
	if (cap < b->scratch_cap * 2)
		cap = b->scratch_cap * 2;
	p = realloc(b->scratch, cap);
	if (!p)
		return -ENOMEM;
	b->scratch = p;
	b->scratch_cap = cap;
	return 0;
}

int ws_otlp_group(struct ws_span *const *spans, size_t n, struct ws_buf *b,
		  struct ws_otlp_groups *out)
{
	size_t nslots = 16, mask, i, ng = 0;
	size_t slots_sz, grp_sz, groups_sz, order_sz;
	uint32_t *slots, *span_grp, *order;
	struct ws_otlp_group *groups;
	int err;

	*out = (struct ws_otlp_groups){ 0 };
	if (n > UINT32_MAX / 2)
		return -ENOMEM;
	while (nslots < 2 * n)
		nslots <<= 1;
	slots_sz = nslots * sizeof(uint32_t);
	grp_sz = n * sizeof(uint32_t);
	order_sz = n * sizeof(uint32_t);
	groups_sz = n * sizeof(struct ws_otlp_group);
	err = scratch_reserve(b, groups_sz + slots_sz + grp_sz + order_sz);
	if (err)
		return err;
	/* the groups first: they have the strictest alignment */
	groups = b->scratch;
	slots = (uint32_t *)((char *)b->scratch + groups_sz);
	span_grp = slots + nslots;
	order = span_grp + n;
	memset(slots, 0, slots_sz);

	mask = nslots - 1;
	for (i = 0; i < n; i++) {
		const struct ws_resource *res = spans[i]->res;
		size_t h = ptr_hash(res, mask);

		/* slots hold group index + 1; 0 is empty */
		while (slots[h] && groups[slots[h] - 1].res != res)
			h = (h + 1) & mask;
		if (!slots[h]) {
			groups[ng] = (struct ws_otlp_group){ .res = res };
			slots[h] = (uint32_t)++ng;
		}
		span_grp[i] = slots[h] - 1;
		groups[span_grp[i]].nspans++;
	}
	for (i = 1; i < ng; i++)
		groups[i].first = groups[i - 1].first + groups[i - 1].nspans;
	for (i = 0; i < ng; i++)
		groups[i].nspans = 0; /* refilled below as a cursor */
	for (i = 0; i < n; i++) {
		struct ws_otlp_group *g = &groups[span_grp[i]];

		order[g->first + g->nspans++] = (uint32_t)i;
	}
	*out = (struct ws_otlp_groups){ .group = groups, .n = ng, .order = order };
	return 0;
}
