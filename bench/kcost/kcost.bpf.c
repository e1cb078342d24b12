// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the operations of wirespan's per-I/O path cost on this kernel. Each
 * program hooks the tracepoint wirespan's data path uses (sock_send_length,
 * tp_btf), keeps only the driver's own writes (tpid) and does one
 * operation KCOST_K times; the driver (kcost.c) loads one program at a time
 * and reads its run time from the kernel's BPF statistics. Per call:
 * (ns per run of the program - ns per run of `base`) / KCOST_K.
 *
 * Operations whose argument is fetched once per run (the user buffer's
 * address from the syscall's registers, the current task) carry that fetch,
 * divided by KCOST_K: a few ns at most.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "kcost.h"

/* The driver's process: every other process's sends return at once. */
const volatile __u32 tpid = 0;
/* Runs past the filter (the driver's writes), so the driver can tell others' runs apart. */
__u64 hits = 0;
/* Operations that failed (a full ring, a faulting read): the driver reports them. */
__u64 failed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} hash SEC(".maps");

/* Per-socket storage: the alternative to a hash keyed by the socket's address. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} sks SEC(".maps");

/* A record's worth of memory, like wirespan's per-CPU scratch. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[KCOST_BIG_BYTES]);
} scratch SEC(".maps");

/* Entry 0: the driver's cgroup (wirespan's selection by cgroup). */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroups SEC(".maps");

#if defined(__TARGET_ARCH_x86)
#define KCOST_REGS_ARG2(r) ((r)->si)
#elif defined(__TARGET_ARCH_arm64)
#define KCOST_REGS_ARG2(r) ((r)->regs[1])
#else
#error "kcost: add this architecture's second syscall argument register"
#endif

#define KCOST_PROG(name)                                                                           \
	SEC("?tp_btf/sock_send_length")                                                            \
	int BPF_PROG(name, struct sock *sk, int ret, int flags)

#define KCOST_LOOP for (int i = 0; i < KCOST_K; i++)

/* A program that does stmt KCOST_K times per run of the driver's writes. */
#define KCOST_OP(name, stmt)                                                                       \
	KCOST_PROG(name)                                                                           \
	{                                                                                          \
		if (!kcost_mine())                                                                 \
			return 0;                                                                  \
		KCOST_LOOP stmt;                                                                   \
		return 0;                                                                          \
	}

static __always_inline int kcost_mine(void)
{
	if ((bpf_get_current_pid_tgid() >> 32) != tpid)
		return 0;
	hits++;
	return 1;
}

/* write(fd, buf, n): buf is the syscall's second argument. */
static __always_inline const void *kcost_user_buf(void)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	return (const void *)KCOST_REGS_ARG2(regs);
}

static __always_inline void kcost_check(long err)
{
	if (err)
		failed++;
}

KCOST_PROG(base)
{
	if (!kcost_mine())
		return 0;
	KCOST_LOOP asm volatile("" ::: "memory");
	return 0;
}

/* The user copy of n bytes (a constant once inlined) into the scratch value, KCOST_K times. */
static __always_inline int kcost_read_user_into_map(__u32 n)
{
	__u32 zero = 0;
	const void *u;
	char *v;

	if (!kcost_mine())
		return 0;
	v = bpf_map_lookup_elem(&scratch, &zero);
	if (!v)
		return 0;
	u = kcost_user_buf();
	KCOST_LOOP kcost_check(bpf_probe_read_user(v, n, u));
	return 0;
}

KCOST_PROG(probe_read_user_stack)
{
	char b[KCOST_IO_BYTES];
	const void *u;

	if (!kcost_mine())
		return 0;
	u = kcost_user_buf();
	KCOST_LOOP kcost_check(bpf_probe_read_user(b, sizeof(b), u));
	return 0;
}

KCOST_PROG(probe_read_user_map)
{
	return kcost_read_user_into_map(KCOST_IO_BYTES);
}

KCOST_PROG(probe_read_user_8)
{
	return kcost_read_user_into_map(KCOST_SMALL_BYTES);
}

KCOST_PROG(probe_read_user_1000)
{
	return kcost_read_user_into_map(KCOST_BIG_BYTES);
}

KCOST_PROG(probe_read_kernel)
{
	char b[KCOST_IO_BYTES];

	if (!kcost_mine())
		return 0;
	KCOST_LOOP kcost_check(bpf_probe_read_kernel(b, sizeof(b), sk));
	return 0;
}

KCOST_OP(ktime_get_ns, bpf_ktime_get_ns())

KCOST_OP(get_current_pid_tgid, bpf_get_current_pid_tgid())

KCOST_OP(get_current_task_btf, bpf_get_current_task_btf())

KCOST_PROG(task_pt_regs)
{
	struct task_struct *t;

	if (!kcost_mine())
		return 0;
	t = bpf_get_current_task_btf();
	KCOST_LOOP bpf_task_pt_regs(t);
	return 0;
}

/* A lookup of the key the driver put in map, KCOST_K times. */
static __always_inline int kcost_lookup(void *map)
{
	__u64 key = KCOST_KEY;

	if (!kcost_mine())
		return 0;
	KCOST_LOOP kcost_check(!bpf_map_lookup_elem(map, &key));
	return 0;
}

KCOST_PROG(lru_hash_lookup)
{
	return kcost_lookup(&lru);
}

KCOST_PROG(hash_lookup)
{
	return kcost_lookup(&hash);
}

/* The socket's own storage (created by the first run), KCOST_K times. */
KCOST_PROG(sk_storage_get)
{
	if (!kcost_mine())
		return 0;
	bpf_sk_storage_get(&sks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	KCOST_LOOP kcost_check(!bpf_sk_storage_get(&sks, sk, 0, 0));
	return 0;
}

KCOST_OP(current_task_under_cgroup, kcost_check(bpf_current_task_under_cgroup(&cgroups, 0) != 1))

KCOST_OP(get_current_cgroup_id, bpf_get_current_cgroup_id())

KCOST_PROG(ringbuf_output)
{
	__u32 zero = 0;
	char *v;

	if (!kcost_mine())
		return 0;
	v = bpf_map_lookup_elem(&scratch, &zero);
	if (!v)
		return 0;
	KCOST_LOOP kcost_check(bpf_ringbuf_output(&rb, v, KCOST_REC_BYTES, BPF_RB_NO_WAKEUP));
	return 0;
}

KCOST_PROG(ringbuf_reserve_submit)
{
	if (!kcost_mine())
		return 0;
	KCOST_LOOP
	{
		void *r = bpf_ringbuf_reserve(&rb, KCOST_REC_BYTES, 0);

		if (!r) {
			failed++;
			continue;
		}
		bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
