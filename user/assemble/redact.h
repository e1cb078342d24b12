/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * URL pieces for the HTTP semantic conventions (url.path, url.query,
 * url.scheme, url.full, server.address, server.port), built so that no
 * personal data or credential leaves the host: every query value and every
 * path parameter value is replaced by "REDACTED", fragments are dropped and
 * userinfo is never kept. Pure functions: no allocation, no I/O, no globals;
 * outputs point into the caller's input where they can.
 */
#ifndef WS_REDACT_H
#define WS_REDACT_H

#include <stddef.h>

#define WS_REDACTED "REDACTED"

/*
 * Redacts a query string (q: the bytes after '?', without it; stops at a '#'
 * if the caller left a fragment in). Keeps every parameter name and replaces
 * every value, empty ones included, by REDACTED; a parameter without '=' is
 * replaced whole, since "?SECRETTOKEN" is as often a credential as a flag:
 *   a=1&b=&c&&d=x=y  ->  a=REDACTED&b=REDACTED&REDACTED&&d=REDACTED
 * Both '&' and ';' separate parameters, each kept as sent: servers that
 * split at ';' (HTML 4's advice, older Python and Perl) would otherwise see
 * a name in "x=1;jsessionid=..." and we would keep a value in "TOKEN;x=1".
 * Empty parameters ("a=1&&b") are kept so the shape of the query survives.
 * Percent-encoding is kept as sent, never decoded: "%26" and "%3D" are data.
 *
 * out is always NUL-terminated (when outsz > 0). When the whole result does
 * not fit, out holds as many whole parameters as fit, never a cut one.
 * Returns the bytes written to out, NUL not counted. One pass, no allocation.
 */
size_t ws_redact_query(const char *q, size_t qlen, char *out, size_t outsz);

/*
 * Redacts the parameters of path segments (RFC 3986 section 3.3: a segment
 * may carry ";name=value" parameters, as Java servlets' ";jsessionid=" does).
 * In every segment, what follows its first ';' is parameters separated by
 * ';'; each keeps its name and gets its value replaced, a bare one is
 * replaced whole, an empty one is kept:
 *   /b;jsessionid=X/c;v=1;TOKEN;;  ->  /b;jsessionid=REDACTED/c;v=REDACTED;REDACTED;;
 * A segment, or the part before its first ';', in the shape of ASP.NET's
 * cookieless state, "(" 1*(ALPHA "(" value ")") ")", keeps its letters:
 *   /(S(x)F(y))/a.aspx  ->  /(S(REDACTED)F(REDACTED))/a.aspx
 * Percent-encoded bytes ("%3B", "%3F") are data and kept as sent. The path
 * ends at the first '?' or '#' if the caller left them in: nothing after
 * either is ever returned.
 *
 * Returns the path to record and its length in *out_len: p itself (no copy)
 * when it has no ';' and no segment starting with '(' (nearly every path),
 * else out, NUL-terminated and cut to outsz - 1 bytes (a cut never shows
 * more of the input than names). When out has no room at all, "" with
 * *out_len 0. One pass, no allocation.
 */
const char *ws_redact_path(const char *p, size_t len, char *out, size_t outsz, size_t *out_len);

/* The four request-target forms of RFC 9112 section 3.2. */
enum ws_target_form {
	WS_TARGET_ORIGIN = 1, /* /path?query: to an origin server */
	WS_TARGET_ABSOLUTE,   /* scheme://authority/path?query: to a proxy */
	WS_TARGET_AUTHORITY,  /* host:port: CONNECT */
	WS_TARGET_ASTERISK,   /* "*": server-wide OPTIONS */
};

/*
 * A request-target taken apart. Every pointer points into the target given
 * to ws_split_target() (or at a static "/"), so it lives as long as that.
 * Userinfo ("user:pw@") of an absolute-form target is skipped: no field ever
 * holds it. A fragment is dropped.
 */
struct ws_target {
	enum ws_target_form form;
	const char *scheme; /* absolute-form only, as sent (maybe upper case); else NULL */
	size_t scheme_len;
	const char *host; /* absolute and authority forms; an IPv6 literal without brackets */
	size_t host_len;
	int port;	  /* explicit port, -1 when absent */
	const char *path; /* origin/absolute: never empty ("/" when the URI had none);
			   * asterisk: "*"; authority: NULL */
	size_t path_len;
	const char *query; /* after '?', before '#', NOT redacted; NULL when no '?' */
	size_t query_len;
};

/*
 * Splits an HTTP request-target. 0, or -EINVAL when it is none of the four
 * forms (empty, a relative path, an absolute URI with an empty host, a bad
 * port, an authority-form with userinfo...). out is zeroed first.
 */
int ws_split_target(const char *target, size_t len, struct ws_target *out);

/*
 * Parses a Host header value: "host", "host:port", "[v6]", "[v6]:port",
 * trimming surrounding spaces and tabs. *host points into v (an IPv6 literal
 * without its brackets); *port is -1 when absent or empty ("host:"). 0, or
 * -EINVAL for an empty value, userinfo, a path, a bad port (not digits, over
 * 65535) or a character no host name can have.
 */
int ws_parse_host_header(const char *v, size_t len, const char **host, size_t *host_len, int *port);

/*
 * Builds url.full: scheme://host[:port]path[?query]. The scheme is written in
 * lower case; an IPv6 host (one with ':') gets brackets; the port is left out
 * when it is <= 0 or the scheme's default (80 for http/ws, 443 for
 * https/wss); an empty path becomes "/". path and query must already be
 * redacted (ws_redact_path(), ws_redact_query()); a NULL query means no '?',
 * "" (query_len 0) gives a bare '?'.
 *
 * The result never holds credentials: there is no userinfo parameter, and a
 * host with '@', '/', '?', '#' or whitespace, a path not starting with '/'
 * or holding '?' or '#', and a query holding '#' are refused, since each
 * would let a URL reader see different components than the ones given.
 *
 * Returns the URL's length; -EINVAL (out is "") for refused parts; -ENOSPC
 * when it does not fit (out holds the first outsz - 1 bytes).
 */
int ws_build_url_full(const char *scheme, size_t scheme_len, const char *host, size_t host_len,
		      int port, const char *path, size_t path_len, const char *query,
		      size_t query_len, char *out, size_t outsz);

#endif /* WS_REDACT_H */
