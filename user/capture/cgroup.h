/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup v2 lookups: where the cgroup2 hierarchy is mounted (read from
 * mountinfo, never assumed) and a --cgroup PATH resolved to a directory.
 */
#ifndef WS_CGROUP_H
#define WS_CGROUP_H

#include <stddef.h>

/* The cgroup2 mount point listed in mountinfo_path ("/proc/self/mountinfo"). 0 or -ENOENT. */
int ws_cgroup2_mount(const char *mountinfo_path, char *out, size_t outsz);

/*
 * Resolves path (absolute, or relative to the cgroup2 mount) to a full
 * directory path on cgroup2. 0, -ENOENT (no such cgroup) or -ENOTDIR.
 */
int ws_cgroup_resolve(const char *mount, const char *path, char *out, size_t outsz);

#endif /* WS_CGROUP_H */
