// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The cache of HTTP endpoints (see endpoints.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "endpoints.h"
#include "hashmix.h"
#include "ipaddr.h"

struct slot {
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	uint16_t port;
	uint16_t family; /* 0: empty */
};

struct ws_endpoints {
	uint32_t mask;
	struct slot s[];
};

/* The canonical form of an endpoint; false for a family that is not IP. */
static bool canon(uint16_t family, const uint8_t *addr, uint16_t port, struct slot *out)
{
	memset(out, 0, sizeof(*out));
	out->port = port;
	if (family == AF_INET6 && ws_ipv4_mapped(addr)) {
		memcpy(out->addr, addr + 12, 4);
		out->family = AF_INET;
	} else if (family == AF_INET6) {
		memcpy(out->addr, addr, 16);
		out->family = AF_INET6;
	} else if (family == AF_INET) {
		memcpy(out->addr, addr, 4);
		out->family = AF_INET;
	} else {
		return false;
	}
	return true;
}

static uint32_t slot_of(const struct ws_endpoints *e, const struct slot *k)
{
	uint64_t a, b;

	memcpy(&a, k->addr, 8);
	memcpy(&b, k->addr + 8, 8);
	return (uint32_t)ws_mix64(a ^ ws_mix64(b ^ ((uint64_t)k->family << 16 | k->port))) &
	       e->mask;
}

struct ws_endpoints *ws_endpoints_new(uint32_t nslots)
{
	struct ws_endpoints *e;
	uint32_t n = 1;

	if (!nslots)
		nslots = 4096;
	if (nslots > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	while (n < nslots)
		n <<= 1;
	e = calloc(1, sizeof(*e) + n * sizeof(e->s[0]));
	if (!e)
		return NULL;
	e->mask = n - 1;
	return e;
}

void ws_endpoints_free(struct ws_endpoints *e)
{
	free(e);
}

void ws_endpoints_add(struct ws_endpoints *e, uint16_t family, const uint8_t *addr, uint16_t port)
{
	struct slot k;

	if (e && addr && canon(family, addr, port, &k))
		e->s[slot_of(e, &k)] = k;
}

bool ws_endpoints_has(const struct ws_endpoints *e, uint16_t family, const uint8_t *addr,
		      uint16_t port)
{
	struct slot k;

	if (!e || !addr || !canon(family, addr, port, &k))
		return false;
	return !memcmp(&e->s[slot_of(e, &k)], &k, sizeof(k));
}
