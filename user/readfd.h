/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading a file descriptor to its end or to a bound, whatever a single
 * read() hands out (procfs gives environ a page at a time) and through
 * signals. For the small files the agent reads: /proc entries, PEM files.
 */
#ifndef WS_READFD_H
#define WS_READFD_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

/* Reads up to cap bytes of fd into buf: the byte count, or -errno. */
static inline ssize_t ws_read_upto(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += n;
	}
	return (ssize_t)got;
}

/* Reads up to cap bytes of the file at path: the byte count, or -errno. */
static inline ssize_t ws_read_file(const char *path, char *buf, size_t cap)
{
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	got = ws_read_upto(fd, buf, cap);
	close(fd);
	return got;
}

#endif /* WS_READFD_H */
