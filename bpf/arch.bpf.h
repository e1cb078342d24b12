/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Everything that differs between architectures, in one place: the
 * numbers of the syscalls whose buffer the programs can read, where a
 * syscall's saved user registers keep its number and arguments, and where
 * Go's register ABI (ABIInternal, Go >= 1.17) keeps its arguments and g.
 * The Makefile passes -D__TARGET_ARCH_$(ARCH); another architecture adds a
 * branch here and nowhere else.
 */
#ifndef WS_ARCH_BPF_H
#define WS_ARCH_BPF_H

#if defined(__TARGET_ARCH_x86)
/* Syscall numbers and argument registers of the syscalls whose buffer we can read. */
enum {
	NR_READ = 0,
	NR_WRITE = 1,
	NR_READV = 19,
	NR_WRITEV = 20,
	NR_SENDTO = 44,
	NR_RECVFROM = 45,
	NR_SENDMSG = 46,
	NR_RECVMSG = 47
};
#define WS_REGS_NR(r) ((r)->orig_ax)
#define WS_REGS_ARG2(r) ((r)->si)
#define WS_REGS_ARG3(r) ((r)->dx)
/* Go: the receiver and the arguments in RAX, RBX, RCX, ...; g in R14. */
#define WS_GO_ARG0(r) ((r)->ax)
#define WS_GO_ARG1(r) ((r)->bx)
#define WS_REGS_GOROUTINE_FIELD r14
#elif defined(__TARGET_ARCH_arm64)
enum {
	NR_READ = 63,
	NR_WRITE = 64,
	NR_READV = 65,
	NR_WRITEV = 66,
	NR_SENDTO = 206,
	NR_RECVFROM = 207,
	NR_SENDMSG = 211,
	NR_RECVMSG = 212
};
#define WS_REGS_NR(r) ((r)->syscallno)
#define WS_REGS_ARG2(r) ((r)->regs[1])
#define WS_REGS_ARG3(r) ((r)->regs[2])
/* Go: in X0, X1, X2, ...; g in X28. */
#define WS_GO_ARG0(r) ((r)->regs[0])
#define WS_GO_ARG1(r) ((r)->regs[1])
#define WS_REGS_GOROUTINE_FIELD regs[28]
#else
#error "wirespan: add this architecture's syscall numbers and registers to bpf/arch.bpf.h"
#endif

/* The goroutine (g) in a Go program's saved registers: a syscall's, or a uprobe's. */
#define WS_GO_G(r) ((r)->WS_REGS_GOROUTINE_FIELD)

#endif /* WS_ARCH_BPF_H */
