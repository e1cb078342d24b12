/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finding function symbols in files a traced program controls: a real Go
 * binary (built here with go build, when go is installed) and this test's
 * own binary, checked against objdump's file offsets; a minimal executable
 * written here, then broken one field at a time (each must fail cleanly,
 * none may crash, ASan run); every cut of it; tables too big to scan.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "elfsym.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The minimal executable: one R+X PT_LOAD of the first 0x200 bytes at
 * 0x400000, symbols f1 (0x400100, file offset 0x100) and f2 (0x400180).
 * Sections: null, .text, .symtab, .strtab, .shstrtab.
 */
enum {
	OFF_PH = 64,
	OFF_TEXT = 0x100,
	OFF_STR = 0x200,
	OFF_SYM = 0x300,
	OFF_SHSTR = 0x400,
	OFF_SH = 0x480,
	FILE_LEN = OFF_SH + 5 * sizeof(Elf64_Shdr),
	VBASE = 0x400000,
	SEC_TEXT = 1,
	SEC_SYMTAB = 2,
	SEC_STRTAB = 3,
	SEC_SHSTR = 4,
};
static const char strtab[] = "\0f1\0f2\0"; /* f1 at 1, f2 at 4; 7 bytes with the last NUL */
static const char shstrtab[] = "\0.text\0.symtab\0.strtab\0.shstrtab\0";

struct img {
	uint8_t b[FILE_LEN];
	size_t len;
};

static Elf64_Ehdr *eh(struct img *m)
{
	return (Elf64_Ehdr *)m->b;
}

static Elf64_Phdr *ph(struct img *m)
{
	return (Elf64_Phdr *)(m->b + OFF_PH);
}

static Elf64_Shdr *sh(struct img *m, int i)
{
	return (Elf64_Shdr *)(m->b + OFF_SH) + i;
}

static Elf64_Sym *sym(struct img *m, int i)
{
	return (Elf64_Sym *)(m->b + OFF_SYM) + i;
}

static void make_exe(struct img *m)
{
	memset(m, 0, sizeof(*m));
	m->len = FILE_LEN;
	memcpy(eh(m)->e_ident, ELFMAG, SELFMAG);
	eh(m)->e_ident[EI_CLASS] = ELFCLASS64;
	eh(m)->e_ident[EI_DATA] = ELFDATA2LSB;
	eh(m)->e_ident[EI_VERSION] = EV_CURRENT;
	eh(m)->e_type = ET_EXEC;
	eh(m)->e_machine = EM_X86_64;
	eh(m)->e_phoff = OFF_PH;
	eh(m)->e_phentsize = sizeof(Elf64_Phdr);
	eh(m)->e_phnum = 1;
	eh(m)->e_shoff = OFF_SH;
	eh(m)->e_shentsize = sizeof(Elf64_Shdr);
	eh(m)->e_shnum = 5;
	eh(m)->e_shstrndx = SEC_SHSTR;
	*ph(m) = (Elf64_Phdr){ .p_type = PT_LOAD,
			       .p_flags = PF_R | PF_X,
			       .p_vaddr = VBASE,
			       .p_filesz = 0x200,
			       .p_memsz = 0x200 };
	memcpy(m->b + OFF_STR, strtab, sizeof(strtab) - 1);
	memcpy(m->b + OFF_SHSTR, shstrtab, sizeof(shstrtab) - 1);
	for (int i = 1; i <= 2; i++)
		*sym(m, i) = (Elf64_Sym){ .st_name = i == 1 ? 1 : 4,
					  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
					  .st_shndx = SEC_TEXT,
					  .st_value = VBASE + OFF_TEXT + (i - 1) * 0x80 };
	*sh(m, SEC_TEXT) = (Elf64_Shdr){ .sh_name = 1,
					 .sh_type = SHT_PROGBITS,
					 .sh_addr = VBASE + OFF_TEXT,
					 .sh_offset = OFF_TEXT,
					 .sh_size = 0x100 };
	*sh(m, SEC_SYMTAB) = (Elf64_Shdr){ .sh_name = 7,
					   .sh_type = SHT_SYMTAB,
					   .sh_offset = OFF_SYM,
					   .sh_size = 3 * sizeof(Elf64_Sym),
					   .sh_link = SEC_STRTAB,
					   .sh_entsize = sizeof(Elf64_Sym) };
	*sh(m, SEC_STRTAB) = (Elf64_Shdr){ .sh_name = 15,
					   .sh_type = SHT_STRTAB,
					   .sh_offset = OFF_STR,
					   .sh_size = sizeof(strtab) - 1 };
	*sh(m, SEC_SHSTR) = (Elf64_Shdr){ .sh_name = 23,
					  .sh_type = SHT_STRTAB,
					  .sh_offset = OFF_SHSTR,
					  .sh_size = sizeof(shstrtab) - 1 };
}

/* A memfd holding buf: the files the agent reads are only ever fds. */
static int memfile(const void *buf, size_t len)
{
	int fd = memfd_create("ws-test-elfsym", MFD_CLOEXEC);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	return fd;
}

static int lookup(const struct img *m, const char *const *names, size_t n, uint64_t *offs)
{
	int fd = memfile(m->b, m->len), ret;

	ret = ws_elf_func_offsets(fd, names, n, offs);
	close(fd);
	return ret;
}

static const char *const f12[] = { "f1", "f2" };

TEST(test_the_minimal_executable_gives_both_file_offsets)
{
	static const char *const some[] = { "f2", "nope", "f" };
	struct img m;
	uint64_t offs[3];

	make_exe(&m);
	CHECK_INT(lookup(&m, f12, 2, offs), 2);
	CHECK_INT(offs[0], 0x100);
	CHECK_INT(offs[1], 0x180);
	/* A name not there is 0; a prefix of a name is not the name. */
	CHECK_INT(lookup(&m, some, 3, offs), 1);
	CHECK_INT(offs[0], 0x180);
	CHECK_INT(offs[1], 0);
	CHECK_INT(offs[2], 0);
	/* The segment's file offset counts: vaddr - p_vaddr + p_offset. */
	ph(&m)->p_offset = 0x40;
	ph(&m)->p_filesz = 0x1c0;
	ph(&m)->p_vaddr = VBASE + 0x40;
	CHECK_INT(lookup(&m, f12, 2, offs), 2);
	CHECK_INT(offs[0], 0x100);
	ph(&m)->p_vaddr = VBASE + 0x1040; /* 0x1000 apart, as Go's text segment */
	sym(&m, 1)->st_value += 0x1000;
	sym(&m, 2)->st_value += 0x1000;
	CHECK_INT(lookup(&m, f12, 2, offs), 2);
	CHECK_INT(offs[0], 0x100);
	CHECK_INT(offs[1], 0x180);
}

/* One field of the minimal executable broken: each row fails with its errno, none crashes. */
static void entsize_0(struct img *m)
{
	sh(m, SEC_SYMTAB)->sh_entsize = 0;
} /* libbpf 1.1: SIGFPE */
static void entsize_huge(struct img *m)
{
	sh(m, SEC_SYMTAB)->sh_entsize = 1ull << 62;
}
static void entsize_32bit(struct img *m)
{
	sh(m, SEC_SYMTAB)->sh_entsize = sizeof(Elf32_Sym);
}
static void symtab_past_eof(struct img *m)
{
	sh(m, SEC_SYMTAB)->sh_offset = FILE_LEN;
}
static void symtab_wraps(struct img *m)
{
	sh(m, SEC_SYMTAB)->sh_offset = ~0ull - 8;
}
static void symtab_too_long(struct img *m)
{
	sh(m, SEC_SYMTAB)->sh_size = 1ull << 40;
}
static void strtab_index_out(struct img *m)
{
	sh(m, SEC_SYMTAB)->sh_link = 5;
}
static void strtab_index_huge(struct img *m)
{
	sh(m, SEC_SYMTAB)->sh_link = 0xffffffffu;
}
static void strtab_not_strtab(struct img *m)
{
	sh(m, SEC_SYMTAB)->sh_link = SEC_TEXT;
}
static void strtab_past_eof(struct img *m)
{
	sh(m, SEC_STRTAB)->sh_size = FILE_LEN;
}
static void shnum_ffff(struct img *m)
{
	eh(m)->e_shnum = 0xffff;
}
static void shnum_0(struct img *m)
{
	eh(m)->e_shnum = 0;
}
static void shstrndx_out(struct img *m)
{
	eh(m)->e_shstrndx = 5;
}
static void shentsize_bad(struct img *m)
{
	eh(m)->e_shentsize = 40;
}
static void shoff_past_eof(struct img *m)
{
	eh(m)->e_shoff = FILE_LEN - 64;
}
static void shstrtab_huge(struct img *m)
{
	sh(m, SEC_SHSTR)->sh_size = 1ull << 30;
}
static void vaddr_in_no_load(struct img *m)
{
	sym(m, 2)->st_value = VBASE + 0x200;
}
static void vaddr_below_load(struct img *m)
{
	sym(m, 1)->st_value = VBASE - 0x10;
}
static void load_not_exec(struct img *m)
{
	ph(m)->p_flags = PF_R;
}
static void load_not_load(struct img *m)
{
	ph(m)->p_type = PT_NOTE;
}
static void load_past_eof(struct img *m)
{
	ph(m)->p_filesz = FILE_LEN + 1;
}
static void phnum_0(struct img *m)
{
	eh(m)->e_phnum = 0;
}
static void phnum_ffff(struct img *m)
{
	eh(m)->e_phnum = 0xffff;
} /* PN_XNUM */
static void phentsize_bad(struct img *m)
{
	eh(m)->e_phentsize = 32;
}
static void phoff_past_eof(struct img *m)
{
	eh(m)->e_phoff = FILE_LEN - 8;
}
static void class_32(struct img *m)
{
	eh(m)->e_ident[EI_CLASS] = ELFCLASS32;
}
static void big_endian(struct img *m)
{
	eh(m)->e_ident[EI_DATA] = ELFDATA2MSB;
}
static void not_elf(struct img *m)
{
	memcpy(m->b, "#!/bin/sh\n", 10);
}
static void only_the_header(struct img *m)
{
	m->len = sizeof(Elf64_Ehdr);
}
static void header_cut(struct img *m)
{
	m->len = 40;
}
static void empty(struct img *m)
{
	m->len = 0;
} /* fuzz_elf's first input */
static void no_symtab(struct img *m)
{
	sh(m, SEC_SYMTAB)->sh_type = SHT_DYNSYM;
}
static void defined_twice(struct img *m)
{
	sym(m, 2)->st_name = 1;
	sym(m, 2)->st_size = 1;
}

TEST(test_each_broken_field_is_an_error_not_a_crash)
{
	static const struct {
		const char *what;
		void (*brk)(struct img *);
		int err;
	} rows[] = {
		{ "sh_entsize 0", entsize_0, -EINVAL },
		{ "sh_entsize huge", entsize_huge, -EINVAL },
		{ "sh_entsize of Elf32_Sym", entsize_32bit, -EINVAL },
		{ "symtab offset past EOF", symtab_past_eof, -EINVAL },
		{ "symtab offset + size wraps", symtab_wraps, -EINVAL },
		{ "symtab size past EOF", symtab_too_long, -EINVAL },
		{ "strtab index out of range", strtab_index_out, -EINVAL },
		{ "strtab index 2^32-1", strtab_index_huge, -EINVAL },
		{ "strtab is not SHT_STRTAB", strtab_not_strtab, -EINVAL },
		{ "strtab past EOF", strtab_past_eof, -EINVAL },
		{ "e_shnum 0xffff", shnum_ffff, -EINVAL },
		{ "e_shnum 0", shnum_0, -EINVAL },
		{ "e_shstrndx out of range", shstrndx_out, -EINVAL },
		{ "e_shentsize not Elf64_Shdr", shentsize_bad, -EINVAL },
		{ "section headers past EOF", shoff_past_eof, -EINVAL },
		{ "section name table 1 GiB", shstrtab_huge, -EINVAL },
		{ "symbol vaddr past the PT_LOAD", vaddr_in_no_load, -EINVAL },
		{ "symbol vaddr below the PT_LOAD", vaddr_below_load, -EINVAL },
		{ "PT_LOAD not executable", load_not_exec, -EINVAL },
		{ "no PT_LOAD", load_not_load, -EINVAL },
		{ "PT_LOAD past EOF", load_past_eof, -EINVAL },
		{ "e_phnum 0", phnum_0, -EINVAL },
		{ "e_phnum 0xffff", phnum_ffff, -EINVAL },
		{ "e_phentsize not Elf64_Phdr", phentsize_bad, -EINVAL },
		{ "program headers past EOF", phoff_past_eof, -EINVAL },
		{ "32-bit ELF", class_32, -ENOEXEC },
		{ "big-endian ELF", big_endian, -ENOEXEC },
		{ "not ELF", not_elf, -ENOEXEC },
		{ "only the ELF header", only_the_header, -EINVAL },
		{ "ELF header cut", header_cut, -ENOEXEC },
		{ "empty file", empty, -ENOEXEC },
		{ "no .symtab (stripped)", no_symtab, -ENOENT },
		{ "f1 defined twice at two addresses", defined_twice, -EINVAL },
	};
	struct img m;
	uint64_t offs[2];

	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		int ret;

		make_exe(&m);
		rows[i].brk(&m);
		offs[0] = offs[1] = 1;
		ret = lookup(&m, f12, 2, offs);
		if (ret != rows[i].err)
			fprintf(stderr, "    row \"%s\"\n", rows[i].what);
		CHECK_INT(ret, rows[i].err);
		CHECK(offs[0] == 0 && offs[1] == 0); /* no half answer on an error */
	}
}

/* Names that run off the end of their table are compared inside it, or not at all. */
TEST(test_names_at_the_end_of_the_table_are_read_inside_it)
{
	struct img m;
	uint64_t offs[2];

	/* The table cut before f2's NUL: "f2" there is not a whole name. */
	make_exe(&m);
	sh(&m, SEC_STRTAB)->sh_size = sizeof(strtab) - 2;
	CHECK_INT(lookup(&m, f12, 2, offs), 1);
	CHECK_INT(offs[0], 0x100);
	CHECK_INT(offs[1], 0);
	/* Names at and past the end of the table, and at 2^32-1. */
	make_exe(&m);
	sym(&m, 1)->st_name = sizeof(strtab) - 1;
	sym(&m, 2)->st_name = 0xffffffffu;
	CHECK_INT(lookup(&m, f12, 2, offs), 0);
	/* A symbol defined twice at one address is one symbol. */
	make_exe(&m);
	sym(&m, 2)->st_name = 1;
	sym(&m, 2)->st_value = sym(&m, 1)->st_value;
	CHECK_INT(lookup(&m, f12, 2, offs), 1);
	CHECK_INT(offs[0], 0x100);
}

/* Cut anywhere, the file gives an error and nothing is read past it (ASan run). */
TEST(test_every_cut_is_an_error)
{
	struct img m;
	uint64_t offs[2];

	for (size_t cut = 0; cut < FILE_LEN; cut++) {
		make_exe(&m);
		m.len = cut;
		CHECK(lookup(&m, f12, 2, offs) < 0);
	}
}

/* Not a regular file (a pipe, as /proc/PID/exe never is but an fd may be): refused, no wait. */
TEST(test_a_pipe_or_a_bad_fd_is_refused)
{
	int p[2];
	uint64_t offs[2];

	CHECK(!pipe(p));
	CHECK_INT(ws_elf_func_offsets(p[0], f12, 2, offs), -EINVAL);
	close(p[0]);
	close(p[1]);
	CHECK_INT(ws_elf_func_offsets(-1, f12, 2, offs), -EBADF);
}

/*
 * A 1 GiB symbol table (a sparse file: reading it costs little) is not
 * read to its end: the scan stops at its bound. Without the bound this
 * reads 1 GiB and answers 0.
 */
TEST(test_a_1_gib_symbol_table_stops_at_the_scan_bound)
{
	struct img m;
	uint64_t offs[2];
	int fd;

	make_exe(&m);
	sh(&m, SEC_SYMTAB)->sh_offset = 1ull << 12;
	sh(&m, SEC_SYMTAB)->sh_size = (1ull << 30) / sizeof(Elf64_Sym) * sizeof(Elf64_Sym);
	fd = memfile(m.b, m.len);
	CHECK(!ftruncate(fd, (1ll << 30) + (1 << 12)));
	CHECK_INT(ws_elf_func_offsets(fd, f12, 2, offs), -E2BIG);
	close(fd);
}

/*
 * Names that jump about the table (each one outside the window of the
 * last) move the name window at most its bound: 20000 symbols whose names
 * alternate between the two ends of a 64 KiB table.
 */
TEST(test_names_jumping_about_stop_at_the_window_bound)
{
	enum { NSYM = 20000, STRSZ = 65536 };
	size_t sym_off = 0x1000, str_off = sym_off + NSYM * sizeof(Elf64_Sym);
	size_t len = str_off + STRSZ;
	uint8_t *b = calloc(1, len);
	struct img m;
	uint64_t offs[2];
	int fd;

	make_exe(&m);
	sh(&m, SEC_SYMTAB)->sh_offset = sym_off;
	sh(&m, SEC_SYMTAB)->sh_size = NSYM * sizeof(Elf64_Sym);
	sh(&m, SEC_STRTAB)->sh_offset = str_off;
	sh(&m, SEC_STRTAB)->sh_size = STRSZ;
	memcpy(b, m.b, m.len);
	for (int i = 1; i < NSYM; i++) {
		Elf64_Sym *s = (Elf64_Sym *)(b + sym_off) + i;

		*s = (Elf64_Sym){ .st_name = i % 2 ? 1 : STRSZ - 8,
				  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				  .st_shndx = SEC_TEXT,
				  .st_value = VBASE + OFF_TEXT };
	}
	fd = memfile(b, len);
	CHECK_INT(ws_elf_func_offsets(fd, f12, 2, offs), -E2BIG);
	close(fd);
	free(b);
}

/* The file offset objdump -F gives for name in path; 0 when it says none. */
static uint64_t objdump_offset(const char *path, const char *name)
{
	char cmd[1024], line[1024];
	unsigned long long off = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "objdump -F --disassemble='%s' '%s' 2>/dev/null", name, path);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "(File Offset: 0x");

		if (p && line[0] == '0' && !off)
			off = strtoull(p + 16, NULL, 16);
	}
	pclose(f);
	return off;
}

static void check_real(const char *path, const char *const *names, size_t n)
{
	uint64_t offs[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	CHECK_INT(ws_elf_func_offsets(fd, names, n, offs), n);
	for (size_t k = 0; k < n; k++) {
		uint64_t want = objdump_offset(path, names[k]);

		CHECK(want != 0);
		if (offs[k] != want)
			fprintf(stderr, "    %s in %s\n", names[k], path);
		CHECK_INT(offs[k], want);
	}
	close(fd);
}

/* This test's own binary (C, PIE): main and a function of elfsym.c, where objdump says. */
TEST(test_this_binary_gives_the_offsets_objdump_gives)
{
	static const char *const names[] = { "main", "ws_elf_func_offsets" };
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	CHECK(n > 0);
	path[n > 0 ? n : 0] = '\0';
	check_real(path, names, 2);
}

/*
 * A real Go binary, built here: the functions the agent probes
 * (bpf_load.c's go_funcs), where objdump says. Without go installed this
 * says so and fails: packaging/install-deps.sh installs it.
 */
TEST(test_a_go_binary_gives_the_offsets_objdump_gives)
{
	static const char *const names[] = { "net/http.(*Transport).roundTrip",
					     "net/http.(*Request).write" };
	static const char prog[] = "package main\n\nimport \"net/http\"\n\n"
				   "func main() { http.Get(\"http://127.0.0.1:1/\") }\n";
	char dir[] = "/tmp/ws-test-elfsym-XXXXXX", path[256], cmd[1024];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/main.go", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(prog, f);
	fclose(f);
	/* A cache of its own, kept between runs: the first build takes a while. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && GOCACHE=/tmp/ws-test-elfsym-gocache GO111MODULE=off HOME=%s "
		 "go build -o go_bin main.go",
		 dir, dir);
	if (system(cmd)) {
		fprintf(stderr, "    go build failed (is golang-go installed?)\n");
		CHECK(!"go build");
	} else {
		snprintf(path, sizeof(path), "%s/go_bin", dir);
		check_real(path, names, 2);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "    could not remove %s\n", dir);
}

static const struct check_case cases[] = {
	CASE(test_the_minimal_executable_gives_both_file_offsets),
	CASE(test_each_broken_field_is_an_error_not_a_crash),
	CASE(test_names_at_the_end_of_the_table_are_read_inside_it),
	CASE(test_every_cut_is_an_error),
	CASE(test_a_pipe_or_a_bad_fd_is_refused),
	CASE(test_a_1_gib_symbol_table_stops_at_the_scan_bound),
	CASE(test_names_jumping_about_stop_at_the_window_bound),
	CASE(test_this_binary_gives_the_offsets_objdump_gives),
	CASE(test_a_go_binary_gives_the_offsets_objdump_gives),
};

CHECK_MAIN("elfsym", cases)
