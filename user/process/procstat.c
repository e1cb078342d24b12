/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Process identity from /proc: the start time that tells a process from a
 * later one given the same pid, and the executable's device and inode that
 * tell an exec. One small read or stat each.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "procstat.h"
#include "readfd.h"

uint64_t ws_procstat_start(const char *buf, size_t len)
{
	const char *p = NULL, *end = buf + len;
	uint64_t start = 0;

	/* The name (field 2) may hold spaces and parentheses: fields follow the last ')'. */
	for (const char *q = buf; q < end; q++)
		if (*q == ')')
			p = q;
	/* Each space after the ')' starts the next field: 3 (state), 4, ... 22. */
	for (int field = 2; p && field < 22; field++) {
		p = memchr(p + 1, ' ', end - p - 1);
		if (p && p + 1 >= end)
			p = NULL;
	}
	for (p = p ? p + 1 : end; p < end && *p >= '0' && *p <= '9'; p++) {
		if (start > (UINT64_MAX - 9) / 10)
			return 0;
		start = start * 10 + (uint64_t)(*p - '0');
	}
	return start;
}

uint64_t ws_proc_start(const char *proc_root, uint32_t pid)
{
	char path[PATH_MAX], buf[1024];
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%u/stat", proc_root, pid) >= (int)sizeof(path))
		return 0;
	n = ws_read_file(path, buf, sizeof(buf));
	return n > 0 ? ws_procstat_start(buf, n) : 0;
}

int ws_proc_exe(const char *proc_root, uint32_t pid, struct ws_proc_exe *out)
{
	char path[PATH_MAX];
	struct stat st;

	out->dev = out->ino = 0;
	if (snprintf(path, sizeof(path), "%s/%u/exe", proc_root, pid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* Through the link: the file the process runs, wherever its mount namespace has it. */
	if (stat(path, &st))
		return -errno;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	return 0;
}
