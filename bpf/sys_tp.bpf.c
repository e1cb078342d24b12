// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fallback capture for kernels without the socket tracepoints (before 6.3):
 * syscall tracepoints of the socket I/O syscalls. sys_enter keeps the
 * buffer, sys_exit resolves fd -> socket and emits. Enabling any syscall
 * tracepoint slows every syscall on the host, so this family is only loaded
 * when chosen (SEC("?...")).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "filter.bpf.h"
#include "conn.bpf.h"
#include "copy.bpf.h"
#include "emit.bpf.h"
#include "floor.bpf.h"

#define WS_S_IFMT 0170000
#define WS_S_IFSOCK 0140000

/* fd of the current task -> its struct sock, or NULL when fd is not a socket. */
static __always_inline struct sock *ws_fd_sock(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds, *f = NULL;
	struct socket *so;

	if (fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & WS_S_IFMT) != WS_S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

static __always_inline int ws_sys_enter(struct trace_event_raw_sys_enter *ctx, __u8 kind, __u8 dir)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct ws_sys_args a = {};

	if (ws_floor_return() || !ws_selected(id >> 32))
		return 0;
	a.fd = ctx->args[0];
	a.buf = ctx->args[1];
	a.iovcnt = ctx->args[2];
	a.kind = kind;
	a.dir = dir;
	if (bpf_map_update_elem(&sys_args, &tid, &a, BPF_ANY))
		ws_stat(WS_STAT_SYSCALLS_UNTRACKED);
	return 0;
}

static __always_inline int ws_sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct ws_sys_args *a = ws_floor_return() ? NULL : bpf_map_lookup_elem(&sys_args, &tid);
	struct ws_ubuf ub = {};
	struct sock *sk;
	__u32 fd;
	__u8 dir;

	if (!a) /* not selected at entry, or --floor */
		return 0;
	ub.ptr = a->buf;
	ub.iovcnt = a->iovcnt;
	ub.kind = a->kind;
	dir = a->dir;
	fd = a->fd;
	bpf_map_delete_elem(&sys_args, &tid);
	if (ctx->ret <= 0) /* EAGAIN and errors: no need to walk the fd table */
		return 0;
	sk = ws_fd_sock(fd);
	/* sk came from probe reads: not a pointer the verifier lets us load through */
	return ws_emit_data(sk, ctx->ret, dir, WS_SRC_SYSCALL, &ub, false, id);
}

#define WS_SYSCALL(name, kind, dir)                                                                \
	SEC("?tracepoint/syscalls/sys_enter_" #name)                                               \
	int ws_enter_##name(struct trace_event_raw_sys_enter *ctx)                                 \
	{                                                                                          \
		return ws_sys_enter(ctx, kind, dir);                                               \
	}                                                                                          \
	SEC("?tracepoint/syscalls/sys_exit_" #name)                                                \
	int ws_exit_##name(struct trace_event_raw_sys_exit *ctx)                                   \
	{                                                                                          \
		return ws_sys_exit(ctx);                                                           \
	}

WS_SYSCALL(read, WS_BUF_FLAT, WS_DIR_INGRESS)
WS_SYSCALL(recvfrom, WS_BUF_FLAT, WS_DIR_INGRESS)
WS_SYSCALL(readv, WS_BUF_IOV, WS_DIR_INGRESS)
WS_SYSCALL(recvmsg, WS_BUF_MSG, WS_DIR_INGRESS)
WS_SYSCALL(write, WS_BUF_FLAT, WS_DIR_EGRESS)
WS_SYSCALL(sendto, WS_BUF_FLAT, WS_DIR_EGRESS)
WS_SYSCALL(writev, WS_BUF_IOV, WS_DIR_EGRESS)
WS_SYSCALL(sendmsg, WS_BUF_MSG, WS_DIR_EGRESS)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
