/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The unit tests' harness: one binary per module, TEST() functions listed in
 * a table, CHECK macros that print both values, CHECK_SKIP for a test that
 * cannot run here (never counted as passed), a closing
 * "N passed, N failed, N skipped" (tests/run.sh reads it).
 */
#ifndef WS_CHECK_H
#define WS_CHECK_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int check_failed_in_test;
static int check_skipped_in_test;
static char check_skip_reason[256];

/*
 * Marks the running test skipped, saying why (printf-style): a kernel
 * feature it needs is missing, say. The test returns after it. A skipped
 * test is reported "skip" and counted apart, never as passed; a CHECK that
 * failed in it still fails it.
 */
__attribute__((format(printf, 1, 2))) static inline void check_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(check_skip_reason, sizeof(check_skip_reason), fmt, ap);
	va_end(ap);
	check_skipped_in_test = 1;
}

#define CHECK_SKIP(...) check_skip(__VA_ARGS__)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "    %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			check_failed_in_test = 1;                                                  \
		}                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
		if (check_a_ != check_b_) {                                                        \
			fprintf(stderr, "    %s:%d: %s == %s failed: %lld != %lld\n", __FILE__,    \
				__LINE__, #a, #b, check_a_, check_b_);                             \
			check_failed_in_test = 1;                                                  \
		}                                                                                  \
	} while (0)

/* Compares a (pointer, length) pair with a C string. */
#define CHECK_MEM(ptr, len, str)                                                                   \
	do {                                                                                       \
		const char *check_p_ = (const char *)(ptr);                                        \
		size_t check_l_ = (size_t)(len), check_sl_ = strlen(str);                          \
		if (!check_p_ || check_l_ != check_sl_ || memcmp(check_p_, str, check_l_)) {       \
			fprintf(stderr, "    %s:%d: %s == \"%s\" failed: got \"%.*s\"\n",          \
				__FILE__, __LINE__, #ptr, str, check_p_ ? (int)check_l_ : 6,       \
				check_p_ ? check_p_ : "(null)");                                   \
			check_failed_in_test = 1;                                                  \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b) CHECK_MEM((a), strlen(a), (b))

struct check_case {
	const char *name;
	void (*fn)(void);
};

#define TEST(name) static void name(void)
#define CASE(name)                                                                                 \
	{                                                                                          \
#name, name                                                                        \
	}

struct check_tally {
	int passed, failed, skipped;
};

/*
 * Runs every case, writing to out one line per case ("ok", "FAIL", or
 * "skip" with its reason) and the closing tally. The running test's own
 * state is kept, so a test of the harness can run it on a table of its own.
 */
static inline struct check_tally check_run_to(FILE *out, const char *suite,
					      const struct check_case *cases, size_t n)
{
	int outer_failed = check_failed_in_test, outer_skipped = check_skipped_in_test;
	struct check_tally t = { 0, 0, 0 };
	char outer_reason[sizeof(check_skip_reason)];

	memcpy(outer_reason, check_skip_reason, sizeof(outer_reason));
	for (size_t i = 0; i < n; i++) {
		check_failed_in_test = 0;
		check_skipped_in_test = 0;
		check_skip_reason[0] = '\0';
		cases[i].fn();
		if (check_failed_in_test) {
			t.failed++;
			fprintf(out, "FAIL %s.%s\n", suite, cases[i].name);
		} else if (check_skipped_in_test) {
			t.skipped++;
			fprintf(out, "skip %s.%s: %s\n", suite, cases[i].name, check_skip_reason);
		} else {
			t.passed++;
			fprintf(out, "ok   %s.%s\n", suite, cases[i].name);
		}
	}
	fprintf(out, "%d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped);
	fflush(out);
	check_failed_in_test = outer_failed;
	check_skipped_in_test = outer_skipped;
	memcpy(check_skip_reason, outer_reason, sizeof(outer_reason));
	return t;
}

/* check_run_to on stdout. Exit 1 on failure; skips alone do not fail the run. */
static inline int check_run(const char *suite, const struct check_case *cases, size_t n)
{
	return check_run_to(stdout, suite, cases, n).failed ? 1 : 0;
}

#define CHECK_MAIN(suite, cases)                                                                   \
	int main(void)                                                                             \
	{                                                                                          \
		return check_run(suite, cases, sizeof(cases) / sizeof(cases[0]));                  \
	}

#endif /* WS_CHECK_H */
