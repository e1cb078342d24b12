/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Selection: is the current process one we trace? Called first by every
 * program, before anything is read or copied, so unselected processes pay
 * only this.
 */
#ifndef WS_FILTER_BPF_H
#define WS_FILTER_BPF_H

#include "maps.bpf.h"
#include <bpf/bpf_core_read.h>

static __always_inline int ws_comm_selected(__u32 tgid)
{
	struct task_struct *task;
	char comm[16] = {};
	__u8 *v, verdict;

	v = bpf_map_lookup_elem(&comm_verdict, &tgid);
	if (v)
		return *v;
	task = (struct task_struct *)bpf_get_current_task();
	BPF_CORE_READ_STR_INTO(&comm, task, group_leader, comm);
	verdict = bpf_map_lookup_elem(&sel_comms, &comm) != NULL;
	bpf_map_update_elem(&comm_verdict, &tgid, &verdict, BPF_ANY);
	return verdict;
}

static __always_inline int ws_selected(__u32 tgid)
{
	if (tgid == self_tgid)
		return 0;
	if (!filter_pid && !filter_cgroup && !filter_comm)
		return 1;
	if (filter_pid && ws_pid_bit(&sel_pids, tgid))
		return 1;
	if (filter_cgroup) {
		for (__u32 i = 0; i < WS_MAX_CGROUPS; i++) {
			if (i >= n_cgroups)
				break;
			if (bpf_current_task_under_cgroup(&sel_cgroups, i) == 1)
				return 1;
		}
	}
	if (filter_comm && ws_comm_selected(tgid))
		return 1;
	return 0;
}

#endif /* WS_FILTER_BPF_H */
