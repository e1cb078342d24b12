/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Process resources: who produced a span. Reads a process's environment (for
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES), executable link and
 * cgroup under a /proc root once, and the container runtime's record of its
 * container when it has one; falls back to the kernel's comm when the
 * process is gone or unreadable, and keeps the result reference counted so
 * spans on the export thread can outlive the assembler's table entry.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "jsonpick.h"
#include "readfd.h"
#include "golang.h"
#include "resource.h"

/* The environment can be huge; the variables we want are nearly always early. */
#define ENVIRON_READ_MAX (64 * 1024)
/* A container's record holds its whole configuration (environment, labels): bounded. */
#define RUNTIME_READ_MAX (256 * 1024)

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
 * The value of variable name ("NAME=") in a NUL-separated environment block,
 * as getenv() would see it: the first definition, even an empty one. NULL
 * when absent.
 */
static const char *find_env(const char *env, size_t len, const char *name, size_t *vlen)
{
	const size_t klen = strlen(name);
	size_t i = 0;

	while (i < len) {
		const char *ent = env + i;
		const char *end = memchr(ent, '\0', len - i);
		size_t elen = end ? (size_t)(end - ent) : len - i;

		/*
		 * An entry cut by the read bound has no NUL: its value may be
		 * truncated, so it is not trusted.
		 */
		if (end && elen >= klen && !memcmp(ent, name, klen)) {
			*vlen = elen - klen;
			return ent + klen;
		}
		i += elen + 1;
	}
	return NULL;
}

/* Keys the agent measures for each process: no OTEL_RESOURCE_ATTRIBUTES sets them. */
static bool measured(const char *key)
{
	static const char *const keys[] = {
		"service.name",
		"process.pid",
		"process.executable.name",
		"process.executable.path",
		"container.id",
		"container.name",
		"host.name", /* the agent's variable may name the host: see host_name */
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return !strncmp(key, "telemetry.sdk.", 14); /* wirespan made the telemetry */
}

/* Adds the attributes of from that are not measured to into; returns how many did not fit. */
static int merge_attrs(struct ws_res_attrs *into, const struct ws_res_attrs *from)
{
	int lost = 0;

	for (unsigned int i = 0; i < from->n; i++) {
		const struct ws_res_attr *a = &from->a[i];

		if (measured(ws_res_attr_key(from, i)))
			continue;
		if (ws_res_attrs_set(into, ws_res_attr_key(from, i), a->klen,
				     ws_res_attr_val(from, i), a->vlen))
			lost++;
	}
	return lost;
}

/*
 * From the process's environment: OTEL_SERVICE_NAME (else service.name in
 * its OTEL_RESOURCE_ATTRIBUTES) into service_name, and its other resource
 * attributes merged over the base ones already in attrs.
 */
static void read_environ(const char *proc_root, uint32_t pid, struct ws_resource *r,
			 struct ws_res_attrs *attrs)
{
	struct ws_res_attrs *own;
	char path[PATH_MAX];
	const char *v;
	size_t vlen;
	char *buf;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%u/environ", proc_root, pid) >= (int)sizeof(path))
		return;
	buf = malloc(ENVIRON_READ_MAX);
	own = malloc(sizeof(*own));
	if (!buf || !own)
		goto out;
	n = ws_read_file(path, buf, ENVIRON_READ_MAX);
	if (n <= 0)
		goto out;
	ws_res_attrs_init(own);
	if ((v = find_env(buf, n, "OTEL_RESOURCE_ATTRIBUTES=", &vlen))) {
		r->attrs_dropped += ws_res_attrs_parse(own, v, vlen);
		r->attrs_dropped += merge_attrs(attrs, own);
	}
	if ((v = find_env(buf, n, "OTEL_SERVICE_NAME=", &vlen)) && vlen)
		copy_bounded(r->service_name, sizeof(r->service_name), v, vlen);
	else if ((v = ws_res_attrs_get(own, "service.name")) && *v)
		copy_bounded(r->service_name, sizeof(r->service_name), v, strlen(v));
out:
	free(own);
	free(buf);
}

/*
 * The systemd service a process runs in: the innermost "<name>.service"
 * element of its cgroup v2 path ("0::/system.slice/nginx.service" ->
 * "nginx"). A user's service manager (user@UID.service) names a login, not
 * a service; scopes (sessions, containers) are not services either.
 */
static void unit_of(const char *buf, ssize_t n, char *out, size_t outsz)
{
	static const char suffix[] = ".service";
	const size_t slen = sizeof(suffix) - 1;
	const char *line = buf, *end = buf + n;

	out[0] = '\0';
	while (line < end) {
		const char *nl = memchr(line, '\n', end - line), *le = nl ? nl : end;

		if (le - line > 3 && !memcmp(line, "0::", 3)) {
			for (const char *e = line + 3; e < le;) {
				const char *slash = memchr(e, '/', le - e),
					   *ee = slash ? slash : le;
				size_t elen = ee - e;

				if (elen > slen && !memcmp(ee - slen, suffix, slen) &&
				    strncmp(e, "user@", 5))
					copy_bounded(out, outsz, e, elen - slen);
				e = ee + 1;
			}
			return;
		}
		line = le + 1;
	}
}

static void read_cgroup(const char *proc_root, uint32_t pid, struct ws_resource *r, char *unit,
			size_t unitsz)
{
	char path[PATH_MAX], buf[4096];
	ssize_t n;

	r->container_id[0] = unit[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%u/cgroup", proc_root, pid) >= (int)sizeof(path))
		return;
	n = ws_read_file(path, buf, sizeof(buf));
	if (n <= 0)
		return;
	ws_container_id(proc_root, buf, n, r->container_id);
	unit_of(buf, n, unit, unitsz);
}

/*
 * Reads up to cap bytes of a runtime's record at path when only root can
 * have written it: a regular file (not a FIFO to block on: O_NONBLOCK; not a
 * symlink to elsewhere: O_NOFOLLOW) owned by root and writable by no group
 * or other user. The byte count, or -errno.
 */
static ssize_t read_root_record(const char *path, char *buf, size_t cap)
{
	struct stat st;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return -EPERM;
	}
	got = ws_read_upto(fd, buf, cap);
	close(fd);
	return got;
}

/*
 * The container's name, from the record its runtime keeps on the host:
 * Docker's config.v2.json ("Name": "/web"), or the OCI bundle's config.json
 * with the Kubernetes container name annotation (containerd's CRI, CRI-O).
 */
static void read_container_name(const char *host_root, struct ws_resource *r)
{
	static const struct {
		const char *fmt;
		const char *path[2];
		size_t depth;
	} runtimes[] = {
		{ "%s/var/lib/docker/containers/%s/config.v2.json", { "Name" }, 1 },
		{ "%s/run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/config.json",
		  { "annotations", "io.kubernetes.cri.container-name" },
		  2 },
		{ "%s/run/containers/storage/overlay-containers/%s/userdata/config.json",
		  { "annotations", "io.kubernetes.container.name" },
		  2 },
	};
	char path[PATH_MAX], *buf;

	if (!r->container_id[0])
		return;
	buf = malloc(RUNTIME_READ_MAX);
	if (!buf)
		return;
	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		ssize_t n;
		int len;

		if (snprintf(path, sizeof(path), runtimes[i].fmt, host_root, r->container_id) >=
		    (int)sizeof(path))
			continue;
		n = read_root_record(path, buf, RUNTIME_READ_MAX);
		if (n <= 0)
			continue;
		len = ws_json_pick(buf, n, runtimes[i].path, runtimes[i].depth, r->container_name,
				   sizeof(r->container_name));
		if (len > 0) {
			/* Docker names start with '/', the root of its old link tree. */
			if (r->container_name[0] == '/')
				memmove(r->container_name, r->container_name + 1, len);
			if (r->container_name[0])
				break;
		}
		r->container_name[0] = '\0';
	}
	free(buf);
}

/*
 * Fills exe_path and exe_name from the exe link, leaving them empty when it
 * cannot, and tells a Go program by its binary (opened through the link, so
 * it works across mount namespaces and for a deleted file).
 */
static void read_exe(const char *proc_root, uint32_t pid, struct ws_resource *r)
{
	char path[PATH_MAX], target[PATH_MAX];
	const size_t slen = sizeof(deleted_suffix) - 1;
	const char *base;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%u/exe", proc_root, pid) >= (int)sizeof(path))
		return;
	/*
	 * The traced program's file: ws_elf_go_info() reads only a regular
	 * file, bounded by its fstat size (elfsym.c), whatever it says.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		struct ws_go_info gi;

		if (!ws_elf_go_info(fd, &gi)) {
			r->go = gi.go;
			r->go_goroutines = ws_go_goroutines_known(&gi);
		}
		close(fd);
	}
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

/*
 * Moves the attributes into r's own allocation, sized to them: a resource
 * lives as long as its process is traced, most hold a few short values.
 * Returns r, maybe moved.
 */
static struct ws_resource *attach_attrs(struct ws_resource *r, const struct ws_res_attrs *a)
{
	size_t asz = a->n * sizeof(a->a[0]);
	struct ws_resource *nr;
	char *tail;

	if (!a->n)
		return r;
	nr = realloc(r, sizeof(*r) + asz + a->used);
	if (!nr) {
		r->attrs_dropped += a->n; /* the resource is still right, only poorer */
		return r;
	}
	tail = (char *)(nr + 1);
	memcpy(tail, a->a, asz);
	memcpy(tail + asz, a->buf, a->used);
	nr->attr = (const struct ws_res_attr *)tail;
	nr->attr_buf = tail + asz;
	nr->nattrs = a->n;
	return nr;
}

#ifndef WS_VERSION
#define WS_VERSION "0.0.0-dev"
#endif

static void kv_field(struct ws_res_kv *out, size_t *n, const char *key, const char *f, size_t size)
{
	size_t len = strnlen(f, size);

	if (len)
		out[(*n)++] = (struct ws_res_kv){
			.key = key, .str = f, .len = len, .agent_key = true
		};
}

size_t ws_resource_kvs(const struct ws_resource *r, struct ws_res_kv out[WS_RES_KVS_MAX])
{
	size_t n = 0;

	if (r && r->service_name[0])
		kv_field(out, &n, "service.name", r->service_name, sizeof(r->service_name));
	else
		out[n++] = (struct ws_res_kv){ .key = "service.name",
					       .str = "unknown_service",
					       .len = 15,
					       .agent_key = true };
	if (r) {
		out[n++] = (struct ws_res_kv){ .key = "process.pid",
					       .ival = r->pid,
					       .agent_key = true };
		kv_field(out, &n, "process.executable.name", r->exe_name, sizeof(r->exe_name));
		kv_field(out, &n, "process.executable.path", r->exe_path, sizeof(r->exe_path));
		kv_field(out, &n, "host.name", r->host_name, sizeof(r->host_name));
		kv_field(out, &n, "container.id", r->container_id, sizeof(r->container_id));
		kv_field(out, &n, "container.name", r->container_name, sizeof(r->container_name));
	}
	out[n++] = (struct ws_res_kv){
		.key = "telemetry.sdk.name", .str = "wirespan", .len = 8, .agent_key = true
	};
	out[n++] = (struct ws_res_kv){ .key = "telemetry.sdk.version",
				       .str = WS_VERSION,
				       .len = sizeof(WS_VERSION) - 1,
				       .agent_key = true };
	for (unsigned int i = 0; r && i < r->nattrs && i < WS_RES_ATTRS_MAX; i++)
		out[n++] = (struct ws_res_kv){ .key = ws_resource_attr_key(r, i),
					       .str = ws_resource_attr_val(r, i),
					       .len = r->attr[i].vlen };
	return n;
}

const char *ws_resource_attr(const struct ws_resource *r, const char *key)
{
	for (unsigned int i = 0; r && i < r->nattrs; i++)
		if (!strcmp(ws_resource_attr_key(r, i), key))
			return ws_resource_attr_val(r, i);
	return NULL;
}

struct ws_resource *ws_resource_new_opts(const struct ws_resource_opts *o, uint32_t pid,
					 const char *comm)
{
	const char *proc_root = o && o->proc_root ? o->proc_root : "/proc";
	const char *host_root = o && o->host_root ? o->host_root : "";
	const char *host_attr = o && o->base ? ws_res_attrs_get(o->base, "host.name") : NULL;
	char host[HOST_NAME_MAX + 1], unit[128] = "";
	struct ws_res_attrs *attrs;
	struct ws_resource *r;

	r = calloc(1, sizeof(*r));
	attrs = malloc(sizeof(*attrs));
	if (!r || !attrs) {
		free(attrs);
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->refs = 1;
	r->pid = pid;
	ws_res_attrs_init(attrs);
	if (o && o->base)
		merge_attrs(attrs, o->base);

	/* A process that already exited leaves nothing to read: not an error. */
	if (*proc_root) /* "": a replay, whose pids are another host's */
		read_exe(proc_root, pid, r);
	if (!r->exe_name[0] && comm)
		copy_bounded(r->exe_name, sizeof(r->exe_name), comm, strnlen(comm, 64));

	if (*proc_root) {
		read_environ(proc_root, pid, r, attrs);
		read_cgroup(proc_root, pid, r, unit, sizeof(unit));
		read_container_name(host_root, r);
	}
	if (!r->service_name[0]) {
		/* Named by where it runs, else by what it is; the SDKs' default last. */
		const char *name = r->container_name[0] ? r->container_name
				   : unit[0]		? unit
				   : r->exe_name[0]	? r->exe_name
							: "unknown_service";

		copy_bounded(r->service_name, sizeof(r->service_name), name, strlen(name));
	}

	if (host_attr && *host_attr) {
		copy_bounded(r->host_name, sizeof(r->host_name), host_attr, strlen(host_attr));
	} else if (!gethostname(host, sizeof(host))) {
		host[sizeof(host) - 1] = '\0';
		copy_bounded(r->host_name, sizeof(r->host_name), host, strlen(host));
	}
	r = attach_attrs(r, attrs);
	free(attrs);
	return r;
}

struct ws_resource *ws_resource_new(const char *proc_root, uint32_t pid, const char *comm)
{
	struct ws_resource_opts o = { .proc_root = proc_root };

	return ws_resource_new_opts(&o, pid, comm);
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
