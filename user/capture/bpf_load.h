/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel side, applied: open the skeleton, set the knobs from the
 * config, enable the hook families the plan chose, load, fill the selection
 * maps, attach, and hand out the ring buffer and the kernel's counters.
 */
#ifndef WS_BPF_LOAD_H
#define WS_BPF_LOAD_H

#include <stdint.h>

#include <bpf/libbpf.h>

#include "config.h"
#include "golang.h"
#include "probe.h"
#include "ringbuf.h"
#include "wirespan.h"

struct ws_bpf;

/*
 * Loads and attaches per plan; records go to sample_cb(ctx, data, size).
 * On failure returns NULL, errno set, and one line naming what failed in
 * err (and what to do).
 */
struct ws_bpf *ws_bpf_start(const struct ws_config *c, const struct ws_plan *plan,
			    ws_ring_cb sample_cb, void *ctx, char *err, size_t errsz);
struct ws_ring *ws_bpf_ring(struct ws_bpf *b);
/*
 * Bytes a CPU puts in a ring of ringbuf_bytes before it wakes the consumer
 * (an eighth of the ring, at most 256 KiB, over the online CPUs; at least
 * 4 KiB). Below it the agent's drain tick reads the ring.
 */
uint64_t ws_bpf_wake_bytes(uint64_t ringbuf_bytes);
/* Kernel counters summed over CPUs, indexed by enum ws_stat. 0 or -errno. */
int ws_bpf_stats(struct ws_bpf *b, uint64_t out[WS_STAT__COUNT]);
/*
 * tgid runs a Go program whose goroutines the kernel side can tell
 * (resource.h go_goroutines): its records carry goroutines from now on, and
 * its net/http client is probed. Idempotent. 0, or -errno (the records
 * still carry goroutines when only the probes failed; counted, logged).
 */
int ws_bpf_go_process(struct ws_bpf *b, uint32_t tgid);
/*
 * Asks the kernel side to skip stretches of connection sock_id's streams
 * (struct ws_skip; the assembler's skip_body), or, with hint NULL, forgets
 * its entry. 0 or -errno (best effort: a failure only means bytes are
 * copied after all).
 */
int ws_bpf_skip(struct ws_bpf *b, uint64_t sock_id, const struct ws_skip *hint);
/*
 * The two above as the assembler's kernel hints (ws_assembler_opts
 * go_process and skip_body), hint_ctx being the address of the agent's
 * struct ws_bpf pointer rather than the handle: the assembler is made before
 * the kernel side is loaded and freed after it is let go (set to NULL), and
 * a hint then has nothing to ask.
 */
void ws_bpf_hint_go_process(void *bpf_slot, uint32_t tgid);
void ws_bpf_hint_skip(void *bpf_slot, uint64_t sock_id, const struct ws_skip *hint);
/* Forgets the Go processes that have exited (their probes, their bit). */
void ws_bpf_go_reap(struct ws_bpf *b);
void ws_bpf_go_stats(const struct ws_bpf *b, struct ws_go_stats *out);
void ws_bpf_free(struct ws_bpf *b);

#endif /* WS_BPF_LOAD_H */
