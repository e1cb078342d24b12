// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A bounded ELF64 reader for files traced programs control: the header,
 * the section table and the function symbols the Go uprobes need. Every
 * number read from the file is checked before it is used as an offset,
 * a size or a divisor, and every loop has a bound of its own. See elfsym.h.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"

/*
 * Bounds that no real binary comes near, so a hostile file costs little:
 * a large Go binary has about 60 sections, a name table of a few hundred
 * bytes and about 10 program headers.
 */
#define MAX_SECTIONS 4096
#define MAX_SHSTRTAB (256 * 1024)
#define MAX_PHDRS 256
/*
 * The symbol scan's bounds. The Go net/http server of the integration
 * tests has about 10^4 symbols and the largest Go programs a few 10^5:
 * 2^20 symbols (24 MiB of table) leave room for them while a hostile
 * 1 GiB table is read no further. Names are read through a window that
 * moves forward as the table does (Go's linker writes both in the same
 * order); a table whose names jump about may move it at most
 * MAX_NAME_READS times (64 MiB of reads) before the scan gives up.
 */
#define MAX_SYMS (1u << 20)
#define SYM_CHUNK 1024 /* symbols per pread: 24 KiB */
#define NAME_WINDOW 4096
#define MAX_NAME_READS 16384
#define MAX_NAME_LEN 1024 /* of a name looked up: the window holds it and its NUL */

static uint16_t u16(const struct ws_elf *e, uint16_t v)
{
	return e->be ? be16toh(v) : le16toh(v);
}

static uint32_t u32(const struct ws_elf *e, uint32_t v)
{
	return e->be ? be32toh(v) : le32toh(v);
}

static uint64_t u64(const struct ws_elf *e, uint64_t v)
{
	return e->be ? be64toh(v) : le64toh(v);
}

/* True when [off, off + len) lies inside a file of size bytes; no overflow. */
static bool inside(uint64_t size, uint64_t off, uint64_t len)
{
	return len <= size && off <= size - len;
}

int ws_elf_read(const struct ws_elf *e, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	if (!inside(e->size, off, len))
		return -EINVAL;
	while (got < len) {
		ssize_t n = pread(e->fd, (char *)buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO; /* shorter than fstat said: changed under us */
		got += (size_t)n;
	}
	return 0;
}

int ws_elf_open(struct ws_elf *e, int fd)
{
	Elf64_Ehdr eh;
	struct stat st;
	int err;

	memset(e, 0, sizeof(*e));
	e->fd = fd;
	if (fd < 0 || fstat(fd, &st))
		return fd < 0 ? -EBADF : -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	e->size = (uint64_t)st.st_size;
	err = ws_elf_read(e, &eh, sizeof(eh), 0);
	if (err == -EINVAL ||
	    (!err && (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64)))
		return -ENOEXEC;
	if (err)
		return err;
	e->be = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	e->machine = u16(e, eh.e_machine);
	e->type = u16(e, eh.e_type);
	e->phoff = u64(e, eh.e_phoff);
	e->phnum = u16(e, eh.e_phnum);
	e->phentsize = u16(e, eh.e_phentsize);
	e->shoff = u64(e, eh.e_shoff);
	e->shnum = u16(e, eh.e_shnum);
	e->shentsize = u16(e, eh.e_shentsize);
	e->shstrndx = u16(e, eh.e_shstrndx);
	return 0;
}

/* One section header to host byte order. */
static void shdr_host(const struct ws_elf *e, Elf64_Shdr *s)
{
	s->sh_name = u32(e, s->sh_name);
	s->sh_type = u32(e, s->sh_type);
	s->sh_flags = u64(e, s->sh_flags);
	s->sh_addr = u64(e, s->sh_addr);
	s->sh_offset = u64(e, s->sh_offset);
	s->sh_size = u64(e, s->sh_size);
	s->sh_link = u32(e, s->sh_link);
	s->sh_info = u32(e, s->sh_info);
	s->sh_addralign = u64(e, s->sh_addralign);
	s->sh_entsize = u64(e, s->sh_entsize);
}

int ws_elf_sections(struct ws_elf *e)
{
	const Elf64_Shdr *strs;
	int err;

	if (e->sh)
		return 0;
	/*
	 * e_shnum 0 with the count in section 0 (files of 65280 sections or
	 * more) and SHN_XINDEX name tables are refused with the rest: past
	 * MAX_SECTIONS either way.
	 */
	if (!e->shoff || !e->shnum || e->shnum > MAX_SECTIONS || e->shstrndx >= e->shnum ||
	    e->shentsize != sizeof(Elf64_Shdr) ||
	    !inside(e->size, e->shoff, (uint64_t)e->shnum * sizeof(Elf64_Shdr)))
		return -EINVAL;
	e->sh = malloc(e->shnum * sizeof(*e->sh));
	if (!e->sh)
		return -ENOMEM;
	err = ws_elf_read(e, e->sh, e->shnum * sizeof(*e->sh), e->shoff);
	if (err)
		goto fail;
	for (unsigned int i = 0; i < e->shnum; i++)
		shdr_host(e, &e->sh[i]);
	strs = &e->sh[e->shstrndx];
	err = -EINVAL;
	if (!strs->sh_size || strs->sh_size > MAX_SHSTRTAB)
		goto fail;
	e->shstr_size = strs->sh_size;
	e->shstr = malloc(e->shstr_size + 1);
	err = e->shstr ? ws_elf_read(e, e->shstr, e->shstr_size, strs->sh_offset) : -ENOMEM;
	if (err)
		goto fail;
	e->shstr[e->shstr_size] = '\0'; /* every name ends inside the table */
	return 0;
fail:
	ws_elf_close(e);
	return err;
}

const Elf64_Shdr *ws_elf_section(const struct ws_elf *e, const char *name)
{
	for (unsigned int i = 0; e->sh && i < e->shnum; i++) {
		uint32_t at = e->sh[i].sh_name;

		if (at < e->shstr_size && !strcmp(e->shstr + at, name))
			return &e->sh[i];
	}
	return NULL;
}

void ws_elf_close(struct ws_elf *e)
{
	free(e->shstr);
	free(e->sh);
	e->shstr = NULL;
	e->sh = NULL;
	e->shstr_size = 0;
}

/*
 * The file offset of vaddr: inside the file part of an executable PT_LOAD
 * segment that itself lies inside the file. 0 when there is none.
 */
static uint64_t vaddr_to_offset(const struct ws_elf *e, const Elf64_Phdr *ph, unsigned int n,
				uint64_t vaddr)
{
	for (unsigned int i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type != PT_LOAD || !(p->p_flags & PF_X) ||
		    !inside(e->size, p->p_offset, p->p_filesz))
			continue;
		if (vaddr >= p->p_vaddr && vaddr - p->p_vaddr < p->p_filesz)
			return vaddr - p->p_vaddr + p->p_offset;
	}
	return 0;
}

/* The program headers, in host byte order: their count, or -errno. */
static int read_phdrs(const struct ws_elf *e, Elf64_Phdr *ph)
{
	int err;

	if (!e->phnum || e->phnum > MAX_PHDRS || e->phentsize != sizeof(Elf64_Phdr))
		return -EINVAL;
	err = ws_elf_read(e, ph, e->phnum * sizeof(*ph), e->phoff);
	if (err)
		return err;
	for (unsigned int i = 0; i < e->phnum; i++) {
		ph[i].p_type = u32(e, ph[i].p_type);
		ph[i].p_flags = u32(e, ph[i].p_flags);
		ph[i].p_offset = u64(e, ph[i].p_offset);
		ph[i].p_vaddr = u64(e, ph[i].p_vaddr);
		ph[i].p_filesz = u64(e, ph[i].p_filesz);
	}
	return e->phnum;
}

/* A window on the symbol name table, moved to where the next name is. */
struct names {
	const struct ws_elf *e;
	uint64_t off, size; /* the table in the file */
	uint64_t at;	    /* the window's start, relative to the table */
	size_t len;	    /* bytes in the window */
	unsigned int reads;
	char buf[NAME_WINDOW];
};

/*
 * True when the name at st_name is want (NUL-terminated inside the table).
 * Sets *err when the window cannot move (read failure, or its bound).
 */
static bool name_is(struct names *t, uint32_t st_name, const char *want, size_t wlen, int *err)
{
	uint64_t need = wlen + 1;

	if (st_name >= t->size || need > t->size - st_name)
		return false; /* the name, if it is want, would run past the table */
	if (st_name < t->at || st_name + need > t->at + t->len) {
		if (++t->reads > MAX_NAME_READS) {
			*err = -E2BIG;
			return false;
		}
		t->at = st_name;
		t->len = t->size - st_name < NAME_WINDOW ? t->size - st_name : NAME_WINDOW;
		*err = ws_elf_read(t->e, t->buf, t->len, t->off + t->at);
		if (*err) {
			t->len = 0;
			return false;
		}
	}
	return !memcmp(t->buf + (st_name - t->at), want, need);
}

/* Looks each symbol of sym[0..n) up in names[]; records what it finds in vaddr[]. */
static int match_chunk(const struct ws_elf *e, struct names *t, Elf64_Sym *sym, size_t n,
		       const char *const *names, const size_t *lens, size_t nnames, uint64_t *vaddr)
{
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t value = u64(e, sym[i].st_value);

		if (ELF64_ST_TYPE(sym[i].st_info) != STT_FUNC || !value ||
		    u16(e, sym[i].st_shndx) == SHN_UNDEF)
			continue;
		for (size_t k = 0; k < nnames; k++) {
			if (!name_is(t, u32(e, sym[i].st_name), names[k], lens[k], &err)) {
				if (err)
					return err;
				continue;
			}
			if (vaddr[k] && vaddr[k] != value)
				return -EINVAL; /* two definitions: which one runs is unknown */
			vaddr[k] = value;
		}
	}
	return 0;
}

/* The addresses of names[] in the symbol table symtab; 0 for a name not found. */
static int scan_symtab(const struct ws_elf *e, const Elf64_Shdr *symtab, const char *const *names,
		       size_t nnames, uint64_t *vaddr)
{
	const Elf64_Shdr *strtab;
	struct names *t = NULL;
	Elf64_Sym *chunk = NULL;
	size_t lens[8];
	uint64_t nsyms, done = 0;
	int err = -EINVAL;

	if (nnames > sizeof(lens) / sizeof(lens[0]))
		return -E2BIG;
	for (size_t k = 0; k < nnames; k++) {
		lens[k] = strlen(names[k]);
		if (!lens[k] || lens[k] >= MAX_NAME_LEN)
			return -EINVAL;
	}
	/*
	 * Symbols are read at the stride of an Elf64_Sym, so the entry size
	 * must be that; libbpf 1.1 divided by it unchecked (0: SIGFPE).
	 */
	if (symtab->sh_entsize != sizeof(Elf64_Sym) ||
	    !inside(e->size, symtab->sh_offset, symtab->sh_size) || symtab->sh_link >= e->shnum)
		return -EINVAL;
	strtab = &e->sh[symtab->sh_link];
	if (strtab->sh_type != SHT_STRTAB || !inside(e->size, strtab->sh_offset, strtab->sh_size))
		return -EINVAL;
	nsyms = symtab->sh_size / sizeof(Elf64_Sym);
	t = calloc(1, sizeof(*t));
	chunk = malloc(SYM_CHUNK * sizeof(*chunk));
	if (!t || !chunk) {
		err = -ENOMEM;
		goto out;
	}
	*t = (struct names){ .e = e, .off = strtab->sh_offset, .size = strtab->sh_size };
	err = 0;
	while (done < nsyms && !err) {
		size_t n = nsyms - done < SYM_CHUNK ? (size_t)(nsyms - done) : SYM_CHUNK;

		if (done >= MAX_SYMS) {
			/* Past the bound: what was found stands, a name still missing fails. */
			for (size_t k = 0; k < nnames && !err; k++)
				err = vaddr[k] ? 0 : -E2BIG;
			break;
		}
		err = ws_elf_read(e, chunk, n * sizeof(*chunk),
				  symtab->sh_offset + done * sizeof(*chunk));
		if (!err)
			err = match_chunk(e, t, chunk, n, names, lens, nnames, vaddr);
		done += n;
	}
out:
	free(chunk);
	free(t);
	return err;
}

int ws_elf_func_offsets(int fd, const char *const *names, size_t n, uint64_t *offs)
{
	const bool host_be = __BYTE_ORDER == __BIG_ENDIAN;
	Elf64_Phdr ph[MAX_PHDRS];
	const Elf64_Shdr *symtab = NULL;
	uint64_t vaddr[8] = { 0 };
	struct ws_elf e;
	int err, nph, found = 0;

	memset(offs, 0, n * sizeof(*offs));
	if (n > sizeof(vaddr) / sizeof(vaddr[0]))
		return -E2BIG;
	err = ws_elf_open(&e, fd);
	if (err)
		return err;
	/* A probe in a file of the other byte order could not run on this host. */
	if (e.be != host_be)
		return -ENOEXEC;
	err = ws_elf_sections(&e);
	if (err)
		goto out;
	for (unsigned int i = 0; i < e.shnum && !symtab; i++)
		if (e.sh[i].sh_type == SHT_SYMTAB)
			symtab = &e.sh[i];
	err = -ENOENT;
	if (!symtab)
		goto out;
	nph = read_phdrs(&e, ph);
	err = nph;
	if (nph < 0)
		goto out;
	err = scan_symtab(&e, symtab, names, n, vaddr);
	for (size_t k = 0; k < n && !err; k++) {
		if (!vaddr[k])
			continue;
		offs[k] = vaddr_to_offset(&e, ph, (unsigned int)nph, vaddr[k]);
		if (!offs[k])
			err = -EINVAL; /* a function that is not in the file's code */
		found++;
	}
	if (err)
		memset(offs, 0, n * sizeof(*offs));
out:
	ws_elf_close(&e);
	return err ? err : found;
}
