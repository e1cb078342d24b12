// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kcost: what the operations of wirespan's per-I/O path cost on this kernel
 * (bench/README.md, case kcost). For each program of kcost.bpf.c, `base`
 * first: load it alone, attach it to sock_send_length, write 100 bytes on a
 * TCP loopback connection and read them back, ITERS times, and read the
 * program's run count and run time from the kernel (BPF statistics, turned
 * on for this process's life with BPF_ENABLE_STATS: the kernel turns them
 * off when it exits, however it exits). One JSON line per operation:
 *
 *   {"op": NAME, "k": K, "runs": R, "foreign": F, "ns_per_run": X, "ns_per_call": Y, "failed": N}
 *
 * ns_per_run is per run of the driver's own writes: runs of other processes'
 * sends (F, only the pid check) are taken out at base's cost per run.
 * ns_per_call = (ns_per_run - base's) / K.
 *
 * usage: kcost [-n ITERS] [-c CGROUP_DIR]  (root; ITERS: 100000 by default, ~17 s
 * for every operation on a 2-core VM; CGROUP_DIR: the cgroup v2 directory this
 * process runs in, for current_task_under_cgroup, skipped without it)
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kcost.h"
#include "kcost.skel.h"

#define WARMUP 2000
#define CONSUME_EVERY 1000

struct pair {
	int tx, rx;
};

struct result {
	unsigned long long runs, ns, mine, failed;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int die(const char *what)
{
	fprintf(stderr, "kcost: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A connected TCP pair on 127.0.0.1, Nagle off (a 100-byte write goes at once). */
static struct pair tcp_pair(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
	struct pair p;

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen))
		die("listen");
	p.tx = socket(AF_INET, SOCK_STREAM, 0);
	if (p.tx < 0 || connect(p.tx, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	p.rx = accept(l, NULL, NULL);
	if (p.rx < 0)
		die("accept");
	close(l);
	setsockopt(p.tx, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return p;
}

static int ignore_record(void *ctx, void *data, size_t len)
{
	(void)ctx, (void)data, (void)len;
	return 0;
}

/* iters writes of KCOST_IO_BYTES on p.tx, each read back whole from p.rx. */
static void io(struct pair p, long iters, struct ring_buffer *ring)
{
	/* Room for the programs' largest user copy; KCOST_IO_BYTES of it are sent. */
	char out[KCOST_BIG_BYTES], in[KCOST_IO_BYTES];

	memset(out, 'x', sizeof(out));
	for (long i = 0; i < iters; i++) {
		if (write(p.tx, out, KCOST_IO_BYTES) != KCOST_IO_BYTES)
			die("write");
		for (size_t got = 0; got < sizeof(in);) {
			ssize_t n = read(p.rx, in + got, sizeof(in) - got);

			if (n <= 0)
				die("read");
			got += n;
		}
		if (i % CONSUME_EVERY == 0)
			ring_buffer__consume(ring);
	}
	ring_buffer__consume(ring);
}

static void prog_stats(int fd, unsigned long long *cnt, unsigned long long *ns)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("bpf_obj_get_info_by_fd");
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
}

/* Loads the program name alone, runs the I/O under it, returns its counts. */
static struct result run_one(const char *name, struct pair p, long iters, int cgfd)
{
	unsigned long long c0, c1, t0, t1, h0;
	__u64 key = KCOST_KEY, val = 1;
	struct bpf_program *prog, *target = NULL;
	struct ring_buffer *ring;
	struct bpf_link *link;
	struct kcost *skel;
	struct result r;
	__u32 zero = 0;

	skel = kcost__open();
	if (!skel)
		die("open");
	skel->rodata->tpid = getpid();
	bpf_object__for_each_program (prog, skel->obj) {
		int me = !strcmp(bpf_program__name(prog), name);

		bpf_program__set_autoload(prog, me);
		if (me)
			target = prog;
	}
	if (!target || kcost__load(skel))
		die(name);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.lru), &key, &val, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.hash), &key, &val, BPF_ANY) ||
	    (cgfd >= 0 &&
	     bpf_map_update_elem(bpf_map__fd(skel->maps.cgroups), &zero, &cgfd, BPF_ANY)))
		die("map update");
	link = bpf_program__attach(target);
	ring = ring_buffer__new(bpf_map__fd(skel->maps.rb), ignore_record, NULL, NULL);
	if (!link || !ring)
		die("attach");
	io(p, WARMUP, ring);
	prog_stats(bpf_program__fd(target), &c0, &t0);
	h0 = skel->bss->hits;
	skel->bss->failed = 0;
	io(p, iters, ring);
	prog_stats(bpf_program__fd(target), &c1, &t1);
	r.runs = c1 - c0;
	r.ns = t1 - t0;
	r.mine = skel->bss->hits - h0;
	r.failed = skel->bss->failed;
	ring_buffer__free(ring);
	bpf_link__destroy(link);
	kcost__destroy(skel);
	return r;
}

static void print(const char *name, struct result r, double per_run, double base)
{
	printf("{\"op\": \"%s\", \"k\": %d, \"runs\": %llu, \"foreign\": %llu, "
	       "\"ns_per_run\": %.1f, \"ns_per_call\": %.1f, \"failed\": %llu}\n",
	       name, KCOST_K, r.runs, r.runs - r.mine, per_run, (per_run - base) / KCOST_K,
	       r.failed);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *cgdir = NULL;
	struct bpf_program *prog;
	struct kcost *skel;
	long iters = 100000;
	struct result r;
	int opt, cgfd = -1;
	double base;
	struct pair p;

	while ((opt = getopt(argc, argv, "n:c:")) != -1) {
		if (opt == 'n')
			iters = atol(optarg);
		else if (opt == 'c')
			cgdir = optarg;
		else
			return fprintf(stderr, "usage: kcost [-n ITERS] [-c CGROUP_DIR]\n"), 2;
	}
	libbpf_set_print(libbpf_print);
	if (bpf_enable_stats(BPF_STATS_RUN_TIME) < 0)
		die("bpf_enable_stats");
	if (cgdir && (cgfd = open(cgdir, O_RDONLY | O_DIRECTORY)) < 0)
		die(cgdir);
	p = tcp_pair();

	r = run_one("base", p, iters, cgfd);
	if (!r.mine)
		return fprintf(stderr, "kcost: base never ran for this process\n"), 1;
	base = (double)r.ns / r.runs; /* others' runs cost what base's do: the pid check */
	print("base", r, base, base);

	skel = kcost__open(); /* only for the list of programs */
	if (!skel)
		die("open");
	bpf_object__for_each_program (prog, skel->obj) {
		const char *name = bpf_program__name(prog);

		if (!strcmp(name, "base"))
			continue;
		if (cgfd < 0 && strstr(name, "under_cgroup")) {
			printf("{\"op\": \"%s\", \"skipped\": \"no -c CGROUP_DIR\"}\n", name);
			continue;
		}
		r = run_one(name, p, iters, cgfd);
		if (!r.mine)
			return fprintf(stderr, "kcost: %s never ran for this process\n", name), 1;
		print(name, r, (r.ns - (r.runs - r.mine) * base) / r.mine, base);
	}
	kcost__destroy(skel);
	return 0;
}
