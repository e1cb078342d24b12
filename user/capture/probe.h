/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the running kernel offers (struct ws_features), and the pure choice
 * of hooks from it and the configuration (struct ws_plan).
 */
#ifndef WS_PROBE_H
#define WS_PROBE_H

#include "config.h"

struct ws_features {
	int privileged;	   /* euid 0 (or the BPF capabilities) */
	int btf;	   /* /sys/kernel/btf/vmlinux readable */
	int sock_tp;	   /* sock_send_length / sock_recv_length exist (6.3+) */
	int inet_state_tp; /* sock:inet_sock_set_state exists */
	int syscall_tp;	   /* syscall tracepoints exist (CONFIG_FTRACE_SYSCALLS) */
	int ringbuf;	   /* BPF_MAP_TYPE_RINGBUF loads */
};

struct ws_plan {
	int sock_tp;	/* attach the socket tracepoint family */
	int syscalls;	/* attach the syscall tracepoint family */
	int inet_state; /* attach inet_sock_set_state */
	char desc[128]; /* one line naming the plan, or the refusal */
};

/* Fills f from the running kernel. */
void ws_probe_features(struct ws_features *f);
/* 0 with a plan, or -ENOTSUP/-EPERM with plan->desc saying what is missing and what to do. */
int ws_choose_hooks(const struct ws_features *f, const struct ws_config *c, struct ws_plan *plan);

#endif /* WS_PROBE_H */
