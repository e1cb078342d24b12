/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Resource attributes of one traced process: who produced a span. Read once
 * per process from /proc (the process may already be gone: then the comm
 * from the kernel record is all we have). Reference counted because spans
 * outlive the assembler's view of the process on the export thread.
 */
#ifndef WS_RESOURCE_H
#define WS_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resattrs.h"

struct ws_resource {
	int refs; /* atomic: taken with ws_resource_get/put */
	uint32_t pid;
	/*
	 * The process's own OTEL_SERVICE_NAME, else service.name in its own
	 * OTEL_RESOURCE_ATTRIBUTES, else its container's name, else its
	 * systemd unit's, else the executable's name, else comm.
	 */
	char service_name[128];
	char exe_name[64];  /* basename of /proc/PID/exe, else the kernel comm */
	char exe_path[256]; /* /proc/PID/exe target, "" when unknown */
	char host_name
		[64]; /* host.name of the agent's OTEL_RESOURCE_ATTRIBUTES, else gethostname() */
	/*
	 * From /proc/PID/cgroup: only a runtime's layout (docker, containerd,
	 * cri-o, podman) in a cgroup root made (resource.c says why); "".
	 */
	char container_id[65];
	char container_name[128]; /* for that id, from the runtime's root-owned record; "" */
	/*
	 * Every other attribute: the agent's OTEL_RESOURCE_ATTRIBUTES with the
	 * process's own merged over them. Never the keys above: what the agent
	 * measures is not for an environment variable to contradict. Kept in
	 * the resource's own allocation, sized to what they hold.
	 */
	uint16_t nattrs;
	const struct ws_res_attr *attr; /* nattrs entries; offsets into attr_buf */
	const char *attr_buf;		/* their NUL-terminated keys and values */
	uint16_t attrs_dropped; /* entries of the process's own variable that were dropped */
	bool go;	    /* a Go program: its threads run many requests' goroutines (golang.h) */
	bool go_goroutines; /* and one whose goroutines the kernel side can tell */
};

/* Key and value of attribute i (< r->nattrs). */
static inline const char *ws_resource_attr_key(const struct ws_resource *r, unsigned int i)
{
	return r->attr_buf + r->attr[i].key;
}

static inline const char *ws_resource_attr_val(const struct ws_resource *r, unsigned int i)
{
	return r->attr_buf + r->attr[i].val;
}

/* One resource attribute as the exporters write it: a string (str, len) or an int. */
struct ws_res_kv {
	const char *key;
	const char *str; /* NULL: an int attribute */
	size_t len;
	int64_t ival;
	bool agent_key; /* key is the agent's own (ASCII); else from an environment */
};

/* What ws_resource_kvs() can fill: the fixed attributes and r->nattrs more. */
#define WS_RES_KVS_MAX (9 + WS_RES_ATTRS_MAX)

/*
 * Every attribute of r in export order: service.name (the specification's
 * "unknown_service" when r is NULL or has none), process.pid,
 * process.executable.name and .path, host.name, container.id and .name,
 * telemetry.sdk.name and .version, then the OTEL_RESOURCE_ATTRIBUTES ones.
 * One list for every encoder, so the protocols cannot drift apart. Returns
 * how many were written to out (at most WS_RES_KVS_MAX).
 */
size_t ws_resource_kvs(const struct ws_resource *r, struct ws_res_kv out[WS_RES_KVS_MAX]);

/* The value of attribute key, or NULL. */
const char *ws_resource_attr(const struct ws_resource *r, const char *key);

struct ws_resource_opts {
	/*
	 * "/proc"; tests point it at a fake tree; "": nothing read (replay).
	 * Its self/mountinfo says where the cgroup hierarchies are mounted.
	 */
	const char *proc_root;
	const char *host_root; /* prefix of the container runtimes' files; NULL or "": the host's */
	const struct ws_res_attrs *base; /* the agent's OTEL_RESOURCE_ATTRIBUTES; NULL: none */
};

/*
 * Builds the resource of pid from /proc/PID (environ, exe, cgroup) and, for
 * a process in a container, the runtime's record of that container. comm is
 * the kernel's name for the process, used when /proc has nothing. Returns a
 * resource with one reference, or NULL with errno set.
 */
struct ws_resource *ws_resource_new_opts(const struct ws_resource_opts *o, uint32_t pid,
					 const char *comm);
/* The same with only a /proc root: no base attributes, the host's runtime files. */
struct ws_resource *ws_resource_new(const char *proc_root, uint32_t pid, const char *comm);
struct ws_resource *ws_resource_get(struct ws_resource *r);
void ws_resource_put(struct ws_resource *r); /* NULL is a no-op */

#endif /* WS_RESOURCE_H */
