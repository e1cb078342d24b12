/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Partners: names for the hosts a service calls (payment APIs, webhooks,
 * SaaS), so a CLIENT span says "stripe" and not only an address, and the
 * response headers that carry the partner's own request id, so a trace can
 * be matched with the partner's dashboard. Pure: parsed once from the
 * configuration, read by the assembler.
 */
#ifndef WS_PARTNERS_H
#define WS_PARTNERS_H

#include <stddef.h>

#define WS_MAX_PARTNERS 64
#define WS_MAX_REQID_HEADERS 8
#define WS_REQID_HEADERS_DEFAULT "request-id,x-request-id,x-amzn-requestid,x-amz-request-id,cf-ray"

struct ws_partner {
	char host[254];		/* lower case; after "*." for a wildcard */
	unsigned char wildcard; /* "*.example.com": every subdomain, not example.com itself */
	char name[64];
};

struct ws_partners {
	struct ws_partner p[WS_MAX_PARTNERS];
	size_t n;
	char hdr[WS_MAX_REQID_HEADERS][64]; /* response header names, lower case */
	char key[WS_MAX_REQID_HEADERS][96]; /* their attribute keys: http.response.header.<name> */
	size_t nhdr;
};

/* No partner; the default request-id headers. */
void ws_partners_init(struct ws_partners *ps);
/*
 * Adds "host=name" entries, comma separated ("api.stripe.com=stripe,
 * *.slack.com=slack"). 0, or -EINVAL (bad host, empty name, a name with
 * characters other than [A-Za-z0-9._-]) / -ENOSPC; nothing is added then.
 */
int ws_partners_add(struct ws_partners *ps, const char *spec);
/* Replaces the request-id headers with a comma-separated list ("" for none). 0, -EINVAL, -ENOSPC. */
int ws_partners_set_headers(struct ws_partners *ps, const char *csv);
/* The partner named for host (case-insensitive; an exact entry wins over a wildcard); NULL. */
const char *ws_partner_of(const struct ws_partners *ps, const char *host, size_t len);

#endif /* WS_PARTNERS_H */
