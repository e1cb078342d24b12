/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading a file descriptor to its end or to a bound, whatever a single
 * read() hands out (procfs gives environ a page at a time) and through
 * signals. For the small files the agent reads: /proc entries, PEM files,
 * container runtime records; some are named by what a traced program
 * controls, so only regular files are read and opening never waits.
 */
#ifndef WS_READFD_H
#define WS_READFD_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
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

/*
 * Reads up to cap bytes of the regular file at path: the byte count, or
 * -errno; -EINVAL for anything else (a FIFO, a device, a directory).
 * O_NONBLOCK: opening a FIFO with no writer would wait for one, and the
 * agent has one thread. O_NOCTTY: a terminal never becomes ours. Files in
 * /proc are regular (st_size 0: read to the end, never sized by fstat).
 */
static inline ssize_t ws_read_file(const char *path, char *buf, size_t cap)
{
	struct stat st;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		got = -errno;
	else if (!S_ISREG(st.st_mode))
		got = -EINVAL;
	else
		got = ws_read_upto(fd, buf, cap);
	close(fd);
	return got;
}

#endif /* WS_READFD_H */
