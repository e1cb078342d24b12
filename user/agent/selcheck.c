// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The selection checked against what runs at start (see selcheck.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cgroup.h"
#include "readfd.h"
#include "selcheck.h"

/* Cgroup directories below a --cgroup looked into: a deeper tree is not a typo. */
#define CGROUP_DEPTH_MAX 32

/* Whether one of a and b starts with the other, case ignored (never for an empty one). */
static int prefix_either(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (!la || !lb)
		return 0;
	return !strncasecmp(a, b, la < lb ? la : lb);
}

void ws_selcheck_comm(const char *name, const char *const *comms, size_t ncomms,
		      struct ws_comm_check *out)
{
	memset(out, 0, sizeof(*out));
	/* As config and the kernel side do: the first WS_COMM_MAX bytes are the key. */
	snprintf(out->cut, sizeof(out->cut), "%s", name);
	out->too_long = strlen(name) > WS_COMM_MAX;
	for (size_t i = 0; i < ncomms; i++) {
		const char *c = comms[i];
		size_t k;

		if (!strcmp(c, out->cut)) {
			out->matches++;
			continue;
		}
		if (out->nclose == WS_SELCHECK_CLOSE_MAX || !prefix_either(c, name))
			continue;
		for (k = 0; k < out->nclose && strcmp(out->close[k], c); k++)
			;
		if (k == out->nclose)
			out->close[out->nclose++] = c;
	}
}

int ws_selcheck_comm_warning(const char *name, const struct ws_comm_check *r, char *buf,
			     size_t size)
{
	const char *guess[WS_SELCHECK_CLOSE_MAX + 1];
	size_t nguess = 0, pos;
	int n;

	if (size)
		buf[0] = '\0';
	if (r->matches)
		return 0;
	/* The cut name first: it is what the agent matches, so the likeliest meaning. */
	if (r->too_long)
		guess[nguess++] = r->cut;
	for (size_t i = 0; i < r->nclose; i++)
		guess[nguess++] = r->close[i];
	n = snprintf(buf, size,
		     "wirespan: warning: --comm %s matches no running process (one that starts "
		     "later is traced)%s",
		     name, r->too_long ? "; comm names are at most 15 bytes" : "");
	if (n < 0)
		return n;
	pos = n;
	for (size_t i = 0; i < nguess; i++) {
		const char *before = i ? (i + 1 == nguess ? " or " : ", ")
				       : (r->too_long ? ": did you mean " : "; did you mean ");

		n = snprintf(pos < size ? buf + pos : NULL, pos < size ? size - pos : 0, "%s`%s`%s",
			     before, guess[i], i + 1 == nguess ? "?" : "");
		if (n < 0)
			return n;
		pos += n;
	}
	return (int)pos;
}

int ws_selcheck_scan_comms(const char *proc_root, unsigned int skip_tgid, size_t max, char ***out)
{
	char path[4096], *names, **list;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	*out = NULL;
	/* One block: max pointers, then max strings of WS_COMM_MAX + 1 bytes. */
	list = calloc(1, max * (sizeof(char *) + WS_COMM_MAX + 1) + 1);
	if (!list)
		return -ENOMEM;
	names = (char *)(list + max);
	d = opendir(proc_root);
	if (!d) {
		int ret = -errno;

		free(list);
		return ret;
	}
	while (n < max && (de = readdir(d))) {
		char *name = names + n * (WS_COMM_MAX + 1), *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		ssize_t got;

		if (*end || end == de->d_name || pid == skip_tgid)
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", proc_root, de->d_name);
		got = ws_read_file(path, name, WS_COMM_MAX + 1);
		if (got <= 0)
			continue; /* gone since readdir */
		name[got] = '\0';
		if (name[got - 1] == '\n')
			name[got - 1] = '\0';
		list[n++] = name;
	}
	closedir(d);
	*out = list;
	return (int)n;
}

/* busy_dir: 1 when dir or one below it holds a process; *budget directories may still be read. */
static int busy_dir(const char *dir, int depth, int *budget)
{
	char path[4096], buf[32];
	struct dirent *de;
	ssize_t got;
	int ret = 0;
	DIR *d;

	if (--*budget < 0 || depth > CGROUP_DEPTH_MAX)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	got = ws_read_file(path, buf, sizeof(buf));
	if (got < 0)
		return (int)got;
	if (got > 0)
		return 1;
	d = opendir(dir);
	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		ret = busy_dir(path, depth + 1, budget) == 1;
	}
	closedir(d);
	return ret;
}

int ws_selcheck_cgroup_busy(const char *path)
{
	int budget = WS_SELCHECK_CGROUP_DIRS;

	return busy_dir(path, 0, &budget);
}

static int warn_comms(const struct ws_config *c, const char *proc_root, FILE *err)
{
	struct ws_comm_check r;
	char **comms, line[1024];
	int n, warned = 0;

	n = ws_selcheck_scan_comms(proc_root, (unsigned int)getpid(), WS_SELCHECK_PROCS_MAX,
				   &comms);
	if (n < 0)
		return 0; /* no /proc to look at: nothing to say */
	for (size_t i = 0; i < c->ncomms; i++) {
		/* comms[] are cut to the kernel's size: warn in the operator's own words. */
		const char *name = c->comm_names[i] ? c->comm_names[i] : c->comms[i];

		ws_selcheck_comm(name, (const char *const *)comms, (size_t)n, &r);
		if (ws_selcheck_comm_warning(name, &r, line, sizeof(line)) > 0) {
			fprintf(err, "%s\n", line);
			warned++;
		}
	}
	free(comms);
	return warned;
}

static int warn_cgroups(const struct ws_config *c, const char *proc_root, FILE *err)
{
	char mountinfo[4096], mount[4096], path[4096];
	int warned = 0;

	snprintf(mountinfo, sizeof(mountinfo), "%s/self/mountinfo", proc_root);
	if (ws_cgroup2_mount(mountinfo, mount, sizeof(mount)))
		return 0; /* the start checked the cgroups already: it would have failed */
	for (size_t i = 0; i < c->ncgroups; i++) {
		if (ws_cgroup_resolve(mount, c->cgroups[i], path, sizeof(path)) ||
		    ws_selcheck_cgroup_busy(path) != 0)
			continue;
		fprintf(err,
			"wirespan: warning: --cgroup %s holds no process now, nor does any cgroup "
			"below it (those that enter it later are traced)\n",
			c->cgroups[i]);
		warned++;
	}
	return warned;
}

int ws_selcheck_warn(const struct ws_config *c, const char *proc_root, FILE *err)
{
	int warned = 0;

	if (c->ncomms)
		warned += warn_comms(c, proc_root, err);
	if (c->ncgroups)
		warned += warn_cgroups(c, proc_root, err);
	return warned;
}
