/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The resources of the processes seen, cached by pid and checked against
 * the process's start time and executable, so a process's resource is read
 * from /proc once, not per connection, and a later process given the same
 * pid (or the same process after an exec) gets its own. Bounded: a full
 * cache is emptied, as hot entries come back at once. No locking: one
 * owner, one thread.
 */
#ifndef WS_PROCS_H
#define WS_PROCS_H

#include <stdbool.h>
#include <stdint.h>

struct ws_procs;
struct ws_resource;
struct ws_res_attrs;

/* Entries kept before the cache is emptied. */
#define WS_PROCS_MAX 4096
/* How long a cached resource is taken on trust before its process's start time is read again. */
#define WS_PROCS_RECHECK_NS 1000000000ull

/*
 * proc_root: "/proc", a test's fake tree, or "" (a replay: nothing read, a
 * pid whose comm changed is taken as a new process). base: the agent's
 * OTEL_RESOURCE_ATTRIBUTES, under every process's own; NULL: none. Both
 * must outlive the cache. NULL with errno on failure.
 */
struct ws_procs *ws_procs_new(const char *proc_root, const struct ws_res_attrs *base);
void ws_procs_free(struct ws_procs *p);

/*
 * A reference to the resource of process pid as seen by a record carrying
 * comm (16 bytes, the kernel's, not terminated when full) at record time
 * ts; NULL when it cannot be made. *fresh tells it was read just now (a
 * process new to the cache, or replaced): the caller's moment to count
 * what reading it dropped or to follow its Go runtime.
 */
struct ws_resource *ws_procs_get(struct ws_procs *p, uint32_t pid, const char comm[16], uint64_t ts,
				 bool *fresh);

#endif /* WS_PROCS_H */
