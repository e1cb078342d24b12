/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Span assembly: ring buffer records in, finished spans out. Owns a
 * connection table (conns.h: one entry per kernel socket, the two HTTP/1.x
 * parsers of each connection, the FIFO of requests awaiting their
 * responses), the inferred parents (parentage.h) and a cache of the
 * processes' resources (procs.h). No BPF, no I/O but /proc reads: the whole
 * pipeline after the ring buffer runs in tests without a kernel.
 */
#ifndef WS_ASSEMBLE_H
#define WS_ASSEMBLE_H

#include <stddef.h>
#include <stdint.h>

struct ws_span;
struct ws_assembler;
struct ws_partners;
struct ws_baggage_allow;
struct ws_res_attrs;
struct ws_webhooks;
struct ws_skip;

/* Receives each finished span and takes ownership of it. */
typedef void (*ws_span_cb)(void *ctx, struct ws_span *span);

struct ws_assembler_opts {
	const char *proc_root;	  /* "/proc" unless a test fakes it; "": never read (replay) */
	int64_t mono_to_unix_ns;  /* add to a record's CLOCK_MONOTONIC ts for Unix time */
	uint64_t idle_timeout_ns; /* connections silent this long are dropped; 0: 5 minutes */
	size_t max_conns;	  /* connection table bound; 0: 16384 (~1 KiB each, idle) */
	/* Partner names and request-id headers of CLIENT spans; NULL: none. */
	const struct ws_partners *partners;
	/* Baggage keys made attributes (named by baggage_keys[i]); NULL or empty: none. */
	const struct ws_baggage_allow *baggage;
	const char (*baggage_keys)[64];
	/* The agent's OTEL_RESOURCE_ATTRIBUTES, under every process's own; NULL: none. */
	const struct ws_res_attrs *resource_attrs;
	/* Routes whose body's first bytes may hold a context (a link or parent); NULL: none. */
	const struct ws_webhooks *webhooks;
	/*
	 * A process first seen (or seen again after exec) runs a Go program
	 * whose goroutines the kernel side can tell: call this to have its
	 * records carry them (ws_bpf_go_process). Called with hint_ctx.
	 * NULL: not called.
	 */
	void (*go_process)(void *ctx, uint32_t tgid);
	/*
	 * A Content-Length body of at least WS_SKIP_MIN_BODY bytes is under
	 * way on connection sock_id: have the kernel side skip what is left of
	 * it (hint: both directions' stretches, for map skips), or, with hint
	 * NULL, forget the connection's. Called with hint_ctx. NULL: not
	 * called (replay).
	 */
	void (*skip_body)(void *ctx, uint64_t sock_id, const struct ws_skip *hint);
	/* The ctx of go_process and skip_body (the kernel side's); NULL: the span callback's. */
	void *hint_ctx;
	/*
	 * The value of the X-Wirespan-Agent header the agent's own exports
	 * carry (a secret of this run): a request with it gets no span, so a
	 * traced collector on this host does not turn exports into spans to
	 * export. NULL or "": none.
	 */
	const char *agent_token;
	/*
	 * The trace flags of a trace this agent starts (no traceparent, no
	 * parent inferred), from its new trace id: the head sampler's decision
	 * for its root, so that the spans here that take the root as their
	 * parent (a CLIENT span of its thread, a SERVER span its call reached)
	 * follow the root. Called with root_ctx. NULL: 1, sampled.
	 */
	uint8_t (*root_flags)(const void *ctx, const uint8_t trace_id[16]);
	const void *root_ctx;
};

/*
 * Smallest rest of a body the kernel side is asked not to copy (skip_body):
 * asking is a system call, worth it when several large I/O are left.
 */
#define WS_SKIP_MIN_BODY (64 * 1024)

/* Counters; names in WS_ASM_STAT_NAMES, in order. */
enum ws_asm_stat {
	WS_ASM_RECORDS = 0,	  /* records taken */
	WS_ASM_BAD_RECORDS,	  /* malformed records (size, type, length fields) */
	WS_ASM_SPANS,		  /* spans built */
	WS_ASM_PARSE_ERRORS,	  /* malformed HTTP: message dropped, stream resynced */
	WS_ASM_HEAD_TOO_BIG,	  /* head over HTTP1_HEAD_MAX */
	WS_ASM_RESP_NO_REQ,	  /* response with no request waiting */
	WS_ASM_REQ_NO_RESP,	  /* request never answered (closed, evicted) */
	WS_ASM_PIPELINE_FULL,	  /* requests dropped: too many in flight on one connection */
	WS_ASM_CONNS_EVICTED,	  /* connections dropped: table full or idle */
	WS_ASM_GAP_DESYNC,	  /* uncaptured bytes made a stream lose sync */
	WS_ASM_RES_ATTRS_DROPPED, /* entries of a process's OTEL_RESOURCE_ATTRIBUTES dropped */
	WS_ASM_WEBHOOK_LINKED,	  /* webhook spans given the context found in their body */
	WS_ASM_WEBHOOK_NO_CONTEXT, /* webhook bodies without a whole, valid context in their first bytes */
	WS_ASM_WEBHOOK_BUSY,	   /* webhook bodies not read: too many being read at once */
	WS_ASM_CONNECT_FAIL_OTHER, /* failed connects to endpoints not seen speaking HTTP: no span */
	WS_ASM_STREAM_GAPS, /* holes in a stream (bytes no record brought) outside skipped bodies */
	WS_ASM_BODIES_SKIPPED, /* bodies the kernel side was asked not to copy (skip_body) */
	WS_ASM_FIELDS_DROPPED, /* header fields left out: a byte the RFC forbids in the value */
	WS_ASM_OWN_EXPORTS,    /* requests that were the agent's own exports: no span */
	WS_ASM_HEADS_CUT,      /* heads whose end was never seen: spans with what came before */
	WS_ASM_STAT__COUNT,
};
#define WS_ASM_STAT_NAMES                                                                          \
	{                                                                                          \
		"records", "bad_records", "spans", "http_parse_errors", "http_head_too_big",       \
			"response_without_request", "request_without_response", "pipeline_full",   \
			"conns_evicted", "gap_desync", "resource_attrs_dropped", "webhook_linked", \
			"webhook_no_context", "webhook_busy", "connect_failures_not_http",         \
			"stream_gaps", "bodies_skipped", "header_fields_dropped", "own_exports",   \
			"heads_cut"                                                                \
	}

struct ws_assembler *ws_assembler_new(const struct ws_assembler_opts *opts, ws_span_cb cb,
				      void *ctx);
/*
 * One ring buffer record (struct ws_data_rec + payload, ws_close_rec or
 * ws_connect_fail_rec), as
 * the ring buffer handed it: size is the record's size. Validates before
 * reading anything; never writes to data. 0, or -EINVAL for a bad record (counted).
 */
int ws_assembler_record(struct ws_assembler *a, const void *data, size_t size);
/* Drops connections idle since before now_mono_ns - idle_timeout (counting what they lose). */
void ws_assembler_expire(struct ws_assembler *a, uint64_t now_mono_ns);
void ws_assembler_stats(const struct ws_assembler *a, uint64_t out[WS_ASM_STAT__COUNT]);
size_t ws_assembler_nconns(const struct ws_assembler *a);
void ws_assembler_free(struct ws_assembler *a);

#endif /* WS_ASSEMBLE_H */
