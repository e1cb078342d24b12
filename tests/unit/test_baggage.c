// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of W3C Baggage: the allowlist parser, the walk over a baggage header
 * (OWS, properties, invalid members, duplicates, the 64-member and 8192-byte
 * limits, allowlist matching) and the percent-decoder (escapes, invalid
 * escapes, control characters, UTF-8, the output limit).
 */
#include <errno.h>
#include <stdbool.h>

#include "baggage.h"
#include "check.h"

/* Allowlist */

TEST(allowlist_parses_keys_in_order)
{
	const char *csv = "partnerId, tenant\t,user-id";
	struct ws_baggage_allow a;

	CHECK_INT(ws_baggage_parse_allowlist(csv, &a), 0);
	CHECK_INT(a.nkeys, 3);
	CHECK_MEM(a.keys[0], a.klens[0], "partnerId");
	CHECK_MEM(a.keys[1], a.klens[1], "tenant");
	CHECK_MEM(a.keys[2], a.klens[2], "user-id");
	/* Keys point into csv: nothing is copied. */
	CHECK(a.keys[0] == csv);
	CHECK(a.keys[2] == csv + 19);
}

TEST(allowlist_empty_forms)
{
	struct ws_baggage_allow a;

	CHECK_INT(ws_baggage_parse_allowlist(NULL, &a), 0);
	CHECK_INT(a.nkeys, 0);
	CHECK_INT(ws_baggage_parse_allowlist("", &a), 0);
	CHECK_INT(a.nkeys, 0);
	CHECK_INT(ws_baggage_parse_allowlist(" , ,\t", &a), 0);
	CHECK_INT(a.nkeys, 0);
	CHECK_INT(ws_baggage_parse_allowlist("a,,b,", &a), 0);
	CHECK_INT(a.nkeys, 2);
	CHECK_INT(ws_baggage_parse_allowlist("a", NULL), -EINVAL);
}

TEST(allowlist_duplicates_kept_once)
{
	struct ws_baggage_allow a;

	CHECK_INT(ws_baggage_parse_allowlist("a,b,a, b", &a), 0);
	CHECK_INT(a.nkeys, 2);
	/* Case-sensitive: these are two keys. */
	CHECK_INT(ws_baggage_parse_allowlist("a,A", &a), 0);
	CHECK_INT(a.nkeys, 2);
}

TEST(allowlist_rejects_non_tokens)
{
	static const char *const bad[] = {
		"a b", "a=b", "a;b",	     "a\"",   "a\\b",	    "(a)",
		"a/b", "a:b", "caf\xc3\xa9", "a\x01", "ok,bad key",
	};
	struct ws_baggage_allow a = { .nkeys = 7 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ws_baggage_parse_allowlist(bad[i], &a) != -EINVAL)
			fprintf(stderr, "    accepted \"%s\"\n", bad[i]);
		CHECK_INT(ws_baggage_parse_allowlist(bad[i], &a), -EINVAL);
	}
	CHECK_INT(a.nkeys, 7); /* untouched */
	CHECK_INT(ws_baggage_parse_allowlist("!#$%&'*+-.^_`|~09azAZ", &a), 0);
	CHECK_INT(a.nkeys, 1);
}

TEST(allowlist_16_keys_ok_17_rejected)
{
	const char *k16 = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p";
	const char *k17 = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q";
	const char *k16dup = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,a";
	struct ws_baggage_allow a;

	CHECK_INT(ws_baggage_parse_allowlist(k16, &a), 0);
	CHECK_INT(a.nkeys, 16);
	CHECK_INT(ws_baggage_parse_allowlist(k17, &a), -EINVAL);
	CHECK_INT(ws_baggage_parse_allowlist(k16dup, &a), 0);
	CHECK_INT(a.nkeys, 16);
}

/* Walk */

struct got {
	int n;
	char keys[64][64];
	char vals[64][256];
	const char *kptr[64];
};

static void collect(void *ctx, const char *key, size_t klen, const char *val, size_t vlen)
{
	struct got *g = ctx;

	if (g->n >= 64 || klen >= 64 || vlen >= 256)
		return;
	g->kptr[g->n] = key;
	memcpy(g->keys[g->n], key, klen);
	g->keys[g->n][klen] = '\0';
	memcpy(g->vals[g->n], val, vlen);
	g->vals[g->n][vlen] = '\0';
	g->n++;
}

/* Walks hdr with the allowlist csv into g; returns the walk's result. */
static int walk(const char *csv, const char *hdr, struct got *g)
{
	struct ws_baggage_allow a;

	memset(g, 0, sizeof(*g));
	if (ws_baggage_parse_allowlist(csv, &a))
		return -1000;
	return ws_baggage_each_allowed(hdr, strlen(hdr), &a, collect, g);
}

TEST(walk_spec_example)
{
	const char *h = "key1=value1;property1;property2, key2 = value2, "
			"key3=value3; propertyKey=propertyValue";
	struct got g;

	CHECK_INT(walk("key3,key2", h, &g), 2);
	CHECK_INT(g.n, 2);
	/* Header order, not allowlist order. */
	CHECK_STR(g.keys[0], "key2");
	CHECK_STR(g.vals[0], "value2");
	CHECK_STR(g.keys[1], "key3");
	CHECK_STR(g.vals[1], "value3");
	CHECK_INT(walk("key1", h, &g), 1);
	CHECK_STR(g.vals[0], "value1");
}

TEST(walk_key_is_the_allowlists_copy)
{
	const char *csv = "userId";
	const char *h = "userId=alice";
	struct ws_baggage_allow a;
	struct got g;

	memset(&g, 0, sizeof(g));
	CHECK_INT(ws_baggage_parse_allowlist(csv, &a), 0);
	CHECK_INT(ws_baggage_each_allowed(h, strlen(h), &a, collect, &g), 1);
	CHECK(g.kptr[0] == csv);
}

TEST(walk_ows_and_tabs_trimmed)
{
	struct got g;

	CHECK_INT(walk("a,b,c", " \ta \t= \t1 \t,b=2\t;\tp\t,\t c =3", &g), 3);
	CHECK_STR(g.vals[0], "1");
	CHECK_STR(g.vals[1], "2");
	CHECK_STR(g.vals[2], "3");
}

TEST(walk_empty_allowlist_emits_nothing)
{
	struct ws_baggage_allow a = { .nkeys = 0 };
	struct got g;

	memset(&g, 0, sizeof(g));
	CHECK_INT(ws_baggage_each_allowed("a=1", 3, &a, collect, &g), 0);
	CHECK_INT(ws_baggage_each_allowed("a=1", 3, NULL, collect, &g), 0);
	CHECK_INT(walk("", "a=1,b=2", &g), 0);
	CHECK_INT(g.n, 0);
}

TEST(walk_matching_is_exact_and_case_sensitive)
{
	struct got g;

	CHECK_INT(walk("partnerId",
		       "PartnerId=1,partnerid=2,partnerIdX=3,partner=4,"
		       "xpartnerId=5",
		       &g),
		  0);
	CHECK_INT(walk("partnerId", "partnerIdX=3,partnerId=ok", &g), 1);
	CHECK_STR(g.vals[0], "ok");
}

TEST(walk_invalid_members_skipped)
{
	struct got g;

	/* No '=', key not a token, value with a space, '"', '\', or non-ASCII. */
	CHECK_INT(walk("a,b,t", "a,b c=1,a=x y,a=\"q\",a=x\\y,a=caf\xc3\xa9,t=ok", &g), 1);
	CHECK_STR(g.keys[0], "t");
	/* The first valid a wins, after invalid ones. */
	CHECK_INT(walk("a", "a,a=x y,=1,a=good,a=later", &g), 1);
	CHECK_STR(g.vals[0], "good");
}

TEST(walk_value_edges)
{
	struct got g;

	CHECK_INT(walk("a", "a=", &g), 1);
	CHECK_STR(g.vals[0], "");
	CHECK_INT(walk("a", "a= ;p=1", &g), 1);
	CHECK_STR(g.vals[0], "");
	/* '=' may appear in a value. */
	CHECK_INT(walk("a", "a=x=y==", &g), 1);
	CHECK_STR(g.vals[0], "x=y==");
	/* Every baggage-octet class. */
	CHECK_INT(walk("a", "a=!#$%&'()*+-./09:<=>?@AZ[]^_`az{|}~", &g), 1);
	CHECK_STR(g.vals[0], "!#$%&'()*+-./09:<=>?@AZ[]^_`az{|}~");
	/* The value is passed raw: decoding is the caller's choice. */
	CHECK_INT(walk("serverNode", "serverNode=DF%2028", &g), 1);
	CHECK_STR(g.vals[0], "DF%2028");
	/* Properties are not validated, only ignored. */
	CHECK_INT(walk("a", "a=1;;;bad prop\"=;", &g), 1);
	CHECK_STR(g.vals[0], "1");
}

TEST(walk_duplicates_reported_once)
{
	struct got g;

	CHECK_INT(walk("a,b", "a=1,b=2,a=3,b=4,a=5", &g), 2);
	CHECK_STR(g.keys[0], "a");
	CHECK_STR(g.vals[0], "1");
	CHECK_STR(g.keys[1], "b");
	CHECK_STR(g.vals[1], "2");
}

TEST(walk_joined_header_lines)
{
	struct got g;

	/* "userId=alice" and "serverNode=DF%2028,isProduction=false", joined. */
	CHECK_INT(walk("userId,isProduction", "userId=alice,serverNode=DF%2028,isProduction=false",
		       &g),
		  2);
	CHECK_STR(g.vals[1], "false");
	/* Empty lines leave empty members, which are skipped. */
	CHECK_INT(walk("a", ",, ,a=1,", &g), 1);
}

TEST(walk_respects_len_and_arguments)
{
	const char *h = "a=12,b=3";
	struct ws_baggage_allow a;
	struct got g;

	memset(&g, 0, sizeof(g));
	CHECK_INT(ws_baggage_parse_allowlist("a,b", &a), 0);
	CHECK_INT(ws_baggage_each_allowed(h, 3, &a, collect, &g), 1);
	CHECK_STR(g.vals[0], "1");
	CHECK_INT(ws_baggage_each_allowed(NULL, 3, &a, collect, &g), -EINVAL);
	CHECK_INT(ws_baggage_each_allowed(h, 3, &a, NULL, &g), -EINVAL);
	CHECK_INT(ws_baggage_each_allowed(NULL, 0, &a, collect, &g), 0);
}

/* n members "m<i>=v" (the last one "last=end" when last is set) into buf. */
static size_t members(char *buf, size_t sz, int n, const char *sep, bool last)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (last && i == n - 1)
			o += snprintf(buf + o, sz - o, "%slast=end", i ? sep : "");
		else
			o += snprintf(buf + o, sz - o, "%sm%d=v", i ? sep : "", i);
	}
	return o;
}

TEST(walk_64_members_ok_65_dropped)
{
	static char h[4096];
	struct got g;

	members(h, sizeof(h), 64, ",", true);
	CHECK_INT(walk("m0,last", h, &g), 2);
	members(h, sizeof(h), 65, ",", true);
	/* The first 64 were walked, the 65th was not. */
	CHECK_INT(walk("m0,last", h, &g), -E2BIG);
	CHECK_INT(g.n, 1);
	CHECK_STR(g.keys[0], "m0");
	/* Invalid members count as members; empty ones do not. */
	members(h, sizeof(h), 64, ", ,,", true);
	CHECK_INT(walk("m0,last", h, &g), 2);
	members(h, sizeof(h), 65, ",", true);
	h[0] = '('; /* "(0=v": invalid, still counted */
	CHECK_INT(walk("last", h, &g), -E2BIG);
	CHECK_INT(g.n, 0);
}

/* A header of exactly len bytes: "a=1," then filler members, then tail. */
static void sized(char *buf, size_t len, const char *tail)
{
	size_t tl = strlen(tail);

	memset(buf, ' ', len - tl);
	memcpy(buf, "a=1,", 4);
	memcpy(buf + len - tl, tail, tl);
	buf[len] = '\0';
}

TEST(walk_8192_bytes_ok_more_dropped)
{
	static char h[WS_BAGGAGE_MAX_BYTES + 64];
	struct got g;

	sized(h, WS_BAGGAGE_MAX_BYTES, ",z=last");
	CHECK_INT(walk("a,z", h, &g), 2);
	CHECK_STR(g.vals[1], "last");

	/* One byte more: the last member crosses the limit and is dropped whole. */
	sized(h, WS_BAGGAGE_MAX_BYTES + 1, ",z=last");
	CHECK_INT(walk("a,z", h, &g), -E2BIG);
	CHECK_INT(g.n, 1);
	CHECK_STR(g.keys[0], "a");

	/* A member that ends right at the limit is kept. */
	sized(h, WS_BAGGAGE_MAX_BYTES + 20, ",z=last,y=after");
	memmove(h + WS_BAGGAGE_MAX_BYTES - 7, ",z=last,y=after", 15);
	memset(h + WS_BAGGAGE_MAX_BYTES + 8, ' ', 12);
	CHECK_INT(h[WS_BAGGAGE_MAX_BYTES], ',');
	CHECK_INT(walk("a,z,y", h, &g), -E2BIG);
	CHECK_INT(g.n, 2);
	CHECK_STR(g.vals[1], "last");
}

/* Percent-decoding */

struct pct_row {
	const char *why;
	const char *in;
	const char *out;
};

static const struct pct_row pct_rows[] = {
	{ "plain", "alice", "alice" },
	{ "empty", "", "" },
	{ "space", "DF%2028", "DF 28" },
	{ "lower- and upper-case hex", "%2f%2F%3d", "//=" },
	{ "plus is not a space", "a+b", "a+b" },
	{ "comma and semicolon", "%2C%3B", ",;" },
	{ "percent itself", "100%25", "100%" },
	{ "lone percent kept", "100%", "100%" },
	{ "one digit kept", "%4", "%4" },
	{ "non-hex kept", "%zz%g0%0g", "%zz%g0%0g" },
	{ "escape after a kept percent", "%%41", "%A" },
	{ "NUL", "a%00b", "a?b" },
	{ "newline and CR", "%0d%0Ax", "??x" },
	{ "escape sequence", "%1b[31mred", "?[31mred" },
	{ "DEL", "%7f", "?" },
	{ "raw control chars", "a\tb\x01", "a?b?" },
	{ "UTF-8 two bytes", "caf%C3%A9", "caf\xc3\xa9" },
	{ "UTF-8 raw", "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "UTF-8 mixed raw and encoded", "\xc3%A9", "\xc3\xa9" },
	{ "UTF-8 four bytes", "%F0%9F%98%80", "\xf0\x9f\x98\x80" },
	{ "UTF-8 three bytes", "%E2%82%AC", "\xe2\x82\xac" },
	{ "NBSP kept", "%C2%A0", "\xc2\xa0" },
	{ "C1 control", "%C2%85%C2%9B", "??" },
	{ "lone lead byte", "%C3", "\xef\xbf\xbd" },
	{ "lead byte then ASCII", "%C3x", "\xef\xbf\xbdx" },
	{ "cut three-byte sequence", "%E2%82", "\xef\xbf\xbd" },
	{ "cut sequence before a control", "%E2%0a", "\xef\xbf\xbd?" },
	{ "lone continuation", "%A9", "\xef\xbf\xbd" },
	{ "overlong slash", "%C0%AF", "\xef\xbf\xbd\xef\xbf\xbd" },
	{ "overlong three bytes", "%E0%80%AF", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "surrogate", "%ED%A0%80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "past U+10FFFF", "%F4%90%80%80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "F5 never starts", "%F5", "\xef\xbf\xbd" },
	{ "FF", "%FF", "\xef\xbf\xbd" },
	{ "encoded percent is not decoded twice", "%2541", "%41" },
};

TEST(pct_decode_table)
{
	for (size_t i = 0; i < sizeof(pct_rows) / sizeof(pct_rows[0]); i++) {
		const struct pct_row *r = &pct_rows[i];
		char out[64];
		size_t n;

		n = ws_pct_decode(r->in, strlen(r->in), out, sizeof(out));
		if (n != strlen(r->out) || memcmp(out, r->out, n))
			fprintf(stderr, "    row \"%s\"\n", r->why);
		CHECK_MEM(out, n, r->out);
	}
}

TEST(pct_decode_never_cuts_a_character)
{
	const char *in = "ab%C3%A9cd";
	char out[8];

	memset(out, 'X', sizeof(out));
	CHECK_INT(ws_pct_decode(in, strlen(in), out, 0), 0);
	CHECK_INT(ws_pct_decode(in, strlen(in), out, 2), 2);
	CHECK_INT(ws_pct_decode(in, strlen(in), out, 3), 2); /* é needs 2 bytes */
	CHECK_INT(out[2], 'X');
	CHECK_INT(ws_pct_decode(in, strlen(in), out, 4), 4);
	CHECK_MEM(out, 4, "ab\xc3\xa9");
	CHECK_INT(ws_pct_decode("%ff", 3, out, 2), 0); /* U+FFFD needs 3 */
}

TEST(pct_decode_respects_len_and_arguments)
{
	char out[8];

	/* "%41" cut to "%4": not an escape. */
	CHECK_INT(ws_pct_decode("%41", 2, out, sizeof(out)), 2);
	CHECK_MEM(out, 2, "%4");
	CHECK_INT(ws_pct_decode(NULL, 3, out, sizeof(out)), 0);
	CHECK_INT(ws_pct_decode("abc", 3, NULL, 8), 0);
}

TEST(decode_an_allowed_value)
{
	struct got g;
	char out[64];
	size_t n;

	CHECK_INT(walk("serverNode", "userId=alice, serverNode = DF%2028%0A;p", &g), 1);
	n = ws_pct_decode(g.vals[0], strlen(g.vals[0]), out, sizeof(out));
	CHECK_MEM(out, n, "DF 28?");
}

static const struct check_case cases[] = {
	CASE(allowlist_parses_keys_in_order),
	CASE(allowlist_empty_forms),
	CASE(allowlist_duplicates_kept_once),
	CASE(allowlist_rejects_non_tokens),
	CASE(allowlist_16_keys_ok_17_rejected),
	CASE(walk_spec_example),
	CASE(walk_key_is_the_allowlists_copy),
	CASE(walk_ows_and_tabs_trimmed),
	CASE(walk_empty_allowlist_emits_nothing),
	CASE(walk_matching_is_exact_and_case_sensitive),
	CASE(walk_invalid_members_skipped),
	CASE(walk_value_edges),
	CASE(walk_duplicates_reported_once),
	CASE(walk_joined_header_lines),
	CASE(walk_respects_len_and_arguments),
	CASE(walk_64_members_ok_65_dropped),
	CASE(walk_8192_bytes_ok_more_dropped),
	CASE(pct_decode_table),
	CASE(pct_decode_never_cuts_a_character),
	CASE(pct_decode_respects_len_and_arguments),
	CASE(decode_an_allowed_value),
};

CHECK_MAIN("baggage", cases)
