// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Skeleton lifecycle: open -> rodata knobs -> autoload per plan -> load ->
 * selection maps -> attach -> ring buffer. Every failure is one line saying
 * which step failed, the system's reason and what to do.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf_load.h"
#include "cgroup.h"
#include "elfsym.h"
#include "procstat.h"
#include "readfd.h"
#include "wirespan.skel.h"

/* Where Go's net/http client is probed (bpf/go_uprobe.bpf.c): in every Go release followed (1.19+). */
static const char *const go_funcs[] = { "net/http.(*Transport).roundTrip",
					"net/http.(*Request).write" };
#define GO_PROCS_MAX 4096    /* Go processes followed at once */
#define GO_FAILURES_LOGGED 8 /* then only counted */

/* A Go process whose goroutines are followed. */
struct go_proc {
	uint32_t tgid;
	uint64_t start;		   /* its start time: a pid used again is another process */
	struct bpf_link *links[2]; /* go_funcs; NULL where it could not be probed */
};

struct ws_bpf {
	struct wirespan *skel;
	struct ws_ring *rb;
	int cgroup_fds[WS_MAX_SEL_CGROUPS];
	int ncgroup_fds;
	bool go_on; /* Go programs' goroutines are followed (not --no-goroutines, not --floor) */
	uint32_t
		pid_words; /* entries of the pid bitmaps (sel_pids, go_procs): a bit per possible pid */
	struct go_proc *go;
	size_t ngo;
	struct ws_go_stats go_stats; /* the counters; procs is ngo */
	int verbose;
};

/* pid_max: the pid bitmaps cover every pid the kernel can hand out. */
static uint32_t pid_max(void)
{
	char buf[32] = "";
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	unsigned long v = 0;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			v = strtoul(buf, NULL, 10);
		fclose(f);
	}
	return v && v <= (1u << 22) ? (uint32_t)v : 1u << 22; /* 4194304: the kernel's limit */
}

/* /proc/PID/name read into buf (NUL-terminated): its length, or <= 0 when gone. */
static ssize_t proc_read(uint32_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/%s", pid, name);
	n = ws_read_file(path, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Field 22 of /proc/PID/stat, the start time in clock ticks; 0 when gone. */
static uint64_t proc_start(uint32_t tgid)
{
	return ws_proc_start("/proc", tgid);
}

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

	bpf_object__for_each_program (prog, s->obj) {
		const char *sec = bpf_program__section_name(prog);
		int on = 0;

		if (strstr(sec, "tp_btf/sock_"))
			on = plan->sock_tp;
		else if (strstr(sec, "tracepoint/syscalls/"))
			on = plan->syscalls;
		else if (strstr(sec, "tp_btf/inet_sock_set_state"))
			on = plan->inet_state && plan->sock_tp; /* state in the socket: sk_conns */
		else if (strstr(sec, "raw_tp/inet_sock_set_state"))
			on = plan->inet_state && !plan->sock_tp; /* state by address: conns */
		else if (strstr(sec, "raw_tp/task_rename") ||
			 strstr(sec, "raw_tp/sched_process_fork"))
			/* upkeep of the --comm cache; --floor-copy selects as tracing does */
			on = c->ncomms > 0 && c->floor != WS_FLOOR_RETURN;
		else if (!strcmp(sec, "uprobe"))
			on = !c->no_goroutines && !c->floor; /* Go's net/http client */
		bpf_program__set_autoload(prog, on);
	}
}

uint64_t ws_bpf_wake_bytes(uint64_t ringbuf_bytes)
{
	/* The waiting bytes stay well under the ring's size between drain ticks. */
	uint64_t total = ringbuf_bytes / 8 < 256 * 1024 ? ringbuf_bytes / 8 : 256 * 1024;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	total /= ncpu > 0 ? (uint64_t)ncpu : 1;
	return total > 4096 ? total : 4096;
}

/*
 * Sets or clears tgid's bit in a pid bitmap, sel_pids or go_procs (only user
 * space writes them). 0, -ERANGE for a pid beyond the bitmaps, or -errno.
 */
static int pid_bit(struct ws_bpf *b, struct bpf_map *bitmap, uint32_t tgid, bool on)
{
	uint32_t word = tgid / 64;
	uint64_t bits = 0;

	if (word >= b->pid_words)
		return -ERANGE;
	bpf_map__lookup_elem(bitmap, &word, sizeof(word), &bits, sizeof(bits), 0);
	bits = on ? bits | 1ull << (tgid % 64) : bits & ~(1ull << (tgid % 64));
	if (bpf_map__update_elem(bitmap, &word, sizeof(word), &bits, sizeof(bits), BPF_ANY))
		return -errno;
	return 0;
}

/*
 * The process (thread group) of pid: pid itself for a process, its
 * process's id for a thread; 0 when no such task exists.
 */
static uint32_t pid_tgid(uint32_t pid)
{
	char buf[4096];
	const char *t;

	if (proc_read(pid, "status", buf, sizeof(buf)) <= 0)
		return 0;
	t = strstr(buf, "\nTgid:");
	return t ? (uint32_t)strtoul(t + 6, NULL, 10) : 0;
}

/*
 * --pid selects running processes: a pid with no process would trace
 * nothing now and, once reused, a stranger; a thread's id never matches
 * (selection is by process).
 */
static int check_pid(uint32_t pid, char *err, size_t errsz)
{
	uint32_t tgid = pid_tgid(pid);

	if (!tgid) {
		snprintf(err, errsz, "--pid %u: no such process", pid);
		return -ESRCH;
	}
	if (tgid != pid) {
		snprintf(err, errsz,
			 "--pid %u: a thread of process %u (select the process: --pid %u)", pid,
			 tgid, tgid);
		return -EINVAL;
	}
	return 0;
}

static int fill_selection(struct ws_bpf *b, const struct ws_config *c, char *err, size_t errsz)
{
	char mount[4096], path[4096];
	__u8 one = 1;
	int ret;

	for (size_t i = 0; i < c->npids; i++) {
		ret = pid_bit(b, b->skel->maps.sel_pids, c->pids[i], true);
		if (ret == -ERANGE)
			snprintf(err, errsz, "--pid %u: above the kernel's pid_max (%u)",
				 c->pids[i], b->pid_words * 64);
		else if (!ret)
			ret = check_pid(c->pids[i], err, errsz);
		if (ret)
			return ret;
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
		snprintf(err, errsz,
			 "--cgroup: no cgroup2 hierarchy is mounted (see mount -t cgroup2)");
		return ret;
	}
	for (size_t i = 0; i < c->ncgroups; i++) {
		__u32 key = i;
		int fd;

		ret = ws_cgroup_resolve(mount, c->cgroups[i], path, sizeof(path));
		if (ret) {
			snprintf(err, errsz,
				 "--cgroup %s: %s (looked for %s on the cgroup2 mount %s)",
				 c->cgroups[i], strerror(-ret), path, mount);
			return ret;
		}
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			snprintf(err, errsz, "--cgroup %s: opening %s failed: %s", c->cgroups[i],
				 path, strerror(errno));
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
			    ws_ring_cb sample_cb, void *ctx, char *err, size_t errsz)
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
	b->skel->rodata->floor_only = c->floor == WS_FLOOR_RETURN;
	b->skel->rodata->floor_copy = c->floor == WS_FLOOR_COPY;
	b->skel->rodata->wake_bytes = ws_bpf_wake_bytes(c->ringbuf_bytes);
	b->go_on = !c->no_goroutines && !c->floor;
	b->skel->rodata->go_goroutines = b->go_on;
	b->pid_words = (pid_max() + 63) / 64;
	b->verbose = c->verbose;
	bpf_map__set_max_entries(b->skel->maps.go_procs, b->pid_words);
	bpf_map__set_max_entries(b->skel->maps.sel_pids, c->npids ? b->pid_words : 1);
	bpf_map__set_max_entries(b->skel->maps.rb, c->ringbuf_bytes);
	bpf_map__set_max_entries(b->skel->maps.scratch, libbpf_num_possible_cpus());
	/* Tables only the syscall fallback uses: ~10 MiB of kernel memory otherwise. */
	if (!plan->syscalls) {
		bpf_map__set_max_entries(b->skel->maps.conns, 1); /* state in sk_conns */
		bpf_map__set_max_entries(b->skel->maps.sys_args, 1);
	}
	set_family(b->skel, plan, c);

	if (plan->syscalls && (ret = ensure_tracefs())) {
		snprintf(err, errsz,
			 "mounting tracefs at /sys/kernel/tracing failed: %s "
			 "(the syscall tracepoints need it)",
			 strerror(-ret));
		goto fail;
	}
	ret = wirespan__load(b->skel);
	if (ret) {
		snprintf(err, errsz,
			 "loading the BPF programs failed: %s (run with -v for the "
			 "verifier log)",
			 strerror(-ret));
		goto fail;
	}
	err[0] = '\0';
	ret = fill_selection(b, c, err, errsz);
	if (ret) {
		if (!err[0])
			snprintf(err, errsz, "filling the selection maps failed: %s",
				 strerror(-ret));
		goto fail;
	}
	ret = wirespan__attach(b->skel);
	if (ret) {
		snprintf(err, errsz,
			 "attaching the BPF programs failed: %s (run as root, or "
			 "grant CAP_BPF and CAP_PERFMON)",
			 strerror(-ret));
		goto fail;
	}
	b->rb = ws_ring_new(bpf_map__fd(b->skel->maps.rb), sample_cb, ctx);
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

struct ws_ring *ws_bpf_ring(struct ws_bpf *b)
{
	return b->rb;
}

/* Runs of our programs the kernel skipped as recursive, summed (WS_STAT_RECURSION_MISSES). */
static uint64_t recursion_misses(const struct ws_bpf *b)
{
	struct bpf_program *prog;
	uint64_t n = 0;

	bpf_object__for_each_program (prog, b->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			n += info.recursion_misses;
	}
	return n;
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
	out[WS_STAT_RECURSION_MISSES] += recursion_misses(b);
	return 0;
}

static void go_forget(struct ws_bpf *b, size_t i)
{
	struct go_proc *g = &b->go[i];

	for (int k = 0; k < 2; k++)
		bpf_link__destroy(g->links[k]);
	pid_bit(b, b->skel->maps.go_procs, g->tgid, false);
	b->go[i] = b->go[--b->ngo];
}

/*
 * Probes go_funcs in the executable of tgid. The symbols are found by our
 * own bounded reader (elfsym.c), never by libbpf: the file is the traced
 * program's, and libbpf 1.1's ELF symbol lookup trusts it (a .symtab entry
 * size of 0 was a division by zero, SIGFPE, the agent gone). With no
 * func_name libbpf does not open the file; the kernel does, through
 * /proc/self/fd of the descriptor read here, so the offsets and the probed
 * inode are the same file even if tgid execs meanwhile, across mount
 * namespaces too. 0, or the last -errno.
 */
static int go_attach(struct go_proc *g, struct bpf_program *const progs[2], uint32_t tgid)
{
	char path[64];
	uint64_t offs[2];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), "/proc/%u/exe", tgid);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = ws_elf_func_offsets(fd, go_funcs, 2, offs);
	if (n < 0) {
		close(fd);
		return n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int k = 0; k < 2; k++) {
		struct bpf_uprobe_opts o = { .sz = sizeof(o) }; /* no func_name: see above */

		if (!offs[k]) {
			ret = -ENOENT;
			continue;
		}
		g->links[k] = bpf_program__attach_uprobe_opts(progs[k], tgid, path, offs[k], &o);
		if (!g->links[k])
			ret = -errno;
	}
	close(fd);
	return ret;
}

int ws_bpf_go_process(struct ws_bpf *b, uint32_t tgid)
{
	struct bpf_program *progs[2];
	struct go_proc *g = NULL;
	uint64_t start;
	int ret = 0;

	if (!b || !b->go_on)
		return 0;
	if (tgid / 64 >= b->pid_words) /* pid_max was raised after the agent started */
		return -ERANGE;
	start = proc_start(tgid);
	if (!start)
		return -ESRCH;
	for (size_t i = 0; i < b->ngo; i++) {
		if (b->go[i].tgid != tgid)
			continue;
		if (b->go[i].start == start)
			return 0;
		go_forget(b, i); /* the pid of a process that is gone; a pid is listed once */
		break;
	}
	if (b->ngo >= GO_PROCS_MAX) {
		b->go_stats.not_followed++;
		return -ENOSPC;
	}
	if (!b->go && !(b->go = calloc(GO_PROCS_MAX, sizeof(*b->go))))
		return -ENOMEM;
	g = &b->go[b->ngo++];
	*g = (struct go_proc){ .tgid = tgid, .start = start };
	pid_bit(b, b->skel->maps.go_procs, tgid, true);

	progs[0] = b->skel->progs.ws_go_roundtrip;
	progs[1] = b->skel->progs.ws_go_req_write;
	ret = go_attach(g, progs, tgid);
	if (ret) {
		b->go_stats.probe_failures++;
		if (b->go_stats.probe_failures <= GO_FAILURES_LOGGED || b->verbose)
			fprintf(stderr,
				"wirespan: pid %u is a Go program, but its net/http client "
				"could not be probed (%s%s): calls it makes through "
				"http.Transport get no parent\n",
				tgid, strerror(-ret), ret == -ENOENT ? "; a stripped binary?" : "");
	}
	return ret;
}

int ws_bpf_skip(struct ws_bpf *b, uint64_t sock_id, const struct ws_skip *hint)
{
	struct bpf_map *m = b->skel->maps.skips;
	int ret;

	if (hint)
		ret = bpf_map__update_elem(m, &sock_id, sizeof(sock_id), hint, sizeof(*hint),
					   BPF_ANY);
	else
		ret = bpf_map__delete_elem(m, &sock_id, sizeof(sock_id), 0);
	return ret == -ENOENT && !hint ? 0 : ret;
}

void ws_bpf_hint_go_process(void *bpf_slot, uint32_t tgid)
{
	struct ws_bpf *b = *(struct ws_bpf **)bpf_slot;

	if (b)
		ws_bpf_go_process(b, tgid);
}

void ws_bpf_hint_skip(void *bpf_slot, uint64_t sock_id, const struct ws_skip *hint)
{
	struct ws_bpf *b = *(struct ws_bpf **)bpf_slot;

	if (b)
		ws_bpf_skip(b, sock_id, hint);
}

void ws_bpf_go_reap(struct ws_bpf *b)
{
	for (size_t i = 0; b && i < b->ngo;) {
		if (proc_start(b->go[i].tgid) != b->go[i].start)
			go_forget(b, i);
		else
			i++;
	}
}

void ws_bpf_go_stats(const struct ws_bpf *b, struct ws_go_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!b)
		return;
	*out = b->go_stats;
	out->procs = b->ngo;
}

void ws_bpf_free(struct ws_bpf *b)
{
	if (!b)
		return;
	while (b->ngo)
		go_forget(b, b->ngo - 1);
	free(b->go);
	ws_ring_free(b->rb);
	wirespan__destroy(b->skel);
	for (int i = 0; i < b->ncgroup_fds; i++)
		close(b->cgroup_fds[i]);
	free(b);
}
