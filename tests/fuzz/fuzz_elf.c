// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fuzz-links: user/process/elfsym.c user/process/golang.c
/*
 * libFuzzer target for the executables traced programs control: the input
 * is a file (a memfd, as the agent reads /proc/PID/exe through an fd) given
 * to the Go uprobe symbol lookup and to the Go binary check. Contracts, not
 * only memory safety:
 *   ws_elf_func_offsets  an error leaves every offset 0; a success counts
 *                        exactly its nonzero offsets, each inside the file;
 *   ws_elf_go_info       0 or -1; -1 leaves nothing set; a version is < 1000;
 *   ws_elf_sections      a table it accepts names only sections it holds.
 * Seeds: tests/fuzz/fuzz_elf_seeds.sh writes small real and crafted ELF files.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfsym.h"
#include "golang.h"

#define ASSERT(c)                                                                                  \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

/* Short names, so the fuzzer meets them; one real Go one, as bpf_load.c asks. */
static const char *const names[] = { "f", "main", "net/http.(*Request).write" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

static void check_offsets(int fd, size_t size)
{
	uint64_t offs[NNAMES];
	int ret = ws_elf_func_offsets(fd, names, NNAMES, offs), nonzero = 0;

	for (size_t k = 0; k < NNAMES; k++) {
		ASSERT(!offs[k] || offs[k] < size);
		nonzero += offs[k] != 0;
	}
	if (ret < 0)
		ASSERT(nonzero == 0 && (ret == -EINVAL || ret == -ENOEXEC || ret == -ENOENT ||
					ret == -E2BIG || ret == -ENOMEM));
	else
		ASSERT(ret == nonzero);
}

static void check_go_info(int fd)
{
	struct ws_go_info gi;
	int ret = ws_elf_go_info(fd, &gi);

	ASSERT(ret == 0 || ret == -1);
	if (ret)
		ASSERT(!gi.go && !gi.machine && !gi.minor);
	ASSERT(gi.minor < 1000 && (gi.go || !gi.minor));
	ASSERT(ws_elf_is_go(fd) == (!ret && gi.go));
}

static void check_sections(int fd)
{
	struct ws_elf e;

	if (ws_elf_open(&e, fd))
		return;
	if (!ws_elf_sections(&e)) {
		const Elf64_Shdr *s = ws_elf_section(&e, ".symtab");

		ASSERT(e.sh && e.shnum > 0 && e.shnum <= 4096 && e.shstr[e.shstr_size] == '\0');
		ASSERT(!s || (s >= e.sh && s < e.sh + e.shnum));
	}
	ws_elf_close(&e);
	ASSERT(!e.sh && !e.shstr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	ASSERT(fd >= 0);
	ASSERT(!ftruncate(fd, 0));
	ASSERT(pwrite(fd, data, size, 0) == (ssize_t)size);
	check_offsets(fd, size);
	check_go_info(fd);
	check_sections(fd);
	return 0;
}
