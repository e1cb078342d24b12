/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * User copies: where the bytes of an I/O are in user memory (struct
 * ws_ubuf, filled by each hook family: from the syscall's registers in
 * sock_tp.bpf.c, from its arguments saved at entry in sys_tp.bpf.c) and
 * their copy, bounded for the verifier, into a record's data.
 */
#ifndef WS_COPY_BPF_H
#define WS_COPY_BPF_H

#include "maps.bpf.h"

/* Where the bytes of an I/O are in user memory. */
enum ws_buf_kind {
	WS_BUF_NONE = 0, /* unknown (sendfile, io_uring, kernel caller): count bytes only */
	WS_BUF_FLAT = 1, /* one buffer */
	WS_BUF_IOV = 2,	 /* struct iovec[iovcnt] */
	WS_BUF_MSG = 3,	 /* struct user_msghdr */
};

struct ws_ubuf {
	__u64 ptr;
	__u64 iovcnt;
	__u8 kind;
	/* The syscall's saved user registers when the caller has them (BTF pointer), or NULL. */
	struct pt_regs *regs;
};

/*
 * Copies up to cap bytes of an iovec array, from byte skip of what it
 * holds; returns bytes copied, or -1 when the array itself cannot be read.
 * The array is read in one go, not entry by entry: a user-memory read is a
 * helper call of its own, and costs over 100 ns on a kernel with return
 * thunks (bench/RESULTS.md). skip is 0 but for the parts of a long head
 * (a constant 0 compiles the skipping away).
 */
static __always_inline long ws_copy_iov(__u8 *data, __u64 iovp, __u64 iovcnt, __u32 skip, __u32 cap)
{
	struct iovec iov[WS_MAX_IOV];
	__u32 off = 0, niov = iovcnt < WS_MAX_IOV ? iovcnt : WS_MAX_IOV;

	barrier_var(niov);
	niov &= 2 * WS_MAX_IOV - 1;
	if (!niov || niov > WS_MAX_IOV)
		return 0;
	if (bpf_probe_read_user(iov, niov * sizeof(iov[0]), (void *)iovp))
		return -1;
	for (int i = 0; i < WS_MAX_IOV; i++) {
		__u64 n, from = 0;

		if (i >= niov || off >= cap)
			break;
		n = iov[i].iov_len;
		if (skip) {
			if (n <= skip) {
				skip -= n;
				continue;
			}
			from = skip;
			n -= skip;
			skip = 0;
		}
		if (n > cap - off)
			n = cap - off;
		/* Masks after a barrier, so clang keeps them for the verifier. */
		barrier_var(n);
		n &= 2 * WS_CAP_MAX - 1;
		barrier_var(off);
		off &= WS_CAP_MAX - 1;
		if (n && bpf_probe_read_user(&data[off], n, iov[i].iov_base + from))
			break;
		off += n;
	}
	return off;
}

/*
 * Copies cap bytes of the I/O, from its byte skip on, into data; returns
 * bytes copied, or -1.
 */
static __always_inline long ws_copy_user(__u8 *data, const struct ws_ubuf *ub, __u32 skip,
					 __u32 cap)
{
	struct user_msghdr msg;

	if (cap > WS_CAP_MAX)
		cap = WS_CAP_MAX;
	switch (ub->kind) {
	case WS_BUF_FLAT:
		barrier_var(cap);
		cap &= 2 * WS_CAP_MAX - 1;
		if (bpf_probe_read_user(data, cap, (void *)(ub->ptr + skip)))
			return -1;
		return cap;
	case WS_BUF_IOV:
		return ws_copy_iov(data, ub->ptr, ub->iovcnt, skip, cap);
	case WS_BUF_MSG:
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)ub->ptr))
			return -1;
		return ws_copy_iov(data, (__u64)msg.msg_iov, msg.msg_iovlen, skip, cap);
	}
	return -1;
}

#endif /* WS_COPY_BPF_H */
