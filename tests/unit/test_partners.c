// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Partner names by host, and the request-id headers to keep. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "partners.h"

static struct ws_partners ps;

static const char *of(const char *host)
{
	return ws_partner_of(&ps, host, strlen(host));
}

TEST(exact_and_wildcard_hosts_are_named)
{
	ws_partners_init(&ps);
	CHECK_INT(ws_partners_add(&ps, "api.stripe.com=stripe, *.slack.com = slack"), 0);
	CHECK_INT(ws_partners_add(&ps, "*.eu.slack.com=slack-eu,hooks.slack.com=slack-hooks"), 0);
	CHECK_STR(of("api.stripe.com"), "stripe");
	CHECK_STR(of("API.Stripe.COM"), "stripe");
	CHECK(of("stripe.com") == NULL);
	CHECK(of("api.stripe.com.evil.net") == NULL);
	CHECK_STR(of("x.slack.com"), "slack");
	CHECK(of("slack.com") == NULL);			 /* a wildcard needs a subdomain */
	CHECK(of("badslack.com") == NULL);		 /* and a dot before the domain */
	CHECK_STR(of("a.eu.slack.com"), "slack-eu");	 /* the most specific wildcard */
	CHECK_STR(of("hooks.slack.com"), "slack-hooks"); /* exact beats wildcard */
	CHECK(ws_partner_of(NULL, "x", 1) == NULL);
}

TEST(bad_specs_are_refused_whole)
{
	ws_partners_init(&ps);
	CHECK_INT(ws_partners_add(&ps, "api.stripe.com"), -EINVAL);
	CHECK_INT(ws_partners_add(&ps, "=stripe"), -EINVAL);
	CHECK_INT(ws_partners_add(&ps, "a.com="), -EINVAL);
	CHECK_INT(ws_partners_add(&ps, "a.com=x y"), -EINVAL);
	CHECK_INT(ws_partners_add(&ps, "a b.com=x"), -EINVAL);
	CHECK_INT(ws_partners_add(&ps, "good.com=ok,bad host=x"), -EINVAL);
	CHECK_INT(ps.n, 0); /* nothing of a refused list is kept */
	CHECK_INT(ws_partners_add(&ps, ""), -EINVAL);
	for (int i = 0; i < WS_MAX_PARTNERS; i++)
		CHECK_INT(ws_partners_add(&ps, "h.com=n"), 0);
	CHECK_INT(ws_partners_add(&ps, "h.com=n"), -ENOSPC);
}

TEST(request_id_headers_default_and_replace)
{
	ws_partners_init(&ps);
	CHECK_INT(ps.nhdr, 5);
	CHECK_STR(ps.hdr[0], "request-id");
	CHECK_STR(ps.key[4], "http.response.header.cf-ray");
	CHECK_INT(ws_partners_set_headers(&ps, " X-Stripe-Request , x-github-request-id"), 0);
	CHECK_INT(ps.nhdr, 2);
	CHECK_STR(ps.hdr[0], "x-stripe-request");
	CHECK_STR(ps.key[1], "http.response.header.x-github-request-id");
	CHECK_INT(ws_partners_set_headers(&ps, "bad header"), -EINVAL);
	CHECK_INT(ps.nhdr, 2); /* unchanged */
	CHECK_INT(ws_partners_set_headers(&ps, "a,b,c,d,e,f,g,h,i"), -ENOSPC);
	CHECK_INT(ws_partners_set_headers(&ps, ""), 0);
	CHECK_INT(ps.nhdr, 0);
}

static const struct check_case cases[] = {
	CASE(exact_and_wildcard_hosts_are_named),
	CASE(bad_specs_are_refused_whole),
	CASE(request_id_headers_default_and_replace),
};

CHECK_MAIN("partners", cases)
