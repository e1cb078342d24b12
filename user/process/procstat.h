/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What tells one process from another that had the same pid: its start time
 * (field 22 of /proc/PID/stat), and what tells its program before and after
 * an exec: the executable's identity. Small reads, for the agent's caches.
 */
#ifndef WS_PROCSTAT_H
#define WS_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Field 22 of a /proc/PID/stat text (buf, len bytes): the start time in
 * clock ticks after boot. 0 when the text has none. Pure.
 */
uint64_t ws_procstat_start(const char *buf, size_t len);

/* The start time of pid from <proc_root>/PID/stat; 0 when it is gone or unreadable. */
uint64_t ws_proc_start(const char *proc_root, uint32_t pid);

/* The executable of pid (<proc_root>/PID/exe) as device and inode; 0 when unknown. */
struct ws_proc_exe {
	uint64_t dev, ino;
};
int ws_proc_exe(const char *proc_root, uint32_t pid, struct ws_proc_exe *out);

#endif /* WS_PROCSTAT_H */
