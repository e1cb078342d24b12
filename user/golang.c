// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Go binaries, told by their .go.buildinfo section. See golang.h. */
#include <elf.h>
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "golang.h"

/* Bounds that no real binary comes near: a hostile file costs little. */
#define MAX_SECTIONS 4096
#define MAX_SHSTRTAB (256 * 1024)

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n == (ssize_t)len;
}

static uint16_t u16(uint16_t v, bool be)
{
	return be ? be16toh(v) : le16toh(v);
}

static uint32_t u32(uint32_t v, bool be)
{
	return be ? be32toh(v) : le32toh(v);
}

static uint64_t u64(uint64_t v, bool be)
{
	return be ? be64toh(v) : le64toh(v);
}

/*
 * The version in a .go.buildinfo section at off: since Go 1.18 (flag 2 in
 * its 32-byte header) a varint-prefixed string follows the header inline,
 * "go1.21.5" or "devel go1.22-abc...". 0 when not told.
 */
static uint16_t buildinfo_minor(int fd, uint64_t off, uint64_t size)
{
	static const char magic[14] = "\xff Go buildinf:";
	uint8_t b[32 + 1 + 64];
	size_t have = size < sizeof(b) ? size : sizeof(b);
	const char *v, *end;
	unsigned int len, minor = 0;

	if (size < 34 || !read_at(fd, b, have, off) || memcmp(b, magic, sizeof(magic)) ||
	    !(b[15] & 2))
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
	static const char want[] = ".go.buildinfo";
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL, *strs;
	char *names = NULL;
	uint64_t shoff, size;
	unsigned int shnum, stridx;
	bool be;

	memset(out, 0, sizeof(*out));
	if (fd < 0 || !read_at(fd, &eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -1;
	be = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	out->machine = u16(eh.e_machine, be);
	shoff = u64(eh.e_shoff, be);
	shnum = u16(eh.e_shnum, be);
	stridx = u16(eh.e_shstrndx, be);
	if (!shoff || !shnum || shnum > MAX_SECTIONS || stridx >= shnum ||
	    u16(eh.e_shentsize, be) != sizeof(Elf64_Shdr))
		return 0;
	sh = malloc(shnum * sizeof(*sh));
	if (!sh || !read_at(fd, sh, shnum * sizeof(*sh), shoff))
		goto out;
	strs = &sh[stridx];
	size = u64(strs->sh_size, be);
	if (!size || size > MAX_SHSTRTAB)
		goto out;
	names = malloc(size + 1);
	if (!names || !read_at(fd, names, size, u64(strs->sh_offset, be)))
		goto out;
	names[size] = '\0'; /* every name below ends inside the table */
	for (unsigned int i = 0; i < shnum && !out->go; i++) {
		uint32_t at = u32(sh[i].sh_name, be);

		if (at < size && !strcmp(names + at, want)) {
			out->go = true;
			out->minor = buildinfo_minor(fd, u64(sh[i].sh_offset, be),
						     u64(sh[i].sh_size, be));
		}
	}
out:
	free(names);
	free(sh);
	return 0;
}
