/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the process cache (process/procs.c) through the assembler: one
 * /proc read per process whatever its names, a fresh resource for a reused
 * pid, resources shared by spans and outliving the assembler, and the
 * start time read from /proc/PID/stat (procstat.c).
 */
#include "asmkit.h"
#include "procs.h"

TEST(resource_is_shared_and_outlives_the_assembler)
{
	struct ws_assembler *a = asm_open();
	struct cn c1 = server_cn(1), c2 = client_cn(2);
	struct ws_span *s0, *s1;

	SRV_REQ(a, &c1, 1000, REQ_HELLO);
	SRV_RESP(a, &c1, 2000, RESP_OK);
	CLI_REQ(a, &c2, 3000, REQ_HELLO);
	CLI_RESP(a, &c2, 4000, RESP_OK);
	CHECK_INT(nspans, 2);
	if (nspans == 2) {
		s0 = spans[0];
		s1 = spans[1];
		CHECK(s0->res == s1->res);
		ws_assembler_free(a);
		a = NULL;
		/* Still readable after the assembler is gone. */
		CHECK(s0->res && !strcmp(s0->res->service_name, COMM));
		CHECK(s1->res && !strcmp(s1->res->exe_name, COMM));
	}
	asm_close(a);
}

/* ---- the resource cache: one /proc read per process ---- */

static char fake_root[] = "/tmp/ws-test-asm-proc-XXXXXX";

static void fake_root_remove(void)
{
	tmptree_remove(fake_root);
}

/*
 * A fake /proc entry for pid: a stat line giving start as field 22 (none for 0; the name
 * with a space and a parenthesis, as comm may have), OTEL_SERVICE_NAME=svc
 * in environ, and exe linking to exe. Returns the fake /proc root.
 */
static const char *fake_proc_entry(uint32_t pid, uint64_t start, const char *svc, const char *exe)
{
	static bool made;
	const char *root = fake_root;
	char path[PATH_MAX];
	FILE *f;

	if (!made && mkdtemp(fake_root)) {
		made = true;
		atexit(fake_root_remove);
	}
	snprintf(path, sizeof(path), "%s/%u", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/stat", root, pid);
	unlink(path);
	f = start ? fopen(path, "w") : NULL; /* start 0: the process is gone */
	if (f) {
		fprintf(f,
			"%u (a (b) c) S 1 %u %u 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu "
			"12345678 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
			pid, pid, pid, (unsigned long long)start);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%u/environ", root, pid);
	f = fopen(path, "w");
	if (f) {
		fputs("OTEL_SERVICE_NAME=", f);
		fputs(svc, f);
		fputc('\0', f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%u/exe", root, pid);
	unlink(path);
	CHECK_INT(symlink(exe, path), 0);
	return root;
}

/* One server span of a new connection (sock) of c at ts; its resource, borrowed. */
static const struct ws_resource *res_of_new_conn(struct ws_assembler *a, struct cn *c,
						 uint64_t sock, uint64_t ts)
{
	c->sock = sock;
	SRV_REQ(a, c, ts, REQ_HELLO);
	SRV_RESP(a, c, ts + 1, RESP_OK);
	CHECK_INT(rec_close(a, c, ts + 2), 0);
	CHECK(nspans > 0);
	return nspans ? spans[nspans - 1]->res : NULL;
}

#define SEC 1000000000ull

/*
 * Issue 20: the cache was keyed by pid and comm, so a process seen under
 * many names (a renamed leader, prctl(PR_SET_NAME)) had its 64 KiB of
 * environment, executable and runtime record read again at each change.
 */
TEST(resource_is_read_once_per_process_whatever_its_names)
{
	struct ws_assembler_opts o = { .proc_root = fake_proc_entry(5001, 777, "first",
								    "/bin/sh") };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn c = server_cn(0);
	const struct ws_resource *first;

	c.tgid = 5001;
	first = res_of_new_conn(a, &c, 1, 1000);
	CHECK(first && !strcmp(first->service_name, "first"));
	/* A read of /proc now would see this: nothing must read it. */
	fake_proc_entry(5001, 777, "second", "/bin/sh");
	for (int i = 0; i < 40; i++) {
		const struct ws_resource *r;

		snprintf(c.comm, sizeof(c.comm), "pool-%d", i % 20);
		r = res_of_new_conn(a, &c, 100 + i, 2000 + i * 10);
		CHECK(r == first);
	}
	CHECK(first && !strcmp(first->service_name, "first"));
	/* Still the same process a second later, under the first name. */
	strcpy(c.comm, COMM);
	CHECK(res_of_new_conn(a, &c, 200, 3 * SEC) == first);
	asm_close(a);
}

/* The pid of a process that exited given to a new one: the new one's resource. */
TEST(reused_pid_gets_a_fresh_resource)
{
	struct ws_assembler_opts o = { .proc_root = fake_proc_entry(5002, 100, "old", "/bin/sh") };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn c = server_cn(0);
	const struct ws_resource *r;

	c.tgid = 5002;
	r = res_of_new_conn(a, &c, 1, 1000);
	CHECK(r && !strcmp(r->service_name, "old"));

	/* The same comm: found at the first connection after the recheck interval. */
	fake_proc_entry(5002, 200, "new", "/bin/sh");
	r = res_of_new_conn(a, &c, 2, 2 * SEC);
	CHECK(r && !strcmp(r->service_name, "new"));

	/* Another comm: found at once. */
	fake_proc_entry(5002, 300, "newer", "/bin/sh");
	strcpy(c.comm, "other");
	r = res_of_new_conn(a, &c, 3, 2 * SEC + 10);
	CHECK(r && !strcmp(r->service_name, "newer"));

	/* An exec keeps pid and start time, not the program: another comm, another exe. */
	fake_proc_entry(5002, 300, "execd", "/bin/ls");
	strcpy(c.comm, "ls");
	r = res_of_new_conn(a, &c, 4, 2 * SEC + 20);
	CHECK(r && !strcmp(r->service_name, "execd"));

	/* Gone: its late records keep its resource. */
	fake_proc_entry(5002, 0, "gone", "/bin/ls");
	r = res_of_new_conn(a, &c, 5, 5 * SEC);
	CHECK(r && !strcmp(r->service_name, "execd"));
	asm_close(a);
}

/* The start time is field 22, after a name that may hold spaces and parentheses. */
TEST(proc_stat_start_time_is_field_22)
{
	static const char line[] =
		"42 (x) y) (z) S 1 42 42 0 -1 4194560 5 6 7 8 9 10 11 12 20 0 1 0 "
		"98765 1000 10\n";

	CHECK_INT(ws_procstat_start(line, sizeof(line) - 1), 98765);
	CHECK_INT(ws_procstat_start(line, 60), 0); /* cut before field 22 */
	CHECK_INT(ws_procstat_start("", 0), 0);
	CHECK_INT(ws_procstat_start("1 (a) S", 7), 0);
}

/* ---- the cache itself (procs.h), without the assembler ---- */

static struct ws_resource *get(struct ws_procs *p, uint32_t pid, const char *comm, uint64_t ts,
			       bool want_fresh)
{
	char c16[16] = { 0 };
	bool fresh = !want_fresh;
	struct ws_resource *r;

	/* As the kernel gives a comm: not terminated when it is full. */
	memcpy(c16, comm, strnlen(comm, sizeof(c16)));
	r = ws_procs_get(p, pid, c16, ts, &fresh);
	CHECK(r != NULL);
	CHECK_INT(fresh, want_fresh);
	return r;
}

/* A replay reads nothing: the comm alone tells a process from the next. */
TEST(replay_cache_keys_by_pid_and_takes_a_new_comm_for_a_new_process)
{
	struct ws_procs *p = ws_procs_new("", NULL);
	struct ws_resource *a, *b, *c;

	CHECK(p != NULL);
	if (!p)
		return;
	a = get(p, 10, "web", 1, true);
	b = get(p, 10, "web", 5 * SEC, false); /* no recheck in a replay */
	CHECK(a == b);
	CHECK(a && !strcmp(a->service_name, "web"));
	c = get(p, 10, "worker", 6 * SEC, true);
	CHECK(c != a);
	CHECK(c && !strcmp(c->service_name, "worker"));
	ws_resource_put(a);
	ws_resource_put(b);
	/* Each reference outlives the cache. */
	ws_procs_free(p);
	CHECK(c && !strcmp(c->service_name, "worker"));
	ws_resource_put(c);
	ws_procs_free(NULL);
}

/* Past WS_PROCS_MAX entries the cache starts over: hot entries are read again once. */
TEST(full_cache_starts_over)
{
	struct ws_procs *p = ws_procs_new("", NULL);

	if (!p)
		return;
	for (uint32_t pid = 1; pid <= WS_PROCS_MAX; pid++)
		ws_resource_put(get(p, pid, "p", pid, true));
	ws_resource_put(get(p, 1, "p", 1, false));
	ws_resource_put(get(p, WS_PROCS_MAX + 1, "p", 1, true)); /* one more: emptied first */
	ws_resource_put(get(p, 1, "p", 1, true));
	ws_resource_put(get(p, WS_PROCS_MAX + 1, "p", 1, false));
	ws_procs_free(p);
}

/* With /proc: the start time is read again only after WS_PROCS_RECHECK_NS or a new comm. */
TEST(live_cache_rechecks_the_start_time_once_a_second)
{
	const char *root = fake_proc_entry(5003, 50, "svc-a", "/bin/sh");
	struct ws_procs *p = ws_procs_new(root, NULL);
	struct ws_resource *r;

	if (!p)
		return;
	r = get(p, 5003, "a", SEC, true);
	CHECK(r && !strcmp(r->service_name, "svc-a"));
	ws_resource_put(r);
	/* Replaced (another start time) within the second: not seen yet. */
	fake_proc_entry(5003, 60, "svc-b", "/bin/sh");
	r = get(p, 5003, "a", SEC + WS_PROCS_RECHECK_NS - 1, false);
	CHECK(r && !strcmp(r->service_name, "svc-a"));
	ws_resource_put(r);
	r = get(p, 5003, "a", SEC + WS_PROCS_RECHECK_NS, true);
	CHECK(r && !strcmp(r->service_name, "svc-b"));
	ws_resource_put(r);
	/* A rename (same start, same executable) keeps it, and reads nothing. */
	fake_proc_entry(5003, 60, "svc-c", "/bin/sh");
	r = get(p, 5003, "renamed", SEC + WS_PROCS_RECHECK_NS + 1, false);
	CHECK(r && !strcmp(r->service_name, "svc-b"));
	ws_resource_put(r);
	ws_procs_free(p);
}

static const struct check_case cases[] = {
	CASE(resource_is_shared_and_outlives_the_assembler),
	CASE(resource_is_read_once_per_process_whatever_its_names),
	CASE(reused_pid_gets_a_fresh_resource),
	CASE(proc_stat_start_time_is_field_22),
	CASE(replay_cache_keys_by_pid_and_takes_a_new_comm_for_a_new_process),
	CASE(full_cache_starts_over),
	CASE(live_cache_rechecks_the_start_time_once_a_second),
};

CHECK_MAIN("procs", cases)
