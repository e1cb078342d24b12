/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which container a process is in, from its /proc/PID/cgroup: a runtime's
 * layout in a cgroup that root made, checked on the cgroup hierarchy the
 * agent finds in its mountinfo. No allocation but mountinfo's line buffer.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "container.h"

/*
 * Container identity. A cgroup's name is no proof: where systemd delegates a
 * subtree to a user (user@UID.service, or a service with Delegate= and
 * User=), or where a cgroup directory was chowned to one, that user may
 * create a cgroup named docker-<id>.scope, move into it, and would be
 * reported as that container (with the real container's name, if one has
 * that id: ids are in every container process's world-readable
 * /proc/PID/cgroup).
 *
 * So an id is accepted only when both hold:
 * 1. It is in a runtime's layout (ws_cg_layouts): where docker, containerd,
 *    CRI-O and podman put a container, not any 64 hex characters.
 * 2. Root made the cgroup that carries it: that directory and every one
 *    above it on the hierarchy (found through mountinfo) belong to uid 0,
 *    and the path crosses no user delegation. mkdir gives a cgroup its
 *    maker's uid and only root (CAP_CHOWN) can give it to uid 0 later, so
 *    a user-made cgroup fails; so does anything below a directory a user
 *    owns (they could have made or renamed what is in it). And moving into
 *    a root-owned cgroup needs write access to its cgroup.procs, which a
 *    user does not have either.
 * The runtime's record (/var/lib/docker/containers/<id>/ and the like) is
 * not the test: it proves a container with that id exists, not that this
 * process is in it, and it would leave out runtimes with records elsewhere
 * (another data-root or state directory). It is read only for the name of
 * an id accepted by the rule above (resource.c, read_container_name).
 * Rootless containers live under a user delegation and get no id, as do
 * containers whose cgroup the runtime gave to a user namespace's root.
 */

/* Bounds of one /proc/PID/cgroup path walk: deeper paths are not a runtime's. */
#define CG_DEPTH_MAX 32
#define CG_ID_LEN 64

struct cg_elem {
	const char *s;
	size_t len;
};

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool elem_has_prefix(const struct cg_elem *e, const char *pfx)
{
	size_t n = strlen(pfx);

	return e->len >= n && !memcmp(e->s, pfx, n);
}

static bool elem_has_suffix(const struct cg_elem *e, const char *sfx)
{
	size_t n = strlen(sfx);

	return e->len >= n && !memcmp(e->s + e->len - n, sfx, n);
}

static bool elem_is(const struct cg_elem *e, const char *name)
{
	return e->len == strlen(name) && !memcmp(e->s, name, e->len);
}

/* Where the element carrying an id must sit. */
enum cg_parent {
	CG_IN_SLICE,   /* below a systemd slice ("*.slice") */
	CG_IN_NAMED,   /* below the element named parent */
	CG_IN_KUBEPOD, /* below /kubepods/[qos/]pod<uid> (kubelet's cgroupfs driver) */
};

/*
 * The runtimes' layouts, systemd cgroup driver first: the element is
 * prefix<id>suffix. Scopes may sit in any slice (docker --cgroup-parent,
 * kubelet's kubepods-*.slice nesting); a slice outside root's reach fails
 * the ownership rule, not this one.
 */
static const struct {
	const char *prefix, *suffix;
	enum cg_parent parent;
	const char *parent_name;
} ws_cg_layouts[] = {
	{ "docker-", ".scope", CG_IN_SLICE, NULL }, /* /system.slice/docker-<id>.scope */
	{ "cri-containerd-", ".scope", CG_IN_SLICE,
	  NULL },					 /* /kubepods.slice/...-pod<uid>.slice/ */
	{ "crio-", ".scope", CG_IN_SLICE, NULL },	 /* the same, CRI-O */
	{ "libpod-", ".scope", CG_IN_SLICE, NULL },	 /* /machine.slice/libpod-<id>.scope */
	{ "", "", CG_IN_NAMED, "docker" },		 /* docker cgroupfs: /docker/<id> */
	{ "libpod-", "", CG_IN_NAMED, "libpod_parent" }, /* podman cgroupfs */
	{ "", "", CG_IN_KUBEPOD, NULL },      /* containerd, docker: /kubepods/.../<id> */
	{ "crio-", "", CG_IN_KUBEPOD, NULL }, /* CRI-O: /kubepods/.../crio-<id> */
};

/*
 * The id element el[i] carries in a runtime's layout (its first hex
 * character), or NULL.
 */
static const char *layout_id(const struct cg_elem *el, int i)
{
	if (i == 0)
		return NULL; /* every layout has a parent */
	for (size_t k = 0; k < sizeof(ws_cg_layouts) / sizeof(ws_cg_layouts[0]); k++) {
		const size_t plen = strlen(ws_cg_layouts[k].prefix);
		const size_t slen = strlen(ws_cg_layouts[k].suffix);
		const struct cg_elem *p = &el[i - 1];
		const char *id = el[i].s + plen;
		int h = 0;

		if (el[i].len != plen + CG_ID_LEN + slen ||
		    !elem_has_prefix(&el[i], ws_cg_layouts[k].prefix) ||
		    !elem_has_suffix(&el[i], ws_cg_layouts[k].suffix))
			continue;
		while (h < CG_ID_LEN && is_hex_lower(id[h]))
			h++;
		if (h < CG_ID_LEN)
			continue;
		switch (ws_cg_layouts[k].parent) {
		case CG_IN_SLICE:
			if (elem_has_suffix(p, ".slice") && p->len > 6)
				return id;
			break;
		case CG_IN_NAMED:
			if (elem_is(p, ws_cg_layouts[k].parent_name))
				return id;
			break;
		case CG_IN_KUBEPOD:
			/* /kubepods/pod<uid>/<id> or /kubepods/<qos>/pod<uid>/<id> */
			if (elem_is(&el[0], "kubepods") && elem_has_prefix(p, "pod") &&
			    (i == 2 || (i == 3 && !elem_has_prefix(&el[1], "pod"))))
				return id;
			break;
		}
	}
	return NULL;
}

/*
 * Splits a cgroup path into its elements. Fails (-1) on a path no runtime
 * makes or that the ownership walk must not follow: "." or ".." (a cgroup
 * namespace's view from outside), or one crossing a user's delegation.
 */
static int cg_split(const char *path, size_t len, struct cg_elem el[CG_DEPTH_MAX])
{
	const char *end = path + len;
	int n = 0;

	for (const char *e = path; e < end;) {
		const char *slash = memchr(e, '/', end - e), *ee = slash ? slash : end;
		struct cg_elem x = { e, ee - e };

		e = ee + 1;
		if (!x.len)
			continue;
		if (n == CG_DEPTH_MAX || elem_is(&x, ".") || elem_is(&x, "..") ||
		    (elem_has_prefix(&x, "user@") && elem_has_suffix(&x, ".service")))
			return -1;
		el[n++] = x;
	}
	return n;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape_mount(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* Whether every comma-separated name in want[0..wlen) is among the options opts. */
static bool has_options(const char *opts, const char *want, size_t wlen)
{
	const char *end = want + wlen;

	for (const char *w = want; w < end;) {
		const char *comma = memchr(w, ',', end - w), *we = comma ? comma : end;
		size_t n = we - w;
		bool found = false;

		for (const char *o = opts; o && *o;) {
			const char *oc = strchr(o, ','), *oe = oc ? oc : o + strlen(o);

			if ((size_t)(oe - o) == n && !memcmp(o, w, n))
				found = true;
			o = oc ? oc + 1 : NULL;
		}
		if (!found)
			return false;
		w = we + 1;
	}
	return true;
}

/*
 * Where the agent sees the hierarchy of a /proc/PID/cgroup line: the cgroup2
 * mount (ctrls NULL), or the v1 mount holding controllers ctrls[0..clen),
 * mounted at the hierarchy's root so that its paths are the ones the line
 * gives. From <proc_root>/self/mountinfo: the agent's own mounts, never an
 * assumed /sys/fs/cgroup. 0 or -errno.
 */
static int cgroup_mount(const char *proc_root, const char *ctrls, size_t clen, char *out,
			size_t outsz)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/self/mountinfo", proc_root) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (ret && getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mount-point options [optional...] - type source super */
		char *root, *mnt, *sep, *type, *super, *save = NULL;

		line[strcspn(line, "\n")] = '\0';
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		if (!strtok_r(line, " ", &save) || !strtok_r(NULL, " ", &save) ||
		    !strtok_r(NULL, " ", &save))
			continue;
		root = strtok_r(NULL, " ", &save);
		mnt = strtok_r(NULL, " ", &save);
		type = strtok_r(sep + 3, " ", &save);
		if (!root || !mnt || !type || !strtok_r(NULL, " ", &save))
			continue;
		super = strtok_r(NULL, " ", &save);
		if (strcmp(root, "/") || strcmp(type, ctrls ? "cgroup" : "cgroup2"))
			continue;
		if (ctrls && !(super && has_options(super, ctrls, clen)))
			continue;
		unescape_mount(mnt);
		if (strlen(mnt) < outsz) {
			strcpy(out, mnt);
			ret = 0;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

/*
 * The id of the innermost container el[] names in a runtime's layout whose
 * cgroup root made (see above), walking down from the hierarchy's root at
 * mnt: every directory down to the one carrying the id must be uid 0's.
 */
static const char *root_made_id(const char *mnt, const struct cg_elem *el, int n)
{
	const char *id = NULL;
	char path[PATH_MAX];
	size_t len = strlen(mnt);

	if (len >= sizeof(path))
		return NULL;
	memcpy(path, mnt, len + 1);
	for (int i = 0; i < n; i++) {
		struct stat st;

		if (len + 1 + el[i].len >= sizeof(path))
			break;
		path[len++] = '/';
		memcpy(path + len, el[i].s, el[i].len);
		len += el[i].len;
		path[len] = '\0';
		if (stat(path, &st) || !S_ISDIR(st.st_mode) || st.st_uid != 0)
			break; /* a user could have made it and all below */
		if (layout_id(el, i))
			id = layout_id(el, i);
	}
	return id;
}

/*
 * The container id of one /proc/PID/cgroup line's path (v1 with controllers
 * ctrls[0..clen), or v2 with ctrls NULL) into out, when the rule above
 * accepts it. Returns whether it did.
 */
static bool container_id_of(const char *proc_root, const char *ctrls, size_t clen, const char *path,
			    size_t plen, char out[65])
{
	struct cg_elem el[CG_DEPTH_MAX];
	char mnt[PATH_MAX];
	const char *id;
	bool any = false;
	int n = cg_split(path, plen, el);

	for (int i = 0; i < n && !any; i++)
		any = layout_id(el, i) != NULL;
	/* Most processes are in no container: no mountinfo read, no walk. */
	if (!any || cgroup_mount(proc_root, ctrls, clen, mnt, sizeof(mnt)))
		return false;
	id = root_made_id(mnt, el, n);
	if (!id)
		return false;
	memcpy(out, id, CG_ID_LEN);
	out[CG_ID_LEN] = '\0';
	return true;
}

void ws_container_id(const char *proc_root, const char *buf, size_t n, char out[65])
{
	const char *line, *end = buf + n;
	bool v2 = false;

	out[0] = '\0';
	for (line = buf; line < end && !v2;) {
		const char *nl = memchr(line, '\n', end - line), *le = nl ? nl : end;

		v2 = le - line >= 3 && !memcmp(line, "0::", 3);
		if (v2)
			container_id_of(proc_root, NULL, 0, line + 3, le - line - 3, out);
		line = le + 1;
	}
	for (line = buf; !v2 && line < end && !out[0];) {
		const char *nl = memchr(line, '\n', end - line), *le = nl ? nl : end;
		const char *c1 = memchr(line, ':', le - line);
		const char *c2 = c1 ? memchr(c1 + 1, ':', le - c1 - 1) : NULL;

		if (c2 && c2 > c1 + 1)
			container_id_of(proc_root, c1 + 1, c2 - c1 - 1, c2 + 1, le - c2 - 1, out);
		line = le + 1;
	}
}
