// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The primary capture path: the socket tracepoints fire inside
 * sock_sendmsg/sock_recvmsg after the I/O, only for socket I/O, and give the
 * socket and the byte count; the user buffer comes from the syscall's own
 * registers (bpf_task_pt_regs). inet_sock_set_state marks active opens
 * (role client) and closes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "filter.bpf.h"
#include "arch.bpf.h"
#include "conn.bpf.h"
#include "copy.bpf.h"
#include "emit.bpf.h"
#include "floor.bpf.h"

/*
 * Where the current syscall keeps the bytes of this I/O. bpf_task_pt_regs
 * gives a BTF pointer: its fields are plain loads.
 */
static __always_inline void ws_ubuf_from_syscall(struct ws_ubuf *ub)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	ub->regs = regs; /* for the goroutine too */
	ub->kind = WS_BUF_NONE;
	switch (WS_REGS_NR(regs)) {
	case NR_READ:
	case NR_WRITE:
	case NR_SENDTO:
	case NR_RECVFROM:
		ub->kind = WS_BUF_FLAT;
		break;
	case NR_READV:
	case NR_WRITEV:
		ub->kind = WS_BUF_IOV;
		ub->iovcnt = WS_REGS_ARG3(regs);
		break;
	case NR_SENDMSG:
	case NR_RECVMSG:
		ub->kind = WS_BUF_MSG;
		break;
	default:
		return;
	}
	ub->ptr = WS_REGS_ARG2(regs);
}

static __always_inline int ws_sock_io(struct sock *sk, int ret, int flags, __u8 dir)
{
	struct ws_ubuf ub = {};
	__u64 id;

	/* Failed I/O (EAGAIN on every drained non-blocking read) costs nothing more. */
	if (ws_floor_return() || ret <= 0 || !sk)
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!ws_selected(id >> 32))
		return 0;
	if (flags & WS_MSG_PEEK) /* the same bytes come again in the real read */
		return 0;
	ws_ubuf_from_syscall(&ub);
	if (ws_floor_copies())
		return ws_emit_floor_copy(sk, ret, dir, &ub, id);
	return ws_emit_data(sk, ret, dir, WS_SRC_SOCK_TP, &ub, true, id);
}

/*
 * include/trace/events/sock.h: TP_PROTO(struct sock *sk, int ret, int flags).
 * tp_btf, not raw_tp: the same tracepoint, but sk arrives as a typed
 * pointer, so its fields are read with plain loads instead of helper calls.
 * It needs the tracepoint's BTF (btf_trace_sock_send_length), which the
 * capture probe checks before choosing this path.
 */
SEC("?tp_btf/sock_send_length")
int BPF_PROG(ws_sock_send, struct sock *sk, int ret, int flags)
{
	return ws_sock_io(sk, ret, flags, WS_DIR_EGRESS);
}

/* include/trace/events/sock.h: TP_PROTO(struct sock *sk, int ret, int flags) */
SEC("?tp_btf/sock_recv_length")
int BPF_PROG(ws_sock_recv, struct sock *sk, int ret, int flags)
{
	return ws_sock_io(sk, ret, flags, WS_DIR_INGRESS);
}

/* Why a connect failed, from the socket's error at its CLOSE; 0: the caller gave up. */
static __always_inline __u16 ws_connect_fail_flags(const struct sock *sk)
{
	switch (BPF_CORE_READ(sk, sk_err)) {
	case WS_ECONNREFUSED:
		return WS_F_REFUSED;
	case WS_ETIMEDOUT:
		return WS_F_TIMED_OUT;
	case WS_EHOSTUNREACH:
		return WS_F_HOST_UNREACH;
	case WS_ENETUNREACH:
		return WS_F_NET_UNREACH;
	}
	return 0;
}

static __always_inline void ws_emit_connect_fail(const struct sock *sk, const struct ws_conn *c)
{
	__u16 flags = ws_connect_fail_flags(sk);
	struct ws_connect_fail_rec *r;

	if (!flags)
		return;
	r = ws_rec_reserve(sizeof(*r), WS_REC_CONNECT_FAIL, flags, c->open_tgid, c->open_tid,
			   (__u64)sk);
	if (!r)
		return;
	ws_fill_tuple(&r->tuple, (struct sock *)sk, BPF_CORE_READ(sk, __sk_common.skc_family));
	r->start_ns = c->open_ns;
	__builtin_memcpy(r->comm, c->comm, sizeof(r->comm));
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	ws_stat(WS_STAT_CONNECT_FAILS);
}

/* How a connection ended, as far as the socket tells at its CLOSE. */
static __always_inline __u16 ws_close_flags(const struct sock *sk, int oldstate)
{
	int err = BPF_CORE_READ(sk, sk_err);
	__u16 f = 0;

	if (oldstate == WS_TCP_CLOSE_WAIT || oldstate == WS_TCP_LAST_ACK)
		f |= WS_F_CLOSED_BY_PEER;
	if (err == WS_ECONNRESET)
		f |= WS_F_RESET;
	else if (err == WS_ETIMEDOUT)
		f |= WS_F_TIMED_OUT;
	return f;
}

/*
 * A TCP state change of sk. btf: sk is a BTF pointer and its state lives in
 * its own storage (sk_conns), as for the socket tracepoints; otherwise in
 * the hash keyed by its address (conns), as for the syscall fallback.
 */
static __always_inline int ws_state_change(struct sock *sk, int oldstate, int newstate,
					   const bool btf)
{
	__u64 sock_id = (__u64)sk;
	struct ws_close_rec *r;
	struct ws_conn *c;

	if (ws_floor_stateless())
		return 0;
	if (newstate == WS_TCP_SYN_SENT) {
		/* connect() runs in the caller's context: select, then remember who and when. */
		__u64 id = bpf_get_current_pid_tgid();
		struct ws_conn fresh = { .role = WS_ROLE_CLIENT, .opened = 1 };

		if (!ws_selected(id >> 32))
			return 0;
		fresh.open_tgid = id >> 32;
		fresh.open_tid = (__u32)id;
		fresh.open_ns = bpf_ktime_get_ns();
		BPF_CORE_READ_STR_INTO(&fresh.comm, (struct task_struct *)bpf_get_current_task(),
				       group_leader, comm);
		if (btf) {
			/* A socket connect()ed again after a failure starts afresh. */
			c = bpf_sk_storage_get(&sk_conns, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
			if (c)
				*c = fresh;
			else
				ws_stat(WS_STAT_CONN_TABLE_FULL);
		} else {
			bpf_map_update_elem(&conns, &sock_id, &fresh, BPF_ANY);
		}
		return 0;
	}
	if (newstate != WS_TCP_CLOSE)
		return 0;
	/* Often in softirq context: the socket's own entry says whether it is ours. */
	c = ws_conn_find(sk, btf);
	if (!c)
		return 0;
	if (c->class == WS_CLASS_HTTP) {
		r = ws_rec_reserve(sizeof(*r), WS_REC_CLOSE, ws_close_flags(sk, oldstate), 0, 0,
				   sock_id);
		if (r) {
			ws_fill_tuple(&r->tuple, sk, BPF_CORE_READ(sk, __sk_common.skc_family));
			bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
			ws_stat(WS_STAT_CLOSES);
		}
	} else if (oldstate == WS_TCP_SYN_SENT && c->open_tgid) {
		/* Refused, unanswered or unreachable: a call that never sent a byte. */
		ws_emit_connect_fail(sk, c);
	}
	ws_conn_drop(sk, btf);
	return 0;
}

/*
 * include/trace/events/sock.h: TP_PROTO(const struct sock *sk, const int oldstate, const int newstate).
 * tp_btf, with the socket tracepoints: sk is a BTF pointer, so its state
 * is found in its own storage, where their programs keep it.
 */
SEC("?tp_btf/inet_sock_set_state")
int BPF_PROG(ws_inet_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	return ws_state_change((struct sock *)sk, oldstate, newstate, true);
}

/* The same, raw, with the syscall fallback (its state is in conns). */
SEC("?raw_tp/inet_sock_set_state")
int BPF_PROG(ws_inet_state, const struct sock *sk, int oldstate, int newstate)
{
	return ws_state_change((struct sock *)sk, oldstate, newstate, false);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
