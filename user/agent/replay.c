// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --replay (see replay.h): a record file read on this thread as fast as it
 * goes, through the assembler and the span sink a live run uses, then the
 * rate and the same stats line. Idle connections age by the recording's
 * clock, so a replay makes the spans the recorded run made.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "assemble.h"
#include "config.h"
#include "recfile.h"
#include "replay.h"
#include "sink.h"
#include "wirespan.h"

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int ws_replay(struct ws_pipeline *p, struct ws_assembler_opts *aopts)
{
	uint64_t nrec = 0, st[WS_ASM_STAT__COUNT], last_ts = 0;
	struct ws_rec_reader *r;
	double t0, c0, secs, cpu;
	struct timespec ts;
	const void *rec;
	char msg[512];
	size_t size;
	int ret;

	r = ws_recr_open(p->cfg->replay, msg, sizeof(msg));
	if (!r) {
		fprintf(stderr, "wirespan: --replay: %s\n", msg);
		return -1;
	}
	aopts->mono_to_unix_ns = ws_recr_header(r)->mono_to_unix_ns;
	aopts->proc_root = ""; /* the recorded pids are not this host's processes */
	p->asm_ = ws_assembler_new(aopts, ws_sink_span, p->sink);
	if (!p->asm_) {
		fprintf(stderr, "wirespan: %s\n", strerror(errno));
		ws_recr_close(r);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec + ts.tv_nsec / 1e9;
	c0 = cpu_seconds();
	while ((ret = ws_recr_next(r, &rec, &size)) == 1) {
		ws_assembler_record(p->asm_, rec, size);
		if (size >= sizeof(struct ws_rec_hdr))
			memcpy(&last_ts, (const char *)rec + offsetof(struct ws_rec_hdr, ts_ns),
			       sizeof(last_ts));
		/* Idle connections age by the recording's clock, not this one. */
		if (++nrec % 65536 == 0)
			ws_assembler_expire(p->asm_, last_ts);
	}
	if (ret < 0)
		fprintf(stderr,
			"wirespan: --replay: %s is cut or corrupt after %llu records; "
			"replayed those\n",
			p->cfg->replay, (unsigned long long)nrec);
	ws_sink_shutdown(p->sink);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	secs = ts.tv_sec + ts.tv_nsec / 1e9 - t0;
	cpu = cpu_seconds() - c0;
	ws_assembler_stats(p->asm_, st);
	{
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr,
			"wirespan: replay: records=%llu spans=%llu seconds=%.3f cpu_seconds=%.3f "
			"spans_per_sec=%.0f spans_per_cpu_sec=%.0f max_rss_kib=%ld\n",
			(unsigned long long)nrec, (unsigned long long)st[WS_ASM_SPANS], secs, cpu,
			secs > 0 ? st[WS_ASM_SPANS] / secs : 0.0,
			cpu > 0 ? st[WS_ASM_SPANS] / cpu : 0.0, ru.ru_maxrss);
	}
	ws_pipeline_log_stats(p);
	ws_recr_close(r);
	return 0;
}
