// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The process cache: a fixed hash of pid-keyed entries, each remembering
 * the comm, start time and executable its resource was read under and when
 * that was last checked. Deciding whether a pid still names the same
 * process costs a stat read at most once a second per process (or when the
 * comm changes); re-reading a resource (environment, executable, cgroup)
 * happens only for a new process.
 */
#include <stdlib.h>
#include <string.h>

#include "hashmix.h"
#include "procs.h"
#include "procstat.h"
#include "resource.h"

/* A process's resource, by pid; the start time tells a later process given the same pid. */
struct entry {
	uint32_t pid;
	char comm[16];		/* the comm its records carried when it was last checked */
	uint64_t start;		/* its start time then (procstat.h); 0: gone, or a replay */
	struct ws_proc_exe exe; /* its executable then: an exec changes it, a rename does not */
	uint64_t checked_ns;	/* record time of that check */
	struct ws_resource *res;
	struct entry *next;
};

#define NBUCKETS 1024 /* a power of two; chains of ~4 when full */

struct ws_procs {
	const char *proc_root;
	const struct ws_res_attrs *base;
	struct entry *buckets[NBUCKETS];
	size_t n;
};

struct ws_procs *ws_procs_new(const char *proc_root, const struct ws_res_attrs *base)
{
	struct ws_procs *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->proc_root = proc_root ? proc_root : "/proc";
	p->base = base;
	return p;
}

static void clear(struct ws_procs *p)
{
	for (size_t i = 0; i < NBUCKETS; i++) {
		while (p->buckets[i]) {
			struct entry *e = p->buckets[i];

			p->buckets[i] = e->next;
			ws_resource_put(e->res);
			free(e);
		}
	}
	p->n = 0;
}

void ws_procs_free(struct ws_procs *p)
{
	if (!p)
		return;
	clear(p);
	free(p);
}

/*
 * Whether the process at e->pid is still the one e's resource was read for.
 * Another start time is another process (the pid was reused). One gone
 * leaves its last records behind: they keep its resource, unless they carry
 * another comm (nothing then tells whose they are). The same process under
 * another comm renamed itself (prctl(PR_SET_NAME)) and keeps its resource,
 * or exec'd another program (a new executable, environment, maybe Go) and
 * does not. Records carry the group leader's comm as the kernel read it per
 * connection, so a renamed process may show both names for a while: each
 * change costs this check (a stat read and a stat), never a resource read.
 */
static bool same_process(struct ws_procs *p, struct entry *e, const char comm[16], uint64_t ts)
{
	uint64_t start = ws_proc_start(p->proc_root, e->pid);
	struct ws_proc_exe exe;

	e->checked_ns = ts;
	if (start && start != e->start)
		return false;
	if (!memcmp(e->comm, comm, 16))
		return true;
	if (!start)
		return false;
	/* An executable unknown both times (unreadable) is taken as the same. */
	ws_proc_exe(p->proc_root, e->pid, &exe);
	if (exe.dev != e->exe.dev || exe.ino != e->exe.ino)
		return false;
	memcpy(e->comm, comm, 16);
	return true;
}

/*
 * Keyed by pid and start time, not by comm, so threads, renames and busy
 * pools do not re-read 64 KiB of environment, the executable and the
 * runtime's record. The assembler asks once per new connection (and per
 * failed connect), not per record; still, reading /proc/PID/stat (open,
 * read, close: some microseconds) each time would cost a client of short
 * connections about what the span costs. So the start time is read when
 * the entry is made, when a record's comm differs from the entry's, and
 * otherwise at most once per WS_PROCS_RECHECK_NS of record time per
 * process. A pid reused within that second by a process of the same comm
 * has the old resource until the check: with pids handed out cyclically,
 * rare.
 */
struct ws_resource *ws_procs_get(struct ws_procs *p, uint32_t pid, const char comm[16], uint64_t ts,
				 bool *fresh)
{
	size_t b = (size_t)ws_mix64(pid) & (NBUCKETS - 1);
	const bool reads = p->proc_root[0];
	char name[17];
	struct entry *e;

	*fresh = false;
	for (e = p->buckets[b]; e; e = e->next)
		if (e->pid == pid)
			break;
	if (e && !memcmp(e->comm, comm, 16) && (!reads || ts < e->checked_ns + WS_PROCS_RECHECK_NS))
		return ws_resource_get(e->res);
	if (e && reads && same_process(p, e, comm, ts))
		return ws_resource_get(e->res);
	memcpy(name, comm, 16);
	name[16] = '\0';
	if (!e) {
		if (p->n >= WS_PROCS_MAX)
			clear(p); /* a cheap bound; hot entries come back at once */
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->pid = pid;
		e->next = p->buckets[b];
		p->buckets[b] = e;
		p->n++;
	}
	/* Before the resource: a process replaced while it is read is caught at the next check. */
	e->start = reads ? ws_proc_start(p->proc_root, pid) : 0;
	if (reads)
		ws_proc_exe(p->proc_root, pid, &e->exe);
	e->checked_ns = ts;
	ws_resource_put(e->res);
	e->res = ws_resource_new_opts(
		&(struct ws_resource_opts){ .proc_root = p->proc_root, .base = p->base }, pid,
		name);
	memcpy(e->comm, comm, 16);
	*fresh = e->res != NULL;
	return e->res ? ws_resource_get(e->res) : NULL;
}
