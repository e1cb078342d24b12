/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The harness itself (check.h) and the tally of tests/run.sh: a skipped
 * test is reported "skip" with its reason and counted apart, never as
 * passed, and run.sh adds the skipped count of a suite's closing line to
 * its TOTAL. Before, a BPF test whose kernel feature was missing printed
 * SKIP, returned, and was counted as passed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

/* The inner table: what check_run_to must make of each case. */
TEST(inner_passes)
{
	CHECK(1);
}

TEST(inner_skips)
{
	CHECK_SKIP("kernel lacks a feature: %s", "tp_btf/sock_send_length");
}

TEST(inner_fails)
{
	CHECK_INT(1, 2);
}

TEST(inner_skips_after_a_failure)
{
	CHECK(0);
	CHECK_SKIP("too late");
}

static const struct check_case inner[] = {
	CASE(inner_passes),
	CASE(inner_skips),
	CASE(inner_fails),
	CASE(inner_skips_after_a_failure),
};

/* Runs the inner table; its lines in out (NUL-terminated), its CHECK messages silenced. */
static struct check_tally run_inner(char *out, size_t size)
{
	struct check_tally t;
	FILE *f = tmpfile();
	int saved, null;
	size_t n;

	out[0] = '\0';
	CHECK(f != NULL);
	if (!f)
		return (struct check_tally){ 0, 0, 0 };
	fflush(stderr);
	saved = dup(2);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 2);
	t = check_run_to(f, "inner", inner, sizeof(inner) / sizeof(inner[0]));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(null);
	rewind(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
	return t;
}

TEST(test_a_skipped_case_is_counted_as_skipped_never_as_passed)
{
	struct check_tally t;
	char out[1024];

	t = run_inner(out, sizeof(out));
	CHECK_INT(t.passed, 1);
	CHECK_INT(t.skipped, 1);
	CHECK_INT(t.failed, 2); /* a failed CHECK wins over a later skip */
	CHECK_STR(out, "ok   inner.inner_passes\n"
		       "skip inner.inner_skips: kernel lacks a feature: tp_btf/sock_send_length\n"
		       "FAIL inner.inner_fails\n"
		       "FAIL inner.inner_skips_after_a_failure\n"
		       "1 passed, 2 failed, 1 skipped\n");
}

/* A nested run leaves the running test as it found it: its failures are not ours. */
TEST(test_a_nested_run_keeps_the_running_tests_state)
{
	char out[1024];

	run_inner(out, sizeof(out));
	CHECK_INT(check_skipped_in_test, 0);
	if (check_failed_in_test) {
		check_failed_in_test = 0;
		CHECK(!"the inner table's failures leaked into the running test");
	}
}

/* Writes text to a new temporary file whose name is put in path. */
static int write_tmp(char *path, const char *text)
{
	int fd = mkstemp(path);
	size_t len = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/*
 * tests/run.sh's tally on crafted suite outputs: the new closing line with
 * its skipped count, and a line without one (a suite printing the old
 * format) counted as 0 skipped.
 */
TEST(test_run_sh_tally_adds_the_skipped_count)
{
	char a[] = "/tmp/ws-test-check-XXXXXX", b[] = "/tmp/ws-test-check-XXXXXX";
	char cmd[512], got[128] = "";
	FILE *p;

	if (access("tests/run.sh", R_OK)) {
		CHECK_SKIP("tests/run.sh not found: run from the repository root");
		return;
	}
	CHECK_INT(write_tmp(a, "ok   s.one\nskip s.two: no kernel feature\nskip s.three: none\n"
			       "3 passed, 0 failed, 2 skipped\n"),
		  0);
	CHECK_INT(write_tmp(b, "FAIL t.one\n4 passed, 1 failed\n"), 0);
	snprintf(cmd, sizeof(cmd),
		 "bash -c '. tests/run.sh && tally a %s 0 >/dev/null && tally b %s 1 >/dev/null "
		 "&& echo \"$passed $failed $skipped ${suites_failed[*]}\"'",
		 a, b);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	if (p) {
		if (!fgets(got, sizeof(got), p))
			got[0] = '\0';
		CHECK_INT(pclose(p), 0);
	}
	CHECK_STR(got, "7 1 2 b\n");
	unlink(a);
	unlink(b);
}

static const struct check_case cases[] = {
	CASE(test_a_skipped_case_is_counted_as_skipped_never_as_passed),
	CASE(test_a_nested_run_keeps_the_running_tests_state),
	CASE(test_run_sh_tally_adds_the_skipped_count),
};

CHECK_MAIN("check", cases)
