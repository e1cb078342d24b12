// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Finds the cgroup2 mount from mountinfo (hosts mount it at /sys/fs/cgroup,
 * hybrid ones at /sys/fs/cgroup/unified, containers elsewhere) and resolves
 * the operator's --cgroup paths against it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"

int ws_cgroup2_mount(const char *mountinfo_path, char *out, size_t outsz)
{
	char line[4096];
	int ret = -ENOENT;
	FILE *f;

	f = fopen(mountinfo_path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* "id parent maj:min root mountpoint opts [optional...] - fstype source superopts" */
		char *sep = strstr(line, " - "), mnt[4096];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (strlen(mnt) >= outsz) {
			ret = -ENAMETOOLONG;
			break;
		}
		strcpy(out, mnt);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int ws_cgroup_resolve(const char *mount, const char *path, char *out, size_t outsz)
{
	size_t mlen = strlen(mount);
	struct stat st;
	int n;

	if (path[0] == '/' && !strncmp(path, mount, mlen) &&
	    (path[mlen] == '/' || path[mlen] == '\0'))
		n = snprintf(out, outsz, "%s", path);
	else
		n = snprintf(out, outsz, "%s/%s", mount, path[0] == '/' ? path + 1 : path);
	if (n < 0 || (size_t)n >= outsz)
		return -ENAMETOOLONG;
	if (stat(out, &st))
		return -ENOENT;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}
