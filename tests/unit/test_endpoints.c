/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The HTTP endpoint cache: exact matches, IPv4-mapped addresses, bounded memory. */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "check.h"
#include "endpoints.h"

static uint8_t A4[4], B4[4], A6[16], M6[16];

static void addrs(void)
{
	inet_pton(AF_INET, "127.0.0.1", A4);
	inet_pton(AF_INET, "10.1.2.3", B4);
	inet_pton(AF_INET6, "2001:db8::1", A6);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", M6);
}

TEST(test_known_only_as_added)
{
	struct ws_endpoints *e = ws_endpoints_new(0);

	addrs();
	CHECK(!ws_endpoints_has(e, AF_INET, A4, 8080));
	ws_endpoints_add(e, AF_INET, A4, 8080);
	CHECK(ws_endpoints_has(e, AF_INET, A4, 8080));
	CHECK(!ws_endpoints_has(e, AF_INET, A4, 8081));
	CHECK(!ws_endpoints_has(e, AF_INET, B4, 8080));
	ws_endpoints_add(e, AF_INET6, A6, 443);
	CHECK(ws_endpoints_has(e, AF_INET6, A6, 443));
	CHECK(!ws_endpoints_has(e, AF_INET6, A6, 80));
	ws_endpoints_free(e);
}

/* A dual-stack socket reaching 127.0.0.1 and an IPv4 socket are the same endpoint. */
TEST(test_ipv4_mapped_is_ipv4)
{
	struct ws_endpoints *e = ws_endpoints_new(16);

	addrs();
	ws_endpoints_add(e, AF_INET6, M6, 9000);
	CHECK(ws_endpoints_has(e, AF_INET, A4, 9000));
	CHECK(ws_endpoints_has(e, AF_INET6, M6, 9000));
	ws_endpoints_add(e, AF_INET, B4, 9001);
	CHECK(!ws_endpoints_has(e, AF_INET6, A6, 9001));
	ws_endpoints_free(e);
}

TEST(test_other_families_and_null_are_unknown)
{
	struct ws_endpoints *e = ws_endpoints_new(16);

	addrs();
	ws_endpoints_add(e, AF_UNIX, A4, 1);
	CHECK(!ws_endpoints_has(e, AF_UNIX, A4, 1));
	ws_endpoints_add(e, AF_INET, NULL, 1);
	CHECK(!ws_endpoints_has(e, AF_INET, NULL, 1));
	ws_endpoints_add(NULL, AF_INET, A4, 1);
	CHECK(!ws_endpoints_has(NULL, AF_INET, A4, 1));
	ws_endpoints_free(NULL);
	errno = 0;
	CHECK(ws_endpoints_new(1u << 25) == NULL);
	CHECK_INT(errno, EINVAL);
	ws_endpoints_free(e);
}

/* Fixed memory: more endpoints than slots keep the newest of each slot, never more. */
TEST(test_bounded_newest_wins)
{
	struct ws_endpoints *e = ws_endpoints_new(64);
	int known = 0;

	addrs();
	for (int p = 1; p <= 1000; p++)
		ws_endpoints_add(e, AF_INET, A4, p);
	for (int p = 1; p <= 1000; p++)
		known += ws_endpoints_has(e, AF_INET, A4, p);
	CHECK(known <= 64 && known >= 16);
	CHECK(ws_endpoints_has(e, AF_INET, A4, 1000));
	ws_endpoints_free(e);
}

static const struct check_case cases[] = {
	CASE(test_known_only_as_added),
	CASE(test_ipv4_mapped_is_ipv4),
	CASE(test_other_families_and_null_are_unknown),
	CASE(test_bounded_newest_wins),
};

CHECK_MAIN("endpoints", cases)
