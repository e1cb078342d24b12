// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Go binaries, told by their .go.buildinfo section. See golang.h. */
#include <elf.h>
#include <stdint.h>
#include <string.h>

#include "elfsym.h"
#include "golang.h"

/*
 * The version in a .go.buildinfo section: since Go 1.18 (flag 2 in its
 * 32-byte header) a varint-prefixed string follows the header inline,
 * "go1.21.5" or "devel go1.22-abc...". 0 when not told.
 */
static uint16_t buildinfo_minor(const struct ws_elf *e, const Elf64_Shdr *s)
{
	static const char magic[14] = "\xff Go buildinf:";
	uint8_t b[32 + 1 + 64];
	size_t have = s->sh_size < sizeof(b) ? s->sh_size : sizeof(b);
	const char *v, *end;
	unsigned int len, minor = 0;

	if (s->sh_size < 34 || ws_elf_read(e, b, have, s->sh_offset) ||
	    memcmp(b, magic, sizeof(magic)) || !(b[15] & 2))
		return 0;
	len = b[32]; /* a varint: versions are far shorter than 128 bytes */
	if (len >= 128 || 33 + len > have)
		return 0;
	v = (const char *)b + 33;
	end = v + len;
	for (; v + 4 <= end && memcmp(v, "go1.", 4); v++)
		;
	if (v + 4 > end)
		return 0;
	for (v += 4; v < end && *v >= '0' && *v <= '9' && minor < 1000; v++)
		minor = minor * 10 + (unsigned int)(*v - '0');
	return minor < 1000 ? minor : 0;
}

bool ws_elf_is_go(int fd)
{
	struct ws_go_info gi;

	return !ws_elf_go_info(fd, &gi) && gi.go;
}

bool ws_go_goroutines_known(const struct ws_go_info *gi)
{
#if defined(__x86_64__)
	const uint16_t here = EM_X86_64;
#elif defined(__aarch64__)
	const uint16_t here = EM_AARCH64;
#else
	const uint16_t here = EM_NONE;
#endif
	return gi->go && gi->machine == here && here != EM_NONE && gi->minor >= 19;
}

int ws_elf_go_info(int fd, struct ws_go_info *out)
{
	const Elf64_Shdr *s;
	struct ws_elf e;

	memset(out, 0, sizeof(*out));
	if (ws_elf_open(&e, fd))
		return -1;
	out->machine = e.machine;
	/* A malformed section table says nothing: not Go, but an answer. */
	if (!ws_elf_sections(&e) && (s = ws_elf_section(&e, ".go.buildinfo"))) {
		out->go = true;
		out->minor = buildinfo_minor(&e, s);
	}
	ws_elf_close(&e);
	return 0;
}
