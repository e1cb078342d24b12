/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Endpoints (address and port) seen speaking HTTP on this host: servers the
 * traced clients called, and the local addresses traced servers answered
 * on. A connect() that fails never sends a byte, so nothing says it was an
 * HTTP call but where it went: a failed connect to a known endpoint is a
 * failed HTTP call; to an unknown one (a database, the IPv6 attempt of a
 * dual-stack client) it is not made a span. Pure, fixed memory: a
 * direct-mapped cache, where a newer endpoint takes the slot of an older.
 */
#ifndef WS_ENDPOINTS_H
#define WS_ENDPOINTS_H

#include <stdbool.h>
#include <stdint.h>

struct ws_endpoints;

/* A cache of about nslots endpoints (rounded up to a power of two; 0: 4096). NULL + errno. */
struct ws_endpoints *ws_endpoints_new(uint32_t nslots);
void ws_endpoints_free(struct ws_endpoints *e);

/*
 * addr: 4 bytes for AF_INET, 16 for AF_INET6 (an IPv4-mapped one counts as
 * the IPv4 address, so a dual-stack socket and an IPv4 one agree). Other
 * families are ignored (add) or unknown (has).
 */
void ws_endpoints_add(struct ws_endpoints *e, uint16_t family, const uint8_t *addr, uint16_t port);
bool ws_endpoints_has(const struct ws_endpoints *e, uint16_t family, const uint8_t *addr,
		      uint16_t port);

#endif /* WS_ENDPOINTS_H */
