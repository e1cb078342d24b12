// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of W3C Trace Context: one table row per traceparent parsing rule
 * (version 00, later versions, ff, case, zero ids, lengths, separators,
 * whitespace), one per tracestate rule (keys, values, OWS, empty members,
 * duplicates, the 32-member limit), the hex encoder, and the id generator's
 * guarantees.
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
	{ "future version with more fields", "cc-" TID "-" PID "-01-what-the-future-will-be-like",
	  0, 0xcc, 0x01 },
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

	/* Rows added after checking the parser against every rule of the spec. */
	{ "one upper-case char in trace id", "00-4bf92f3577b34da6a3ce929d0e0e473A-" PID "-01",
	  -EINVAL, 0, 0 },
	{ "one upper-case char in parent id", "00-" TID "-00f067aa0ba902bB-01", -EINVAL, 0, 0 },
	{ "upper-case version ff", "FF-" TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "upper-case future version", "CC-" TID "-" PID "-01-x", -EINVAL, 0, 0 },
	{ "both ids all zero", "00-" ZERO_TID "-" ZERO_PID "-01", -EINVAL, 0, 0 },
	{ "all-zero parent id in future version", "01-" TID "-" ZERO_PID "-01-x", -EINVAL, 0, 0 },
	{ "version 00 of 54 chars", "00-" TID "-" PID "-0", -EINVAL, 0, 0 },
	{ "version 00 of 56 chars", "00-" TID "-" PID "-011", -EINVAL, 0, 0 },
	{ "wrong separator after version", "00+" TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "wrong separator after trace id", "00-" TID "_" PID "-01", -EINVAL, 0, 0 },
	{ "wrong separator after parent id", "00-" TID "-" PID ".01", -EINVAL, 0, 0 },
	{ "future version with dot after flags",
	  "cc-" TID "-" PID "-01.what-the-future-will-not-be-like", -EINVAL, 0, 0 },
	{ "future version with space after flags", "cc-" TID "-" PID "-01 x", -EINVAL, 0, 0 },
	{ "future version with wrong separator after parent id", "cc-" TID "-" PID "_01-x", -EINVAL,
	  0, 0 },
	{ "future version unknown fields are not parsed", "cc-" TID "-" PID "-01-ZZ+!", 0, 0xcc,
	  0x01 },
	{ "future version with more fields and OWS", " \tcc-" TID "-" PID "-01-x-y \t", 0, 0xcc,
	  0x01 },
	{ "future version of 54 chars", "cc-" TID "-" PID "-0", -EINVAL, 0, 0 },
	{ "OWS inside before flags", "00-" TID "-" PID "- 1", -EINVAL, 0, 0 },
	{ "OWS then junk after value", "00-" TID "-" PID "-01 x", -EINVAL, 0, 0 },
	{ "CR is not OWS", "\r00-" TID "-" PID "-01", -EINVAL, 0, 0 },
	{ "vertical tab is not OWS", "00-" TID "-" PID "-01\v", -EINVAL, 0, 0 },
	{ "non-breaking space byte is not OWS",
	  "\xa0"
	  "00-" TID "-" PID "-01",
	  -EINVAL, 0, 0 },
	{ "two values joined by a comma", "00-" TID "-" PID "-01,00-" TID "-" PID "-01", -EINVAL, 0,
	  0 },
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

TEST(traceparent_ids_with_one_bit_are_valid)
{
	const char *v = "00-00000000000000000000000000000100-0000000000000001-01";
	struct ws_traceparent tp;

	CHECK_INT(ws_traceparent_parse(v, strlen(v), &tp), 0);
	CHECK_INT(tp.trace_id[14], 0x01);
	CHECK_INT(tp.parent_id[7], 0x01);
}

TEST(traceparent_nul_inside_is_invalid)
{
	char v[56] = "00-" TID "-" PID "-01";
	struct ws_traceparent tp;

	v[10] = '\0';
	CHECK_INT(ws_traceparent_parse(v, 55, &tp), -EINVAL);
}

/* tracestate */

struct ts_row {
	const char *why;
	const char *in;
	int rc;		 /* > 0: the normalized length, which out must match */
	const char *out; /* when rc >= 0 */
};

static const struct ts_row ts_rows[] = {
	{ "single member", "rojo=00f067aa0ba902b7", 21, "rojo=00f067aa0ba902b7" },
	{ "two members, order kept", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", 39,
	  "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" },
	{ "empty header", "", 0, "" },
	{ "blank header", " \t ", 0, "" },
	{ "only commas and OWS", " , ,\t,", 0, "" },
	{ "OWS around members dropped", " \tfoo=1 \t , \t bar=2, \t baz=3\t ", 17,
	  "foo=1,bar=2,baz=3" },
	{ "empty members skipped", ",foo=1,,, bar=2,", 11, "foo=1,bar=2" },
	{ "trailing tab is OWS", "foo=1\t\t", 5, "foo=1" },
	{ "leading spaces of a value are kept", "foo=  1", 7, "foo=  1" },
	{ "inner spaces of a value are kept", "foo=a b", 7, "foo=a b" },
	{ "all value chars", "foo= !\"#$%&'()*+-./0123456789:;<>?@ABCXYZ[\\]^_`abcxyz{|}~", 57,
	  "foo= !\"#$%&'()*+-./0123456789:;<>?@ABCXYZ[\\]^_`abcxyz{|}~" },
	{ "all simple-key chars", "abcdefghijklmnopqrstuvwxyz0123456789_-*/=1", 42,
	  "abcdefghijklmnopqrstuvwxyz0123456789_-*/=1" },
	{ "multi-tenant key", "fw529a3039@dt=FG,rojo=1", 23, "fw529a3039@dt=FG,rojo=1" },
	{ "multi-tenant key, tenant starts with digit", "1tenant@sys=1", 13, "1tenant@sys=1" },
	{ "multi-tenant key, same system two tenants", "a@dt=1,b@dt=2", 13, "a@dt=1,b@dt=2" },
	{ "multi-tenant key, keychars", "t_-*/9@s_-*/9=1", 15, "t_-*/9@s_-*/9=1" },
	{ "simple and tenant keys differ", "dt=1,a@dt=2", 11, "dt=1,a@dt=2" },
	/* Level 2 keys: (lcalpha / DIGIT) then keychars, '@' one of them. */
	{ "key ending in @", "foo@=1", 6, "foo@=1" },
	{ "key with two @", "foo@bar@baz=1", 13, "foo@bar@baz=1" },
	{ "key of a letter and @", "t@=1", 4, "t@=1" },
	{ "key starting with digit", "0abc=1", 6, "0abc=1" },
	{ "key of one digit", "7=1", 3, "7=1" },
	{ "every keychar", "a*b/c-d_e@f=1", 13, "a*b/c-d_e@f=1" },
	{ "digit right after @", "t@1dt=1", 7, "t@1dt=1" },
	{ "@ then keychars", "a@_-*/@9=1", 10, "a@_-*/@9=1" },
	{ "all keychars", "0abcdefghijklmnopqrstuvwxyz0123456789_-*/@=1", 44,
	  "0abcdefghijklmnopqrstuvwxyz0123456789_-*/@=1" },

	{ "upper-case key", "Foo=1", -EINVAL, NULL },
	{ "key starting with underscore", "_foo=1", -EINVAL, NULL },
	{ "key starting with @", "@foo=1", -EINVAL, NULL },
	{ "key starting with -", "-foo=1", -EINVAL, NULL },
	{ "key starting with *", "*foo=1", -EINVAL, NULL },
	{ "key starting with /", "/foo=1", -EINVAL, NULL },
	{ "key of a lone @", "@=1", -EINVAL, NULL },
	{ "upper case after @", "foo@Bar=1", -EINVAL, NULL },
	{ "dot after @", "foo@bar.com=1", -EINVAL, NULL },
	{ "key with dot", "foo.bar=1", -EINVAL, NULL },
	{ "space before =", "foo =1", -EINVAL, NULL },
	{ "empty key", "=1", -EINVAL, NULL },
	{ "no =", "foo", -EINVAL, NULL },
	{ "empty value", "foo=", -EINVAL, NULL },
	{ "blank value", "foo=   ", -EINVAL, NULL },
	{ "= in value", "foo=bar=baz", -EINVAL, NULL },
	{ "empty value before next member", "foo=,bar=3", -EINVAL, NULL },
	{ "tab inside a value", "foo=a\tb", -EINVAL, NULL },
	{ "control char in value", "foo=a\x01", -EINVAL, NULL },
	{ "DEL in value", "foo=a\x7f", -EINVAL, NULL },
	{ "non-ASCII byte in value", "foo=caf\xc3\xa9", -EINVAL, NULL },
	{ "CR is not OWS", "foo=1\r", -EINVAL, NULL },
	{ "one bad member spoils the list", "foo=1,BAR=2,baz=3", -EINVAL, NULL },
	{ "duplicate key", "foo=1,foo=2", -EINVAL, NULL },
	{ "duplicate key, same value", "foo=1,bar=2,foo=1", -EINVAL, NULL },
	{ "duplicate multi-tenant key", "t@dt=1,t@dt=2", -EINVAL, NULL },
	{ "empty tenant", "@dt=1", -EINVAL, NULL },
	{ "tenant starts with underscore", "_t@dt=1", -EINVAL, NULL },
	{ "upper-case system", "t@DT=1", -EINVAL, NULL },
};

TEST(tracestate_table)
{
	for (size_t i = 0; i < sizeof(ts_rows) / sizeof(ts_rows[0]); i++) {
		const struct ts_row *r = &ts_rows[i];
		char out[512];
		int rc;

		rc = ws_tracestate_check(r->in, strlen(r->in), out, sizeof(out));
		if (rc != r->rc)
			fprintf(stderr, "    row \"%s\": \"%s\"\n", r->why, r->in);
		CHECK_INT(rc, r->rc);
		if (rc < 0 || r->rc < 0)
			continue;
		CHECK_STR(out, r->out);
		/* Checking alone gives the same length. */
		CHECK_INT(ws_tracestate_check(r->in, strlen(r->in), NULL, 0), r->rc);
	}
}

/* "k<n>=v" members k0..k<n-1> joined by ',' into buf. */
static size_t ts_members(char *buf, size_t sz, int n, const char *sep)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		o += snprintf(buf + o, sz - o, "%sk%d=v", i ? sep : "", i);
	return o;
}

TEST(tracestate_32_members_valid_33_invalid)
{
	char in[1024], out[1024];
	size_t n;

	n = ts_members(in, sizeof(in), 32, ",");
	CHECK_INT(ws_tracestate_check(in, n, out, sizeof(out)), n);
	CHECK_MEM(out, n, in);
	n = ts_members(in, sizeof(in), 33, ",");
	CHECK_INT(ws_tracestate_check(in, n, out, sizeof(out)), -EINVAL);
}

TEST(tracestate_empty_members_do_not_count)
{
	char in[1024], out[1024], want[1024];
	size_t n, w;

	/* Members joined by " , ," hold 31 empty members between 32 real ones. */
	n = ts_members(in, sizeof(in), 32, " , ,");
	w = ts_members(want, sizeof(want), 32, ",");
	CHECK_INT(ws_tracestate_check(in, n, out, sizeof(out)), w);
	CHECK_MEM(out, w, want);
}

TEST(tracestate_joined_header_lines)
{
	/* Two lines, "a=1" and "" and " b@x=2 ", joined by the caller with ','. */
	const char *joined = "a=1,, b@x=2 ";
	const char *dup = "a=1,b=2,a=3"; /* a duplicate across lines is still a duplicate */
	char out[64];

	CHECK_INT(ws_tracestate_check(joined, strlen(joined), out, sizeof(out)), 9);
	CHECK_STR(out, "a=1,b@x=2");
	CHECK_INT(ws_tracestate_check(dup, strlen(dup), out, sizeof(out)), -EINVAL);
}

/* A key of n chars: first, then fill. */
static void ts_key(char *buf, size_t n, char first, char fill)
{
	buf[0] = first;
	memset(buf + 1, fill, n - 1);
	buf[n] = '\0';
}

static int ts_check_str(const char *s)
{
	static char out[1024];

	return ws_tracestate_check(s, strlen(s), out, sizeof(out));
}

TEST(tracestate_key_lengths)
{
	char k[600], in[700];

	ts_key(k, 256, 'a', 'b');
	snprintf(in, sizeof(in), "%s=1", k);
	CHECK_INT(ts_check_str(in), 258);
	ts_key(k, 257, 'a', 'b');
	snprintf(in, sizeof(in), "%s=1", k);
	CHECK_INT(ts_check_str(in), -EINVAL);

	ts_key(k, 256, '0', '@');
	snprintf(in, sizeof(in), "%s=1", k);
	CHECK_INT(ts_check_str(in), 258);
	ts_key(k, 257, '0', '@');
	snprintf(in, sizeof(in), "%s=1", k);
	CHECK_INT(ts_check_str(in), -EINVAL);

	/*
	 * Level 1's tenant@system form (tenant 1..241, system 1..14) is one
	 * case of the level 2 key: its bounds are still valid, and what lay
	 * past them is valid up to 256 chars in all.
	 */
	ts_key(k, 241, '0', 't');
	snprintf(in, sizeof(in), "%s@vvvvvvvvvvvvvv=1", k);
	CHECK_INT(ts_check_str(in), 241 + 1 + 14 + 2);
	ts_key(k, 242, '0', 't');
	snprintf(in, sizeof(in), "%s@v=1", k);
	CHECK_INT(ts_check_str(in), 242 + 1 + 1 + 2);
	CHECK_INT(ts_check_str("t@vvvvvvvvvvvvvv=1"), 18);
	CHECK_INT(ts_check_str("t@vvvvvvvvvvvvvvv=1"), 19);
	memset(k, 'v', 254);
	k[254] = '\0';
	snprintf(in, sizeof(in), "t@%s=1", k);
	CHECK_INT(ts_check_str(in), 256 + 2);
	ts_key(k, 250, 'a', 'b');
	snprintf(in, sizeof(in), "%s@vvvvvv=1", k);
	CHECK_INT(ts_check_str(in), -EINVAL); /* 257 chars */
}

TEST(tracestate_value_lengths_and_edges)
{
	char in[600];

	memcpy(in, "k=", 2);
	memset(in + 2, 'x', 256);
	in[258] = '\0';
	CHECK_INT(ts_check_str(in), 258);
	in[258] = 'x';
	in[259] = '\0';
	CHECK_INT(ts_check_str(in), -EINVAL);

	/* 256 chars with a leading space: the space is part of the value. */
	in[2] = ' ';
	in[258] = '\0';
	CHECK_INT(ts_check_str(in), 258);
	/* Trailing spaces are OWS, not value: 256 x then spaces is still valid. */
	memset(in + 2, 'x', 256);
	memcpy(in + 258, "   ", 4);
	CHECK_INT(ts_check_str(in), 258);
	CHECK_INT(ts_check_str("k=~"), 3);
	CHECK_INT(ts_check_str("k=!"), 3);
	CHECK_INT(ts_check_str("k= "), -EINVAL);
}

TEST(tracestate_output_space)
{
	const char *v = " a=1 , b=2 ";
	char out[8];

	memset(out, 'X', sizeof(out));
	CHECK_INT(ws_tracestate_check(v, strlen(v), out, 7), -ENOSPC); /* 7 + NUL */
	CHECK_INT(out[0], 'X');					       /* untouched */
	CHECK_INT(ws_tracestate_check(v, strlen(v), out, 8), 7);
	CHECK_STR(out, "a=1,b=2");
	/* Validity is decided before space: an invalid list is -EINVAL even in 0 bytes. */
	CHECK_INT(ws_tracestate_check("A=1", 3, out, 0), -EINVAL);
	CHECK_INT(ws_tracestate_check("a=1", 3, out, 0), -ENOSPC);
	CHECK_INT(ws_tracestate_check("", 0, out, 1), 0);
	CHECK_STR(out, "");
}

TEST(tracestate_respects_len_and_arguments)
{
	const char *v = "a=1,B=2";
	char out[16];

	CHECK_INT(ws_tracestate_check(v, 3, out, sizeof(out)), 3);
	CHECK_INT(ws_tracestate_check(v, 7, out, sizeof(out)), -EINVAL);
	CHECK_INT(ws_tracestate_check(NULL, 3, out, sizeof(out)), -EINVAL);
	CHECK_INT(ws_tracestate_check(NULL, 0, out, sizeof(out)), 0);
	CHECK_INT(ws_tracestate_check(v, 3, NULL, 4), -EINVAL);
}

TEST(tracestate_output_checks_to_itself)
{
	const char *v = "\t,congo=t61rcWkgMzE ,  rojo=00f067aa0ba902b7,,t@dt= x y";
	char out[128], again[128];
	int n;

	n = ws_tracestate_check(v, strlen(v), out, sizeof(out));
	CHECK(n > 0);
	CHECK_INT(ws_tracestate_check(out, n, again, sizeof(again)), n);
	CHECK_STR(again, out);
	CHECK_STR(out, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,t@dt= x y");
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
	CASE(traceparent_ids_with_one_bit_are_valid),
	CASE(traceparent_nul_inside_is_invalid),
	CASE(tracestate_table),
	CASE(tracestate_32_members_valid_33_invalid),
	CASE(tracestate_empty_members_do_not_count),
	CASE(tracestate_joined_header_lines),
	CASE(tracestate_key_lengths),
	CASE(tracestate_value_lengths_and_edges),
	CASE(tracestate_output_space),
	CASE(tracestate_respects_len_and_arguments),
	CASE(tracestate_output_checks_to_itself),
	CASE(hex_is_lower_case_and_terminated),
	CASE(hex_round_trips_through_parse),
	CASE(ids_are_non_zero_and_distinct),
	CASE(threads_get_different_sequences),
	CASE(forked_child_does_not_repeat_parent_ids),
};

CHECK_MAIN("tracectx", cases)
