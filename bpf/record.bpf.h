/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * From one socket I/O of a selected process to one ring buffer record:
 * socket checks, connection classification (HTTP or not), the copy of at
 * most cap_bytes of user data, and the submit, counting every loss.
 */
#ifndef WS_RECORD_BPF_H
#define WS_RECORD_BPF_H

#include "maps.bpf.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define WS_AF_INET 2
#define WS_AF_INET6 10
#define WS_IPPROTO_TCP 6
#define WS_MSG_PEEK 2
#define WS_TCP_SYN_SENT 2
#define WS_TCP_CLOSE 7
#define WS_TCP_CLOSE_WAIT 8
#define WS_TCP_LAST_ACK 9
#define WS_ENETUNREACH 101
#define WS_ECONNRESET 104
#define WS_ETIMEDOUT 110
#define WS_ECONNREFUSED 111
#define WS_EHOSTUNREACH 113

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
 * A field of sk: a plain load where sk is a pointer the verifier knows by
 * its BTF type (tp_btf programs), a bpf_probe_read_kernel call otherwise
 * (~20 ns each, several per I/O). btf is a constant at every call site, so
 * only one of the two is compiled in.
 */
#define WS_SK_READ(btf, sk, field) ((btf) ? (sk)->field : BPF_CORE_READ(sk, field))

static __always_inline void ws_stat(__u32 id)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &id);

	if (v)
		*v += 1;
}

/*
 * Whether the first len (<= 8) bytes of a message can start an HTTP/1.x
 * message: "HTTP/1." or 3..7 upper-case letters and a space. A short write
 * ("G", then "ET / ...") passes when its bytes are a prefix of either form;
 * user space rejects it later if it was not HTTP after all.
 */
static __always_inline int ws_looks_http(const __u8 *b, __u32 len)
{
	const char status[8] = "HTTP/1.";
	int is_status = 1, is_request = 1;

	for (int i = 0; i < 8; i++) {
		if (i >= len)
			return 1;
		if (i < 7 && b[i] != status[i])
			is_status = 0;
		if (i == 7 && is_status)
			return 1;
		if (is_request) {
			if (i >= 3 && b[i] == ' ')
				return 1;
			if (b[i] < 'A' || b[i] > 'Z')
				is_request = 0;
		}
		if (!is_status && !is_request)
			return 0;
	}
	return is_status;
}

static __always_inline void ws_fill_tuple(struct ws_tuple *t, struct sock *sk, __u16 family)
{
	t->family = family;
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* Sizes spelled out: BPF_CORE_READ_INTO would size the copy by *dst, one byte here. */
	if (family == WS_AF_INET) {
		bpf_core_read(t->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(t->daddr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(t->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(t->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/*
 * Copies up to cap bytes of an iovec array, from byte skip of what it
 * holds; returns bytes copied, or -1 when the array itself cannot be read.
 * The array is read in one go, not entry by entry: a user-memory read is a
 * helper call of its own, and costs over 100 ns on a kernel with return
 * thunks (bench/RESULTS.md). skip is 0 but for the parts of a long head
 * (a constant 0 compiles the skipping away).
 */
static __always_inline long ws_copy_iov(__u8 *data, __u64 iovp, __u64 iovcnt, __u32 skip,
					__u32 cap)
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

/*
 * A zeroed record of size bytes reserved in the ring, its header filled
 * (len: what follows the header; ts: now), or NULL, counted as lost. Submit
 * it with BPF_RB_NO_WAKEUP: the agent's drain tick, or the next data
 * record past wake_bytes, reads it.
 */
static __always_inline void *ws_rec_reserve(__u32 size, __u16 type, __u16 flags, __u32 tgid,
					    __u32 tid, __u64 sock_id)
{
	struct ws_rec_hdr *h = bpf_ringbuf_reserve(&rb, size, 0);

	if (!h) {
		ws_stat(WS_STAT_RB_FULL);
		return NULL;
	}
	__builtin_memset(h, 0, size);
	h->type = type;
	h->flags = flags;
	h->len = size - sizeof(*h);
	h->ts_ns = bpf_ktime_get_ns();
	h->tgid = tgid;
	h->tid = tid;
	h->sock_id = sock_id;
	return h;
}

#if defined(__TARGET_ARCH_x86)
#define WS_REGS_GOROUTINE_FIELD r14 /* Go's ABIInternal keeps g in R14 */
#elif defined(__TARGET_ARCH_arm64)
#define WS_REGS_GOROUTINE_FIELD regs[28] /* and in X28 */
#endif

/*
 * The goroutine running in a Go program user space marked in go_procs, or
 * 0; regs: the syscall's user registers when the caller has them. At a
 * syscall Go's code has g in its register (the syscall stubs are
 * ABIInternal since Go 1.19): the user registers saved at kernel entry
 * still hold it.
 */
static __always_inline __u64 ws_goroutine(__u32 tgid, struct pt_regs *regs)
{
	if (!go_goroutines || !ws_pid_bit(&go_procs, tgid))
		return 0;
	if (!regs)
		regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return regs->WS_REGS_GOROUTINE_FIELD; /* a BTF pointer: a plain load */
}

/*
 * The connection state of sk, or NULL. btf: sk is a BTF pointer, whose own
 * storage holds the state (sk_conns); otherwise the hash keyed by its
 * address does (conns).
 */
static __always_inline struct ws_conn *ws_conn_find(struct sock *sk, const bool btf)
{
	__u64 sock_id = (__u64)sk;

	if (btf)
		return bpf_sk_storage_get(&sk_conns, sk, 0, 0);
	return bpf_map_lookup_elem(&conns, &sock_id);
}

/* Forgets the connection state of sk (see ws_conn_find). */
static __always_inline void ws_conn_drop(struct sock *sk, const bool btf)
{
	__u64 sock_id = (__u64)sk;

	if (btf)
		bpf_sk_storage_delete(&sk_conns, sk);
	else
		bpf_map_delete_elem(&conns, &sock_id);
}

/*
 * The connection state of sk, created on first sight. NULL when the table
 * refused it, or when sk is already closed: its close record is gone, so an
 * entry made now would outlive the connection and mislead the next one on
 * this socket or at its address (a send racing the peer's reset ends up
 * here). btf: as for ws_conn_find.
 */
static __always_inline struct ws_conn *ws_conn_get(struct sock *sk, const bool btf)
{
	__u64 sock_id = (__u64)sk;
	struct ws_conn fresh = {}, *c;

	c = ws_conn_find(sk, btf);
	if (c)
		return c;
	if (WS_SK_READ(btf, sk, __sk_common.skc_state) == WS_TCP_CLOSE)
		return NULL;
	if (btf) {
		c = bpf_sk_storage_get(&sk_conns, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	} else {
		bpf_map_update_elem(&conns, &sock_id, &fresh, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&conns, &sock_id);
	}
	if (!c)
		ws_stat(WS_STAT_CONN_TABLE_FULL);
	return c;
}

enum { WS_SKIP_NONE, WS_SKIP_ALL, WS_SKIP_LAST };

/*
 * Whether user space asked not to copy this I/O of ret bytes at stream
 * position seq in direction dir (map skips): WS_SKIP_ALL when it lies
 * inside the stretch, WS_SKIP_LAST when it ends it (a record without
 * bytes carries its time), WS_SKIP_NONE otherwise. Positions wrap at 2^32:
 * differences, not comparisons, of u32s.
 */
static __always_inline int ws_body_skip(const struct ws_conn *c, __u64 sock_id, __u8 dir,
					__u32 seq, long ret)
{
	const struct ws_skip *k;
	__u32 span, at;

	if (ret < WS_SKIP_MIN_IO || !c->born_ns)
		return WS_SKIP_NONE;
	k = bpf_map_lookup_elem(&skips, &sock_id);
	dir &= 1;
	if (!k || k->ts[dir] < c->born_ns) /* none, or left by an earlier connection here */
		return WS_SKIP_NONE;
	span = k->until[dir] - k->from[dir];
	at = seq - k->from[dir];
	if (at >= span || span - at < ret)
		return WS_SKIP_NONE; /* starts outside the stretch, or runs past its end */
	return span - at == ret ? WS_SKIP_LAST : WS_SKIP_ALL;
}

/*
 * Whether this record should wake the consumer: once this CPU has put
 * wake_bytes in the ring since its last wakeup. Waking with every record
 * (until the agent gets the CPU and drains) queues an irq_work and a
 * wait-queue wakeup, under irq-saving locks, in the traced process for each
 * of them; asking the ring how much is waiting is a call and a read of the
 * consumer's cache line. A wakeup lost to a race with a draining consumer
 * is covered by the agent's drain tick.
 *
 * prompt (a large I/O not copied whole, now its time): woken at once, at
 * most every WS_PROMPT_WAKE_NS, so that the agent can ask to skip a long
 * body (map skips) before most of it has been copied.
 */
static __always_inline __u64 ws_wake_flag(struct ws_scratch *s, __u32 size, bool prompt,
					  __u64 now)
{
	s->unwoken += size;
	if (s->unwoken < wake_bytes && !(prompt && now - s->woke_ns >= WS_PROMPT_WAKE_NS))
		return BPF_RB_NO_WAKEUP;
	s->unwoken = 0;
	s->woke_ns = now;
	return BPF_RB_FORCE_WAKEUP;
}

/*
 * The header and lengths of the scratch record of an I/O of ret bytes by
 * id (bpf_get_current_pid_tgid()) on sock_id in direction dir, whose first
 * cap bytes are in s->data; its time is now.
 */
static __always_inline void ws_scratch_head(struct ws_scratch *s, __u16 type, __u16 flags,
					    __u64 id, __u64 sock_id, long ret, __u32 cap, __u8 dir)
{
	s->rec.hdr.type = type;
	s->rec.hdr.flags = flags;
	s->rec.hdr.len = sizeof(s->rec) - sizeof(s->rec.hdr) + cap;
	s->rec.hdr.ts_ns = bpf_ktime_get_ns();
	s->rec.hdr.tgid = id >> 32;
	s->rec.hdr.tid = (__u32)id;
	s->rec.hdr.sock_id = sock_id;
	s->rec.io_len = ret;
	s->rec.cap_len = cap;
	s->rec.dir = dir;
}

/* Puts the scratch record and its cap bytes in the ring, counted; prompt: see ws_wake_flag. */
static __always_inline void ws_scratch_submit(struct ws_scratch *s, __u32 cap, bool prompt)
{
	__u32 n = sizeof(s->rec) + cap;

	if (bpf_ringbuf_output(&rb, &s->rec, n, ws_wake_flag(s, n, prompt, s->rec.hdr.ts_ns))) {
		ws_stat(WS_STAT_RB_FULL);
		return;
	}
	ws_stat(WS_STAT_RECORDS);
}

/* Whether a message's first bytes b[0..len) are a request line's: 3 to 7 capitals, a space. */
static __always_inline bool ws_starts_request(const __u8 *b, __u32 len)
{
	for (int i = 0; i < 8; i++) {
		if (i >= len)
			return false;
		if (b[i] == ' ')
			return i >= 3;
		if (b[i] < 'A' || b[i] > 'Z')
			return false;
	}
	return false;
}

/* An I/O whose long request head is copied on (ws_emit_head_parts), on the caller's stack. */
struct ws_parts_ctx {
	__u64 id;
	__u64 sock_id;
	__u64 ptr;    /* struct ws_ubuf's, as scalars */
	__u64 iovcnt;
	__u8 kind;
	__u8 dir;
	__u32 ret;
	__u32 off;    /* the next part's first byte in the I/O */
	__u32 seq;    /* the I/O's stream position */
};

/*
 * The rest of an I/O that starts a request head longer than the capture
 * (described by p; its first p->off bytes are already in the ring): copied
 * on up to WS_HEAD_MAX bytes from its start, in parts of at most
 * WS_CAP_MAX bytes (WS_F_PART). The scratch record still holds the first
 * part's tuple, name, role and goroutine.
 *
 * Only for I/O that start a request: a head longer than the capture is a
 * request's (a large cookie) and its traceparent may come late; an answer's
 * status is in its first line, and large answers in one write are common,
 * so they are not copied on.
 *
 * A global function, so the verifier checks it once, not once for every
 * way a data record can reach it (inlined, the parts times the buffer
 * kinds times the callers' paths pass a million instructions). Weak: every
 * program file that includes this header has it, the linked object one.
 */
__weak __noinline int ws_emit_head_parts(struct ws_parts_ctx *p)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct ws_scratch *s;

	if (!p)
		return 0;
	s = bpf_map_lookup_elem(&scratch, &cpu);
	if (!s)
		return 0;
	/* From at least 64 bytes (the smallest capture), 4 parts reach WS_HEAD_MAX. */
	for (int i = 0; i < (WS_HEAD_MAX + WS_CAP_MAX - 1) / WS_CAP_MAX; i++) {
		struct ws_ubuf ub = { .ptr = p->ptr, .iovcnt = p->iovcnt, .kind = p->kind };
		__u32 off = p->off, left, want, n;
		__u16 flags = WS_F_SEQ | WS_F_PART;
		long got;

		if (off >= p->ret || off >= WS_HEAD_MAX)
			break;
		left = p->ret - off;
		want = WS_HEAD_MAX - off;
		if (want > WS_CAP_MAX)
			want = WS_CAP_MAX;
		if (want > left)
			want = left;
		got = ws_copy_user(s->data, &ub, off, want);
		if (got < 0) {
			flags |= WS_F_READ_FAILED;
			ws_stat(WS_STAT_READ_FAILED);
			got = 0;
		}
		n = got < WS_CAP_MAX ? got : WS_CAP_MAX;
		ws_stat(WS_STAT_HEAD_PARTS);
		s->rec.seq = p->seq + off;
		if (n < want || off + n >= WS_HEAD_MAX || off + n >= p->ret) {
			/* The last part stands for the rest of the I/O, copied or not. */
			if (n < left && !(flags & WS_F_READ_FAILED)) {
				flags |= WS_F_TRUNCATED;
				ws_stat(WS_STAT_TRUNCATED);
			}
			ws_scratch_head(s, WS_REC_DATA, flags, p->id, p->sock_id, left, n, p->dir);
			s->rec.seq = p->seq + off;
			ws_scratch_submit(s, n, false);
			break;
		}
		ws_scratch_head(s, WS_REC_DATA, flags, p->id, p->sock_id, n, n, p->dir);
		s->rec.seq = p->seq + off;
		ws_scratch_submit(s, n, false);
		p->off = off + n;
	}
	return 0;
}

/*
 * One I/O of ret bytes on sk by the current (already selected) task, id its
 * bpf_get_current_pid_tgid(). Only TCP over IPv4/IPv6; only connections
 * that look like HTTP/1.x are sent on. btf: sk is a BTF pointer (see
 * WS_SK_READ).
 */
static __always_inline int ws_emit_data(struct sock *sk, long ret, __u8 dir, __u8 source,
					const struct ws_ubuf *ub, const bool btf, __u64 id)
{
	__u64 sock_id = (__u64)sk;
	struct task_struct *task;
	struct ws_scratch *s;
	struct ws_conn *c;
	__u32 cpu = bpf_get_smp_processor_id(), cap, portpair, seq;
	__u16 family, flags = 0;
	int skip = WS_SKIP_NONE;
	long n;

	if (ret <= 0 || !sk)
		return 0;
	family = WS_SK_READ(btf, sk, __sk_common.skc_family);
	if (family != WS_AF_INET && family != WS_AF_INET6)
		return 0;
	if (WS_SK_READ(btf, sk, sk_protocol) != WS_IPPROTO_TCP)
		return 0;

	c = ws_conn_get(sk, btf);
	if (!c)
		return 0;
	if (c->class == WS_CLASS_OTHER) {
		ws_stat(WS_STAT_NOT_HTTP);
		return 0;
	}
	if (c->class == WS_CLASS_UNKNOWN && ub->kind == WS_BUF_NONE)
		return 0; /* nothing to classify with */
	/* Atomic: two threads may share a socket; each I/O gets its own stretch. */
	seq = __sync_fetch_and_add(&c->seq[dir & 1], (__u32)ret);
	if (c->class == WS_CLASS_HTTP)
		skip = ws_body_skip(c, sock_id, dir, seq, ret);
	if (skip == WS_SKIP_ALL) {
		ws_stat(WS_STAT_BODY_SKIPPED);
		return 0;
	}
	s = bpf_map_lookup_elem(&scratch, &cpu);
	if (!s)
		return 0;

	/*
	 * One copy serves both: a connection still unclassified is judged by
	 * the first bytes of this same capture (a second, 8-byte copy first
	 * would cost a call per new connection).
	 */
	cap = ret < cap_bytes ? ret : cap_bytes;
	if (ub->kind == WS_BUF_NONE) {
		flags |= WS_F_NO_BUFFER;
		ws_stat(WS_STAT_NO_BUFFER);
		cap = 0;
	} else if (skip == WS_SKIP_LAST) {
		flags |= WS_F_SKIPPED;
		ws_stat(WS_STAT_BODY_SKIPPED);
		cap = 0;
	} else {
		n = ws_copy_user(s->data, ub, 0, cap);
		if (n < 0) {
			flags |= WS_F_READ_FAILED;
			ws_stat(WS_STAT_READ_FAILED);
			n = 0;
		}
		cap = n;
	}
	if (c->class == WS_CLASS_UNKNOWN) {
		__u8 head[8] = {};

		if (!cap)
			return 0;
		__builtin_memcpy(head, s->data, 8);
		if (!ws_looks_http(head, cap)) {
			c->tries++;
			if (c->opened || c->tries >= WS_CLASSIFY_TRIES)
				c->class = WS_CLASS_OTHER;
			ws_stat(WS_STAT_NOT_HTTP);
			return 0;
		}
		c->class = WS_CLASS_HTTP;
	}
	if (cap > WS_CAP_MAX)
		cap = WS_CAP_MAX;
	if (cap < ret && !(flags & (WS_F_NO_BUFFER | WS_F_READ_FAILED | WS_F_SKIPPED))) {
		if (ws_starts_request(s->data, cap)) {
			flags |= WS_F_PART; /* the rest of the head follows: ws_emit_head_parts */
		} else {
			flags |= WS_F_TRUNCATED;
			ws_stat(WS_STAT_TRUNCATED);
		}
	}

	ws_scratch_head(s, WS_REC_DATA, flags | WS_F_SEQ, id, sock_id,
			flags & WS_F_PART ? cap : ret, cap, dir);
	if (!c->born_ns)
		c->born_ns = s->rec.hdr.ts_ns;
	portpair = WS_SK_READ(btf, sk, __sk_common.skc_portpair);
	if (c->portpair != portpair || !portpair) {
		task = (struct task_struct *)bpf_get_current_task();
		ws_fill_tuple(&c->tuple, sk, family);
		BPF_CORE_READ_STR_INTO(&c->comm, task, group_leader, comm);
		c->portpair = portpair;
	}
	__builtin_memcpy(&s->rec.tuple, &c->tuple, sizeof(s->rec.tuple));
	__builtin_memcpy(s->rec.comm, c->comm, sizeof(s->rec.comm));
	s->rec.seq = seq;
	s->rec.role = c->role;
	s->rec.source = source;
	s->rec.goroutine = ws_goroutine(id >> 32, ub->regs);
	ws_scratch_submit(s, cap, (flags & WS_F_TRUNCATED) && ret >= WS_SKIP_MIN_IO);
	if (flags & WS_F_PART) {
		struct ws_parts_ctx p = {
			.id = id, .sock_id = sock_id, .ptr = ub->ptr, .iovcnt = ub->iovcnt,
			.kind = ub->kind, .dir = dir, .ret = ret, .off = cap, .seq = seq,
		};

		ws_emit_head_parts(&p);
	}
	return 0;
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

#endif /* WS_RECORD_BPF_H */
