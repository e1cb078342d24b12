/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The bit mixer of the agent's hash tables (MurmurHash3's fmix64 half):
 * kernel addresses, pids and pointers carry little in their low bits, so
 * every bit is mixed in before a power-of-two table takes the low ones.
 */
#ifndef WS_HASHMIX_H
#define WS_HASHMIX_H

#include <stdint.h>

static inline uint64_t ws_mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

#endif /* WS_HASHMIX_H */
