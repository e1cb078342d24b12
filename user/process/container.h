/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Container identity: the id of the container a process is in, only where a
 * container runtime placed it (a runtime's cgroup layout, in a cgroup root
 * made), never from a cgroup name a user could choose (container.c says why).
 */
#ifndef WS_CONTAINER_H
#define WS_CONTAINER_H

#include <stddef.h>

/*
 * The container id in a /proc/PID/cgroup text (buf, n bytes) into out (64
 * lower-case hex characters and a NUL), or "" when no runtime vouches for
 * one. Its v2 line ("0::/path") wherever there is one (a hybrid host's
 * runtimes place containers on the v2 hierarchy too), else the first v1
 * line ("N:ctrl,ctrl:/path") that gives one (a v1-only host). The
 * hierarchies are found in <proc_root>/self/mountinfo.
 */
void ws_container_id(const char *proc_root, const char *buf, size_t n, char out[65]);

#endif /* WS_CONTAINER_H */
