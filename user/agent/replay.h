/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --replay: the records of a file through the same assembler and span sink
 * as a live run, on this thread, as fast as they go; then the rate. No BPF,
 * so no root needed: a record file is a reproducible bug report.
 */
#ifndef WS_REPLAY_H
#define WS_REPLAY_H

#include "loop.h"

struct ws_assembler_opts;

/*
 * Replays p->cfg->replay: makes p->asm_ from aopts (the file's clock, no
 * /proc) with p->sink as its span callback's ctx, feeds it every record,
 * flushes the sink, prints the rate line and the stats line. The caller
 * frees p->asm_. 0, or -1 when the file or the assembler could not be had
 * (one line said).
 */
int ws_replay(struct ws_pipeline *p, struct ws_assembler_opts *aopts);

#endif /* WS_REPLAY_H */
