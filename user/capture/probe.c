// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel feature detection, cheapest first: BTF typedefs for tracepoints
 * (no tracefs, no trial load), then libbpf's map probe for the ring buffer.
 * ws_choose_hooks() is pure and unit-tested.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "probe.h"

static int btf_has_typedef(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) > 0;
}

void ws_probe_features(struct ws_features *f)
{
	struct btf *btf;

	memset(f, 0, sizeof(*f));
	f->privileged = geteuid() == 0;
	f->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	btf = f->btf ? btf__load_vmlinux_btf() : NULL;
	if (btf && !libbpf_get_error(btf)) {
		f->sock_tp = btf_has_typedef(btf, "btf_trace_sock_send_length") &&
			     btf_has_typedef(btf, "btf_trace_sock_recv_length");
		f->inet_state_tp = btf_has_typedef(btf, "btf_trace_inet_sock_set_state");
		/* The syscall tracepoints hang off sys_enter/sys_exit. */
		f->syscall_tp = btf_has_typedef(btf, "btf_trace_sys_enter");
		btf__free(btf);
	}
	if (f->privileged)
		f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
}

int ws_choose_hooks(const struct ws_features *f, const struct ws_config *c, struct ws_plan *p)
{
	memset(p, 0, sizeof(*p));
	if (!f->privileged) {
		snprintf(p->desc, sizeof(p->desc),
			 "must run as root (it loads BPF programs into the kernel)");
		return -EPERM;
	}
	if (!f->btf) {
		snprintf(
			p->desc, sizeof(p->desc),
			"no kernel BTF at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF=y)");
		return -ENOTSUP;
	}
	if (!f->ringbuf) {
		snprintf(p->desc, sizeof(p->desc),
			 "the kernel has no BPF ring buffer (needs Linux 5.8 or newer)");
		return -ENOTSUP;
	}
	if (!f->inet_state_tp) {
		snprintf(p->desc, sizeof(p->desc),
			 "the kernel lacks the tracepoint sock:inet_sock_set_state (Linux 4.16+)");
		return -ENOTSUP;
	}
	p->inet_state = 1;
	switch (c->capture) {
	case WS_CAPTURE_SOCKET:
		if (!f->sock_tp) {
			snprintf(p->desc, sizeof(p->desc),
				 "--capture socket: the kernel lacks sock:sock_send_length "
				 "(Linux 6.3+); use --capture syscalls");
			return -ENOTSUP;
		}
		p->sock_tp = 1;
		break;
	case WS_CAPTURE_SYSCALLS:
		if (!f->syscall_tp) {
			snprintf(p->desc, sizeof(p->desc),
				 "--capture syscalls: the kernel has no syscall tracepoints "
				 "(CONFIG_FTRACE_SYSCALLS)");
			return -ENOTSUP;
		}
		p->syscalls = 1;
		break;
	case WS_CAPTURE_AUTO:
		if (f->sock_tp)
			p->sock_tp = 1;
		else if (f->syscall_tp)
			p->syscalls = 1;
		else {
			snprintf(p->desc, sizeof(p->desc),
				 "the kernel has neither the socket tracepoints (6.3+) nor syscall "
				 "tracepoints: nothing to capture with");
			return -ENOTSUP;
		}
		break;
	}
	if (c->floor == WS_FLOOR_COPY && !p->sock_tp) {
		snprintf(p->desc, sizeof(p->desc),
			 "--floor-copy measures the socket tracepoints' path: the kernel lacks "
			 "sock:sock_send_length (Linux 6.3+)");
		return -ENOTSUP;
	}
	snprintf(p->desc, sizeof(p->desc), "capture: %s, connection state: inet_sock_set_state",
		 p->sock_tp ? "socket tracepoints (sock_send_length/sock_recv_length)"
			    : "syscall tracepoints (fallback)");
	return 0;
}
