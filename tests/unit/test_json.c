/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the JSON scanner under jsonpath, jsonpick and otlp_resp: strings
 * (every escape, surrogate pairs and lone halves, UTF-8 checked or not, what
 * fits in a short buffer), numbers (int64 edges), member iteration, skipping
 * with its depth limit, and every prefix of a document: a cut is -ENODATA,
 * never a wrong answer, each prefix in a buffer of exactly its size.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "json.h"

/* Scans s (a C string) from the start. */
static struct ws_json at(const char *s, bool utf8)
{
	struct ws_json j;

	ws_json_init(&j, s, strlen(s), utf8);
	return j;
}

TEST(test_string_escapes)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "\"plain\"", "plain" },
		{ "\"x\\\"y\\\\z\\/\"", "x\"y\\z/" },
		{ "\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t" },
		{ "\"caf\\u00e9 \\u20AC\"", "caf\xc3\xa9 \xe2\x82\xac" },
		{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80" }, /* a pair: one code point */
		{ "\"\\ud83d!\"", "\xef\xbf\xbd!" },	      /* lone high half */
		{ "\"\\ude00\"", "\xef\xbf\xbd" },	      /* lone low half */
		{ "\"\\ud83d\\u0041\"", "\xef\xbf\xbd"
					"A" }, /* high, then not its pair */
		{ "\"\\ud83d\\n\"", "\xef\xbf\xbd\n" },
		{ "\"raw \xc3\xa9\"", "raw \xc3\xa9" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_json j = at(rows[i].in, true);
		char out[32];
		size_t n = 99;

		CHECK_INT(ws_json_string(&j, out, sizeof(out), &n), 0);
		CHECK_MEM(out, n, rows[i].out);
		CHECK_INT(j.pos, strlen(rows[i].in));
	}
}

TEST(test_string_errors)
{
	static const struct {
		const char *in;
		int want;
	} rows[] = {
		{ "\"abc", -ENODATA },
		{ "\"ab\\", -ENODATA },
		{ "\"\\u00", -ENODATA },
		{ "\"\\u0g", -EINVAL }, /* bad hex before the cut: wrong, not cut */
		{ "\"\\ud83d\\", -ENODATA },
		{ "\"\\ud83d\\u12", -ENODATA },
		{ "\"\\ud83d\\uzz", -EINVAL },
		{ "\"\\q\"", -EINVAL },
		{ "\"a\nb\"", -EINVAL }, /* control characters must be escaped */
		{ "x", -EINVAL },
		{ "", -ENODATA },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_json j = at(rows[i].in, false);
		size_t n;

		CHECK_INT(ws_json_string(&j, NULL, 0, &n), rows[i].want);
	}
}

TEST(test_string_utf8_checked_only_when_asked)
{
	static const char bad[] = "\"\xc3(\"", cut[] = "\"\xe2\x82\"";
	struct ws_json j;
	size_t n;

	j = at(bad, false);
	CHECK_INT(ws_json_string(&j, NULL, 0, &n), 0);
	CHECK_INT(n, 2);
	j = at(bad, true);
	CHECK_INT(ws_json_string(&j, NULL, 0, &n), -EINVAL);
	j = at(cut, true);
	CHECK_INT(ws_json_string(&j, NULL, 0, &n), -EINVAL);
}

TEST(test_string_keeps_what_fits_and_counts_all)
{
	struct ws_json j = at("\"ab\\u20ACcd\"", false);
	char out[8] = "#######";
	size_t n;

	CHECK_INT(ws_json_string(&j, out, 4, &n), 0);
	CHECK_INT(n, 7);
	CHECK_MEM(out, 4, "ab\xe2\x82");
	CHECK_INT(out[4], '#');
}

TEST(test_numbers)
{
	static const struct {
		const char *in;
		int rc;
		bool is_int;
		int64_t v;
		size_t end;
	} rows[] = {
		{ "0", 0, true, 0, 1 },
		{ "-0", 0, true, 0, 2 },
		{ "42,", 0, true, 42, 2 },
		{ "9223372036854775807", 0, true, INT64_MAX, 19 },
		{ "-9223372036854775808", 0, true, INT64_MIN, 20 },
		{ "9223372036854775808", 0, false, 0, 19 },
		{ "99999999999999999999999", 0, false, 0, 23 },
		{ "1.5", 0, false, 0, 3 },
		{ "1e3", 0, false, 0, 3 },
		{ "-2.5E-3]", 0, false, 0, 7 },
		{ "01", 0, true, 0, 1 }, /* "0", then whatever 1 is to the caller */
		{ "-", -ENODATA, false, 0, 0 },
		{ "1.", -ENODATA, false, 0, 0 },
		{ "1e+", -ENODATA, false, 0, 0 },
		{ "1.x", -EINVAL, false, 0, 0 },
		{ "-x", -EINVAL, false, 0, 0 },
		{ "+1", -EINVAL, false, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_json j = at(rows[i].in, false);
		bool is_int = !rows[i].is_int;
		int64_t v = -1;

		CHECK_INT(ws_json_number(&j, &v, &is_int), rows[i].rc);
		if (rows[i].rc)
			continue;
		CHECK_INT(is_int, rows[i].is_int);
		if (is_int)
			CHECK_INT(v, rows[i].v);
		CHECK_INT(j.pos, rows[i].end);
	}
}

TEST(test_members)
{
	struct ws_json j = at("{ \"a\" : 1 , \"b\\u0063\":[{\"x\":2}],\"c\":null }", false);
	bool first = true;
	char key[8];
	size_t n;

	CHECK_INT(ws_json_peek(&j), '{');
	j.pos++;
	CHECK_INT(ws_json_member(&j, &first, key, sizeof(key), &n), 1);
	CHECK_MEM(key, n, "a");
	CHECK_INT(ws_json_skip(&j, 1), 0);
	CHECK_INT(ws_json_member(&j, &first, key, sizeof(key), &n), 1);
	CHECK_MEM(key, n, "bc");
	CHECK_INT(ws_json_skip(&j, 2), 0);
	CHECK_INT(ws_json_member(&j, &first, key, sizeof(key), &n), 1);
	CHECK_MEM(key, n, "c");
	CHECK_INT(ws_json_peek(&j), 'n');
	CHECK(ws_json_null(&j));
	CHECK_INT(ws_json_member(&j, &first, key, sizeof(key), &n), 0);
	CHECK_INT(ws_json_peek(&j), -ENODATA);
}

TEST(test_member_errors)
{
	static const char *const bad[] = { "{,\"a\":1}", "{\"a\" 1}", "{\"a\":1 \"b\":2}",
					   "{1:2}" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ws_json j = at(bad[i], false);
		bool first = true;
		size_t n;
		int r;

		j.pos++;
		while ((r = ws_json_member(&j, &first, NULL, 0, &n)) == 1 && !ws_json_skip(&j, 8))
			;
		CHECK_INT(r, -EINVAL);
	}
}

TEST(test_skip)
{
	static const struct {
		const char *in;
		int rc;
	} rows[] = {
		{ "{\"a\":[1,true,false,null,\"s\",{},[]],\"b\":{\"c\":-1.5e2}} ", 0 },
		{ "[]", 0 },
		{ "\"x\"", 0 },
		{ "[1,]", -EINVAL },
		{ "[1 2]", -EINVAL },
		{ "{\"a\":1,}", -EINVAL },
		{ "[tru]", -EINVAL },
		{ "[nul", -ENODATA },
		{ "{\"a\":[1,2", -ENODATA },
		{ "[1}", -EINVAL },
		{ "}", -EINVAL },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_json j = at(rows[i].in, false);

		CHECK_INT(ws_json_skip(&j, 8), rows[i].rc);
	}
}

/* depth opening brackets, then as many closing. */
static char *nested(size_t depth)
{
	char *s = malloc(2 * depth + 1);

	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	return s;
}

TEST(test_skip_depth_limit)
{
	char *ok = nested(WS_JSON_MAX_DEPTH), *deep = nested(WS_JSON_MAX_DEPTH + 1);
	char *huge = nested(1000000);
	struct ws_json j;

	j = at(ok, false);
	CHECK_INT(ws_json_skip(&j, WS_JSON_MAX_DEPTH), 0);
	j = at(deep, false);
	CHECK_INT(ws_json_skip(&j, WS_JSON_MAX_DEPTH), -E2BIG);
	j = at(deep, false);
	CHECK_INT(ws_json_skip(&j, WS_JSON_MAX_DEPTH + 1), 0);
	/* No recursion: a million brackets cost a refusal, not the stack. */
	j = at(huge, false);
	CHECK_INT(ws_json_skip(&j, 1000000), -E2BIG);
	free(ok);
	free(deep);
	free(huge);
}

TEST(test_every_prefix_is_cut_or_whole)
{
	static const char doc[] = "{\"k\\u00e9y\":[1,-2.5e+3,true,false,null,{\"s\":\"a\\\"b\\ud83d"
				  "\\ude00\\ud83d\"}],\"e\":{}}";
	size_t len = sizeof(doc) - 1;

	for (size_t cut = 0; cut <= len; cut++) {
		char *buf = malloc(cut ? cut : 1);
		struct ws_json j;
		int r;

		memcpy(buf, doc, cut);
		ws_json_init(&j, buf, cut, true);
		r = ws_json_skip(&j, 8);
		if (r != (cut == len ? 0 : -ENODATA))
			fprintf(stderr, "    prefix %zu: %d\n", cut, r);
		CHECK_INT(r, cut == len ? 0 : -ENODATA);
		CHECK(j.pos <= cut);
		free(buf);
	}
}

TEST(test_null_and_empty)
{
	struct ws_json j;

	ws_json_init(&j, NULL, 10, true);
	CHECK_INT(j.len, 0);
	CHECK_INT(ws_json_peek(&j), -ENODATA);
	CHECK_INT(ws_json_skip(&j, 8), -ENODATA);
	CHECK(!ws_json_null(&j));
	j = at("  \t\n", false);
	CHECK_INT(ws_json_peek(&j), -ENODATA);
	j = at("nul", false);
	CHECK(!ws_json_null(&j));
	CHECK_INT(j.pos, 0);
}

static const struct check_case cases[] = {
	CASE(test_string_escapes),
	CASE(test_string_errors),
	CASE(test_string_utf8_checked_only_when_asked),
	CASE(test_string_keeps_what_fits_and_counts_all),
	CASE(test_numbers),
	CASE(test_members),
	CASE(test_member_errors),
	CASE(test_skip),
	CASE(test_skip_depth_limit),
	CASE(test_every_prefix_is_cut_or_whole),
	CASE(test_null_and_empty),
};

CHECK_MAIN("json", cases)
