/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading files a traced program can name or replace: ws_read_file()
 * reads regular files (procfs ones too) to their bound and refuses FIFOs,
 * devices and directories without waiting; a process whose /proc files
 * (exe, environ, cgroup) are FIFOs or a huge sparse file costs its
 * resource nothing. A hang is a failure: alarm() ends the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "readfd.h"
#include "resource.h"

static char root[] = "/tmp/ws-test-readfd-XXXXXX";

static void on_alarm(int sig)
{
	static const char msg[] = "    hung: a read waited (alarm)\nFAIL readfd\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

TEST(test_regular_files_are_read_to_their_bound)
{
	char path[256], buf[16];

	snprintf(path, sizeof(path), "%s/plain", root);
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs("0123456789abcdefXYZ", f);
	fclose(f);
	CHECK_INT(ws_read_file(path, buf, sizeof(buf)), 16);
	CHECK(!memcmp(buf, "0123456789abcdef", 16));
	/* procfs files are regular with st_size 0: read to their end all the same */
	CHECK(ws_read_file("/proc/self/stat", buf, sizeof(buf)) == sizeof(buf));
	CHECK_INT(ws_read_file("/nonexistent/x", buf, sizeof(buf)), -ENOENT);
}

TEST(test_fifos_devices_and_directories_are_refused_at_once)
{
	char fifo[256], buf[16];

	snprintf(fifo, sizeof(fifo), "%s/fifo", root);
	CHECK_INT(mkfifo(fifo, 0600), 0);
	alarm(5);
	CHECK_INT(ws_read_file(fifo, buf, sizeof(buf)), -EINVAL); /* no writer: open waited */
	CHECK_INT(ws_read_file("/dev/zero", buf, sizeof(buf)), -EINVAL);
	CHECK_INT(ws_read_file("/dev/null", buf, sizeof(buf)), -EINVAL);
	CHECK_INT(ws_read_file(root, buf, sizeof(buf)), -EINVAL);
	alarm(0);
	unlink(fifo);
}

/*
 * A fake /proc/PID whose exe is a FIFO, whose environ and cgroup are
 * FIFOs: the resource is built at once, named by comm. Then an exe that
 * is a 1 GiB sparse file claiming to be ELF: not Go, and read little.
 */
TEST(test_a_process_with_fifos_and_huge_files_in_proc_costs_nothing)
{
	static const char *const names[] = { "exe-fifo", "environ", "cgroup" };
	char path[512], dir[128];
	struct ws_resource_opts o = { .proc_root = root, .host_root = root };
	struct ws_resource *r;
	int fd;

	snprintf(dir, sizeof(dir), "%s/4242", root);
	CHECK_INT(mkdir(dir, 0700), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		CHECK_INT(mkfifo(path, 0600), 0);
	}
	snprintf(path, sizeof(path), "%s/exe", dir);
	CHECK_INT(symlink("exe-fifo", path), 0);
	alarm(5);
	r = ws_resource_new_opts(&o, 4242, "hostile");
	alarm(0);
	CHECK(r != NULL);
	if (r) {
		CHECK_STR(r->exe_name, "exe-fifo"); /* readlink still names it */
		CHECK(!r->go);
	}
	ws_resource_put(r);

	unlink(path);
	snprintf(path, sizeof(path), "%s/exe-huge", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	CHECK(fd >= 0);
	CHECK_INT(write(fd,
			"\x7f"
			"ELF\x02\x01\x01",
			7),
		  7);
	CHECK_INT(ftruncate(fd, 1ll << 30), 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/exe", dir);
	CHECK_INT(symlink("exe-huge", path), 0);
	alarm(5);
	r = ws_resource_new_opts(&o, 4242, "hostile");
	alarm(0);
	CHECK(r != NULL && !r->go);
	ws_resource_put(r);
}

static const struct check_case cases[] = {
	CASE(test_regular_files_are_read_to_their_bound),
	CASE(test_fifos_devices_and_directories_are_refused_at_once),
	CASE(test_a_process_with_fifos_and_huge_files_in_proc_costs_nothing),
};

int main(void)
{
	char cmd[256];
	int ret;

	signal(SIGALRM, on_alarm);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	ret = check_run("readfd", cases, sizeof(cases) / sizeof(cases[0]));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	return ret;
}
