/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's counters at one moment (struct ws_counters, one snapshot of
 * every stage) and its two renderings side by side: the stats log line and
 * the Prometheus text /metrics serves. Pure formatting, so both are tested
 * alone, and a counter added to the snapshot is added to both in one place.
 */
#ifndef WS_STATS_H
#define WS_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "assemble.h"
#include "batch.h"
#include "exporter.h"
#include "golang.h"
#include "peers.h"
#include "sampler.h"
#include "tail.h"
#include "wirespan.h"

/* Peers /metrics lists at most (the degraded first, then the most recently called). */
#define WS_METRICS_PARTNERS 64

struct ws_counters {
	int have_kernel; /* 0 in a replay */
	uint64_t kernel[WS_STAT__COUNT];
	uint64_t user[WS_ASM_STAT__COUNT];
	struct ws_batch_stats export;
	struct ws_export_counters exporter; /* failures by kind, retries, refused spans */
	uint64_t not_exported;
	uint64_t conns;
	struct ws_go_stats go;		    /* Go programs whose goroutines are followed */
	uint64_t sampled[WS_SAMPLE__COUNT]; /* spans kept and dropped by the sampler, by reason */
	struct ws_peers_stats partners;	    /* degraded partners: now, and transitions */
	uint32_t npartner;		    /* partner[] listed: the degraded first */
	struct ws_peer_info partner[WS_METRICS_PARTNERS];
	uint64_t tail[WS_TAIL__COUNT]; /* the sampler's drops, by the tail rules' outcome */
	uint64_t tail_held;	       /* spans waiting for the tail rules now */
};

/*
 * "wirespan: stats kernel: ... go: ... user: ... conns=N export: sampled_...
 * partners_degraded=N partner_transitions=N partners_evicted=N queued=...\n":
 * one line with every counter, named as in bpf/wirespan.h, assemble.h and
 * exporter.h (the kernel and go parts only when have_kernel). Tests and the
 * README parse it: names and order are an interface. Bytes written, or
 * -ENOSPC (out then holds a cut line).
 */
int ws_stats_line(const struct ws_counters *c, char *out, size_t outsz);

/* Prometheus text exposition (version 0.0.4). Bytes written, or -ENOSPC. */
int ws_metrics_format(const struct ws_counters *c, char *out, size_t outsz);

#endif /* WS_STATS_H */
