// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The two renderings of struct ws_counters (see stats.h): the log line for
 * --stats-interval, SIGUSR1 and the exit, and the Prometheus text for
 * /metrics. They sit together so that a counter's name is spelled in one
 * file; the names themselves come from the stages' own tables.
 */
#include <errno.h>
#include <string.h>

#include "bufput.h"
#include "stats.h"

#define STR_(x) #x
#define STR(x) STR_(x)

int ws_stats_line(const struct ws_counters *c, char *out, size_t outsz)
{
	static const char *const knames[] = WS_STAT_NAMES;
	static const char *const anames[] = WS_ASM_STAT_NAMES;
	static const char *const enames[] = WS_EXPORT_ERR_NAMES;
	static const char *const snames[] = WS_SAMPLE_REASON_NAMES;
	static const char *const tnames[] = WS_TAIL_REASON_NAMES;
	size_t n = 0;

	ws_bufput(out, outsz, &n, "wirespan: stats");
	if (c->have_kernel) {
		ws_bufput(out, outsz, &n, " kernel:");
		for (int i = 0; i < WS_STAT__COUNT; i++)
			ws_bufput(out, outsz, &n, " %s=%llu", knames[i],
				  (unsigned long long)c->kernel[i]);
		ws_bufput(out, outsz, &n,
			  " go: processes=%llu probe_failures=%llu not_followed=%llu",
			  (unsigned long long)c->go.procs, (unsigned long long)c->go.probe_failures,
			  (unsigned long long)c->go.not_followed);
	}
	ws_bufput(out, outsz, &n, " user:");
	for (int i = 0; i < WS_ASM_STAT__COUNT; i++)
		ws_bufput(out, outsz, &n, " %s=%llu", anames[i], (unsigned long long)c->user[i]);
	/* The sampler's counters open the export group: the sink decides before it queues. */
	ws_bufput(out, outsz, &n, " conns=%llu export:", (unsigned long long)c->conns);
	for (int i = 0; i < WS_SAMPLE__COUNT; i++)
		ws_bufput(out, outsz, &n, " %s=%llu", snames[i], (unsigned long long)c->sampled[i]);
	/* The tail rules' split of the drops above, then what still waits. */
	for (int i = 0; i < WS_TAIL__COUNT; i++)
		ws_bufput(out, outsz, &n, " %s=%llu", tnames[i], (unsigned long long)c->tail[i]);
	ws_bufput(out, outsz, &n, " sampled_held=%llu", (unsigned long long)c->tail_held);
	ws_bufput(out, outsz, &n,
		  " partners_degraded=%llu partner_transitions=%llu partners_evicted=%llu",
		  (unsigned long long)c->partners.degraded,
		  (unsigned long long)c->partners.transitions,
		  (unsigned long long)c->partners.evicted);
	ws_bufput(out, outsz, &n,
		  " queued=%llu dropped_queue_full=%llu exported=%llu "
		  "rejected=%llu refused=%llu export_failed=%llu not_exported=%llu retries=%llu",
		  (unsigned long long)c->export.queued, (unsigned long long)c->export.dropped_full,
		  (unsigned long long)c->export.exported, (unsigned long long)c->export.rejected,
		  (unsigned long long)c->exporter.refused,
		  (unsigned long long)c->export.export_failed, (unsigned long long)c->not_exported,
		  (unsigned long long)c->exporter.retries);
	for (int i = 0; i < WS_EXPORT_ERR__COUNT; i++)
		ws_bufput(out, outsz, &n, " errors_%s=%llu", enames[i],
			  (unsigned long long)c->exporter.errors[i]);
	ws_bufput(out, outsz, &n, "\n");
	if (n >= outsz)
		return -ENOSPC;
	return (int)n;
}

/*
 * A peer's name as a label value: the exposition format escapes \\, " and
 * newlines; other control bytes and bytes past ASCII (a server.address is
 * what a Host header said) become '_', so the text stays valid UTF-8.
 */
static void put_label(char *out, size_t outsz, size_t *n, const char *v)
{
	for (; *v; v++) {
		unsigned char ch = (unsigned char)*v;

		if (ch == '\\' || ch == '"')
			ws_bufput(out, outsz, n, "\\%c", ch);
		else if (ch == '\n')
			ws_bufput(out, outsz, n, "\\n");
		else
			ws_bufput(out, outsz, n, "%c", ch < 0x20 || ch >= 0x7f ? '_' : ch);
	}
}

/* Degraded partners: a gauge per listed peer, and the transitions. */
static void put_partners(const struct ws_counters *c, char *out, size_t outsz, size_t *n)
{
	ws_bufput(out, outsz, n,
		  "# HELP wirespan_partner_degraded Whether a peer of CLIENT spans is degraded "
		  "now (at most " STR(
			  WS_METRICS_PARTNERS) " peers, the degraded first).\n"
					       "# TYPE wirespan_partner_degraded gauge\n");
	for (uint32_t i = 0; i < c->npartner; i++) {
		ws_bufput(out, outsz, n, "wirespan_partner_degraded{peer=\"");
		put_label(out, outsz, n, c->partner[i].name);
		ws_bufput(out, outsz, n, "\"} %d\n", c->partner[i].degraded ? 1 : 0);
	}
	ws_bufput(out, outsz, n,
		  "# HELP wirespan_partners_degraded Peers degraded now.\n"
		  "# TYPE wirespan_partners_degraded gauge\n"
		  "wirespan_partners_degraded %llu\n"
		  "# HELP wirespan_partner_transitions_total Peers turning degraded or recovered.\n"
		  "# TYPE wirespan_partner_transitions_total counter\n"
		  "wirespan_partner_transitions_total %llu\n"
		  "# HELP wirespan_partners_evicted_total Peers given up by the full table "
		  "(the least recently called).\n"
		  "# TYPE wirespan_partners_evicted_total counter\n"
		  "wirespan_partners_evicted_total %llu\n",
		  (unsigned long long)c->partners.degraded,
		  (unsigned long long)c->partners.transitions,
		  (unsigned long long)c->partners.evicted);
}

int ws_metrics_format(const struct ws_counters *c, char *out, size_t outsz)
{
	static const char *const knames[] = WS_STAT_NAMES;
	static const char *const unames[] = WS_ASM_STAT_NAMES;
	static const char *const enames[] = WS_EXPORT_ERR_NAMES;
	static const char *const snames[] = WS_SAMPLE_REASON_NAMES;
	static const char *const tnames[] = WS_TAIL_REASON_NAMES;
	size_t n = 0;

	if (c->have_kernel) {
		ws_bufput(out, outsz, &n,
			  "# HELP wirespan_kernel_events_total Kernel-side counters by kind "
			  "(records, ringbuf_full, truncated, ...).\n"
			  "# TYPE wirespan_kernel_events_total counter\n");
		for (int i = 0; i < WS_STAT__COUNT; i++)
			ws_bufput(out, outsz, &n,
				  "wirespan_kernel_events_total{kind=\"%s\"} %llu\n", knames[i],
				  (unsigned long long)c->kernel[i]);
	}
	ws_bufput(out, outsz, &n,
		  "# HELP wirespan_assembly_events_total User-side assembly counters by kind "
		  "(records, spans, http_parse_errors, ...).\n"
		  "# TYPE wirespan_assembly_events_total counter\n");
	for (int i = 0; i < WS_ASM_STAT__COUNT; i++)
		ws_bufput(out, outsz, &n, "wirespan_assembly_events_total{kind=\"%s\"} %llu\n",
			  unames[i], (unsigned long long)c->user[i]);
	ws_bufput(out, outsz, &n,
		  "# HELP wirespan_export_spans_total Spans by export outcome.\n"
		  "# TYPE wirespan_export_spans_total counter\n"
		  "wirespan_export_spans_total{outcome=\"queued\"} %llu\n"
		  "wirespan_export_spans_total{outcome=\"dropped_queue_full\"} %llu\n"
		  "wirespan_export_spans_total{outcome=\"exported\"} %llu\n"
		  "wirespan_export_spans_total{outcome=\"rejected\"} %llu\n"
		  "wirespan_export_spans_total{outcome=\"failed\"} %llu\n"
		  "wirespan_export_spans_total{outcome=\"not_exported\"} %llu\n"
		  "# HELP wirespan_connections Connections the agent is following.\n"
		  "# TYPE wirespan_connections gauge\n"
		  "wirespan_connections %llu\n",
		  (unsigned long long)c->export.queued, (unsigned long long)c->export.dropped_full,
		  (unsigned long long)c->export.exported, (unsigned long long)c->export.rejected,
		  (unsigned long long)c->export.export_failed, (unsigned long long)c->not_exported,
		  (unsigned long long)c->conns);
	ws_bufput(out, outsz, &n,
		  "# HELP wirespan_sampling_spans_total Spans by the head sampler's decision "
		  "and its reason, and the head's drops by the tail rules' (error, slow, "
		  "decided, waited, overflow).\n"
		  "# TYPE wirespan_sampling_spans_total counter\n");
	for (int i = 0; i < WS_SAMPLE__COUNT + WS_TAIL__COUNT; i++) {
		/* "sampled_kept_ratio": decision "kept", reason "ratio". */
		const char *name = i < WS_SAMPLE__COUNT ? snames[i] : tnames[i - WS_SAMPLE__COUNT];
		const char *d = name + 8, *r = strchr(d, '_') + 1;
		uint64_t v = i < WS_SAMPLE__COUNT ? c->sampled[i] : c->tail[i - WS_SAMPLE__COUNT];

		ws_bufput(out, outsz, &n,
			  "wirespan_sampling_spans_total{decision=\"%.*s\",reason=\"%s\"} %llu\n",
			  (int)(r - 1 - d), d, r, (unsigned long long)v);
	}
	put_partners(c, out, outsz, &n);
	ws_bufput(out, outsz, &n,
		  "# HELP wirespan_sampling_held_spans Spans the sampler dropped that wait for "
		  "the tail rules' decision.\n"
		  "# TYPE wirespan_sampling_held_spans gauge\n"
		  "wirespan_sampling_held_spans %llu\n",
		  (unsigned long long)c->tail_held);
	ws_bufput(out, outsz, &n,
		  "# HELP wirespan_export_errors_total Failed export attempts by kind "
		  "(connect, timeout, network, tls, http_retryable, http_rejected, ...).\n"
		  "# TYPE wirespan_export_errors_total counter\n");
	for (int i = 0; i < WS_EXPORT_ERR__COUNT; i++)
		ws_bufput(out, outsz, &n, "wirespan_export_errors_total{kind=\"%s\"} %llu\n",
			  enames[i], (unsigned long long)c->exporter.errors[i]);
	ws_bufput(
		out, outsz, &n,
		"# HELP wirespan_export_retries_total Export attempts that repeat a failed one.\n"
		"# TYPE wirespan_export_retries_total counter\n"
		"wirespan_export_retries_total %llu\n"
		"# HELP wirespan_export_refused_spans_total Spans in batches the collector refused "
		"with an answer that is not worth a retry (also counted as failed).\n"
		"# TYPE wirespan_export_refused_spans_total counter\n"
		"wirespan_export_refused_spans_total %llu\n",
		(unsigned long long)c->exporter.retries, (unsigned long long)c->exporter.refused);
	if (c->have_kernel)
		ws_bufput(
			out, outsz, &n,
			"# HELP wirespan_go_processes Go programs whose goroutines are followed.\n"
			"# TYPE wirespan_go_processes gauge\n"
			"wirespan_go_processes %llu\n"
			"# HELP wirespan_go_probe_failures_total Go programs whose net/http client "
			"could not be probed (their calls through it get no parent).\n"
			"# TYPE wirespan_go_probe_failures_total counter\n"
			"wirespan_go_probe_failures_total %llu\n"
			"# HELP wirespan_go_not_followed_total Go programs not followed: too many at once.\n"
			"# TYPE wirespan_go_not_followed_total counter\n"
			"wirespan_go_not_followed_total %llu\n",
			(unsigned long long)c->go.procs, (unsigned long long)c->go.probe_failures,
			(unsigned long long)c->go.not_followed);
	if (n >= outsz)
		return -ENOSPC;
	return (int)n;
}
