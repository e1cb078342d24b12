// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Skeleton lifecycle: open -> rodata knobs -> autoload per plan -> load ->
 * selection maps -> attach -> ring buffer. Every failure is one line saying
 * which step failed, the system's reason and what to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf_load.h"
#include "cgroup.h"
#include "wirespan.skel.h"

struct ws_bpf {
	struct wirespan *skel;
	struct ring_buffer *rb;
	int cgroup_fds[WS_MAX_SEL_CGROUPS];
	int ncgroup_fds;
};

/* SEC("tracepoint/...") needs tracefs for event ids; a fresh host may not have it mounted. */
static int ensure_tracefs(void)
{
	if (access("/sys/kernel/tracing/events/syscalls", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events/syscalls", F_OK) == 0)
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) && errno != EBUSY)
		return -errno;
	return access("/sys/kernel/tracing/events/syscalls", F_OK) ? -ENOENT : 0;
}

static void set_family(struct wirespan *s, const struct ws_plan *plan, const struct ws_config *c)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, s->obj)
	{
		const char *sec = bpf_program__section_name(prog);
		int on = 0;

		if (strstr(sec, "tp_btf/sock_"))
			on = plan->sock_tp;
		else if (strstr(sec, "tracepoint/syscalls/"))
			on = plan->syscalls;
		else if (strstr(sec, "raw_tp/inet_sock_set_state"))
			on = plan->inet_state;
		else if (strstr(sec, "raw_tp/task_rename") || strstr(sec, "raw_tp/sched_process_fork"))
			on = c->ncomms > 0 && !c->floor; /* upkeep of the --comm cache */
		bpf_program__set_autoload(prog, on);
	}
}

static int fill_selection(struct ws_bpf *b, const struct ws_config *c, char *err, size_t errsz)
{
	char mount[4096], path[4096];
	__u8 one = 1;
	int ret;

	for (size_t i = 0; i < c->npids; i++) {
		if (bpf_map__update_elem(b->skel->maps.sel_pids, &c->pids[i], sizeof(__u32), &one,
					 sizeof(one), BPF_ANY))
			return -errno;
	}
	for (size_t i = 0; i < c->ncomms; i++) {
		if (bpf_map__update_elem(b->skel->maps.sel_comms, c->comms[i], 16, &one,
					 sizeof(one), BPF_ANY))
			return -errno;
	}
	if (!c->ncgroups)
		return 0;
	ret = ws_cgroup2_mount("/proc/self/mountinfo", mount, sizeof(mount));
	if (ret) {
		snprintf(err, errsz, "--cgroup: no cgroup2 hierarchy is mounted (see mount -t cgroup2)");
		return ret;
	}
	for (size_t i = 0; i < c->ncgroups; i++) {
		__u32 key = i;
		int fd;

		ret = ws_cgroup_resolve(mount, c->cgroups[i], path, sizeof(path));
		if (ret) {
			snprintf(err, errsz, "--cgroup %s: %s (looked for %s on the cgroup2 mount %s)",
				 c->cgroups[i], strerror(-ret), path, mount);
			return ret;
		}
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			snprintf(err, errsz, "--cgroup %s: opening %s failed: %s", c->cgroups[i], path,
				 strerror(errno));
			return ret;
		}
		b->cgroup_fds[b->ncgroup_fds++] = fd;
		if (bpf_map__update_elem(b->skel->maps.sel_cgroups, &key, sizeof(key), &fd,
					 sizeof(fd), BPF_ANY)) {
			ret = -errno;
			snprintf(err, errsz, "--cgroup %s: %s is not a cgroup v2 directory (%s)",
				 c->cgroups[i], path, strerror(errno));
			return ret;
		}
	}
	return 0;
}

struct ws_bpf *ws_bpf_start(const struct ws_config *c, const struct ws_plan *plan,
			    ring_buffer_sample_fn sample_cb, void *ctx, char *err, size_t errsz)
{
	struct ws_bpf *b;
	int ret;

	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->skel = wirespan__open();
	if (!b->skel) {
		ret = -errno;
		snprintf(err, errsz, "opening the BPF object failed: %s", strerror(errno));
		goto fail;
	}
	b->skel->rodata->self_tgid = c->trace_self ? 0 : getpid();
	b->skel->rodata->filter_pid = c->npids > 0;
	b->skel->rodata->filter_cgroup = c->ncgroups > 0;
	b->skel->rodata->filter_comm = c->ncomms > 0;
	b->skel->rodata->n_cgroups = c->ncgroups;
	b->skel->rodata->cap_bytes = c->capture_bytes;
	b->skel->rodata->floor_only = c->floor;
	bpf_map__set_max_entries(b->skel->maps.rb, c->ringbuf_bytes);
	bpf_map__set_max_entries(b->skel->maps.scratch, libbpf_num_possible_cpus());
	set_family(b->skel, plan, c);

	if (plan->syscalls && (ret = ensure_tracefs())) {
		snprintf(err, errsz, "mounting tracefs at /sys/kernel/tracing failed: %s "
			 "(the syscall tracepoints need it)", strerror(-ret));
		goto fail;
	}
	ret = wirespan__load(b->skel);
	if (ret) {
		snprintf(err, errsz, "loading the BPF programs failed: %s (run with -v for the "
			 "verifier log)", strerror(-ret));
		goto fail;
	}
	err[0] = '\0';
	ret = fill_selection(b, c, err, errsz);
	if (ret) {
		if (!err[0])
			snprintf(err, errsz, "filling the selection maps failed: %s", strerror(-ret));
		goto fail;
	}
	ret = wirespan__attach(b->skel);
	if (ret) {
		snprintf(err, errsz, "attaching the BPF programs failed: %s (run as root, or "
			 "grant CAP_BPF and CAP_PERFMON)", strerror(-ret));
		goto fail;
	}
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.rb), sample_cb, ctx, NULL);
	if (!b->rb) {
		ret = -errno;
		snprintf(err, errsz, "opening the ring buffer failed: %s", strerror(errno));
		goto fail;
	}
	return b;
fail:
	ws_bpf_free(b);
	errno = -ret;
	return NULL;
}

struct ring_buffer *ws_bpf_ring(struct ws_bpf *b)
{
	return b->rb;
}

int ws_bpf_stats(struct ws_bpf *b, uint64_t out[WS_STAT__COUNT])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < WS_STAT__COUNT; k++) {
		out[k] = 0;
		if (bpf_map__lookup_elem(b->skel->maps.stats, &k, sizeof(k), vals,
					 sizeof(*vals) * ncpu, 0))
			continue;
		for (int i = 0; i < ncpu; i++)
			out[k] += vals[i];
	}
	free(vals);
	return 0;
}

void ws_bpf_free(struct ws_bpf *b)
{
	if (!b)
		return;
	ring_buffer__free(b->rb);
	wirespan__destroy(b->skel);
	for (int i = 0; i < b->ncgroup_fds; i++)
		close(b->cgroup_fds[i]);
	free(b);
}
