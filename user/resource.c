/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Process resources: who produced a span. Reads a process's environment (for
 * OTEL_SERVICE_NAME) and executable link under a /proc root once, falls back
 * to the kernel's comm when the process is gone or unreadable, and keeps the
 * result reference counted so spans on the export thread can outlive the
 * assembler's table entry.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resource.h"

/* The environment can be huge; the variable we want is nearly always early. */
#define ENVIRON_READ_MAX (64 * 1024)

static const char service_key[] = "OTEL_SERVICE_NAME=";
static const char deleted_suffix[] = " (deleted)";

/* Copies at most dstsz - 1 bytes of src[0..len) and terminates. */
static void copy_bounded(char *dst, size_t dstsz, const char *src, size_t len)
{
	if (len >= dstsz)
		len = dstsz - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * Reads up to bufsz bytes of a file. Returns the byte count, or -errno.
 * environ is read in a loop: procfs hands it out a page at a time.
 */
static ssize_t read_bounded(const char *path, char *buf, size_t bufsz)
{
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < bufsz) {
		ssize_t n = read(fd, buf + got, bufsz - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	return got;
}

/* Finds OTEL_SERVICE_NAME in a NUL-separated environment block; 0 if found and non-empty. */
static int find_service_name(const char *env, size_t len, char *out, size_t outsz)
{
	const size_t klen = sizeof(service_key) - 1;
	size_t i = 0;

	while (i < len) {
		const char *ent = env + i;
		const char *end = memchr(ent, '\0', len - i);
		size_t elen = end ? (size_t)(end - ent) : len - i;

		/*
		 * An entry cut by the read bound has no NUL: its value may be
		 * truncated, so it is not trusted.
		 */
		if (end && elen >= klen && !memcmp(ent, service_key, klen)) {
			/* getenv() semantics: the first definition wins, even if empty. */
			if (elen == klen)
				return -ENOENT;
			copy_bounded(out, outsz, ent + klen, elen - klen);
			return 0;
		}
		i += elen + 1;
	}
	return -ENOENT;
}

static void read_service_name(const char *proc_root, uint32_t pid, char *out, size_t outsz)
{
	char path[PATH_MAX];
	char *buf;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%u/environ", proc_root, pid) >= (int)sizeof(path))
		return;
	buf = malloc(ENVIRON_READ_MAX);
	if (!buf)
		return;
	n = read_bounded(path, buf, ENVIRON_READ_MAX);
	if (n > 0)
		find_service_name(buf, n, out, outsz);
	free(buf);
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * The container id in a cgroup path: 64 lower-case hex characters standing
 * alone as a path element or a scope name ("/docker/<id>",
 * "docker-<id>.scope", "cri-containerd-<id>.scope", "crio-<id>",
 * "libpod-<id>.scope"). The last one in the file wins (the innermost).
 */
static void read_container_id(const char *proc_root, uint32_t pid, char out[65])
{
	char path[PATH_MAX], buf[4096];
	ssize_t n;

	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%u/cgroup", proc_root, pid) >= (int)sizeof(path))
		return;
	n = read_bounded(path, buf, sizeof(buf));
	for (ssize_t i = 0; n > 0 && i + 64 <= n; i++) {
		ssize_t j = 0;

		if (i && buf[i - 1] != '/' && buf[i - 1] != '-')
			continue;
		while (j < 64 && is_hex_lower(buf[i + j]))
			j++;
		if (j < 64 || (i + 64 < n && buf[i + 64] != '.' && buf[i + 64] != '\n' &&
			       buf[i + 64] != '/'))
			continue;
		memcpy(out, buf + i, 64);
		out[64] = '\0';
		i += 63;
	}
}

/* Fills exe_path and exe_name from the exe link; leaves them empty when it cannot. */
static void read_exe(const char *proc_root, uint32_t pid, struct ws_resource *r)
{
	char path[PATH_MAX], target[PATH_MAX];
	const size_t slen = sizeof(deleted_suffix) - 1;
	const char *base;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%u/exe", proc_root, pid) >= (int)sizeof(path))
		return;
	n = readlink(path, target, sizeof(target));
	/* A full buffer means the target may have been cut. */
	if (n <= 0 || n >= (ssize_t)sizeof(target))
		return;
	/* The kernel marks an unlinked executable (upgraded in place, say). */
	if ((size_t)n > slen && !memcmp(target + n - slen, deleted_suffix, slen))
		n -= slen;
	target[n] = '\0';

	/* A cut path would name a file that does not exist: keep none instead. */
	if ((size_t)n < sizeof(r->exe_path))
		memcpy(r->exe_path, target, n + 1);
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	copy_bounded(r->exe_name, sizeof(r->exe_name), base, strlen(base));
}

struct ws_resource *ws_resource_new(const char *proc_root, uint32_t pid, const char *comm)
{
	char host[HOST_NAME_MAX + 1];
	struct ws_resource *r;

	r = calloc(1, sizeof(*r));
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	r->refs = 1;
	r->pid = pid;
	if (!proc_root)
		proc_root = "/proc";

	/* A process that already exited leaves nothing to read: not an error. */
	if (*proc_root) /* "": a replay, whose pids are another host's */
		read_exe(proc_root, pid, r);
	if (!r->exe_name[0] && comm)
		copy_bounded(r->exe_name, sizeof(r->exe_name), comm, strnlen(comm, 64));

	if (*proc_root) {
		read_service_name(proc_root, pid, r->service_name, sizeof(r->service_name));
		read_container_id(proc_root, pid, r->container_id);
	}
	if (!r->service_name[0]) {
		/* The OTel SDKs' default when nothing names the service. */
		const char *name = r->exe_name[0] ? r->exe_name : "unknown_service";

		copy_bounded(r->service_name, sizeof(r->service_name), name, strlen(name));
	}

	if (!gethostname(host, sizeof(host))) {
		host[sizeof(host) - 1] = '\0';
		copy_bounded(r->host_name, sizeof(r->host_name), host, strlen(host));
	}
	return r;
}

struct ws_resource *ws_resource_get(struct ws_resource *r)
{
	if (r)
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	return r;
}

void ws_resource_put(struct ws_resource *r)
{
	if (!r)
		return;
	/* Release our writes; the last holder acquires everyone's before freeing. */
	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(r);
}
