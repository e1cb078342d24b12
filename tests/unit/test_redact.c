/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the URL helpers, table-driven: query redaction (shapes, cutting,
 * fragments), request-target splitting in its four forms with userinfo
 * removed, Host header parsing, and url.full assembly, with hostile inputs
 * (very long, no path, '?' alone, percent-encoding, credentials).
 *
 * Past 800 lines on purpose: the URL shapes are one table per piece
 * (path, query, url.full); apart they would repeat its helpers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "redact.h"

#define NONE ((const char *)0) /* expected: field absent (NULL) */

struct q_row {
	const char *in;
	size_t outsz;
	const char *want;
};

static const struct q_row q_rows[] = {
	{ "a=1&b=&c", 256, "a=REDACTED&b=REDACTED&REDACTED" },
	{ "", 256, "" },
	{ "q=OpenTelemetry", 256, "q=REDACTED" },
	{ "color=blue&sig=abc", 256, "color=REDACTED&sig=REDACTED" },
	{ "a=1&&b=2", 256, "a=REDACTED&&b=REDACTED" },
	{ "&", 256, "&" },
	{ "a=1&", 256, "a=REDACTED&" },
	{ "=x", 256, "=REDACTED" },
	{ "a==b", 256, "a=REDACTED" },
	/* Bare parameters are replaced whole: a token sent as "?TOKEN" is a secret. */
	{ "token", 256, "REDACTED" },
	{ "SECRETTOKEN", 256, "REDACTED" },
	{ "a=1&TOKEN&b=2", 256, "a=REDACTED&REDACTED&b=REDACTED" },
	{ "=", 256, "=REDACTED" },
	{ "&&", 256, "&&" },
	{ "a", 256, "REDACTED" },
	{ "a=", 256, "a=REDACTED" },
	{ "a=b=c", 256, "a=REDACTED" },
	{ "TOKEN%3Dx", 256, "REDACTED" },
	/* ';' separates too (servers that split there would see a name in the value). */
	{ "a=1;b=2", 256, "a=REDACTED;b=REDACTED" },
	{ "TOKEN;x=1", 256, "REDACTED;x=REDACTED" },
	{ "x=1;jsessionid=SECRET&y", 256, "x=REDACTED;jsessionid=REDACTED&REDACTED" },
	{ ";;&", 256, ";;&" },
	{ "PHPSESSID=SECRET", 256, "PHPSESSID=REDACTED" },
	{ "sid=SECRET&lang=en", 256, "sid=REDACTED&lang=REDACTED" },
	{ "na%20me=v%26al&x%3D=1", 256, "na%20me=REDACTED&x%3D=REDACTED" },
	{ "a=1#frag=2", 256, "a=REDACTED" },
	{ "#a=1", 256, "" },
	{ "a=b?c=d", 256, "a=REDACTED" },
	{ "a+b=c+d", 256, "a+b=REDACTED" },
	/* Cutting: whole parameters only. "a=REDACTED" is 10 bytes. */
	{ "a=1&bb=2", 11, "a=REDACTED" },
	{ "a=1&bb=2", 22, "a=REDACTED" },
	{ "a=1&bb=2", 23, "a=REDACTED&bb=REDACTED" },
	{ "a=1&bb=2", 10, "" },
	{ "a=1&bb=2", 1, "" },
	{ "flag&a=1", 9, "REDACTED" },
	{ "flag&a=1", 8, "" },
};

TEST(redact_query_table)
{
	for (size_t i = 0; i < sizeof(q_rows) / sizeof(q_rows[0]); i++) {
		const struct q_row *r = &q_rows[i];
		char *out = malloc(r->outsz);
		size_t n;

		memset(out, 'X', r->outsz);
		n = ws_redact_query(r->in, strlen(r->in), out, r->outsz);
		if (strcmp(out, r->want))
			fprintf(stderr, "    row %zu: \"%s\" outsz %zu\n", i, r->in, r->outsz);
		CHECK_STR(out, r->want);
		CHECK_INT(n, strlen(r->want));
		free(out);
	}
}

TEST(redact_query_zero_outsz_writes_nothing)
{
	char out[4] = "XYZ";

	CHECK_INT(ws_redact_query("a=1", 3, out, 0), 0);
	CHECK_STR(out, "XYZ");
	CHECK_INT(ws_redact_query("a=1", 3, NULL, 10), 0);
	CHECK_INT(ws_redact_query(NULL, 3, out, sizeof(out)), 0);
	CHECK_STR(out, "");
}

TEST(redact_query_reads_only_qlen_bytes)
{
	char out[64];

	CHECK_INT(ws_redact_query("a=1&secret=2", 3, out, sizeof(out)), 10);
	CHECK_STR(out, "a=REDACTED");
}

TEST(redact_query_huge_input_into_small_buffer)
{
	size_t n = 100000, got;
	char *q = malloc(n), out[256];

	for (size_t i = 0; i < n; i += 8)
		memcpy(q + i, "kk=vvvv&", 8);
	got = ws_redact_query(q, n, out, sizeof(out));
	CHECK(got < sizeof(out));
	CHECK_INT(strlen(out), got);
	/* Ends on a whole "kk=REDACTED", never a cut one. */
	CHECK(got >= 11 && !memcmp(out + got - 11, "kk=REDACTED", 11));
	CHECK(strstr(out, "vvvv") == NULL);
	free(q);
}

TEST(redact_query_never_copies_a_value)
{
	const char *q = "user=alice@example.com&pw=hunter2&card=4111111111111111";
	char out[256];

	ws_redact_query(q, strlen(q), out, sizeof(out));
	CHECK(!strstr(out, "alice"));
	CHECK(!strstr(out, "hunter2"));
	CHECK(!strstr(out, "4111"));
	CHECK_STR(out, "user=REDACTED&pw=REDACTED&card=REDACTED");
}

struct t_row {
	const char *in;
	int rc;
	enum ws_target_form form;
	const char *scheme, *host;
	int port;
	const char *path, *query;
};

#define BAD(in)                                                                                    \
	{                                                                                          \
		in, -EINVAL, 0, NONE, NONE, -1, NONE, NONE                                         \
	}

static const struct t_row t_rows[] = {
	/* origin-form */
	{ "/", 0, WS_TARGET_ORIGIN, NONE, NONE, -1, "/", NONE },
	{ "/p?q#f", 0, WS_TARGET_ORIGIN, NONE, NONE, -1, "/p", "q" },
	{ "/p?", 0, WS_TARGET_ORIGIN, NONE, NONE, -1, "/p", "" },
	{ "/?", 0, WS_TARGET_ORIGIN, NONE, NONE, -1, "/", "" },
	{ "/p#f?x=1", 0, WS_TARGET_ORIGIN, NONE, NONE, -1, "/p", NONE },
	{ "/a/b%20c?x=%41", 0, WS_TARGET_ORIGIN, NONE, NONE, -1, "/a/b%20c", "x=%41" },
	{ "/p?a=1?b=2", 0, WS_TARGET_ORIGIN, NONE, NONE, -1, "/p", "a=1?b=2" },
	{ "//evil.example/x", 0, WS_TARGET_ORIGIN, NONE, NONE, -1, "//evil.example/x", NONE },
	{ "/users/@me", 0, WS_TARGET_ORIGIN, NONE, NONE, -1, "/users/@me", NONE },
	/* absolute-form: userinfo dropped */
	{ "http://user:pw@host:8080/p?q", 0, WS_TARGET_ABSOLUTE, "http", "host", 8080, "/p", "q" },
	{ "http://example.com", 0, WS_TARGET_ABSOLUTE, "http", "example.com", -1, "/", NONE },
	{ "http://example.com?x=1", 0, WS_TARGET_ABSOLUTE, "http", "example.com", -1, "/", "x=1" },
	{ "http://example.com#f", 0, WS_TARGET_ABSOLUTE, "http", "example.com", -1, "/", NONE },
	{ "HTTPS://Example.COM:443/", 0, WS_TARGET_ABSOLUTE, "HTTPS", "Example.COM", 443, "/",
	  NONE },
	{ "http://[::1]:8080/x", 0, WS_TARGET_ABSOLUTE, "http", "::1", 8080, "/x", NONE },
	{ "http://[fe80::1%25eth0]/", 0, WS_TARGET_ABSOLUTE, "http", "fe80::1%25eth0", -1, "/",
	  NONE },
	{ "http://a@b@c/x", 0, WS_TARGET_ABSOLUTE, "http", "c", -1, "/x", NONE },
	{ "http://u:p@h:/x", 0, WS_TARGET_ABSOLUTE, "http", "h", -1, "/x", NONE },
	{ "http://10.0.0.1:0080/", 0, WS_TARGET_ABSOLUTE, "http", "10.0.0.1", 80, "/", NONE },
	BAD("http://user@/x"),
	BAD("http:///x"),
	BAD("http://"),
	BAD("http://host:99999/"),
	BAD("http://host:8a/"),
	BAD("http://ho st/"),
	BAD("http://user:p/w@host/x"),
	BAD("http://[::1/x"),
	BAD("http://[example.com]/"),
	BAD("1http://host/"),
	/* asterisk-form */
	{ "*", 0, WS_TARGET_ASTERISK, NONE, NONE, -1, "*", NONE },
	/* authority-form (CONNECT) */
	{ "example.com:443", 0, WS_TARGET_AUTHORITY, NONE, "example.com", 443, NONE, NONE },
	{ "[2001:db8::1]:443", 0, WS_TARGET_AUTHORITY, NONE, "2001:db8::1", 443, NONE, NONE },
	{ "example.com", 0, WS_TARGET_AUTHORITY, NONE, "example.com", -1, NONE, NONE },
	BAD("user@example.com:443"),
	BAD("user:pw@example.com:443"),
	BAD("example.com:443/x"),
	BAD("mailto:a@b"),
	BAD("http:/x"),
	/* neither */
	BAD(""),
	BAD("?"),
	BAD("?a=1"),
	BAD("relative/path"),
	BAD("#f"),
};

static void check_field(const char *what, const char *got, size_t len, const char *want,
			const char *in)
{
	if (!want) {
		if (got)
			fprintf(stderr, "    \"%s\": %s should be absent\n", in, what);
		CHECK(got == NULL);
		return;
	}
	if (!got || len != strlen(want) || memcmp(got, want, len))
		fprintf(stderr, "    \"%s\": %s\n", in, what);
	CHECK_MEM(got, len, want);
}

TEST(split_target_table)
{
	for (size_t i = 0; i < sizeof(t_rows) / sizeof(t_rows[0]); i++) {
		const struct t_row *r = &t_rows[i];
		struct ws_target t;
		int rc;

		memset(&t, 0x5a, sizeof(t));
		rc = ws_split_target(r->in, strlen(r->in), &t);
		if (rc != r->rc)
			fprintf(stderr, "    row \"%s\"\n", r->in);
		CHECK_INT(rc, r->rc);
		if (rc) {
			/* A refused target leaves nothing a caller could record. */
			CHECK(t.host == NULL && t.path == NULL && t.query == NULL);
			CHECK_INT(t.port, -1);
			continue;
		}
		CHECK_INT(t.form, r->form);
		check_field("scheme", t.scheme, t.scheme_len, r->scheme, r->in);
		check_field("host", t.host, t.host_len, r->host, r->in);
		check_field("path", t.path, t.path_len, r->path, r->in);
		check_field("query", t.query, t.query_len, r->query, r->in);
		CHECK_INT(t.port, r->port);
	}
}

TEST(split_target_never_exposes_userinfo)
{
	const char *in = "http://alice:s3cret@proxy.example:3128/a?b=c";
	struct ws_target t;
	const char *lo = in, *hi = in + strlen(in);
	const char *ui = strstr(in, "alice"), *ui_end = strchr(in, '@') + 1;

	CHECK_INT(ws_split_target(in, hi - lo, &t), 0);
	/* No field's range overlaps the userinfo bytes. */
	CHECK(t.host >= ui_end || t.host + t.host_len <= ui);
	CHECK(t.path >= ui_end);
	CHECK(t.query >= ui_end);
	CHECK(t.scheme + t.scheme_len <= ui);
}

TEST(split_target_very_long_origin_form)
{
	size_t n = 200000;
	char *in = malloc(n);
	struct ws_target t;

	memset(in, 'a', n);
	in[0] = '/';
	in[n / 2] = '?';
	CHECK_INT(ws_split_target(in, n, &t), 0);
	CHECK_INT(t.path_len, n / 2);
	CHECK_INT(t.query_len, n - n / 2 - 1);
	free(in);
}

TEST(split_target_reads_only_len_bytes)
{
	struct ws_target t;

	CHECK_INT(ws_split_target("/p?x=1 HTTP/1.1", 6, &t), 0);
	CHECK_MEM(t.query, t.query_len, "x=1");
	CHECK_INT(ws_split_target(NULL, 1, &t), -EINVAL);
	CHECK_INT(ws_split_target("/", 1, NULL), -EINVAL);
}

struct h_row {
	const char *in;
	int rc;
	const char *host;
	int port;
};

static const struct h_row h_rows[] = {
	{ "example.com", 0, "example.com", -1 },
	{ "example.com:8080", 0, "example.com", 8080 },
	{ " example.com:8080\t", 0, "example.com", 8080 },
	{ "[::1]:8080", 0, "::1", 8080 },
	{ "[::1]", 0, "::1", -1 },
	{ "[2001:db8::ffff:192.0.2.1]:443", 0, "2001:db8::ffff:192.0.2.1", 443 },
	{ "example.com:", 0, "example.com", -1 },
	{ "10.0.0.1:3000", 0, "10.0.0.1", 3000 },
	{ "host:65535", 0, "host", 65535 },
	{ "host:000080", 0, "host", 80 },
	{ "xn--bcher-kva.example", 0, "xn--bcher-kva.example", -1 },
	{ "a%41b", 0, "a%41b", -1 },
	{ "localhost", 0, "localhost", -1 },
	{ "", -EINVAL, NULL, 0 },
	{ "  \t", -EINVAL, NULL, 0 },
	{ ":8080", -EINVAL, NULL, 0 },
	{ "user@host", -EINVAL, NULL, 0 },
	{ "user:pw@host:80", -EINVAL, NULL, 0 },
	{ "host/path", -EINVAL, NULL, 0 },
	{ "host?x", -EINVAL, NULL, 0 },
	{ "host:65536", -EINVAL, NULL, 0 },
	{ "host:-1", -EINVAL, NULL, 0 },
	{ "host:80:90", -EINVAL, NULL, 0 },
	{ "host:1234567", -EINVAL, NULL, 0 },
	{ "[::1", -EINVAL, NULL, 0 },
	{ "[::1]x", -EINVAL, NULL, 0 },
	{ "[]", -EINVAL, NULL, 0 },
	{ "[example.com]", -EINVAL, NULL, 0 },
	{ "ho st", -EINVAL, NULL, 0 },
	{ "host\r\nX-Evil: 1", -EINVAL, NULL, 0 },
	{ "m\xc3\xbcnchen.de", -EINVAL, NULL, 0 },
	{ "a%2", -EINVAL, NULL, 0 },
	{ "a%zz", -EINVAL, NULL, 0 },
};

TEST(host_header_table)
{
	for (size_t i = 0; i < sizeof(h_rows) / sizeof(h_rows[0]); i++) {
		const struct h_row *r = &h_rows[i];
		const char *host = NULL;
		size_t hlen = 0;
		int port = -2, rc;

		rc = ws_parse_host_header(r->in, strlen(r->in), &host, &hlen, &port);
		if (rc != r->rc)
			fprintf(stderr, "    row \"%s\"\n", r->in);
		CHECK_INT(rc, r->rc);
		if (rc) {
			CHECK(host == NULL);
			continue;
		}
		CHECK_MEM(host, hlen, r->host);
		CHECK_INT(port, r->port);
	}
}

struct u_row {
	const char *scheme, *host;
	int port;
	const char *path, *query;
	size_t outsz;
	int rc; /* > 0: the expected length is strlen(want) */
	const char *want;
};

static const struct u_row u_rows[] = {
	{ "http", "example.com", 8080, "/path", "x=REDACTED", 256, 1,
	  "http://example.com:8080/path?x=REDACTED" },
	{ "http", "example.com", 80, "/", NULL, 256, 1, "http://example.com/" },
	{ "https", "example.com", 443, "/a", NULL, 256, 1, "https://example.com/a" },
	{ "http", "example.com", 443, "/a", NULL, 256, 1, "http://example.com:443/a" },
	{ "https", "example.com", 80, "/a", NULL, 256, 1, "https://example.com:80/a" },
	{ "HTTP", "Example.com", 80, "/a", NULL, 256, 1, "http://Example.com/a" },
	{ "ws", "h", 80, "/", NULL, 256, 1, "ws://h/" },
	{ "wss", "h", 443, "/", NULL, 256, 1, "wss://h/" },
	{ "http", "::1", 8080, "/", NULL, 256, 1, "http://[::1]:8080/" },
	{ "http", "::1", -1, "", NULL, 256, 1, "http://[::1]/" },
	{ "http", "h", -1, "", "a=REDACTED", 256, 1, "http://h/?a=REDACTED" },
	{ "http", "h", 0, "/p", "", 256, 1, "http://h/p?" },
	{ "http", "h", -1, "/p%20q", "k%20=REDACTED", 256, 1, "http://h/p%20q?k%20=REDACTED" },
	{ "http", "h", -1, "//evil.example/x", NULL, 256, 1, "http://h//evil.example/x" },
	{ "http", "h", 8080, "/abc", NULL, 18, 1, "http://h:8080/abc" },
	{ "http", "h", 8080, "/abcd", NULL, 18, -ENOSPC, "http://h:8080/abc" },
	{ "http", "example.com", -1, "/", NULL, 10, -ENOSPC, "http://ex" },
	{ "http", "user@host", -1, "/", NULL, 256, -EINVAL, "" },
	{ "http", "user:pw@host", -1, "/", NULL, 256, -EINVAL, "" },
	{ "http", "host/x", -1, "/", NULL, 256, -EINVAL, "" },
	{ "http", "host?x", -1, "/", NULL, 256, -EINVAL, "" },
	{ "http", "ho st", -1, "/", NULL, 256, -EINVAL, "" },
	{ "http", "", -1, "/", NULL, 256, -EINVAL, "" },
	{ "http", "h", -1, "evil@x", NULL, 256, -EINVAL, "" },
	{ "http", "h", -1, "/a?b=c", NULL, 256, -EINVAL, "" },
	{ "http", "h", -1, "/a#b", NULL, 256, -EINVAL, "" },
	{ "http", "h", -1, "/a", "x#y", 256, -EINVAL, "" },
	{ "ht tp", "h", -1, "/", NULL, 256, -EINVAL, "" },
	{ "", "h", -1, "/", NULL, 256, -EINVAL, "" },
	{ "1http", "h", -1, "/", NULL, 256, -EINVAL, "" },
	{ "http", "h", 70000, "/", NULL, 256, -EINVAL, "" },
};

/*
 * Every byte at every place of a host name (read four bytes a test, then
 * byte by byte): accepted exactly when RFC 3986 unreserved or sub-delims.
 */
TEST(host_name_bytes_are_rfc3986_reg_name)
{
	static const char ok[] = "-._~!$&'()*+,;=";

	for (int pos = 0; pos < 9; pos++) {
		for (int c = 1; c < 256; c++) {
			char v[] = "abcdefghi";
			const char *h;
			size_t hl;
			int port;
			int want = (c >= '0' && c <= '9') ||
				   ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
				   strchr(ok, c) != NULL;

			if (c == ':' || c == '%')
				continue; /* the port's separator; a percent-encoding's start */
			if ((pos == 0 || pos == 8) && (c == ' ' || c == '\t'))
				continue; /* whitespace around the value is trimmed */
			v[pos] = (char)c;
			if ((ws_parse_host_header(v, 9, &h, &hl, &port) == 0) != want) {
				fprintf(stderr, "    byte 0x%02x at %d\n", c, pos);
				CHECK(!"host byte accepted or refused wrongly");
				return;
			}
		}
	}
}

TEST(build_url_full_table)
{
	for (size_t i = 0; i < sizeof(u_rows) / sizeof(u_rows[0]); i++) {
		const struct u_row *r = &u_rows[i];
		char *out = malloc(r->outsz);
		int rc, want_rc = r->rc > 0 ? (int)strlen(r->want) : r->rc;

		memset(out, 'X', r->outsz);
		rc = ws_build_url_full(r->scheme, strlen(r->scheme), r->host, strlen(r->host),
				       r->port, r->path, strlen(r->path), r->query,
				       r->query ? strlen(r->query) : 0, out, r->outsz);
		if (rc != want_rc || strcmp(out, r->want))
			fprintf(stderr, "    row %zu: want \"%s\"\n", i, r->want);
		CHECK_INT(rc, want_rc);
		CHECK_STR(out, r->want);
		free(out);
	}
}

TEST(build_url_full_bad_buffers)
{
	char out[16] = "XYZ";

	CHECK_INT(ws_build_url_full("http", 4, "h", 1, -1, "/", 1, NULL, 0, out, 0), -EINVAL);
	CHECK_STR(out, "XYZ");
	CHECK_INT(ws_build_url_full("http", 4, "h", 1, -1, "/", 1, NULL, 0, NULL, 8), -EINVAL);
	CHECK_INT(ws_build_url_full(NULL, 0, "h", 1, -1, "/", 1, NULL, 0, out, 8), -EINVAL);
	CHECK_INT(ws_build_url_full("http", 4, NULL, 0, -1, "/", 1, NULL, 0, out, 8), -EINVAL);
	/* A NULL empty path is the root. */
	CHECK_INT(ws_build_url_full("http", 4, "h", 1, -1, NULL, 0, NULL, 0, out, 16), 9);
	CHECK_STR(out, "http://h/");
}

/* What an assembler does with a proxy request: no credential and no value survives. */
TEST(proxy_request_to_url_full_has_no_secrets)
{
	const char *in = "http://alice:s3cret@shop.example:8080/cart/42?token=abc123&item=7#top";
	char q[256], url[512];
	struct ws_target t;
	size_t qn;
	int n;

	CHECK_INT(ws_split_target(in, strlen(in), &t), 0);
	qn = ws_redact_query(t.query, t.query_len, q, sizeof(q));
	n = ws_build_url_full(t.scheme, t.scheme_len, t.host, t.host_len, t.port, t.path,
			      t.path_len, t.query ? q : NULL, qn, url, sizeof(url));
	CHECK_STR(url, "http://shop.example:8080/cart/42?token=REDACTED&item=REDACTED");
	CHECK_INT(n, strlen(url));
	CHECK(!strstr(url, "alice") && !strstr(url, "s3cret") && !strstr(url, "abc123"));
}

/* An origin-form request plus its Host header, as a server span sees them. */
TEST(origin_request_with_host_header_to_url_full)
{
	const char *target = "/search?q=private+words";
	const char *hostv = "[2001:db8::1]:8443";
	char q[64], url[128];
	struct ws_target t;
	const char *host;
	size_t hlen, qn;
	int port;

	CHECK_INT(ws_split_target(target, strlen(target), &t), 0);
	CHECK_INT(ws_parse_host_header(hostv, strlen(hostv), &host, &hlen, &port), 0);
	qn = ws_redact_query(t.query, t.query_len, q, sizeof(q));
	CHECK(ws_build_url_full("https", 5, host, hlen, port, t.path, t.path_len, q, qn, url,
				sizeof(url)) > 0);
	CHECK_STR(url, "https://[2001:db8::1]:8443/search?q=REDACTED");
}

TEST(very_long_url_is_cut_not_overflowed)
{
	size_t plen = 100000;
	char *path = malloc(plen), url[1025];
	int rc;

	memset(path, 'p', plen);
	path[0] = '/';
	rc = ws_build_url_full("http", 4, "h", 1, -1, path, plen, "a=REDACTED", 10, url,
			       sizeof(url));
	CHECK_INT(rc, -ENOSPC);
	CHECK_INT(strlen(url), sizeof(url) - 1);
	CHECK(!memcmp(url, "http://h/ppp", 12));
	free(path);
}

/*
 * Request targets as they arrive, to the url.path, url.query and url.full a
 * span gets from them (the steps of semconv.c's add_url_attrs: split, redact
 * path and query, build url.full with the target's host, or "h" as the Host
 * header would give). Issue 20: bare query parameters ("?TOKEN") and path
 * parameters (";jsessionid=...") reached all three as sent. No row's output
 * may hold "SECRET".
 */
struct shape_row {
	const char *in;
	const char *path, *query, *full; /* NONE: the attribute is absent */
};

static const struct shape_row shape_rows[] = {
	/* origin-form */
	{ "/", "/", NONE, "http://h/" },
	{ "/a?SECRETTOKEN", "/a", "REDACTED", "http://h/a?REDACTED" },
	{ "/a?x=1&SECRET&y=2", "/a", "x=REDACTED&REDACTED&y=REDACTED",
	  "http://h/a?x=REDACTED&REDACTED&y=REDACTED" },
	{ "/b;jsessionid=SECRET", "/b;jsessionid=REDACTED", NONE,
	  "http://h/b;jsessionid=REDACTED" },
	{ "/b;SECRET", "/b;REDACTED", NONE, "http://h/b;REDACTED" },
	{ "/;SECRET", "/;REDACTED", NONE, "http://h/;REDACTED" },
	{ "/a;x=SECRET;y=SECRET;SECRET/c", "/a;x=REDACTED;y=REDACTED;REDACTED/c", NONE,
	  "http://h/a;x=REDACTED;y=REDACTED;REDACTED/c" },
	{ "/a;x=SECRET/b;y=SECRET/c;SECRET?k=SECRET", "/a;x=REDACTED/b;y=REDACTED/c;REDACTED",
	  "k=REDACTED", "http://h/a;x=REDACTED/b;y=REDACTED/c;REDACTED?k=REDACTED" },
	{ "/a;;x=SECRET;", "/a;;x=REDACTED;", NONE, "http://h/a;;x=REDACTED;" },
	{ "/a;=SECRET", "/a;=REDACTED", NONE, "http://h/a;=REDACTED" },
	{ "/a;k=SECRET=x", "/a;k=REDACTED", NONE, "http://h/a;k=REDACTED" },
	{ "/a;k=", "/a;k=REDACTED", NONE, "http://h/a;k=REDACTED" },
	{ "/a;", "/a;", NONE, "http://h/a;" },
	{ "/a/;SECRET/", "/a/;REDACTED/", NONE, "http://h/a/;REDACTED/" },
	/* Percent-encoded ';' and '?' are data, not delimiters: kept as path bytes. */
	{ "/p%3Bv%3Fw=1", "/p%3Bv%3Fw=1", NONE, "http://h/p%3Bv%3Fw=1" },
	{ "/p%3b;k=SECRET%3B", "/p%3b;k=REDACTED", NONE, "http://h/p%3b;k=REDACTED" },
	/* Query shapes */
	{ "/a?", "/a", "", "http://h/a?" },
	{ "/?=", "/", "=REDACTED", "http://h/?=REDACTED" },
	{ "/?=SECRET", "/", "=REDACTED", "http://h/?=REDACTED" },
	{ "/?&&", "/", "&&", "http://h/?&&" },
	{ "/?a", "/", "REDACTED", "http://h/?REDACTED" },
	{ "/?a=", "/", "a=REDACTED", "http://h/?a=REDACTED" },
	{ "/?a=b=SECRET", "/", "a=REDACTED", "http://h/?a=REDACTED" },
	{ "/?a=1;SECRET", "/", "a=REDACTED;REDACTED", "http://h/?a=REDACTED;REDACTED" },
	{ "/?SECRET;x=1", "/", "REDACTED;x=REDACTED", "http://h/?REDACTED;x=REDACTED" },
	{ "/p?a=%3Fb%26SECRET", "/p", "a=REDACTED", "http://h/p?a=REDACTED" },
	{ "/p;x=1?a;b", "/p;x=REDACTED", "REDACTED;REDACTED",
	  "http://h/p;x=REDACTED?REDACTED;REDACTED" },
	/* Fragments never reach the wire from a browser; when they do, they are dropped. */
	{ "/p#SECRET", "/p", NONE, "http://h/p" },
	{ "/p;x=1#SECRET", "/p;x=REDACTED", NONE, "http://h/p;x=REDACTED" },
	{ "/p?a=1#SECRET", "/p", "a=REDACTED", "http://h/p?a=REDACTED" },
	{ "/p#;SECRET?SECRET", "/p", NONE, "http://h/p" },
	/* A target that is only '?' is none of the four forms: nothing is recorded. */
	{ "?", NONE, NONE, NONE },
	{ "?SECRET", NONE, NONE, NONE },
	/* Framework sessions: Java servlets, PHP, generic, ASP.NET cookieless. */
	{ "/app;jsessionid=SECRET", "/app;jsessionid=REDACTED", NONE,
	  "http://h/app;jsessionid=REDACTED" },
	{ "/app/;JSESSIONID=SECRET?x=1", "/app/;JSESSIONID=REDACTED", "x=REDACTED",
	  "http://h/app/;JSESSIONID=REDACTED?x=REDACTED" },
	{ "/cart;sessionid=SECRET/items", "/cart;sessionid=REDACTED/items", NONE,
	  "http://h/cart;sessionid=REDACTED/items" },
	{ "/index.php?PHPSESSID=SECRET", "/index.php", "PHPSESSID=REDACTED",
	  "http://h/index.php?PHPSESSID=REDACTED" },
	{ "/x?sid=SECRET&lang=en", "/x", "sid=REDACTED&lang=REDACTED",
	  "http://h/x?sid=REDACTED&lang=REDACTED" },
	{ "/(S(SECRET))/default.aspx", "/(S(REDACTED))/default.aspx", NONE,
	  "http://h/(S(REDACTED))/default.aspx" },
	{ "/app/(A(SECRET)S(SECRET)F(SECRET))/page.aspx",
	  "/app/(A(REDACTED)S(REDACTED)F(REDACTED))/page.aspx", NONE,
	  "http://h/app/(A(REDACTED)S(REDACTED)F(REDACTED))/page.aspx" },
	{ "/(S(SECRET))", "/(S(REDACTED))", NONE, "http://h/(S(REDACTED))" },
	{ "/(S())/a", "/(S(REDACTED))/a", NONE, "http://h/(S(REDACTED))/a" },
	/* A ';' inside a session value is still value, and a segment can have both. */
	{ "/(S(SECRET;SECRET))/a", "/(S(REDACTED))/a", NONE, "http://h/(S(REDACTED))/a" },
	{ "/(S(SECRET));k=SECRET", "/(S(REDACTED));k=REDACTED", NONE,
	  "http://h/(S(REDACTED));k=REDACTED" },
	/* Parentheses not in that shape are an ordinary segment. */
	{ "/(draft)/a", "/(draft)/a", NONE, "http://h/(draft)/a" },
	{ "/(S(a)/b", "/(S(a)/b", NONE, "http://h/(S(a)/b" },
	{ "/a(S(b))", "/a(S(b))", NONE, "http://h/a(S(b))" },
	/* absolute-form (proxies): userinfo never kept */
	{ "http://user:SECRET@host:8080/p;jsessionid=SECRET?SECRET", "/p;jsessionid=REDACTED",
	  "REDACTED", "http://host:8080/p;jsessionid=REDACTED?REDACTED" },
	{ "http://SECRET@host", "/", NONE, "http://host/" },
	{ "http://[::1]:8080/a;SECRET?k=SECRET", "/a;REDACTED", "k=REDACTED",
	  "http://[::1]:8080/a;REDACTED?k=REDACTED" },
	{ "http://[2001:db8::1]/?PHPSESSID=SECRET", "/", "PHPSESSID=REDACTED",
	  "http://[2001:db8::1]/?PHPSESSID=REDACTED" },
	{ "https://u:SECRET@[fe80::1%25eth0]:8443/(S(SECRET))/x?SECRET#SECRET", "/(S(REDACTED))/x",
	  "REDACTED", "https://[fe80::1%25eth0]:8443/(S(REDACTED))/x?REDACTED" },
	{ "http://h#SECRET", "/", NONE, "http://h/" },
	{ "http://h?SECRET", "/", "REDACTED", "http://h/?REDACTED" },
	/* authority-form (CONNECT): no path, no query, no url.full; no userinfo */
	{ "example.com:443", NONE, NONE, NONE },
	{ "[2001:db8::1]:443", NONE, NONE, NONE },
	{ "user:SECRET@example.com:443", NONE, NONE, NONE },
	/* asterisk-form (OPTIONS *): the path is "*", url.full refuses it */
	{ "*", "*", NONE, NONE },
};

struct url_attrs {
	char pbuf[2048], q[1024], url[2048];
	const char *path, *query, *full;
	size_t path_len, query_len;
};

/* What add_url_attrs records for a target (a client span; a server's is the same less url.full). */
static void url_attrs_of(const char *in, size_t len, struct url_attrs *u)
{
	const char *scheme = "http", *host = "h";
	size_t scheme_len = 4, host_len = 1;
	struct ws_target t;
	int n;

	u->path = u->query = u->full = NULL;
	u->path_len = u->query_len = 0;
	if (ws_split_target(in, len, &t))
		return;
	if (t.form == WS_TARGET_ABSOLUTE) {
		scheme = t.scheme;
		scheme_len = t.scheme_len;
	}
	if (t.host) {
		host = t.host;
		host_len = t.host_len;
	}
	if (t.query) {
		u->query_len = ws_redact_query(t.query, t.query_len, u->q, sizeof(u->q));
		u->query = u->q;
	}
	if (!t.path)
		return;
	u->path = ws_redact_path(t.path, t.path_len, u->pbuf, sizeof(u->pbuf), &u->path_len);
	n = ws_build_url_full(scheme, scheme_len, host, host_len, t.port, u->path, u->path_len,
			      u->query, u->query_len, u->url, sizeof(u->url));
	if (n >= 0 || n == -ENOSPC)
		u->full = u->url;
}

static bool mem_has(const char *p, size_t len, const char *needle)
{
	return p && memmem(p, len, needle, strlen(needle)) != NULL;
}

TEST(url_shapes_table)
{
	static struct url_attrs u;

	for (size_t i = 0; i < sizeof(shape_rows) / sizeof(shape_rows[0]); i++) {
		const struct shape_row *r = &shape_rows[i];

		url_attrs_of(r->in, strlen(r->in), &u);
		check_field("url.path", u.path, u.path_len, r->path, r->in);
		check_field("url.query", u.query, u.query_len, r->query, r->in);
		check_field("url.full", u.full, u.full ? strlen(u.full) : 0, r->full, r->in);
		if (mem_has(u.path, u.path_len, "SECRET") ||
		    mem_has(u.query, u.query_len, "SECRET") ||
		    (u.full && strstr(u.full, "SECRET"))) {
			fprintf(stderr, "    \"%s\": SECRET leaked\n", r->in);
			CHECK(!"a value reached an attribute");
		}
	}
}

/* Each row's target with more bytes after len, as in a caller's larger buffer: never read. */
TEST(url_shapes_read_only_len_bytes)
{
	static struct url_attrs u;
	char buf[512];

	for (size_t i = 0; i < sizeof(shape_rows) / sizeof(shape_rows[0]); i++) {
		const struct shape_row *r = &shape_rows[i];
		size_t n = strlen(r->in);

		memcpy(buf, r->in, n);
		memcpy(buf + n, ";SECRET?SECRET", 15);
		url_attrs_of(buf, n, &u);
		check_field("url.path", u.path, u.path_len, r->path, r->in);
		check_field("url.query", u.query, u.query_len, r->query, r->in);
	}
}

struct p_row {
	const char *in;
	size_t outsz;
	const char *want;
	int copied; /* 1: the result is out, 0: it is the input itself */
};

static const struct p_row p_rows[] = {
	{ "/a/b", 64, "/a/b", 0 },
	{ "", 64, "", 0 },
	{ "*", 64, "*", 0 },
	{ "/a?x=1", 64, "/a", 0 },
	{ "/a#x", 64, "/a", 0 },
	{ "/a;k=v", 64, "/a;k=REDACTED", 1 },
	{ "a;b", 64, "a;REDACTED", 1 },
	{ ";", 64, ";", 1 },
	{ "/(S(x))", 64, "/(S(REDACTED))", 1 },
	/* '(' matters only at a segment's start (fuzz_redact: "/x(S(F" was copied). */
	{ "/a(b)/c(S(d))", 64, "/a(b)/c(S(d))", 0 },
	{ "/(b)/c", 64, "/(b)/c", 1 },
	{ "/x\xff(S\xff(F", 64, "/x\xff(S\xff(F", 0 },
	{ "/a;k=v?x=1", 64, "/a;k=REDACTED", 1 },
	/* Cut to outsz - 1 bytes, never past a value's start. */
	{ "/a;k=v/bb", 14, "/a;k=REDACTED", 1 },
	{ "/a;k=v/bb", 12, "/a;k=REDACT", 1 },
	{ "/abcdef;k=v", 5, "/abc", 1 },
	{ "/a;k=v", 1, "", 1 },
	{ "/a;k=v", 0, "", 1 },
};

TEST(redact_path_table)
{
	for (size_t i = 0; i < sizeof(p_rows) / sizeof(p_rows[0]); i++) {
		const struct p_row *r = &p_rows[i];
		char *out = malloc(r->outsz + 1);
		size_t n = 12345;
		const char *got;

		memset(out, 'X', r->outsz + 1);
		got = ws_redact_path(r->in, strlen(r->in), out, r->outsz, &n);
		if (n != strlen(r->want) || memcmp(got, r->want, n))
			fprintf(stderr, "    row %zu: \"%s\" outsz %zu\n", i, r->in, r->outsz);
		CHECK_MEM(got, n, r->want);
		if (r->copied && r->outsz) {
			CHECK(got == out);
			CHECK_INT(strlen(out), n);
		} else if (!r->copied) {
			CHECK(got == r->in); /* the common path costs no copy */
		}
		CHECK(out[r->outsz] == 'X');
		free(out);
	}
}

/* 110,000 bytes of "/s;k=SECRET" segments into the agent's 2 KiB: cut, bounded, no value. */
TEST(redact_path_very_long_target)
{
	static struct url_attrs u;
	size_t n = 110000;
	char *in = malloc(n);

	for (size_t i = 0; i < n; i += 11)
		memcpy(in + i, "/s;k=SECRET", 11);
	in[n - 1] = '?';
	url_attrs_of(in, n, &u);
	CHECK(u.path == u.pbuf);
	CHECK_INT(u.path_len, sizeof(u.pbuf) - 1);
	CHECK(!memmem(u.path, u.path_len, "SECRET", 6));
	CHECK(!memcmp(u.path, "/s;k=REDACTED/s;k=REDACTED/", 27));
	CHECK(u.query && u.query_len == 0);
	CHECK(u.full && strlen(u.full) == sizeof(u.url) - 1 && !strstr(u.full, "SECRET"));
	free(in);
}

/* A long query of bare tokens: whole parameters only, each one REDACTED. */
TEST(redact_query_very_long_bare_tokens)
{
	static struct url_attrs u;
	size_t n = 100000;
	char *in = malloc(n);

	memcpy(in, "/p?", 3);
	for (size_t i = 3; i < n; i++)
		in[i] = (i - 3) % 8 == 7 ? '&' : 'S';
	url_attrs_of(in, n, &u);
	CHECK(u.query == u.q && u.query_len < sizeof(u.q) && u.query_len >= sizeof(u.q) - 9);
	CHECK(!memmem(u.query, u.query_len, "SS", 2));
	CHECK(!memcmp(u.query + u.query_len - 9, "&REDACTED", 9));
	free(in);
}

static const struct check_case cases[] = {
	CASE(redact_query_table),
	CASE(redact_query_zero_outsz_writes_nothing),
	CASE(redact_query_reads_only_qlen_bytes),
	CASE(redact_query_huge_input_into_small_buffer),
	CASE(redact_query_never_copies_a_value),
	CASE(split_target_table),
	CASE(split_target_never_exposes_userinfo),
	CASE(split_target_very_long_origin_form),
	CASE(split_target_reads_only_len_bytes),
	CASE(host_header_table),
	CASE(host_name_bytes_are_rfc3986_reg_name),
	CASE(build_url_full_table),
	CASE(build_url_full_bad_buffers),
	CASE(proxy_request_to_url_full_has_no_secrets),
	CASE(origin_request_with_host_header_to_url_full),
	CASE(very_long_url_is_cut_not_overflowed),
	CASE(url_shapes_table),
	CASE(url_shapes_read_only_len_bytes),
	CASE(redact_path_table),
	CASE(redact_path_very_long_target),
	CASE(redact_query_very_long_bare_tokens),
};

CHECK_MAIN("redact", cases)
