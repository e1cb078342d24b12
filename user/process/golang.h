/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Is an executable a Go program? Go runs goroutines on a few threads and
 * moves them between threads, so for a Go process a thread id says nothing
 * about which request a call belongs to: the in-process parent inference
 * (links.c) must stay off there rather than guess.
 */
#ifndef WS_GOLANG_H
#define WS_GOLANG_H

#include <stdbool.h>
#include <stdint.h>

struct ws_go_info {
	bool go;	  /* the binary has a .go.buildinfo section */
	uint16_t machine; /* ELF e_machine (EM_X86_64, EM_AARCH64, ...) */
	uint16_t minor;	  /* Go 1.minor that built it; 0: not told (before Go 1.18) */
};

/*
 * True when the ELF file open at fd (64-bit, either byte order) has the
 * .go.buildinfo section Go's linker writes into every binary since Go 1.13.
 * Reads at most the section headers, their name table and the section's
 * first bytes, bounded by elfsym.c; false for anything else, malformed or
 * unreadable.
 */
bool ws_elf_is_go(int fd);
/*
 * The same, and what built it: 0, or -1 (not a regular 64-bit ELF file,
 * unreadable).
 */
int ws_elf_go_info(int fd, struct ws_go_info *out);
/*
 * The goroutine ids the kernel side can give (bpf/emit.bpf.h): Go >= 1.19
 * (its syscall stubs keep g in its register) for the architecture the
 * agent runs on.
 */
bool ws_go_goroutines_known(const struct ws_go_info *gi);

/* Go programs whose goroutines the agent follows (user/capture/bpf_load.c). */
struct ws_go_stats {
	uint64_t procs;		 /* now */
	uint64_t probe_failures; /* processes whose net/http client could not be probed */
	uint64_t not_followed;	 /* processes past the table's bound */
};

#endif /* WS_GOLANG_H */
