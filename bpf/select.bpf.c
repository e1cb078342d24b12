// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Keeps the --comm selection cache true: a process that renames itself
 * (exec, prctl(PR_SET_NAME)) or is new (its pid may be a dead process's)
 * is judged again at its next socket I/O. Attached only when --comm is given.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "maps.bpf.h"

/* include/trace/events/task.h: TP_PROTO(struct task_struct *task, const char *comm) */
SEC("?raw_tp/task_rename")
int BPF_PROG(ws_task_rename, struct task_struct *task, const char *comm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	bpf_map_delete_elem(&comm_verdict, &tgid);
	return 0;
}

/* include/trace/events/sched.h: TP_PROTO(struct task_struct *parent, struct task_struct *child) */
SEC("?raw_tp/sched_process_fork")
int BPF_PROG(ws_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = BPF_CORE_READ(child, tgid);

	bpf_map_delete_elem(&comm_verdict, &tgid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
