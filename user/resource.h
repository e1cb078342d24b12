/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Resource attributes of one traced process: who produced a span. Read once
 * per process from /proc (the process may already be gone: then the comm
 * from the kernel record is all we have). Reference counted because spans
 * outlive the assembler's view of the process on the export thread.
 */
#ifndef WS_RESOURCE_H
#define WS_RESOURCE_H

#include <stdint.h>

struct ws_resource {
	int refs;		/* atomic: taken with ws_resource_get/put */
	uint32_t pid;
	char service_name[128]; /* OTEL_SERVICE_NAME of the process, else exe name, else comm */
	char exe_name[64];	/* basename of /proc/PID/exe, else the kernel comm */
	char exe_path[256];	/* /proc/PID/exe target, "" when unknown */
	char host_name[64];	/* gethostname() */
	char container_id[65];	/* from /proc/PID/cgroup (docker, containerd, cri-o, podman); "" */
};

/*
 * Builds the resource of pid, reading /proc under proc_root (normally "/proc";
 * tests point it at a fake tree; "" reads nothing, for replays). comm is the kernel's name for the process,
 * used when /proc has nothing. Returns a resource with one reference, or NULL
 * with errno set.
 */
struct ws_resource *ws_resource_new(const char *proc_root, uint32_t pid, const char *comm);
struct ws_resource *ws_resource_get(struct ws_resource *r);
void ws_resource_put(struct ws_resource *r); /* NULL is a no-op */

#endif /* WS_RESOURCE_H */
