/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The unit tests' harness: one binary per module, TEST() functions listed in
 * a table, CHECK macros that print both values, a closing "N passed, N failed".
 */
#ifndef WS_CHECK_H
#define WS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failed_in_test;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "    %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__,  \
				#cond);                                                    \
			check_failed_in_test = 1;                                          \
		}                                                                          \
	} while (0)

#define CHECK_INT(a, b)                                                                    \
	do {                                                                               \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);            \
		if (check_a_ != check_b_) {                                                \
			fprintf(stderr, "    %s:%d: %s == %s failed: %lld != %lld\n",         \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_);            \
			check_failed_in_test = 1;                                          \
		}                                                                          \
	} while (0)

/* Compares a (pointer, length) pair with a C string. */
#define CHECK_MEM(ptr, len, str)                                                           \
	do {                                                                               \
		const char *check_p_ = (const char *)(ptr);                                \
		size_t check_l_ = (size_t)(len), check_sl_ = strlen(str);                  \
		if (!check_p_ || check_l_ != check_sl_ || memcmp(check_p_, str, check_l_)) { \
			fprintf(stderr, "    %s:%d: %s == \"%s\" failed: got \"%.*s\"\n",     \
				__FILE__, __LINE__, #ptr, str, check_p_ ? (int)check_l_ : 6, \
				check_p_ ? check_p_ : "(null)");                           \
			check_failed_in_test = 1;                                          \
		}                                                                          \
	} while (0)

#define CHECK_STR(a, b) CHECK_MEM((a), strlen(a), (b))

struct check_case {
	const char *name;
	void (*fn)(void);
};

#define TEST(name) static void name(void)
#define CASE(name) { #name, name }

/* Runs every case; prints one line per case and the closing tally. Exit 1 on failure. */
static inline int check_run(const char *suite, const struct check_case *cases, size_t n)
{
	int passed = 0, failed = 0;

	for (size_t i = 0; i < n; i++) {
		check_failed_in_test = 0;
		cases[i].fn();
		if (check_failed_in_test) {
			failed++;
			printf("FAIL %s.%s\n", suite, cases[i].name);
		} else {
			passed++;
			printf("ok   %s.%s\n", suite, cases[i].name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define CHECK_MAIN(suite, cases)                                                           \
	int main(void)                                                                     \
	{                                                                                  \
		return check_run(suite, cases, sizeof(cases) / sizeof(cases[0]));          \
	}

#endif /* WS_CHECK_H */
