/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Degraded partners: for every peer the agent's CLIENT spans call, the error
 * rate and the p99 latency over a sliding window, and a state with
 * hysteresis. A peer is named by the span's peer.service (a --partner name)
 * when it has one, else by server.address and server.port ("host:port").
 *
 * The window is WS_PEERS_SLOTS slots of window/WS_PEERS_SLOTS each (60 s: ten
 * slots of 6 s), a ring indexed by time: a fixed slot count keeps the cost of
 * a look at the window the same whatever its length, and a test's window of
 * 2 s slides in 200 ms steps. The window holds the current slot and the nine
 * before it, so it spans between 90% and 100% of its length.
 *
 * Latency goes into a fixed log-spaced histogram per slot: four bins per
 * doubling from 1 ms to 2^16 ms (65.5 s), one under and one over. p99 is the
 * upper edge of the bin holding the 99th percentile call: never below the
 * true p99 and at most 2^(1/4) (19%) above it, so a latency threshold trips
 * at most 19% early, never late.
 *
 * Pure: no I/O, no clock (time is the caller's, a span's end time), no
 * allocation past ws_peers_new(). One thread.
 */
#ifndef WS_PEERS_H
#define WS_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ws_span;
struct ws_peers;

#define WS_PEERS_SLOTS 10
/* Bins: 0 is under 1 ms, 1..64 are [2^((i-1)/4), 2^(i/4)) ms, 65 is 65.5 s and over. */
#define WS_PEERS_BINS_PER_DOUBLING 4
#define WS_PEERS_BINS (16 * WS_PEERS_BINS_PER_DOUBLING + 2)
/* A peer's name: longer ones are cut (two that share these bytes share a state). */
#define WS_PEER_NAME_MAX 128

/* The defaults a 0 in ws_peers_opts stands for. */
#define WS_PEERS_DEFAULT_MAX 1024
#define WS_PEERS_DEFAULT_WINDOW_S 60
#define WS_PEERS_DEFAULT_ERROR_PCT 10
#define WS_PEERS_DEFAULT_RECOVER_PCT 5
#define WS_PEERS_DEFAULT_P99_MS 2000
#define WS_PEERS_DEFAULT_MIN_CALLS 20
/* Recovery wants p99 under this share of the latency threshold (hysteresis). */
#define WS_PEERS_RECOVER_P99_PCT 80

/* A peer's state change, as ws_peers_observe() reports it: valid during the callback. */
struct ws_peer_transition {
	const char *peer;		   /* NUL-terminated */
	bool degraded;			   /* true: it became degraded; false: it recovered */
	bool by_errors;			   /* degraded: the error rate crossed (else the p99 did) */
	uint32_t error_pct, p99_ms, calls; /* the window's, now */
	uint32_t window_s;
	uint32_t error_threshold_pct; /* degraded: the upper one; recovered: the lower one */
	uint32_t p99_threshold_ms;    /* degraded: the threshold; recovered: 80% of it */
};

typedef void (*ws_peers_transition_fn)(void *ctx, const struct ws_peer_transition *t);

/* Every field's 0 means its default (WS_PEERS_DEFAULT_*). */
struct ws_peers_opts {
	uint32_t max_peers;   /* the table's bound; the least recently called goes first */
	uint32_t window_s;    /* the sliding window's length */
	uint32_t error_pct;   /* degraded at an error rate >= this */
	uint32_t recover_pct; /* recovered under this (at most error_pct: cut to it) */
	uint32_t p99_ms;      /* degraded at p99 >= this; recovered under 80% of it */
	uint32_t min_calls;   /* fewer calls in the window: no change either way */
	ws_peers_transition_fn on_transition; /* NULL: none reported */
	void *ctx;
};

/* One peer, for /metrics. */
struct ws_peer_info {
	char name[WS_PEER_NAME_MAX];
	bool degraded;
	uint32_t calls, error_pct, p99_ms; /* over the window as last observed */
};

struct ws_peers_stats {
	uint64_t transitions; /* to degraded and back, each one */
	uint64_t evicted;     /* peers dropped from the full table */
	uint32_t peers;	      /* in the table now */
	uint32_t degraded;    /* of them, degraded now */
};

/* NULL + errno ENOMEM. */
struct ws_peers *ws_peers_new(const struct ws_peers_opts *opts);
/* NULL is a no-op. */
void ws_peers_free(struct ws_peers *p);

/*
 * Counts a finished CLIENT span (others are ignored) for its peer at now_ns
 * (its end time), then judges the peer over the window ending there and
 * reports a change through on_transition, once. A span older than the
 * window (as the peer's newest call has moved it) is not counted. p NULL:
 * a no-op, so a caller without a tracker calls it all the same.
 */
void ws_peers_observe(struct ws_peers *p, const struct ws_span *s, uint64_t now_ns);
/* Whether s is a CLIENT span whose peer is degraded now: the tail sampler's keep rule. */
bool ws_peers_span_degraded(const struct ws_peers *p, const struct ws_span *s);
size_t ws_peers_degraded_now(const struct ws_peers *p);
void ws_peers_stats(const struct ws_peers *p, struct ws_peers_stats *out);
/*
 * At most max peers into out, the degraded first, then by the most recent
 * call. The number written.
 */
size_t ws_peers_list(const struct ws_peers *p, struct ws_peer_info *out, size_t max);
/*
 * t as the log line, "wirespan: partner NAME degraded: error rate 23% (>= 10%)
 * over 60 s, p99 180 ms\n" and its kin. Length as snprintf's.
 */
int ws_peer_transition_line(const struct ws_peer_transition *t, char *out, size_t outsz);
/* The histogram bin of a latency, and a bin's upper edge in ms (for tests). */
unsigned ws_peers_bin(uint64_t ns);
uint64_t ws_peers_bin_upper_ms(unsigned bin);

#endif /* WS_PEERS_H */
