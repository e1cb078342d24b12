/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Telling Go binaries: minimal ELF files written here, with and without a
 * .go.buildinfo section, in both byte orders; this test's own binary (C);
 * and files that are not ELF or are cut anywhere.
 */
#include <elf.h>
#include <endian.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "golang.h"

/* An ELF64 file: header, a name table, three section headers (null, .text, name), big-endian or not. */
static size_t make_elf(uint8_t *buf, const char *second_name, bool be)
{
	char names[64];
	size_t nlen, off_names = sizeof(Elf64_Ehdr), off_sh;
	Elf64_Ehdr eh = { 0 };
	Elf64_Shdr sh[3] = { 0 };

#define E16(v) (uint16_t)(be ? htobe16(v) : htole16(v))
#define E32(v) (uint32_t)(be ? htobe32(v) : htole32(v))
#define E64(v) (uint64_t)(be ? htobe64(v) : htole64(v))
	/* "\0" ".shstrtab\0" name\0 */
	memset(names, 0, sizeof(names));
	memcpy(names + 1, ".shstrtab", 10);
	strcpy(names + 11, second_name);
	nlen = 11 + strlen(second_name) + 1;
	off_sh = off_names + 64;
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_shoff = E64(off_sh);
	eh.e_shentsize = E16(sizeof(Elf64_Shdr));
	eh.e_shnum = E16(3);
	eh.e_shstrndx = E16(2);
	sh[1].sh_name = E32(11);
	sh[2].sh_name = E32(1);
	sh[2].sh_offset = E64(off_names);
	sh[2].sh_size = E64(nlen);
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + off_names, names, 64);
	memcpy(buf + off_sh, sh, sizeof(sh));
	return off_sh + sizeof(sh);
}

static bool is_go(const uint8_t *buf, size_t len)
{
	char path[] = "/tmp/ws-test-golang-XXXXXX";
	int fd = mkstemp(path);
	bool r;

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	unlink(path);
	r = ws_elf_is_go(fd);
	close(fd);
	return r;
}

TEST(test_buildinfo_section_is_go_in_either_byte_order)
{
	uint8_t buf[1024];
	size_t n;

	for (int be = 0; be < 2; be++) {
		n = make_elf(buf, ".go.buildinfo", be);
		CHECK(is_go(buf, n));
		n = make_elf(buf, ".text", be);
		CHECK(!is_go(buf, n));
		n = make_elf(buf, ".go.buildinfo2", be); /* the whole name, not a prefix */
		CHECK(!is_go(buf, n));
	}
}

TEST(test_this_c_binary_and_non_elf_are_not_go)
{
	int fd = open("/proc/self/exe", O_RDONLY);

	CHECK(fd >= 0);
	CHECK(!ws_elf_is_go(fd));
	close(fd);
	CHECK(!ws_elf_is_go(-1));
	CHECK(!is_go((const uint8_t *)"#!/bin/sh\necho hi\n", 18));
}

/* Cut anywhere, the file is not Go and nothing is read past it (ASan run). */
TEST(test_every_cut_is_not_go)
{
	uint8_t buf[1024];
	size_t n = make_elf(buf, ".go.buildinfo", false);

	for (size_t cut = 0; cut < n; cut++)
		CHECK(!is_go(buf, cut));
	CHECK(is_go(buf, n));
}

/* Offsets and counts that point anywhere are refused, not followed. */
TEST(test_hostile_headers_are_not_go)
{
	uint8_t buf[1024];
	size_t n = make_elf(buf, ".go.buildinfo", false);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Shdr *sh = (Elf64_Shdr *)(buf + le64toh(eh->e_shoff));

	sh[1].sh_name = htole32(0xfffffff0u); /* a name past the table */
	CHECK(!is_go(buf, n));
	n = make_elf(buf, ".go.buildinfo", false);
	sh[2].sh_size = htole64(1ull << 40); /* a name table too big to read */
	CHECK(!is_go(buf, n));
	n = make_elf(buf, ".go.buildinfo", false);
	eh->e_shstrndx = htole16(7); /* past the sections */
	CHECK(!is_go(buf, n));
	n = make_elf(buf, ".go.buildinfo", false);
	eh->e_shnum = htole16(60000);
	CHECK(!is_go(buf, n));
	n = make_elf(buf, ".go.buildinfo", false);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	CHECK(!is_go(buf, n));
}

/*
 * Gives the .go.buildinfo section of an ELF from make_elf() the contents
 * blob (appended to the file) and the machine; returns the new length.
 */
static size_t with_buildinfo(uint8_t *buf, size_t n, const void *blob, size_t blen,
			     uint16_t machine, bool be)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Shdr *sh = (Elf64_Shdr *)(buf + (be ? be64toh(eh->e_shoff) : le64toh(eh->e_shoff)));

	eh->e_machine = be ? htobe16(machine) : htole16(machine);
	sh[1].sh_offset = be ? htobe64(n) : htole64(n);
	sh[1].sh_size = be ? htobe64(blen) : htole64(blen);
	memcpy(buf + n, blob, blen);
	return n + blen;
}

/* A Go 1.18+ buildinfo header (flag 2: inline strings), then the version string. */
static size_t buildinfo(uint8_t *out, const char *version, uint8_t flags)
{
	size_t vlen = strlen(version);

	memset(out, 0, 32);
	memcpy(out, "\xff Go buildinf:", 14);
	out[14] = 8;
	out[15] = flags;
	out[32] = (uint8_t)vlen;
	memcpy(out + 33, version, vlen);
	return 33 + vlen;
}

static struct ws_go_info info(const uint8_t *buf, size_t len)
{
	char path[] = "/tmp/ws-test-golang-XXXXXX";
	struct ws_go_info gi;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	unlink(path);
	if (ws_elf_go_info(fd, &gi))
		memset(&gi, 0xff, sizeof(gi)); /* no answer: nothing below may pass */
	close(fd);
	return gi;
}

TEST(test_the_go_version_and_machine_are_read)
{
	static const struct {
		const char *version;
		uint8_t flags;
		uint16_t minor;
	} cases[] = {
		{ "go1.19.8", 2, 19 },
		{ "go1.22.0", 3, 22 },
		{ "go1.21rc2", 2, 21 },
		{ "devel go1.23-4f2bd4e0d2 Tue Jun 4 2024", 2, 23 },
		{ "go1.18", 2, 18 },
		{ "go1.19.8", 0, 0 }, /* before Go 1.18 the strings were pointers: not told */
		{ "gccgo", 2, 0 },
		{ "go1.", 2, 0 },
	};
	uint8_t buf[1024], blob[128];
	struct ws_go_info gi;
	size_t n;

	for (int be = 0; be < 2; be++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			n = make_elf(buf, ".go.buildinfo", be);
			n = with_buildinfo(buf, n, blob,
					   buildinfo(blob, cases[i].version, cases[i].flags),
					   EM_X86_64, be);
			gi = info(buf, n);
			CHECK(gi.go);
			CHECK_INT(gi.machine, EM_X86_64);
			CHECK_INT(gi.minor, cases[i].minor);
		}
	}
	/* A length past the section, or a section too short for the header: not told. */
	n = make_elf(buf, ".go.buildinfo", false);
	buildinfo(blob, "go1.20.1", 2);
	blob[32] = 100;
	n = with_buildinfo(buf, n, blob, 41, EM_X86_64, false);
	gi = info(buf, n);
	CHECK(gi.go && gi.minor == 0);
	n = make_elf(buf, ".go.buildinfo", false);
	n = with_buildinfo(buf, n, blob, 20, EM_X86_64, false);
	gi = info(buf, n);
	CHECK(gi.go && gi.minor == 0);
}

TEST(test_goroutines_are_known_from_go_1_19_on_this_machine)
{
#if defined(__x86_64__)
	const uint16_t here = EM_X86_64, other = EM_AARCH64;
#else
	const uint16_t here = EM_AARCH64, other = EM_X86_64;
#endif
	struct ws_go_info gi = { .go = true, .machine = here, .minor = 19 };

	CHECK(ws_go_goroutines_known(&gi));
	gi.minor = 24;
	CHECK(ws_go_goroutines_known(&gi));
	gi.minor = 18; /* its syscall stubs may not keep g in its register */
	CHECK(!ws_go_goroutines_known(&gi));
	gi.minor = 0;
	CHECK(!ws_go_goroutines_known(&gi));
	gi = (struct ws_go_info){ .go = true, .machine = other, .minor = 21 };
	CHECK(!ws_go_goroutines_known(&gi));
	gi = (struct ws_go_info){ .go = false, .machine = here, .minor = 21 };
	CHECK(!ws_go_goroutines_known(&gi));
}

/* The version read from a file cut anywhere: never past it (ASan run). */
TEST(test_every_cut_of_a_buildinfo_is_read_safely)
{
	uint8_t buf[1024], blob[128];
	size_t n = make_elf(buf, ".go.buildinfo", false);

	n = with_buildinfo(buf, n, blob, buildinfo(blob, "go1.21.5", 2), EM_X86_64, false);
	for (size_t cut = 0; cut < n; cut++) {
		struct ws_go_info gi = info(buf, cut);

		CHECK(gi.minor == 0 || gi.minor == 0xffff);
	}
	CHECK_INT(info(buf, n).minor, 21);
}

static const struct check_case cases[] = {
	CASE(test_the_go_version_and_machine_are_read),
	CASE(test_goroutines_are_known_from_go_1_19_on_this_machine),
	CASE(test_every_cut_of_a_buildinfo_is_read_safely),
	CASE(test_buildinfo_section_is_go_in_either_byte_order),
	CASE(test_this_c_binary_and_non_elf_are_not_go),
	CASE(test_every_cut_is_not_go),
	CASE(test_hostile_headers_are_not_go),
};

CHECK_MAIN("golang", cases)
