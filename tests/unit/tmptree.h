/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Removing a test's temporary tree (fake /proc, cgroup or certificate directories). */
#ifndef WS_TMPTREE_H
#define WS_TMPTREE_H

#include <ftw.h>
#include <stdio.h>

static int tmptree_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes path and everything below it, links not followed; says so when it cannot. */
static inline void tmptree_remove(const char *path)
{
	if (nftw(path, tmptree_remove_entry, 16, FTW_DEPTH | FTW_PHYS))
		fprintf(stderr, "could not remove %s\n", path);
}

#endif /* WS_TMPTREE_H */
