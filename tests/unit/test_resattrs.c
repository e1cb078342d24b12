// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * OTEL_RESOURCE_ATTRIBUTES parsing: table rows of input -> the attributes
 * kept and the entries dropped, the bounds (count, key and value length,
 * buffer), later keys replacing earlier ones, and random inputs that must
 * keep every invariant (run under ASan/UBSan too).
 */
#include <stdlib.h>

#include "check.h"
#include "resattrs.h"

/* The set as "k=v;k=v;" (keys in insertion order), for comparing with a row. */
static const char *dump(const struct ws_res_attrs *s)
{
	static char out[8192];
	size_t n = 0;

	out[0] = '\0';
	for (unsigned int i = 0; i < s->n; i++)
		n += snprintf(out + n, sizeof(out) - n, "%s=%s;", ws_res_attr_key(s, i),
			      ws_res_attr_val(s, i));
	return out;
}

TEST(entries_are_parsed_decoded_and_bad_ones_dropped)
{
	static const struct {
		const char *in, *want;
		int dropped;
	} rows[] = {
		{ "", "", 0 },
		{ "a=1", "a=1;", 0 },
		{ "deployment.environment=prod,team=payments",
		  "deployment.environment=prod;team=payments;", 0 },
		/* OWS around keys and values is trimmed; empty entries are not entries */
		{ " a = 1 ,, \tb=2\t, ", "a=1;b=2;", 0 },
		/* percent-decoding of keys and values, either case; '=' and ',' only encoded */
		{ "k%3Dx=a%2Cb%3dc%20d", "k=x=a,b=c d;", 0 },
		{ "url=http://x/?q=1", "url=http://x/?q=1;", 0 },
		/* UTF-8 passes through (encoded or not) */
		{ "city=Z%C3%BCrich,m=\xc3\xa9", "city=Z\xc3\xbcrich;m=\xc3\xa9;", 0 },
		/* an empty value is a value; an empty key is not a key */
		{ "a=,=b,c=3", "a=;c=3;", 1 },
		/* no '=' */
		{ "novalue,a=1", "a=1;", 1 },
		/* bad percent-encoding: cut or not hex */
		{ "a=%4,b=%zz,c=%,d=ok%", "", 4 },
		/* decodes to NUL or another control character */
		{ "a=x%00y,b=x%0Ay,c=%7F,d=tab%09", "", 4 },
		{ "a=x\ny,b=1", "b=1;", 1 },
		/* a later key replaces an earlier one, longer or shorter */
		{ "a=1,b=2,a=333,b=", "a=333;b=;", 0 },
		/* ';' has no meaning here (no baggage properties) */
		{ "a=1;p=2", "a=1;p=2;", 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_res_attrs s;
		int dropped;

		ws_res_attrs_init(&s);
		dropped = ws_res_attrs_parse(&s, rows[i].in, strlen(rows[i].in));
		if (strcmp(dump(&s), rows[i].want) || dropped != rows[i].dropped)
			fprintf(stderr, "    row %zu: '%s' -> '%s', %d dropped\n", i, rows[i].in,
				dump(&s), dropped);
		CHECK_STR(dump(&s), rows[i].want);
		CHECK_INT(dropped, rows[i].dropped);
		CHECK_INT(s.dropped, rows[i].dropped);
	}
}

TEST(input_is_read_to_len_only)
{
	struct ws_res_attrs s;

	ws_res_attrs_init(&s);
	/* "a=12" of "a=123,b=4": not NUL-terminated where it ends */
	CHECK_INT(ws_res_attrs_parse(&s, "a=123,b=4", 4), 0);
	CHECK_STR(dump(&s), "a=12;");
	CHECK_INT(ws_res_attrs_parse(&s, NULL, 10), 0);
}

TEST(bounds_drop_and_count_never_cut)
{
	char in[40000], key[WS_RES_KEY_MAX + 2], val[WS_RES_VALUE_MAX + 2];
	struct ws_res_attrs s;
	size_t n = 0;

	/* longest key and value fit; one byte more does not */
	memset(key, 'k', sizeof(key));
	memset(val, 'v', sizeof(val));
	ws_res_attrs_init(&s);
	n = snprintf(in, sizeof(in), "%.*s=1,%.*s=2,a=%.*s,b=%.*s", WS_RES_KEY_MAX, key,
		     WS_RES_KEY_MAX + 1, key, WS_RES_VALUE_MAX, val, WS_RES_VALUE_MAX + 1, val);
	CHECK_INT(ws_res_attrs_parse(&s, in, n), 2);
	CHECK_INT(s.n, 2);
	CHECK_INT(s.a[0].klen, WS_RES_KEY_MAX);
	CHECK_INT(strlen(ws_res_attrs_get(&s, "a")), WS_RES_VALUE_MAX);
	/* percent-encoded bytes count once decoded: 512 "%41" are 512 bytes */
	ws_res_attrs_init(&s);
	n = snprintf(in, sizeof(in), "a=");
	for (int i = 0; i < WS_RES_VALUE_MAX; i++)
		n += snprintf(in + n, sizeof(in) - n, "%%41");
	CHECK_INT(ws_res_attrs_parse(&s, in, n), 0);
	CHECK_INT(strlen(ws_res_attrs_get(&s, "a")), WS_RES_VALUE_MAX);

	/* 40 entries: 32 kept, 8 counted */
	ws_res_attrs_init(&s);
	n = 0;
	for (int i = 0; i < 40; i++)
		n += snprintf(in + n, sizeof(in) - n, "k%d=%d,", i, i);
	CHECK_INT(ws_res_attrs_parse(&s, in, n), 8);
	CHECK_INT(s.n, WS_RES_ATTRS_MAX);
	CHECK_STR(ws_res_attrs_get(&s, "k31"), "31");
	CHECK(ws_res_attrs_get(&s, "k32") == NULL);
	/* replacing a kept key still works when the set is full */
	CHECK_INT(ws_res_attrs_parse(&s, "k0=zero", 7), 0);
	CHECK_STR(ws_res_attrs_get(&s, "k0"), "zero");

	/* the buffer: six 500-byte values fill 2048 bytes after four */
	ws_res_attrs_init(&s);
	n = 0;
	for (int i = 0; i < 6; i++)
		n += snprintf(in + n, sizeof(in) - n, "v%d=%.*s,", i, 500, val);
	CHECK_INT(ws_res_attrs_parse(&s, in, n), 2);
	CHECK_INT(s.n, 4);
	CHECK(s.used <= WS_RES_ATTRS_BUF);
	CHECK_INT(s.dropped, 2);
}

TEST(get_and_set)
{
	struct ws_res_attrs s;

	memset(&s, 0, sizeof(s)); /* a zeroed struct is an empty set */
	CHECK(ws_res_attrs_get(&s, "a") == NULL);
	CHECK_INT(ws_res_attrs_set(&s, "a", 1, "xyz", 3), 0);
	CHECK_INT(ws_res_attrs_set(&s, "ab", 1, "q", 1), 0); /* "a" again: klen counts */
	CHECK_STR(ws_res_attrs_get(&s, "a"), "q");
	CHECK(ws_res_attrs_get(&s, "ab") == NULL);
	CHECK_INT(s.n, 1);
}

/* xorshift: reproducible random inputs */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Random bytes from a small alphabet rich in separators: the invariants always hold. */
TEST(random_inputs_keep_every_invariant)
{
	static const char alphabet[] = "ab=,% \t0A9fz\x01\xc3\xa9.%=";
	char in[4096];
	struct ws_res_attrs s;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rnd() % sizeof(in);
		int dropped;

		for (size_t i = 0; i < len; i++)
			in[i] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		ws_res_attrs_init(&s);
		dropped = ws_res_attrs_parse(&s, in, len);
		CHECK(dropped >= 0);
		CHECK(s.n <= WS_RES_ATTRS_MAX && s.used <= WS_RES_ATTRS_BUF);
		for (unsigned int i = 0; i < s.n; i++) {
			const char *k = ws_res_attr_key(&s, i), *v = ws_res_attr_val(&s, i);

			CHECK(s.a[i].klen > 0 && s.a[i].klen <= WS_RES_KEY_MAX);
			CHECK(s.a[i].vlen <= WS_RES_VALUE_MAX);
			CHECK_INT(strlen(k), s.a[i].klen);
			CHECK_INT(strlen(v), s.a[i].vlen);
			for (const char *c = k; *c; c++)
				CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
			for (const char *c = v; *c; c++)
				CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
		}
		if (check_failed_in_test) {
			fprintf(stderr, "    iteration %d\n", iter);
			break;
		}
	}
}

static const struct check_case cases[] = {
	CASE(entries_are_parsed_decoded_and_bad_ones_dropped),
	CASE(input_is_read_to_len_only),
	CASE(bounds_drop_and_count_never_cut),
	CASE(get_and_set),
	CASE(random_inputs_keep_every_invariant),
};
CHECK_MAIN("resattrs", cases)
