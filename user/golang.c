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

bool ws_elf_is_go(int fd)
{
	static const char want[] = ".go.buildinfo";
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL, *strs;
	char *names = NULL;
	uint64_t shoff, size;
	unsigned int shnum, stridx;
	bool be, found = false;

	if (fd < 0 || !read_at(fd, &eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		return false;
	be = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	shoff = u64(eh.e_shoff, be);
	shnum = u16(eh.e_shnum, be);
	stridx = u16(eh.e_shstrndx, be);
	if (!shoff || !shnum || shnum > MAX_SECTIONS || stridx >= shnum ||
	    u16(eh.e_shentsize, be) != sizeof(Elf64_Shdr))
		return false;
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
	for (unsigned int i = 0; i < shnum && !found; i++) {
		uint32_t at = u32(sh[i].sh_name, be);

		found = at < size && !strcmp(names + at, want);
	}
out:
	free(names);
	free(sh);
	return found;
}
