// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Partner names by host and request-id headers (see partners.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "httpchars.h"
#include "partners.h"

#define KEY_PREFIX "http.response.header."
_Static_assert(sizeof(KEY_PREFIX) - 1 + 64 <= sizeof(((struct ws_partners *)0)->key[0]),
	       "attribute key room");

static bool host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

static void lower_copy(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? src[i] - 'A' + 'a' : src[i];
	dst[n] = '\0';
}

void ws_partners_init(struct ws_partners *ps)
{
	memset(ps, 0, sizeof(*ps));
	ws_partners_set_headers(ps, WS_REQID_HEADERS_DEFAULT);
}

/* One "host=name" into *out; 0 or -EINVAL. */
static int parse_one(const char *s, const char *e, struct ws_partner *out)
{
	const char *eq = memchr(s, '=', e - s), *hs = s, *he, *ns, *ne = e;

	if (!eq)
		return -EINVAL;
	he = eq;
	ns = eq + 1;
	ws_trim_ows(&hs, &he);
	ws_trim_ows(&ns, &ne);
	memset(out, 0, sizeof(*out));
	if (he - hs > 2 && hs[0] == '*' && hs[1] == '.') {
		out->wildcard = 1;
		hs += 2;
	}
	if (hs == he || (size_t)(he - hs) >= sizeof(out->host) || ns == ne ||
	    (size_t)(ne - ns) >= sizeof(out->name))
		return -EINVAL;
	lower_copy(out->host, hs, he - hs);
	for (const char *c = out->host; *c; c++)
		if (!host_char(*c))
			return -EINVAL;
	for (const char *c = ns; c < ne; c++)
		if (!name_char(*c))
			return -EINVAL;
	memcpy(out->name, ns, ne - ns);
	return 0;
}

/* The next non-empty item of a comma-separated list, trimmed; false at the end. */
static bool next_item(const char **s, const char *end, const char **ts, const char **te)
{
	while (*s < end) {
		const char *c = memchr(*s, ',', end - *s), *e = c ? c : end;

		*ts = *s;
		*te = e;
		*s = e + 1;
		ws_trim_ows(ts, te);
		if (*ts < *te)
			return true;
	}
	return false;
}

int ws_partners_add(struct ws_partners *ps, const char *spec)
{
	struct ws_partner tmp[WS_MAX_PARTNERS];
	const char *s = spec, *end = spec + strlen(spec), *ts, *te;
	size_t n = 0;

	while (next_item(&s, end, &ts, &te)) {
		if (ps->n + n >= WS_MAX_PARTNERS)
			return -ENOSPC;
		if (parse_one(ts, te, &tmp[n]))
			return -EINVAL;
		n++;
	}
	if (!n)
		return -EINVAL;
	memcpy(&ps->p[ps->n], tmp, n * sizeof(tmp[0]));
	ps->n += n;
	return 0;
}

int ws_partners_set_headers(struct ws_partners *ps, const char *csv)
{
	char hdr[WS_MAX_REQID_HEADERS][64];
	const char *s = csv, *end = csv + strlen(csv), *ts, *te;
	size_t n = 0;

	while (next_item(&s, end, &ts, &te)) {
		if (n == WS_MAX_REQID_HEADERS)
			return -ENOSPC;
		if ((size_t)(te - ts) >= sizeof(hdr[0]))
			return -EINVAL;
		for (const char *x = ts; x < te; x++)
			if (!ws_is_tchar(*x))
				return -EINVAL;
		lower_copy(hdr[n++], ts, te - ts);
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(ps->hdr[i], hdr[i], sizeof(hdr[i]));
		/* 21 + 63 + NUL fits the 96 bytes of a key */
		memcpy(ps->key[i], KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
		memcpy(ps->key[i] + sizeof(KEY_PREFIX) - 1, hdr[i], strlen(hdr[i]) + 1);
	}
	ps->nhdr = n;
	return 0;
}

const char *ws_partner_of(const struct ws_partners *ps, const char *host, size_t len)
{
	const char *wild = NULL;
	size_t wild_len = 0;

	if (!ps)
		return NULL;
	for (size_t i = 0; i < ps->n; i++) {
		const struct ws_partner *p = &ps->p[i];
		size_t hl = strlen(p->host);

		if (!p->wildcard) {
			if (hl == len && !strncasecmp(p->host, host, len))
				return p->name;
			continue;
		}
		/* "*.example.com" matches "a.example.com", not "example.com" or "badexample.com" */
		if (len > hl + 1 && host[len - hl - 1] == '.' &&
		    !strncasecmp(p->host, host + len - hl, hl) && hl > wild_len) {
			wild = p->name;
			wild_len = hl; /* the most specific wildcard wins */
		}
	}
	return wild;
}
