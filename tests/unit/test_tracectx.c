/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of W3C Trace Context: one table row per traceparent parsing rule
 * (version 00, later versions, ff, case, zero ids, lengths, separators,
 * whitespace), the hex encoder, and the id generator's guarantees.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "tracectx.h"

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"
#define ZERO_TID "00000000000000000000000000000000"
#define ZERO_PID "0000000000000000"

struct tp_row {
	const char *why;
	const char *in;
	int rc;
	uint8_t version; /* when rc == 0 */
	uint8_t flags;
};

static const struct tp_row tp_rows[] = {
	{ "valid sampled", "00-" TID "-" PID "-01", 0, 0x00, 0x01 },
	{ "valid not sampled", "00-" TID "-" PID "-00", 0, 0x00, 0x00 },
	{ "unknown flag bits are kept", "00-" TID "-" PID "-ff", 0, 0x00, 0xff },
	{ "level 2 random flag", "00-" TID "-" PID "-03", 0, 0x00, 0x03 },
	{ "leading and trailing spaces trimmed", "  00-" TID "-" PID "-01  ", 0, 0x00, 0x01 },
	{ "leading and trailing tabs trimmed", "\t00-" TID "-" PID "-01\t", 0, 0x00, 0x01 },
	{ "future version exactly 55", "01-" TID "-" PID "-01", 0, 0x01, 0x01 },
	{ "future version with more fields", "cc-" TID "-" PID "-01-what-the-future-will-be-like", 0,
	  0xcc, 0x01 },
	{ "future version with a lone trailing dash", "02-" TID "-" PID "-00-", 0, 0x02, 0x00 },
	{ "future version fe", "fe-" TID "-" PID "-09", 0, 0xfe, 0x09 },

	{ "version ff forbidden", "ff-" TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "version ff forbidden with more fields", "ff-" TID "-" PID "-01-x", -EINVAL, 0, 0 },
	{ "version 00 with trailing dash", "00-" TID "-" PID "-01-", -EINVAL, 0, 0 },
	{ "version 00 with trailing field", "00-" TID "-" PID "-01-what", -EINVAL, 0, 0 },
	{ "version 00 with trailing junk", "00-" TID "-" PID "-01x", -EINVAL, 0, 0 },
	{ "future version with junk after flags", "01-" TID "-" PID "-01x", -EINVAL, 0, 0 },
	{ "future version with longer flags", "01-" TID "-" PID "-0100", -EINVAL, 0, 0 },
	{ "future version too short", "01-" TID "-" PID "-1", -EINVAL, 0, 0 },
	{ "upper-case trace id", "00-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01", -EINVAL, 0, 0 },
	{ "upper-case parent id", "00-" TID "-00F067AA0BA902B7-01", -EINVAL, 0, 0 },
	{ "upper-case version", "0A-" TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "upper-case flags", "00-" TID "-" PID "-0A", -EINVAL, 0, 0 },
	{ "non-hex trace id", "00-4bf92f3577b34da6a3ce929d0e0e473g-" PID "-01", -EINVAL, 0, 0 },
	{ "non-hex parent id", "00-" TID "-00f067aa0ba902bz-01", -EINVAL, 0, 0 },
	{ "non-hex version", "0g-" TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "non-hex flags", "00-" TID "-" PID "-0x", -EINVAL, 0, 0 },
	{ "all-zero trace id", "00-" ZERO_TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "all-zero parent id", "00-" TID "-" ZERO_PID "-01", -EINVAL, 0, 0 },
	{ "all-zero ids in future version", "01-" ZERO_TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "short trace id", "00-4bf92f3577b34da6a3ce929d0e0e473-" PID "-01", -EINVAL, 0, 0 },
	{ "long trace id", "00-4bf92f3577b34da6a3ce929d0e0e47360-" PID "-01", -EINVAL, 0, 0 },
	{ "short parent id", "00-" TID "-00f067aa0ba902b-01", -EINVAL, 0, 0 },
	{ "long parent id", "00-" TID "-00f067aa0ba902b70-01", -EINVAL, 0, 0 },
	{ "one-digit flags", "00-" TID "-" PID "-1", -EINVAL, 0, 0 },
	{ "three-digit flags", "00-" TID "-" PID "-001", -EINVAL, 0, 0 },
	{ "one-digit version", "0-" TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "three-digit version", "000-" TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "underscore separators", "00_" TID "_" PID "_01", -EINVAL, 0, 0 },
	{ "missing first dash", "00" TID "-" PID "-01x", -EINVAL, 0, 0 },
	{ "inner space", "00-" TID " " PID "-01", -EINVAL, 0, 0 },
	{ "whitespace inside after version", "00- " TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "newline is not OWS", "00-" TID "-" PID "-01\n", -EINVAL, 0, 0 },
	{ "only whitespace", "   \t ", -EINVAL, 0, 0 },
	{ "empty", "", -EINVAL, 0, 0 },
	{ "plus sign in id", "00-+bf92f3577b34da6a3ce929d0e0e4736-" PID "-01", -EINVAL, 0, 0 },
};

TEST(traceparent_table)
{
	for (size_t i = 0; i < sizeof(tp_rows) / sizeof(tp_rows[0]); i++) {
		const struct tp_row *r = &tp_rows[i];
		struct ws_traceparent tp;
		int rc;

		memset(&tp, 0xaa, sizeof(tp));
		rc = ws_traceparent_parse(r->in, strlen(r->in), &tp);
		if (rc != r->rc)
			fprintf(stderr, "    row \"%s\": \"%s\"\n", r->why, r->in);
		CHECK_INT(rc, r->rc);
		if (rc || r->rc)
			continue;
		CHECK_INT(tp.version, r->version);
		CHECK_INT(tp.flags, r->flags);
		CHECK_INT(tp.trace_id[0], 0x4b);
		CHECK_INT(tp.trace_id[15], 0x36);
		CHECK_INT(tp.parent_id[0], 0x00);
		CHECK_INT(tp.parent_id[7], 0xb7);
	}
}

TEST(traceparent_ids_are_decoded_exactly)
{
	static const uint8_t tid[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
					 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	static const uint8_t pid[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
	const char *v = "00-" TID "-" PID "-01";
	struct ws_traceparent tp;

	CHECK_INT(ws_traceparent_parse(v, strlen(v), &tp), 0);
	CHECK(!memcmp(tp.trace_id, tid, 16));
	CHECK(!memcmp(tp.parent_id, pid, 8));
}

TEST(traceparent_respects_len_not_nul)
{
	/* The header value need not be NUL-terminated: bytes past len are not read. */
	const char *v = "00-" TID "-" PID "-01-trailing";
	struct ws_traceparent tp;

	CHECK_INT(ws_traceparent_parse(v, 55, &tp), 0);
	CHECK_INT(ws_traceparent_parse(v, 54, &tp), -EINVAL);
}

TEST(traceparent_invalid_leaves_output_untouched)
{
	const char *v = "00-" ZERO_TID "-" PID "-01";
	struct ws_traceparent tp, before;

	memset(&tp, 0x5a, sizeof(tp));
	before = tp;
	CHECK_INT(ws_traceparent_parse(v, strlen(v), &tp), -EINVAL);
	CHECK(!memcmp(&tp, &before, sizeof(tp)));
}

TEST(traceparent_null_arguments_are_einval)
{
	struct ws_traceparent tp;

	CHECK_INT(ws_traceparent_parse(NULL, 55, &tp), -EINVAL);
	CHECK_INT(ws_traceparent_parse("00-" TID "-" PID "-01", 55, NULL), -EINVAL);
}

TEST(hex_is_lower_case_and_terminated)
{
	const uint8_t in[] = { 0x00, 0x0f, 0xa0, 0xff, 0x5c };
	char out[11];

	memset(out, 'X', sizeof(out));
	ws_hex(in, sizeof(in), out);
	CHECK_STR(out, "000fa0ff5c");
	ws_hex(in, 0, out);
	CHECK_STR(out, "");
}

TEST(hex_round_trips_through_parse)
{
	char buf[64] = "00-";
	struct ws_traceparent tp;
	uint8_t tid[16], sid[8];

	ws_ids_trace(tid);
	ws_ids_span(sid);
	ws_hex(tid, 16, buf + 3);
	buf[35] = '-';
	ws_hex(sid, 8, buf + 36);
	memcpy(buf + 52, "-01", 4);
	CHECK_INT(ws_traceparent_parse(buf, strlen(buf), &tp), 0);
	CHECK(!memcmp(tp.trace_id, tid, 16));
	CHECK(!memcmp(tp.parent_id, sid, 8));
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

TEST(ids_are_non_zero_and_distinct)
{
	enum { N = 2000 };
	static uint8_t tids[N][16], sids[N][8];
	int dups = 0;

	for (int i = 0; i < N; i++) {
		ws_ids_trace(tids[i]);
		ws_ids_span(sids[i]);
		CHECK(!all_zero(tids[i], 16));
		CHECK(!all_zero(sids[i], 8));
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			dups += !memcmp(tids[i], tids[j], 16) + !memcmp(sids[i], sids[j], 8);
	CHECK_INT(dups, 0);
}

static void *thread_ids(void *arg)
{
	ws_ids_span(arg);
	return NULL;
}

TEST(threads_get_different_sequences)
{
	uint8_t a[8], b[8];
	pthread_t t1, t2;

	/* Each thread's first id: the same seed would give the same bytes. */
	pthread_create(&t1, NULL, thread_ids, a);
	pthread_join(t1, NULL);
	pthread_create(&t2, NULL, thread_ids, b);
	pthread_join(t2, NULL);
	CHECK(memcmp(a, b, 8) != 0);
}

TEST(forked_child_does_not_repeat_parent_ids)
{
	uint8_t parent[8], child[8];
	int fds[2];
	pid_t pid;

	ws_ids_span(parent); /* seeds this thread before the fork */
	CHECK_INT(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		ws_ids_span(child);
		if (write(fds[1], child, 8) != 8)
			_exit(1);
		_exit(0);
	}
	ws_ids_span(parent);
	CHECK_INT(read(fds[0], child, 8), 8);
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
	CHECK(memcmp(parent, child, 8) != 0);
}

static const struct check_case cases[] = {
	CASE(traceparent_table),
	CASE(traceparent_ids_are_decoded_exactly),
	CASE(traceparent_respects_len_not_nul),
	CASE(traceparent_invalid_leaves_output_untouched),
	CASE(traceparent_null_arguments_are_einval),
	CASE(hex_is_lower_case_and_terminated),
	CASE(hex_round_trips_through_parse),
	CASE(ids_are_non_zero_and_distinct),
	CASE(threads_get_different_sequences),
	CASE(forked_child_does_not_repeat_parent_ids),
};

CHECK_MAIN("tracectx", cases)
