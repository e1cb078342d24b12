// fuzz-links: user/process/resattrs.c user/lib/jsonpick.c user/lib/json.c
// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for what resources read from other programs: an
 * OTEL_RESOURCE_ATTRIBUTES value (parsed twice into one set, as the agent's
 * and a process's are merged) and a container runtime's JSON record (picked
 * at a one- and a two-key path). Contracts, not only memory safety:
 *   resattrs  bounds hold, every key and value is NUL-terminated at its
 *             length, holds no control character, and can be found again;
 *   jsonpick  a success wrote exactly that many bytes and a NUL; a failure
 *             left an empty string.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpick.h"
#include "resattrs.h"

#define ASSERT(c)                                                                                  \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static void check_set(const struct ws_res_attrs *s)
{
	ASSERT(s->n <= WS_RES_ATTRS_MAX && s->used <= WS_RES_ATTRS_BUF);
	for (unsigned int i = 0; i < s->n; i++) {
		const char *k = ws_res_attr_key(s, i), *v = ws_res_attr_val(s, i);

		ASSERT(s->a[i].klen > 0 && s->a[i].klen <= WS_RES_KEY_MAX);
		ASSERT(s->a[i].vlen <= WS_RES_VALUE_MAX);
		ASSERT(strlen(k) == s->a[i].klen && strlen(v) == s->a[i].vlen);
		for (const char *c = k; *c; c++)
			ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f);
		for (const char *c = v; *c; c++)
			ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f);
		ASSERT(ws_res_attrs_get(s, k) == v);
	}
}

static void pick(const char *data, size_t size, const char *const *path, size_t depth, size_t outsz)
{
	char *out = malloc(outsz); /* exact size: ASan sees a write past it */
	int n;

	if (!out)
		return;
	n = ws_json_pick(data, size, path, depth, out, outsz);
	if (n >= 0) {
		ASSERT((size_t)n < outsz && out[n] == '\0');
	} else {
		ASSERT(n == -ENOENT || n == -EINVAL || n == -ENOSPC);
		ASSERT(out[0] == '\0');
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const docker[] = { "Name" };
	static const char *const oci[] = { "annotations", "io.kubernetes.cri.container-name" };
	struct ws_res_attrs *s = malloc(sizeof(*s));
	/* a copy of exactly size bytes: the parsers must not look past it */
	char *copy = malloc(size ? size : 1);

	if (!s || !copy)
		goto out;
	memcpy(copy, data, size);
	ws_res_attrs_init(s);
	ASSERT(ws_res_attrs_parse(s, copy, size) >= 0);
	check_set(s);
	ws_res_attrs_parse(s, copy, size / 2);
	check_set(s);

	pick(copy, size, docker, 1, 128);
	pick(copy, size, oci, 2, 1 + size % 16);
out:
	free(copy);
	free(s);
	return 0;
}
