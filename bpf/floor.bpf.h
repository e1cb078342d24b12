/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Benchmark-only variants (--floor, --floor-copy; knobs floor_only and
 * floor_copy in maps.bpf.h), kept apart from the tracing proper: each
 * program has one hook here, a test of a const volatile knob that the
 * verifier prunes at its default (0), so the product pays nothing for them.
 */
#ifndef WS_FLOOR_BPF_H
#define WS_FLOOR_BPF_H

#include "maps.bpf.h"
#include "emit.bpf.h"

/* --floor: every program returns at once, before it selects. */
static __always_inline bool ws_floor_return(void)
{
	return floor_only;
}

/*
 * --floor-copy: the socket tracepoints' programs, once they have selected,
 * only copy and output (ws_emit_floor_copy).
 */
static __always_inline bool ws_floor_copies(void)
{
	return floor_copy;
}

/*
 * --floor and --floor-copy: no connection state, so the TCP state-change
 * programs return at once.
 */
static __always_inline bool ws_floor_stateless(void)
{
	return floor_only || floor_copy;
}

/*
 * --floor-copy, for benchmarks: the least any capture does with an I/O of
 * a selected process (its syscall's registers are in ub): copy as many
 * bytes as a data record would, time them and put them in the ring, waking
 * the consumer as data records do. No connection state, classification,
 * stream position, tuple or name: what ws_emit_data costs beyond this is
 * wirespan's own. The agent counts these records and drops them.
 */
static __always_inline int ws_emit_floor_copy(struct sock *sk, long ret, __u8 dir,
					      const struct ws_ubuf *ub, __u64 id)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct ws_scratch *s = bpf_map_lookup_elem(&scratch, &cpu);
	long n;

	if (!s)
		return 0;
	n = ws_copy_user(s->data, ub, 0, ret < cap_bytes ? ret : cap_bytes);
	if (n < 0)
		n = 0;
	if (n > WS_CAP_MAX)
		n = WS_CAP_MAX;
	ws_scratch_head(s, WS_REC_FLOOR, 0, id, (__u64)sk, ret, n, dir);
	ws_scratch_submit(s, n, false);
	return 0;
}

#endif /* WS_FLOOR_BPF_H */
