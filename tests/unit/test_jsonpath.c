/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the JSON path extractor: a table of documents, paths and
 * answers (found values with every escape form, skipped arrays and nested
 * objects, duplicates, wrong types, malformed JSON, nesting limits, values
 * too long). Every row is also run on every prefix of its document, each
 * in a buffer of exactly that size (ASan sees any read past it): a prefix
 * gives the row's answer or "not found", never anything else.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "jsonpath.h"

/* A Stripe-like event (shape of a payment_intent.succeeded delivery, ids made up). */
static const char stripe_event[] =
	"{\n"
	"  \"id\": \"evt_3Nq0aXJ2eZvKYlo21x5b1WvQ\",\n"
	"  \"object\": \"event\",\n"
	"  \"api_version\": \"2023-08-16\",\n"
	"  \"created\": 1694639876,\n"
	"  \"data\": {\n"
	"    \"object\": {\n"
	"      \"id\": \"pi_3Nq0aXJ2eZvKYlo21Lr4hWq5\",\n"
	"      \"object\": \"payment_intent\",\n"
	"      \"amount\": 2000,\n"
	"      \"amount_details\": {\"tip\": {}},\n"
	"      \"automatic_payment_methods\": null,\n"
	"      \"charges\": {\"data\": [{\"id\": \"ch_1\", \"metadata\": {\"trace_parent\": \"no\"}}],\n"
	"                  \"has_more\": false},\n"
	"      \"livemode\": false,\n"
	"      \"metadata\": {\n"
	"        \"order_id\": \"6735\",\n"
	"        \"trace_parent\": \"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"\n"
	"      },\n"
	"      \"payment_method_types\": [\"card\"],\n"
	"      \"status\": \"succeeded\"\n"
	"    },\n"
	"    \"previous_attributes\": null\n"
	"  },\n"
	"  \"livemode\": false,\n"
	"  \"type\": \"payment_intent.succeeded\"\n"
	"}\n";

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

struct row {
	const char *name;
	const char *json;
	const char *path;
	int want; /* >= 0: found, the value is val; else the error */
	const char *val;
	size_t outsz; /* 0: 256 */
};

static const struct row rows[] = {
	{ "stripe_event", stripe_event, "data.object.metadata.trace_parent", 55, TP, 0 },
	{ "stripe_event_other_field", stripe_event, "type", 24, "payment_intent.succeeded", 0 },
	{ "top_level", "{\"a\":\"v\"}", "a", 1, "v", 0 },
	{ "whitespace_everywhere", " \t\r\n{ \"a\" :\n{\"b\"\t: \"v\" } }", "a.b", 1, "v", 0 },
	{ "empty_value", "{\"a\":\"\"}", "a", 0, "", 0 },
	/* escapes */
	{ "simple_escapes", "{\"a\":\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\"}", "a", 11,
	  "q\"b\\s/\b\f\n\r\t", 0 },
	{ "u_escape_ascii_and_2_3_bytes", "{\"a\":\"\\u0041\\u00e9\\u20AC\"}", "a", 6,
	  "A\xc3\xa9\xe2\x82\xac", 0 },
	{ "surrogate_pair", "{\"a\":\"\\ud83d\\ude00\"}", "a", 4, "\xf0\x9f\x98\x80", 0 },
	{ "lone_high_surrogate", "{\"a\":\"\\ud800x\"}", "a", 4, "\xef\xbf\xbdx", 0 },
	{ "lone_high_surrogate_at_end", "{\"a\":\"\\ud800\"}", "a", 3, "\xef\xbf\xbd", 0 },
	{ "high_surrogate_then_other_escape", "{\"a\":\"\\ud800\\u0041\"}", "a", 4,
	  "\xef\xbf\xbd"
	  "A",
	  0 },
	{ "high_surrogate_then_n", "{\"a\":\"\\ud800\\n\"}", "a", 4, "\xef\xbf\xbd\n", 0 },
	{ "lone_low_surrogate", "{\"a\":\"\\udc00\"}", "a", 3, "\xef\xbf\xbd", 0 },
	{ "raw_utf8_passes", "{\"a\":\"\xc3\xa9t\xc3\xa9\"}", "a", 5, "\xc3\xa9t\xc3\xa9", 0 },
	{ "escaped_key_matches", "{\"trace\\u005fparent\":\"v\"}", "trace_parent", 1, "v", 0 },
	{ "key_in_a_skipped_string", "{\"x\":\"\\\"b\\\":\\\"no\\\"\",\"b\":\"yes\"}", "b", 3,
	  "yes", 0 },
	/* what is skipped */
	{ "arrays_skipped", "{\"a\":[1,[2,{\"b\":\"no\"}],\"x\",[]],\"b\":\"yes\"}", "b", 3, "yes",
	  0 },
	{ "nested_same_key_skipped", "{\"x\":{\"b\":\"no\",\"y\":{}},\"b\":\"yes\"}", "b", 3, "yes",
	  0 },
	{ "scalars_skipped",
	  "{\"t\":true,\"f\":false,\"n\":null,\"i\":-0,\"d\":-1.5e+10,\"e\":2E-3,\"b\":\"yes\"}",
	  "b", 3, "yes", 0 },
	{ "first_duplicate_wins", "{\"b\":\"first\",\"b\":\"second\"}", "b", 5, "first", 0 },
	{ "first_duplicate_object_is_followed", "{\"a\":{\"c\":1},\"a\":{\"b\":\"v\"}}", "a.b",
	  -ENOENT, NULL, 0 },
	/* not there */
	{ "absent", "{\"x\":1}", "a", -ENOENT, NULL, 0 },
	{ "empty_object", "{}", "a", -ENOENT, NULL, 0 },
	{ "empty_input", "", "a", -ENOENT, NULL, 0 },
	{ "only_space", "   ", "a", -ENOENT, NULL, 0 },
	{ "number_is_not_a_string", "{\"a\":12}", "a", -ENOENT, NULL, 0 },
	{ "null_is_not_a_string", "{\"a\":null}", "a", -ENOENT, NULL, 0 },
	{ "object_is_not_a_string", "{\"a\":{\"b\":\"v\"}}", "a", -ENOENT, NULL, 0 },
	{ "path_through_a_string", "{\"a\":\"s\"}", "a.b", -ENOENT, NULL, 0 },
	{ "path_through_an_array", "{\"a\":[{\"b\":\"v\"}]}", "a.b", -ENOENT, NULL, 0 },
	{ "top_level_array", "[{\"a\":\"v\"}]", "a", -ENOENT, NULL, 0 },
	{ "cut_inside_the_value", "{\"a\":\"00-4bf9", "a", -ENOENT, NULL, 0 },
	{ "cut_before_the_value", "{\"x\":[1,2,{\"y\":", "a", -ENOENT, NULL, 0 },
	{ "cut_after_a_number", "{\"x\":12", "a", -ENOENT, NULL, 0 },
	/* not JSON */
	{ "missing_colon", "{\"a\" \"v\"}", "a", -EINVAL, NULL, 0 },
	{ "bare_key", "{a:\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "bad_literal", "{\"x\":tru,\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "leading_zero", "{\"x\":01,\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "bare_minus", "{\"x\":-,\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "dot_without_digits", "{\"x\":1.,\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "exponent_without_digits", "{\"x\":1e,\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "bad_escape", "{\"x\":\"\\q\",\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "bad_u_escape", "{\"x\":\"\\u00g0\",\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "raw_control_char", "{\"x\":\"a\nb\",\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "raw_control_char_in_value", "{\"a\":\"a\tb\"}", "a", -EINVAL, NULL, 0 },
	{ "trailing_comma_object", "{\"x\":1,}", "a", -EINVAL, NULL, 0 },
	{ "trailing_comma_array", "{\"x\":[1,],\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "mismatched_close", "{\"x\":[1},\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "garbage_value", "{\"x\":@,\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	{ "garbage_after_member", "{\"x\":1 2,\"a\":\"v\"}", "a", -EINVAL, NULL, 0 },
	/* sizes */
	{ "value_too_long", "{\"a\":\"0123456789abcdef\"}", "a", -ENOSPC, NULL, 16 },
	{ "value_just_fits", "{\"a\":\"0123456789abcde\"}", "a", 15, "0123456789abcde", 16 },
	{ "long_key_is_not_a_match",
	  "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":\"x\",\"a\":\"v\"}",
	  "a", 1, "v", 0 },
};

static int find(const char *json, size_t len, const char *path, char *out, size_t outsz)
{
	struct ws_jsonpath p;

	CHECK_INT(ws_jsonpath_parse(path, strlen(path), &p), 0);
	return ws_json_find_string(json, len, &p, out, outsz);
}

TEST(test_rows)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		size_t outsz = r->outsz ? r->outsz : 256;
		char out[256];
		int got;

		memset(out, 'Z', sizeof(out));
		got = find(r->json, strlen(r->json), r->path, out, outsz);
		if (got != r->want)
			fprintf(stderr, "    row %s:\n", r->name);
		CHECK_INT(got, r->want);
		if (got >= 0 && r->want >= 0) {
			CHECK_MEM(out, got, r->val);
			CHECK_INT(out[got], 0);
		}
	}
}

/* Each row on every prefix of its document, in a buffer of exactly that size. */
TEST(test_every_prefix_gives_the_answer_or_not_found)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		size_t n = strlen(r->json), outsz = r->outsz ? r->outsz : 256;
		int full, seen_full = 0;
		char out[256];

		full = find(r->json, n, r->path, out, outsz);
		for (size_t k = 0; k <= n; k++) {
			char *b = malloc(k ? k : 1);
			int got;

			memcpy(b, r->json, k);
			got = find(b, k, r->path, out, outsz);
			free(b);
			if (got != full && got != -ENOENT) {
				fprintf(stderr, "    row %s, prefix %zu: %d\n", r->name, k, got);
				CHECK(0);
				break;
			}
			/* Once found, every longer prefix finds it too. */
			if (seen_full && got != full) {
				fprintf(stderr, "    row %s, prefix %zu lost the answer\n", r->name,
					k);
				CHECK(0);
				break;
			}
			if (got == full && got >= 0) {
				seen_full = 1;
				CHECK_MEM(out, got, r->val);
			}
		}
		CHECK_INT(find(r->json, n, r->path, out, outsz), full);
	}
}

static char *nested(size_t depth, const char *open, const char *close, const char *prefix,
		    const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char *s = malloc(pl + 2 * depth + sl + 1), *p = s;

	memcpy(p, prefix, pl);
	p += pl;
	for (size_t i = 0; i < depth; i++)
		*p++ = *open;
	for (size_t i = 0; i < depth; i++)
		*p++ = *close;
	memcpy(p, suffix, sl + 1);
	return s;
}

TEST(test_nesting_up_to_the_limit_is_skipped)
{
	char *s = nested(WS_JSON_MAX_DEPTH, "[", "]", "{\"x\":", ",\"a\":\"v\"}");
	char out[8];

	CHECK_INT(find(s, strlen(s), "a", out, sizeof(out)), 1);
	free(s);
}

TEST(test_nesting_past_the_limit_is_refused)
{
	char *s = nested(WS_JSON_MAX_DEPTH + 1, "[", "]", "{\"x\":", ",\"a\":\"v\"}");
	char out[8];

	CHECK_INT(find(s, strlen(s), "a", out, sizeof(out)), -E2BIG);
	free(s);
}

/* A hostile body: a million opening brackets costs one pass and no stack. */
TEST(test_million_brackets_are_refused_without_recursion)
{
	size_t n = 1000000;
	char *s = malloc(n + 6), out[8];

	memcpy(s, "{\"x\":", 5);
	memset(s + 5, '[', n);
	CHECK_INT(find(s, n + 5, "a", out, sizeof(out)), -E2BIG);
	free(s);
}

TEST(test_null_and_bad_arguments)
{
	struct ws_jsonpath p;
	char out[8];

	CHECK_INT(ws_jsonpath_parse("a", 1, &p), 0);
	CHECK_INT(ws_json_find_string(NULL, 10, &p, out, sizeof(out)), -ENOENT);
	CHECK_INT(ws_json_find_string("{}", 2, NULL, out, sizeof(out)), -EINVAL);
	CHECK_INT(ws_json_find_string("{}", 2, &p, NULL, 8), -EINVAL);
	CHECK_INT(ws_json_find_string("{}", 2, &p, out, 0), -EINVAL);
	/* One byte of room holds only the NUL. */
	CHECK_INT(ws_json_find_string("{\"a\":\"\"}", 8, &p, out, 1), 0);
	CHECK_INT(ws_json_find_string("{\"a\":\"x\"}", 9, &p, out, 1), -ENOSPC);
}

TEST(test_path_parse)
{
	static const char *const bad[] = {
		"",
		".",
		"a.",
		".a",
		"a..b",
		"a b",
		"a\"b",
		"a\\b",
		"a\tb",
		"a.b.c.d.e.f.g.h.i",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	struct ws_jsonpath p;

	CHECK_INT(ws_jsonpath_parse("data.object.metadata.trace_parent", 33, &p), 0);
	CHECK_INT(p.nkeys, 4);
	CHECK_STR(p.key[0], "data");
	CHECK_STR(p.key[3], "trace_parent");
	CHECK_INT(p.len[3], 12);
	CHECK_INT(ws_jsonpath_parse("a.b.c.d.e.f.g.h", 15, &p), 0);
	CHECK_INT(p.nkeys, 8);
	CHECK_INT(
		ws_jsonpath_parse("012345678901234567890123456789012345678901234567890123456789012",
				  63, &p),
		0);
	/* len, not the NUL, ends the path. */
	CHECK_INT(ws_jsonpath_parse("a.bX", 3, &p), 0);
	CHECK_INT(p.nkeys, 2);
	CHECK_STR(p.key[1], "b");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = ws_jsonpath_parse(bad[i], strlen(bad[i]), &p);

		if (r != -EINVAL)
			fprintf(stderr, "    path '%s'\n", bad[i]);
		CHECK_INT(r, -EINVAL);
	}
}

static const struct check_case cases[] = {
	CASE(test_rows),
	CASE(test_every_prefix_gives_the_answer_or_not_found),
	CASE(test_nesting_up_to_the_limit_is_skipped),
	CASE(test_nesting_past_the_limit_is_refused),
	CASE(test_million_brackets_are_refused_without_recursion),
	CASE(test_null_and_bad_arguments),
	CASE(test_path_parse),
};

CHECK_MAIN("jsonpath", cases)
