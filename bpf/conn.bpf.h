/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Connection state: what the programs know of a socket of a selected
 * process (struct ws_conn: classification, role, stream positions, tuple
 * and name), where it lives (sk_conns or conns), how a connection is
 * judged HTTP, and the stretches of its bodies user space asked to skip.
 */
#ifndef WS_CONN_BPF_H
#define WS_CONN_BPF_H

#include "maps.bpf.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/* Kernel constants (address families, TCP states, errnos) the programs compare with. */
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

/*
 * A field of sk: a plain load where sk is a pointer the verifier knows by
 * its BTF type (tp_btf programs), a bpf_probe_read_kernel call otherwise
 * (~20 ns each, several per I/O). btf is a constant at every call site, so
 * only one of the two is compiled in.
 */
#define WS_SK_READ(btf, sk, field) ((btf) ? (sk)->field : BPF_CORE_READ(sk, field))

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
static __always_inline int ws_body_skip(const struct ws_conn *c, __u64 sock_id, __u8 dir, __u32 seq,
					long ret)
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

#endif /* WS_CONN_BPF_H */
