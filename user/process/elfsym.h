/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading ELF files that a traced program controls: its executable is
 * hostile input, so every offset, size and count read from it is checked
 * against the file's size and against bounds no real binary comes near
 * before it is followed, and the work done is bounded whatever the file
 * says. One reader of the header and the section table, used by golang.c
 * (is it Go?) and by the symbol lookup that places the Go uprobes
 * (bpf_load.c), so that libbpf's own ELF code never sees such a file.
 * Pure: an fd in, pread() only, no global state.
 */
#ifndef WS_ELFSYM_H
#define WS_ELFSYM_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An ELF64 file open for reading: its header and section table in host byte order. */
struct ws_elf {
	int fd;		  /* borrowed, not closed by ws_elf_close() */
	uint64_t size;	  /* from fstat: nothing is read at or past it */
	bool be;	  /* the file is big-endian */
	uint16_t machine; /* e_machine */
	uint16_t type;	  /* e_type */
	uint64_t phoff;	  /* the program headers, as the file says: checked where used */
	uint16_t phnum, phentsize;
	uint64_t shoff; /* the section headers, as the file says */
	uint16_t shentsize, shstrndx;
	unsigned int shnum;
	Elf64_Shdr *sh; /* shnum headers; NULL until ws_elf_sections() succeeded */
	char *shstr;	/* the section name table, NUL-terminated at shstr_size */
	uint64_t shstr_size;
};

/*
 * Reads the ELF header of the regular file open at fd. 0; -ENOEXEC when it
 * is not a 64-bit ELF file (32-bit, not ELF, too short); -EINVAL when fd
 * is not a regular file; -errno when it cannot be read.
 */
int ws_elf_open(struct ws_elf *e, int fd);
/*
 * Reads the section table and its name table, bounded. 0; -EINVAL when
 * the table is missing or malformed (an entry size other than
 * sizeof(Elf64_Shdr), more than 4096 sections, anything past the end of
 * the file); -ENOMEM; -EIO on a short read.
 */
int ws_elf_sections(struct ws_elf *e);
/* The first section called name, or NULL. Needs ws_elf_sections(). */
const Elf64_Shdr *ws_elf_section(const struct ws_elf *e, const char *name);
/* Reads len bytes at off when all of them lie inside the file: 0, -EINVAL or -EIO. */
int ws_elf_read(const struct ws_elf *e, void *buf, size_t len, uint64_t off);
/* Frees what ws_elf_sections() read; the fd stays open. Safe on a zeroed struct. */
void ws_elf_close(struct ws_elf *e);

/*
 * The file offsets of the function symbols names[0..n) in the .symtab of
 * the executable open at fd, what bpf_program__attach_uprobe_opts() takes
 * as its func_offset: the symbol's address, placed in the file through
 * the executable PT_LOAD segment that holds it. offs[i] is 0 for a name
 * not found. Returns the number of names found (>= 0), or -errno:
 * -ENOEXEC for a file that is not a 64-bit ELF in this host's byte order
 * (no probe could run in it here), -ENOENT when there is no .symtab (a
 * stripped binary), -EINVAL for a malformed one, -E2BIG when the scan
 * stopped at its bound (elfsym.c says why) before finding every name.
 * A symbol found in no PT_LOAD segment, or defined twice at different
 * addresses, makes the call fail with -EINVAL.
 */
int ws_elf_func_offsets(int fd, const char *const *names, size_t n, uint64_t *offs);

#endif /* WS_ELFSYM_H */
