/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The selection checked against what runs at start: a --comm that names no
 * running process, or a --cgroup that holds none, is most likely a typo or
 * a misunderstanding (comm names are cut at 15 bytes; a program's comm is
 * not its executable's name). The agent still starts (the process may come
 * later); it says so in one warning line each.
 *
 * ws_selcheck_comm() and ws_selcheck_comm_warning() are pure: they take the
 * running comms as a list. ws_selcheck_scan_comms() and
 * ws_selcheck_cgroup_busy() read /proc and cgroupfs, bounded;
 * ws_selcheck_warn() puts them together for main. (--pid needs no warning:
 * a pid with no process stops the start, see bpf_load.c.)
 */
#ifndef WS_SELCHECK_H
#define WS_SELCHECK_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* A comm is at most 15 bytes: the kernel's TASK_COMM_LEN (16) holds the NUL too. */
#define WS_COMM_MAX 15
/* Close matches named in one warning: a short line beats a complete list. */
#define WS_SELCHECK_CLOSE_MAX 4

struct ws_comm_check {
	size_t matches;		   /* running processes this name selects */
	int too_long;		   /* longer than WS_COMM_MAX: only its first bytes are matched */
	char cut[WS_COMM_MAX + 1]; /* what is matched: the name's first WS_COMM_MAX bytes */
	/*
	 * Running comms, each once, that are a prefix of the name or start with
	 * it (case ignored): `python3` for --comm python3.11. They point into
	 * the caller's list.
	 */
	const char *close[WS_SELCHECK_CLOSE_MAX];
	size_t nclose;
};

/* Checks --comm name against the comms of the running processes. */
void ws_selcheck_comm(const char *name, const char *const *comms, size_t ncomms,
		      struct ws_comm_check *out);

/*
 * The one-line warning (no newline) for name when it matches no running
 * process, into buf; returns its length (as snprintf), or 0 and an empty buf
 * when the name matches one.
 */
int ws_selcheck_comm_warning(const char *name, const struct ws_comm_check *r, char *buf,
			     size_t size);

/*
 * The comms of the running processes under proc_root ("/proc"), but
 * skip_tgid's (the agent's own: never traced), at most max of them. Returns
 * how many, or -errno; *out (one malloc'd block, pointers and strings) is
 * freed with free().
 */
int ws_selcheck_scan_comms(const char *proc_root, unsigned int skip_tgid, size_t max, char ***out);

/*
 * Whether the cgroup v2 directory path or one below it (at most
 * WS_SELCHECK_CGROUP_DIRS directories looked at) holds a process: 1, 0, or
 * -errno when path cannot be read.
 */
#define WS_SELCHECK_CGROUP_DIRS 4096
int ws_selcheck_cgroup_busy(const char *path);

/* Processes looked at for --comm: far more than a host runs, bounded all the same. */
#define WS_SELCHECK_PROCS_MAX 65536

/*
 * One warning line on err for each --comm and --cgroup of c that selects
 * no running process (processes under proc_root, "/proc"; the cgroup2
 * mount from its self/mountinfo). Returns how many lines it wrote.
 */
int ws_selcheck_warn(const struct ws_config *c, const char *proc_root, FILE *err);

#endif /* WS_SELCHECK_H */
