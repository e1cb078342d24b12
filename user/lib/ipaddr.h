/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An IPv6 address that is an IPv4 one (::ffff:a.b.c.d): what a dual-stack
 * socket talking IPv4 reports. Spans, links and endpoint caches all treat it
 * as the IPv4 address, so one definition for them.
 */
#ifndef WS_IPADDR_H
#define WS_IPADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline bool ws_ipv4_mapped(const uint8_t addr[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(addr, prefix, sizeof(prefix));
}

#endif /* WS_IPADDR_H */
