/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tail rules: a trace the head sampler dropped is kept after all when one of
 * its spans is an error (status ERROR: a SERVER 5xx, a CLIENT 4xx/5xx, a
 * failed connect, a reset, a timeout; semconv.c sets it) or slower than a
 * threshold (end - start). Only spans the head dropped come here: a trace
 * the head keeps never waits.
 *
 * Such a span waits, with the spans of its trace, for at most the decision
 * wait (from the trace's first held span). The first error or slow span
 * releases the trace's held spans and itself at once (the keep callback,
 * oldest first); a wait that expires frees them, never encoded. A trace's
 * decision then goes into a bounded LRU cache (trace id -> keep or drop), so
 * its late spans follow it without waiting. When a span does not fit
 * (traces in flight, spans held), the oldest waiting trace falls back to the
 * head's decision early (freed, counted, remembered) to make room: under load
 * the wait shrinks rather than new traces getting none.
 *
 * Every span offered ends in exactly one counter (enum ws_tail_reason), or
 * is held now (ws_tail_held()): the counters split the head's drops.
 *
 * Pure: time comes in as arguments (any clock that does not go back), no
 * I/O, one thread. Memory is allocated once at ws_tail_new(), by the bounds.
 */
#ifndef WS_TAIL_H
#define WS_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ws_span;
struct ws_tail;

/* Where spans offered to the tail rules ended, by reason: the counters' names, by index. */
enum ws_tail_reason {
	WS_TAIL_KEPT_ERROR = 0,	 /* its trace had an error span */
	WS_TAIL_KEPT_SLOW,	 /* its trace had a slow span (and no error before it) */
	WS_TAIL_KEPT_DEGRADED,	 /* its trace called a partner degraded at the time (peers.h) */
	WS_TAIL_KEPT_DECIDED,	 /* came after its trace was kept: follows the cached decision */
	WS_TAIL_DROPPED_WAITED,	 /* the decision wait expired with no error or slow span */
	WS_TAIL_DROPPED_DECIDED, /* came after its trace was dropped: follows the cached decision */
	WS_TAIL_DROPPED_OVERFLOW, /* its trace's wait ended early to make room: the head's drop */
	WS_TAIL__COUNT,
};

#define WS_TAIL_REASON_NAMES                                                                       \
	{                                                                                          \
		"sampled_kept_error", "sampled_kept_slow", "sampled_kept_degraded",                \
			"sampled_kept_decided", "sampled_dropped_waited",                          \
			"sampled_dropped_decided", "sampled_dropped_overflow"                      \
	}

/*
 * Defaults. The wait: a trace's spans on one host finish within its
 * request's duration, so a wait a few times the slow threshold holds nearly
 * every trace whole. The bounds: a held span costs its shrunk block (about
 * 1.5 KB with its attributes), so 50,000 spans are about 75 MB at worst.
 */
#define WS_TAIL_WAIT_MS 5000
#define WS_TAIL_SLOW_MS 1000
#define WS_TAIL_MAX_TRACES 10000
#define WS_TAIL_MAX_SPANS 50000
#define WS_TAIL_MAX_DECIDED 65536
/* Bounds accepted by ws_tail_new(): index arithmetic stays in 32 bits. */
#define WS_TAIL_BOUND_MAX (1u << 24)

/* A span kept: ctx is ws_tail_opts.ctx. Takes sp. */
typedef void (*ws_tail_keep_cb)(void *ctx, struct ws_span *sp);

struct ws_tail_opts {
	uint64_t wait_ns;     /* the decision wait */
	uint64_t slow_ns;     /* a span this slow or slower keeps its trace; 0: no slow rule */
	uint32_t max_traces;  /* traces waiting at once, 1..WS_TAIL_BOUND_MAX */
	uint32_t max_spans;   /* spans held at once, 1..WS_TAIL_BOUND_MAX */
	uint32_t max_decided; /* decisions cached (LRU), 1..WS_TAIL_BOUND_MAX */
	uint64_t seed;	      /* keys the trace id hash (from the wire: chosen by others) */
	ws_tail_keep_cb keep; /* where kept spans go */
	void *ctx;
	/*
	 * Whether a span is a call to a partner degraded now (ws_peers_span_degraded):
	 * such a span keeps its trace, as an error does. NULL: no such rule.
	 */
	bool (*degraded)(const void *degraded_ctx, const struct ws_span *sp);
	const void *degraded_ctx;
};

/* NULL + errno: EINVAL (a bound out of range, no keep callback), ENOMEM. */
struct ws_tail *ws_tail_new(const struct ws_tail_opts *o);
/*
 * A span the head sampler dropped, finished at now_ns. Takes sp: it is held,
 * kept (through the callback, with its trace's held spans before it) or
 * freed. Expires the traces whose wait ended by now_ns first.
 */
void ws_tail_offer(struct ws_tail *t, struct ws_span *sp, uint64_t now_ns);
/* Drops the held spans of every trace whose wait ended by now_ns. */
void ws_tail_tick(struct ws_tail *t, uint64_t now_ns);
/* Drops everything held (counted as waited): shutdown. */
void ws_tail_flush(struct ws_tail *t);
/* The counters of now, by enum ws_tail_reason. */
void ws_tail_stats(const struct ws_tail *t, uint64_t out[WS_TAIL__COUNT]);
/* Spans held now. */
uint64_t ws_tail_held(const struct ws_tail *t);
/*
 * Whether sp alone keeps its trace: status ERROR, end - start >= slow_ns
 * (when set), or a call to a partner degraded now (when that rule is set).
 */
bool ws_tail_triggers(const struct ws_tail *t, const struct ws_span *sp, enum ws_tail_reason *why);
/*
 * The tracestate of a span kept by a tail rule: the specification's th is
 * for probabilistic decisions only, so th is erased from the ot entry (and
 * an ot entry left empty goes too). In place: the tracestate only shrinks.
 */
void ws_tail_erase_th(struct ws_span *sp);
/* Frees what is held (uncounted) and the tables. NULL: no-op. */
void ws_tail_free(struct ws_tail *t);

#endif /* WS_TAIL_H */
