// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Go's net/http client: the goroutine that calls (a handler's) is not the
 * one that writes the request (the connection's writeLoop). Two uprobes,
 * attached by user space to each selected Go process it finds, say which
 * goroutine asked for which *http.Request and which goroutine writes it.
 * Function entries only: Go moves goroutine stacks, so no uretprobes.
 *
 * Go's register ABI (ABIInternal, Go >= 1.17): the receiver and the
 * arguments in RAX, RBX, RCX, ... (X0, X1, ... on arm64), g in R14 (X28):
 * arch.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "filter.bpf.h"
#include "arch.bpf.h"
#include "emit.bpf.h"
#include "floor.bpf.h"

static __always_inline int ws_go_emit(__u64 goroutine, __u64 req, __u32 event)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ws_go_rec *r;

	if (ws_floor_return() || !ws_selected(id >> 32))
		return 0;
	r = ws_rec_reserve(sizeof(*r), WS_REC_GO, 0, id >> 32, (__u32)id, 0);
	if (!r)
		return 0;
	r->goroutine = goroutine;
	r->req = req;
	r->event = event;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP); /* no wakeup per call: the drain tick reads it */
	ws_stat(WS_STAT_GO_EVENTS);
	return 0;
}

/* func (t *Transport) roundTrip(req *Request) (*Response, error): in the caller's goroutine. */
SEC("uprobe")
int ws_go_roundtrip(struct pt_regs *ctx)
{
	return ws_go_emit(WS_GO_G(ctx), WS_GO_ARG1(ctx), WS_GO_ROUNDTRIP);
}

/* func (r *Request) write(w io.Writer, usingProxy bool, ...) error: in the writing goroutine. */
SEC("uprobe")
int ws_go_req_write(struct pt_regs *ctx)
{
	return ws_go_emit(WS_GO_G(ctx), WS_GO_ARG0(ctx), WS_GO_REQ_WRITE);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
