/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Record emission: from one socket I/O of a selected process to its ring
 * buffer records (socket checks, classification, the copy of at most
 * cap_bytes, the parts of a long request head), the small records of the
 * other programs, the per-CPU scratch record and the wake policy; every
 * loss counted.
 */
#ifndef WS_EMIT_BPF_H
#define WS_EMIT_BPF_H

#include "maps.bpf.h"
#include "arch.bpf.h"
#include "conn.bpf.h"
#include "copy.bpf.h"
#include <bpf/bpf_core_read.h>

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
	return WS_GO_G(regs); /* a BTF pointer: a plain load */
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
static __always_inline __u64 ws_wake_flag(struct ws_scratch *s, __u32 size, bool prompt, __u64 now)
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
static __always_inline void ws_scratch_head(struct ws_scratch *s, __u16 type, __u16 flags, __u64 id,
					    __u64 sock_id, long ret, __u32 cap, __u8 dir)
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
	__u64 ptr; /* struct ws_ubuf's, as scalars */
	__u64 iovcnt;
	__u8 kind;
	__u8 dir;
	__u32 ret;
	__u32 off; /* the next part's first byte in the I/O */
	__u32 seq; /* the I/O's stream position */
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
			.id = id,
			.sock_id = sock_id,
			.ptr = ub->ptr,
			.iovcnt = ub->iovcnt,
			.kind = ub->kind,
			.dir = dir,
			.ret = ret,
			.off = cap,
			.seq = seq,
		};

		ws_emit_head_parts(&p);
	}
	return 0;
}

#endif /* WS_EMIT_BPF_H */
