/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every map and every knob of the kernel side, declared __weak so each
 * .bpf.c can include this header and `bpftool gen object` links them into
 * one object (one skeleton). Knobs are set through skel->rodata before load;
 * at their defaults the verifier prunes what they guard.
 */
#ifndef WS_MAPS_BPF_H
#define WS_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "wirespan.h"

/* The agent's own process: never traced, whatever the selection. */
const volatile __u32 self_tgid __weak = 0;
/* Selection: a process is traced when any enabled selector matches it; none enabled: all. */
const volatile __u8 filter_pid __weak = 0;
const volatile __u8 filter_cgroup __weak = 0;
const volatile __u8 filter_comm __weak = 0;
const volatile __u32 n_cgroups __weak = 0; /* entries used in sel_cgroups */
/* Payload bytes copied per I/O (<= WS_CAP_MAX). */
const volatile __u32 cap_bytes __weak = WS_CAP_DEFAULT;
/*
 * Benchmarks only (their code and hooks: floor.bpf.h). --floor: every
 * program returns at once; the verifier prunes the rest.
 */
const volatile __u8 floor_only __weak = 0;
/*
 * --floor-copy: the socket tracepoints' programs only select, copy and
 * output (ws_emit_floor_copy); the state-change programs return at once.
 */
const volatile __u8 floor_copy __weak = 0;
/*
 * Each CPU wakes the consumer once it has put this much in the ring since
 * its last wakeup; below it the agent's timer drains the ring. User space
 * sets it to its wake threshold over the CPUs.
 */
const volatile __u64 wake_bytes __weak = 128 * 1024;

/* Go programs: records carry the goroutine (go_procs says which processes). */
const volatile __u8 go_goroutines __weak = 0;

/* Records to user space. Size set from config with bpf_map__set_max_entries. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} rb SEC(".maps") __weak;

/* Per-CPU counters indexed by enum ws_stat; user space sums and prints them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WS_STAT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps") __weak;

/* Counts one event of enum ws_stat on this CPU. */
static __always_inline void ws_stat(__u32 id)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &id);

	if (v)
		*v += 1;
}

/*
 * --pid: selected tgids, one bit per pid (bit tgid % 64 of word tgid / 64),
 * written by user space before attach. An array, like go_procs: a lookup
 * is a bounds check and an add, inlined, where a hash lookup is a call on
 * every socket I/O of every process on the host. Sized to pid_max / 64.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sel_pids SEC(".maps") __weak;

/* --cgroup: cgroup v2 directories whose subtrees are selected. Written by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, WS_MAX_CGROUPS);
	__type(key, __u32);
	__type(value, __u32);
} sel_cgroups SEC(".maps") __weak;

/* --comm: selected process names (thread group leader's comm, NUL-padded to 16). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[16]);
	__type(value, __u8);
} sel_comms SEC(".maps") __weak;

/*
 * The --comm verdict per process, so a socket I/O of any process on the host
 * costs one lookup by tgid, not a read of its name and a string-keyed
 * lookup. Forgotten when the process renames itself (exec, PR_SET_NAME).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} comm_verdict SEC(".maps") __weak;

/*
 * Go programs, one bit per tgid (bit tgid % 64 of word tgid / 64), set by
 * user space once it has read a process's binary. An array: the lookup on
 * every I/O is a bounds check and an add, inlined by the verifier. User
 * space sizes it to pid_max / 64 words (512 KiB at the largest pid_max).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} go_procs SEC(".maps") __weak;

/* Whether tgid's bit is set in a pid bitmap (sel_pids, go_procs). */
static __always_inline int ws_pid_bit(void *bitmap, __u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *bits = bpf_map_lookup_elem(bitmap, &word);

	return bits && (*bits & (1ULL << (tgid % 64)));
}

/*
 * Sockets of selected processes: classification and role. Created on the
 * first I/O or the active open, deleted on TCP_CLOSE.
 *
 * Where the programs hold the socket as a BTF pointer (the socket
 * tracepoints and tp_btf inet_sock_set_state), the state lives in the
 * socket itself: a lookup is a helper call and two loads on lines the
 * networking stack has just touched (19 ns against 42 for a hash lookup in
 * bench/kcost), there is no table to fill up, and the kernel frees it with
 * the socket.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ws_conn);
} sk_conns SEC(".maps") __weak;

/*
 * The syscall fallback finds sockets through probe reads (plain addresses
 * the socket storage helpers refuse): its state is keyed by the socket's
 * address, LRU so sockets whose close we never saw age out. User space
 * shrinks it to one entry when the socket tracepoints run.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct ws_conn);
} conns SEC(".maps") __weak;

/*
 * Stretches of large bodies user space has no use for (struct ws_skip), by
 * sock_id. Written by user space, looked up only for I/O of at least
 * WS_SKIP_MIN_IO bytes. LRU: entries of connections whose close the agent
 * missed age out (a stale one is ignored anyway: see ws_skip.ts).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct ws_skip);
} skips SEC(".maps") __weak;

/*
 * One record being built per CPU: too big for the stack, and over the 32 KiB
 * value limit of per-CPU maps, so a plain array indexed by CPU id (user space
 * sizes it to the possible CPUs; programs do not migrate while they run).
 */
struct ws_scratch {
	/*
	 * In front, on the record header's cache line: after the data they
	 * would be 48 KiB away, a line (and a page) more per record.
	 */
	/* Bytes this CPU put in the ring since it last woke the consumer. */
	__u64 unwoken;
	/* When this CPU last woke it (ws_wake_flag). */
	__u64 woke_ns;
	struct ws_data_rec rec; /* the record goes out from here with data: contiguous */
	/*
	 * Thrice the cap: offsets are masked to < WS_CAP_MAX and lengths to
	 * < 2 * WS_CAP_MAX, so the verifier can bound every iovec copy.
	 */
	__u8 data[3 * WS_CAP_MAX];
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ws_scratch);
} scratch SEC(".maps") __weak;

/* Fallback path: the arguments of a socket syscall in flight, by thread. Deleted at exit. */
struct ws_sys_args {
	__u64 buf; /* buffer, iovec array, or user_msghdr */
	__u32 fd;
	__u8 kind; /* enum ws_buf_kind */
	__u8 dir;  /* enum ws_dir */
	__u16 pad;
	__u64 iovcnt; /* readv/writev */
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct ws_sys_args);
} sys_args SEC(".maps") __weak;

#endif /* WS_MAPS_BPF_H */
