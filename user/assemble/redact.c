/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * URL handling for the HTTP semantic conventions without personal data:
 * query value redaction, request-target splitting (the four forms of RFC
 * 9112, userinfo skipped), Host header parsing and url.full assembly. The
 * character classes are RFC 3986's; everything here is pure and bounded by
 * its inputs.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

static bool is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static bool is_unreserved(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* unreserved / sub-delims by table: every byte of every host name goes through it. */
static const bool reg_name_tab[256] = {
	['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true, ['-'] = true,
	['.'] = true,	      ['_'] = true,	    ['~'] = true,	  ['!'] = true,
	['$'] = true,	      ['&'] = true,	    ['\''] = true,	  ['('] = true,
	[')'] = true,	      ['*'] = true,	    ['+'] = true,	  [','] = true,
	[';'] = true,	      ['='] = true,
};

/* reg-name or IPv4address: unreserved / pct-encoded / sub-delims. */
static bool reg_name_ok(const char *h, size_t len)
{
	size_t i = 0;

	if (!len)
		return false;
	/* Four bytes a test while four are left: names have no '%' to decode, as a rule. */
	while (len - i >= 4 && reg_name_tab[(unsigned char)h[i]] &&
	       reg_name_tab[(unsigned char)h[i + 1]] && reg_name_tab[(unsigned char)h[i + 2]] &&
	       reg_name_tab[(unsigned char)h[i + 3]])
		i += 4;
	for (; i < len; i++) {
		unsigned char c = h[i];

		if (reg_name_tab[c])
			continue;
		if (c != '%' || len - i < 3 || !is_hex(h[i + 1]) || !is_hex(h[i + 2]))
			return false;
		i += 2;
	}
	return true;
}

/*
 * What may stand between the brackets of an IP literal: IPv6 (hex, ':', an
 * embedded IPv4's '.'), a zone id ("%25eth0", RFC 6874) and IPvFuture. Needs
 * a ':' so that "[example.com]" is not taken for an address.
 */
static bool ip_literal_ok(const char *h, size_t len)
{
	bool colon = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = h[i];

		if (c == ':')
			colon = true;
		else if (!is_unreserved(c) && c != '%')
			return false;
	}
	return colon;
}

static bool scheme_ok(const char *s, size_t len)
{
	if (!len || !is_alpha(s[0]))
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = s[i];

		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
			return false;
	}
	return true;
}

static const char *memchr_any(const char *p, size_t len, const char *set)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] && strchr(set, p[i]))
			return p + i;
	}
	return NULL;
}

/* Where a query parameter ends: '&' as everyone splits, ';' as some servers do. */
static size_t query_param_len(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] != '&' && p[i] != ';')
		i++;
	return i;
}

size_t ws_redact_query(const char *q, size_t qlen, char *out, size_t outsz)
{
	static const char redacted[] = "=" WS_REDACTED;
	const size_t rlen = sizeof(redacted) - 1;
	const char *hash;
	size_t used = 0, i = 0;

	if (!out || !outsz)
		return 0;
	out[0] = '\0';
	if (!q)
		return 0;
	hash = memchr(q, '#', qlen);
	if (hash)
		qlen = hash - q;

	while (i <= qlen) {
		const char *seg = q + i;
		size_t slen = query_param_len(seg, qlen - i);
		const char *eq = memchr(seg, '=', slen);
		size_t klen = eq ? (size_t)(eq - seg) : 0;
		/* name=REDACTED; a bare one is all value: REDACTED; an empty one stays empty */
		size_t vlen = eq ? rlen : slen ? rlen - 1 : 0;
		size_t need = (i ? 1 : 0) + klen + vlen;

		/* Whole parameters only: a cut one could read as another name. */
		if (need > outsz - 1 - used)
			break;
		if (i)
			out[used++] = q[i - 1]; /* the separator as sent */
		memcpy(out + used, seg, klen);
		used += klen;
		memcpy(out + used, redacted + rlen - vlen, vlen);
		used += vlen;
		if (i + slen == qlen)
			break;
		i += slen + 1;
	}
	out[used] = '\0';
	return used;
}

/* Parses a port after ':'; empty is "none" (RFC 3986 allows it). */
static int parse_port(const char *p, size_t len, int *port)
{
	int v = 0;

	*port = -1;
	if (!len)
		return 0;
	/* Leading zeros are allowed (port = *DIGIT); the value must still fit. */
	while (len > 1 && p[0] == '0') {
		p++;
		len--;
	}
	if (len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(p[i]))
			return -EINVAL;
		v = v * 10 + (p[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = v;
	return 0;
}

/* host [":" port], host maybe an "[IP-literal]". No userinfo here. */
static int parse_hostport(const char *p, size_t len, const char **host, size_t *host_len, int *port)
{
	const char *rest;
	size_t hlen;

	if (!len)
		return -EINVAL;
	if (p[0] == '[') {
		const char *close = memchr(p, ']', len);

		if (!close || !ip_literal_ok(p + 1, close - p - 1))
			return -EINVAL;
		*host = p + 1;
		*host_len = close - p - 1;
		rest = close + 1;
	} else {
		const char *colon = memchr(p, ':', len);

		hlen = colon ? (size_t)(colon - p) : len;
		if (!reg_name_ok(p, hlen))
			return -EINVAL;
		*host = p;
		*host_len = hlen;
		rest = p + hlen;
	}
	len -= rest - p;
	if (!len) {
		*port = -1;
		return 0;
	}
	if (rest[0] != ':')
		return -EINVAL;
	return parse_port(rest + 1, len - 1, port);
}

int ws_parse_host_header(const char *v, size_t len, const char **host, size_t *host_len, int *port)
{
	const char *h;
	size_t hl;
	int pt, err;

	if (!v || !host || !host_len || !port)
		return -EINVAL;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	err = parse_hostport(v, len, &h, &hl, &pt);
	if (err)
		return err;
	*host = h;
	*host_len = hl;
	*port = pt;
	return 0;
}

/* Sets path and query from what follows the authority (or the whole origin-form target). */
static void split_path_query(const char *p, size_t len, struct ws_target *out)
{
	const char *hash = memchr(p, '#', len);
	const char *qm;

	if (hash)
		len = hash - p;
	qm = memchr(p, '?', len);
	out->path = p;
	out->path_len = qm ? (size_t)(qm - p) : len;
	if (qm) {
		out->query = qm + 1;
		out->query_len = len - out->path_len - 1;
	}
	/* RFC 9110 4.2.3: an empty path is "/" for http(s). */
	if (!out->path_len) {
		out->path = "/";
		out->path_len = 1;
	}
}

static int split_absolute(const char *t, size_t len, size_t scheme_len, struct ws_target *out)
{
	const char *auth = t + scheme_len + 3, *end, *at;
	size_t alen = len - scheme_len - 3;

	end = memchr_any(auth, alen, "/?#");
	if (end)
		alen = end - auth;
	/*
	 * Skip userinfo up to the LAST '@': userinfo cannot hold a raw '@',
	 * so anything before the last one is userinfo, however malformed.
	 */
	for (at = auth + alen; at > auth && at[-1] != '@'; at--)
		;
	alen -= at - auth;
	auth = at;
	if (parse_hostport(auth, alen, &out->host, &out->host_len, &out->port))
		return -EINVAL; /* includes the empty host RFC 9110 4.2.1 forbids */
	out->form = WS_TARGET_ABSOLUTE;
	out->scheme = t;
	out->scheme_len = scheme_len;
	split_path_query(auth + alen, len - (auth + alen - t), out);
	return 0;
}

int ws_split_target(const char *target, size_t len, struct ws_target *out)
{
	struct ws_target t = { .port = -1 };
	const char *colon;
	int err = 0;

	if (!out)
		return -EINVAL;
	*out = t;
	if (!target || !len)
		return -EINVAL;

	/* Only a target not in origin form (not "/...") can have a scheme or a port. */
	colon = target[0] == '/' ? NULL : memchr(target, ':', len);
	if (target[0] == '/') {
		t.form = WS_TARGET_ORIGIN;
		split_path_query(target, len, &t);
	} else if (len == 1 && target[0] == '*') {
		t.form = WS_TARGET_ASTERISK;
		t.path = target;
		t.path_len = 1;
	} else if (colon && scheme_ok(target, colon - target) && len - (colon - target) >= 3 &&
		   colon[1] == '/' && colon[2] == '/') {
		/* scheme "://": an absolute-URI with an authority, as http(s) has. */
		err = split_absolute(target, len, colon - target, &t);
	} else {
		/* authority-form: uri-host ":" port, nothing else (no userinfo, no path). */
		t.form = WS_TARGET_AUTHORITY;
		err = parse_hostport(target, len, &t.host, &t.host_len, &t.port);
	}
	if (err)
		return -EINVAL;
	*out = t;
	return 0;
}

static int default_port(const char *scheme, size_t len)
{
	if ((len == 4 && !strncasecmp(scheme, "http", 4)) ||
	    (len == 2 && !strncasecmp(scheme, "ws", 2)))
		return 80;
	if ((len == 5 && !strncasecmp(scheme, "https", 5)) ||
	    (len == 3 && !strncasecmp(scheme, "wss", 3)))
		return 443;
	return -1;
}

/* Appends to out as far as it fits; *used keeps counting past outsz to tell. */
static void put(char *out, size_t outsz, size_t *used, const char *s, size_t n)
{
	if (*used < outsz - 1) {
		size_t room = outsz - 1 - *used;

		memcpy(out + *used, s, n < room ? n : room);
	}
	*used += n;
}

int ws_build_url_full(const char *scheme, size_t scheme_len, const char *host, size_t host_len,
		      int port, const char *path, size_t path_len, const char *query,
		      size_t query_len, char *out, size_t outsz)
{
	char lower[32], portbuf[8];
	size_t used = 0;
	bool v6;
	int n;

	if (!out || !outsz)
		return -EINVAL;
	out[0] = '\0';
	if (!scheme || !host || (!path && path_len) || scheme_len >= sizeof(lower) ||
	    !scheme_ok(scheme, scheme_len) || port > 65535)
		return -EINVAL;
	v6 = memchr(host, ':', host_len) != NULL;
	if (v6 ? !ip_literal_ok(host, host_len) : !reg_name_ok(host, host_len))
		return -EINVAL;
	/* A path that does not start at '/' would run into the authority. */
	if (path_len && (path[0] != '/' || memchr_any(path, path_len, "?#")))
		return -EINVAL;
	if (query && memchr(query, '#', query_len))
		return -EINVAL;

	for (size_t i = 0; i < scheme_len; i++)
		lower[i] = is_alpha(scheme[i]) ? scheme[i] | 0x20 : scheme[i];
	put(out, outsz, &used, lower, scheme_len);
	put(out, outsz, &used, "://", 3);
	if (v6)
		put(out, outsz, &used, "[", 1);
	put(out, outsz, &used, host, host_len);
	if (v6)
		put(out, outsz, &used, "]", 1);
	if (port > 0 && port != default_port(scheme, scheme_len)) {
		n = snprintf(portbuf, sizeof(portbuf), ":%d", port);
		put(out, outsz, &used, portbuf, n);
	}
	if (path_len)
		put(out, outsz, &used, path, path_len);
	else
		put(out, outsz, &used, "/", 1);
	if (query) {
		put(out, outsz, &used, "?", 1);
		put(out, outsz, &used, query, query_len);
	}
	if (used > outsz - 1) {
		out[outsz - 1] = '\0';
		return -ENOSPC;
	}
	out[used] = '\0';
	return used > (size_t)0x7fffffff ? -ENOSPC : (int)used;
}

/* Bytes after which a path may hold something to redact, or must end. */
static const bool path_special_tab[256] = {
	[';'] = true,
	['('] = true,
	['?'] = true,
	['#'] = true,
};

/*
 * ASP.NET's cookieless state as a whole segment: "(" 1*(ALPHA "(" value ")")
 * ")", as in "(S(sessionid))" or "(A(anon)S(sess)F(ticket))". Writes it with
 * every value replaced and returns true; when seg has another shape, writes
 * nothing (*used restored) and returns false.
 */
static bool put_cookieless(char *out, size_t outsz, size_t *used, const char *seg, size_t len)
{
	size_t start = *used, i = 1;

	if (len < 5 || seg[0] != '(' || seg[len - 1] != ')')
		return false;
	put(out, outsz, used, "(", 1);
	while (i < len - 1) {
		size_t v = i + 2;

		if (!is_alpha(seg[i]) || seg[i + 1] != '(')
			goto other;
		while (v < len - 1 && seg[v] != ')' && seg[v] != '(')
			v++;
		if (v == len - 1 || seg[v] != ')')
			goto other;
		put(out, outsz, used, seg + i, 2);
		put(out, outsz, used, WS_REDACTED ")", sizeof(WS_REDACTED));
		i = v + 1;
	}
	put(out, outsz, used, ")", 1);
	return true;
other:
	*used = start;
	return false;
}

/* ";" params of one segment (p at its first ';'): name=REDACTED, REDACTED, or empty. */
static void put_path_params(char *out, size_t outsz, size_t *used, const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *prm = p + i + 1; /* past the ';' */
		const char *end = memchr(prm, ';', len - i - 1);
		size_t plen = end ? (size_t)(end - prm) : len - i - 1;
		const char *eq = memchr(prm, '=', plen);

		put(out, outsz, used, ";", 1);
		if (eq) {
			put(out, outsz, used, prm, eq - prm + 1);
			put(out, outsz, used, WS_REDACTED, sizeof(WS_REDACTED) - 1);
		} else if (plen) {
			put(out, outsz, used, WS_REDACTED, sizeof(WS_REDACTED) - 1);
		}
		i += plen + 1;
	}
}

const char *ws_redact_path(const char *p, size_t len, char *out, size_t outsz, size_t *out_len)
{
	size_t i = 0, used = 0;

	*out_len = 0;
	if (!p)
		return "";
	/* Most paths hold none of ";?#" and no "/(": one look at each byte, no copy. */
	for (; i < len; i++) {
		if (path_special_tab[(unsigned char)p[i]] &&
		    (p[i] != '(' || i == 0 || p[i - 1] == '/'))
			break;
	}
	for (size_t k = i; k < len; k++) {
		if (p[k] == '?' || p[k] == '#') {
			len = k;
			break;
		}
	}
	if (i == len) {
		*out_len = len;
		return p;
	}
	if (!out || !outsz)
		return "";

	/* Segments up to the one holding the first special byte go as they are. */
	while (i > 0 && p[i - 1] != '/')
		i--;
	put(out, outsz, &used, p, i);
	while (i < len) {
		const char *seg = p + i;
		const char *slash = memchr(seg, '/', len - i);
		size_t slen = slash ? (size_t)(slash - seg) : len - i;
		const char *semi = memchr(seg, ';', slen);
		size_t nlen = semi ? (size_t)(semi - seg) : slen;

		/* The whole segment first: a ';' inside "(S(...))" is part of the value. */
		if (put_cookieless(out, outsz, &used, seg, slen)) {
			semi = NULL;
		} else if (!put_cookieless(out, outsz, &used, seg, nlen)) {
			put(out, outsz, &used, seg, nlen);
		}
		if (semi)
			put_path_params(out, outsz, &used, semi, slen - nlen);
		if (slash)
			put(out, outsz, &used, "/", 1);
		i += slen + (slash ? 1 : 0);
		if (used >= outsz - 1)
			break; /* full: the rest would only be counted */
	}
	if (used > outsz - 1)
		used = outsz - 1;
	out[used] = '\0';
	*out_len = used;
	return out;
}
