/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by kcost.bpf.c and its driver kcost.c. */
#ifndef KCOST_H
#define KCOST_H

/* Each program does its operation this many times per run. */
#define KCOST_K 10
/* Bytes the driver writes per iteration, and copied per user or kernel read. */
#define KCOST_IO_BYTES 100
/* The user copy again at a word and at ten times the size: cost per call or per byte? */
#define KCOST_SMALL_BYTES 8
#define KCOST_BIG_BYTES 1000
/* Bytes per ring buffer record. */
#define KCOST_REC_BYTES 256
/* The key the driver puts in both hash maps, so every lookup finds it. */
#define KCOST_KEY 42

#endif /* KCOST_H */
