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

/*
 * True when the ELF file open at fd (64-bit, either byte order) has the
 * .go.buildinfo section Go's linker writes into every binary since Go 1.13.
 * Reads at most the section headers and their name table, bounded; false
 * for anything else, malformed or unreadable.
 */
bool ws_elf_is_go(int fd);

#endif /* WS_GOLANG_H */
