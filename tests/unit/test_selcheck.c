// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The start's selection check: which running comms a --comm name matches,
 * which are close to it, the one warning line, and the bounded /proc and
 * cgroup scans (on a fake tree under /tmp).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmptree.h"
#include "selcheck.h"

static char root[] = "/tmp/ws-test-selcheck-XXXXXX";

/* A host's comms, as /proc/PID/comm shows them (kernel threads included). */
static const char *const host[] = { "systemd", "kworker/0:1", "bash", "python3",
				    "python3", "nginx",	      "sshd", "averyverylongna",
				    "node",    "Xorg" };
#define NHOST (sizeof(host) / sizeof(host[0]))

struct comm_case {
	const char *name;
	size_t matches;
	int too_long;
	const char *warning; /* NULL: none; else a part the line must contain */
};

static const struct comm_case comm_cases[] = {
	{ "nginx", 1, 0, NULL },
	{ "python3", 2, 0, NULL },
	/* The executable's name (python3.11), not the process's comm (python3). */
	{ "python3.11", 0, 0, "; did you mean `python3`?" },
	/* A name cut by the kernel: its first 15 bytes run, so it matches them. */
	{ "averyverylongname16", 1, 1, NULL },
	{ "anotherlongname-x", 0, 1,
	  "; comm names are at most 15 bytes: did you mean `anotherlongname`?" },
	/* A prefix of a running comm is close too, and case does not hide it. */
	{ "ngin", 0, 0, "did you mean `nginx`?" },
	{ "NGINX", 0, 0, "did you mean `nginx`?" },
	{ "xorg", 0, 0, "did you mean `Xorg`?" },
	{ "postgres", 0, 0, "matches no running process (one that starts later is traced)" },
};

TEST(comm_names_match_running_comms_exactly_after_the_kernels_cut)
{
	char line[512];

	for (size_t i = 0; i < sizeof(comm_cases) / sizeof(comm_cases[0]); i++) {
		const struct comm_case *t = &comm_cases[i];
		struct ws_comm_check r;
		int n;

		ws_selcheck_comm(t->name, host, NHOST, &r);
		n = ws_selcheck_comm_warning(t->name, &r, line, sizeof(line));
		CHECK_INT(r.matches, t->matches);
		CHECK_INT(r.too_long, t->too_long);
		if (!t->warning) {
			CHECK_INT(n, 0);
			CHECK_STR(line, "");
			continue;
		}
		CHECK_INT(n, (int)strlen(line));
		if (!strstr(line, t->warning))
			fprintf(stderr, "    --comm %s: \"%s\" not in \"%s\"\n", t->name,
				t->warning, line);
		CHECK(strstr(line, t->warning));
		CHECK(!strncmp(line, "wirespan: warning: --comm ", 26));
		CHECK(!strchr(line, '\n'));
	}
}

TEST(a_close_comm_running_twice_is_named_once)
{
	struct ws_comm_check r;
	char line[512];

	ws_selcheck_comm("python3.11", host, NHOST, &r);
	CHECK_INT(r.nclose, 1);
	CHECK_STR(r.close[0], "python3");
	ws_selcheck_comm_warning("python3.11", &r, line, sizeof(line));
	CHECK_STR(line, "wirespan: warning: --comm python3.11 matches no running process (one "
			"that starts later is traced); did you mean `python3`?");
}

TEST(a_cut_name_is_guessed_first_then_the_close_comms)
{
	static const char *const comms[] = { "python3", "python3.11-work", "python3.11-wor" };
	struct ws_comm_check r;
	char line[512];

	/* 19 bytes: the kernel would keep "python3.11-work", which does not run. */
	ws_selcheck_comm("python3.11-worker", comms, 1, &r);
	CHECK_INT(r.matches, 0);
	CHECK_STR(r.cut, "python3.11-work");
	ws_selcheck_comm_warning("python3.11-worker", &r, line, sizeof(line));
	CHECK(strstr(line, "; comm names are at most 15 bytes: did you mean `python3.11-work` or "
			   "`python3`?"));
	/* ... and once it runs, the long name selects it. */
	ws_selcheck_comm("python3.11-worker", comms, 2, &r);
	CHECK_INT(r.matches, 1);
	CHECK_INT(ws_selcheck_comm_warning("python3.11-worker", &r, line, sizeof(line)), 0);
}

TEST(close_comms_are_bounded_and_listed_with_or)
{
	static const char *const comms[] = { "app1", "app2", "app3", "app4", "app5", "app6" };
	struct ws_comm_check r;
	char line[512];

	ws_selcheck_comm("app", comms, 6, &r);
	CHECK_INT(r.nclose, WS_SELCHECK_CLOSE_MAX);
	ws_selcheck_comm_warning("app", &r, line, sizeof(line));
	CHECK(strstr(line, "; did you mean `app1`, `app2`, `app3` or `app4`?"));
}

TEST(empty_comms_are_never_close)
{
	static const char *const comms[] = { "" };
	struct ws_comm_check r;

	ws_selcheck_comm("x", comms, 1, &r);
	CHECK_INT(r.matches, 0);
	CHECK_INT(r.nclose, 0);
}

TEST(a_short_buffer_gets_a_cut_line_and_the_full_length)
{
	struct ws_comm_check r;
	char line[512], small[20];
	int full, n;

	ws_selcheck_comm("python3.11", host, NHOST, &r);
	full = ws_selcheck_comm_warning("python3.11", &r, line, sizeof(line));
	n = ws_selcheck_comm_warning("python3.11", &r, small, sizeof(small));
	CHECK_INT(n, full);
	CHECK_INT(strlen(small), sizeof(small) - 1);
	CHECK(!strncmp(small, line, sizeof(small) - 1));
}

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (mkdir(path, 0755) && errno != EEXIST)
		perror(path);
}

TEST(the_proc_scan_reads_process_comms_only_and_skips_the_agent)
{
	char base[256], **comms;
	int n, seen_bash = 0, seen_nginx = 0;

	dir("proc");
	dir("proc/1");
	put("proc/1/comm", "bash\n");
	dir("proc/22");
	put("proc/22/comm", "nginx\n");
	dir("proc/33"); /* gone between readdir and the read: no comm file */
	dir("proc/44");
	put("proc/44/comm", "wirespan\n");
	dir("proc/self");
	put("proc/self/comm", "self\n");
	dir("proc/1x");
	put("proc/1x/comm", "notapid\n");
	snprintf(base, sizeof(base), "%s/proc", root);

	n = ws_selcheck_scan_comms(base, 44, 100, &comms);
	CHECK_INT(n, 2);
	for (int i = 0; i < n; i++) {
		seen_bash += !strcmp(comms[i], "bash");
		seen_nginx += !strcmp(comms[i], "nginx");
	}
	CHECK_INT(seen_bash, 1);
	CHECK_INT(seen_nginx, 1);
	free(comms);

	n = ws_selcheck_scan_comms(base, 0, 1, &comms);
	CHECK_INT(n, 1); /* bounded */
	free(comms);

	snprintf(base, sizeof(base), "%s/noproc", root);
	CHECK_INT(ws_selcheck_scan_comms(base, 0, 1, &comms), -ENOENT);
	CHECK(comms == NULL);
}

TEST(a_cgroup_is_busy_when_it_or_one_below_holds_a_process)
{
	char path[256];

	dir("cg");
	put("cg/cgroup.procs", "");
	dir("cg/a");
	put("cg/a/cgroup.procs", "");
	dir("cg/a/b");
	put("cg/a/b/cgroup.procs", "");
	snprintf(path, sizeof(path), "%s/cg", root);
	CHECK_INT(ws_selcheck_cgroup_busy(path), 0);

	put("cg/a/b/cgroup.procs", "1234\n");
	CHECK_INT(ws_selcheck_cgroup_busy(path), 1);
	snprintf(path, sizeof(path), "%s/cg/a/b", root);
	CHECK_INT(ws_selcheck_cgroup_busy(path), 1);

	snprintf(path, sizeof(path), "%s/cg/none", root);
	CHECK_INT(ws_selcheck_cgroup_busy(path), -ENOENT);
}

static const struct check_case cases[] = {
	CASE(comm_names_match_running_comms_exactly_after_the_kernels_cut),
	CASE(a_close_comm_running_twice_is_named_once),
	CASE(a_cut_name_is_guessed_first_then_the_close_comms),
	CASE(close_comms_are_bounded_and_listed_with_or),
	CASE(empty_comms_are_never_close),
	CASE(a_short_buffer_gets_a_cut_line_and_the_full_length),
	CASE(the_proc_scan_reads_process_comms_only_and_skips_the_agent),
	CASE(a_cgroup_is_busy_when_it_or_one_below_holds_a_process),
};

int main(void)
{
	int rc;

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	rc = check_run("selcheck", cases, sizeof(cases) / sizeof(cases[0]));
	tmptree_remove(root);
	return rc;
}
