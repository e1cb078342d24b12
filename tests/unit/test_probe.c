// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Hook choice and cgroup lookups, on any host: ws_choose_hooks() over
 * feature sets this host may not have, and mountinfo files written here.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "check.h"
#include "config.h"
#include "probe.h"

static const struct ws_features all = { 1, 1, 1, 1, 1, 1 };

TEST(test_auto_prefers_socket_tracepoints)
{
	struct ws_config c = { .capture = WS_CAPTURE_AUTO };
	struct ws_plan p;

	CHECK_INT(ws_choose_hooks(&all, &c, &p), 0);
	CHECK_INT(p.sock_tp, 1);
	CHECK_INT(p.syscalls, 0);
	CHECK_INT(p.inet_state, 1);
	CHECK(strstr(p.desc, "socket tracepoints") != NULL);
}

TEST(test_auto_falls_back_to_syscalls_before_6_3)
{
	struct ws_features f = all;
	struct ws_config c = { .capture = WS_CAPTURE_AUTO };
	struct ws_plan p;

	f.sock_tp = 0;
	CHECK_INT(ws_choose_hooks(&f, &c, &p), 0);
	CHECK_INT(p.sock_tp, 0);
	CHECK_INT(p.syscalls, 1);
}

TEST(test_forced_family_missing_is_refused_with_what_to_do)
{
	struct ws_features f = all;
	struct ws_config c = { .capture = WS_CAPTURE_SOCKET };
	struct ws_plan p;

	f.sock_tp = 0;
	CHECK_INT(ws_choose_hooks(&f, &c, &p), -ENOTSUP);
	CHECK(strstr(p.desc, "--capture syscalls") != NULL);
	c.capture = WS_CAPTURE_SYSCALLS;
	f = all;
	f.syscall_tp = 0;
	CHECK_INT(ws_choose_hooks(&f, &c, &p), -ENOTSUP);
}

TEST(test_floor_copy_needs_the_socket_tracepoints)
{
	struct ws_features f = all;
	struct ws_config c = { .capture = WS_CAPTURE_AUTO, .floor = WS_FLOOR_COPY };
	struct ws_plan p;

	CHECK_INT(ws_choose_hooks(&f, &c, &p), 0);
	CHECK_INT(p.sock_tp, 1);
	/* auto would fall back to the syscalls: not the path it measures */
	f.sock_tp = 0;
	CHECK_INT(ws_choose_hooks(&f, &c, &p), -ENOTSUP);
	CHECK(strstr(p.desc, "--floor-copy") != NULL);
}

TEST(test_missing_essentials_are_refused)
{
	struct ws_config c = { 0 };
	struct ws_features f;
	struct ws_plan p;

	f = all;
	f.privileged = 0;
	CHECK_INT(ws_choose_hooks(&f, &c, &p), -EPERM);
	CHECK(strstr(p.desc, "root") != NULL);
	f = all;
	f.btf = 0;
	CHECK_INT(ws_choose_hooks(&f, &c, &p), -ENOTSUP);
	CHECK(strstr(p.desc, "BTF") != NULL);
	f = all;
	f.ringbuf = 0;
	CHECK_INT(ws_choose_hooks(&f, &c, &p), -ENOTSUP);
	CHECK(strstr(p.desc, "ring buffer") != NULL);
	f = all;
	f.sock_tp = f.syscall_tp = 0;
	CHECK_INT(ws_choose_hooks(&f, &c, &p), -ENOTSUP);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(test_cgroup2_mount_is_read_from_mountinfo)
{
	char path[] = "/tmp/ws-mountinfo-XXXXXX", out[256];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	/* A hybrid host: cgroup v1 controllers plus cgroup2 under unified/. */
	write_file(
		path,
		"25 30 0:23 / /sys rw,nosuid - sysfs sysfs rw\n"
		"35 25 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n");
	CHECK_INT(ws_cgroup2_mount(path, out, sizeof(out)), 0);
	CHECK_STR(out, "/sys/fs/cgroup/unified");
	write_file(path, "35 25 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
	CHECK_INT(ws_cgroup2_mount(path, out, sizeof(out)), -ENOENT);
	unlink(path);
	CHECK(ws_cgroup2_mount("/nonexistent/mountinfo", out, sizeof(out)) < 0);
}

TEST(test_cgroup_paths_resolve_relative_or_absolute)
{
	char dir[] = "/tmp/ws-cgroot-XXXXXX", sub[300], out[512];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/app.slice", dir);
	CHECK_INT(mkdir(sub, 0755), 0);
	CHECK_INT(ws_cgroup_resolve(dir, "app.slice", out, sizeof(out)), 0);
	CHECK_STR(out, sub);
	CHECK_INT(ws_cgroup_resolve(dir, "/app.slice", out, sizeof(out)), 0);
	CHECK_STR(out, sub);
	CHECK_INT(ws_cgroup_resolve(dir, sub, out, sizeof(out)), 0);
	CHECK_STR(out, sub);
	CHECK_INT(ws_cgroup_resolve(dir, "missing.slice", out, sizeof(out)), -ENOENT);
	rmdir(sub);
	rmdir(dir);
}

static const struct check_case cases[] = {
	CASE(test_auto_prefers_socket_tracepoints),
	CASE(test_auto_falls_back_to_syscalls_before_6_3),
	CASE(test_forced_family_missing_is_refused_with_what_to_do),
	CASE(test_floor_copy_needs_the_socket_tracepoints),
	CASE(test_missing_essentials_are_refused),
	CASE(test_cgroup2_mount_is_read_from_mountinfo),
	CASE(test_cgroup_paths_resolve_relative_or_absolute),
};
CHECK_MAIN("probe", cases)
