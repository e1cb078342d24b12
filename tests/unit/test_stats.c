// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The stats log line: tests and the README parse it, so its text for a known
 * snapshot is pinned here byte for byte (as main.c printed it before stats.c).
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "stats.h"

/* Every counter a different number, so a swapped pair shows. */
static void known_snapshot(struct ws_counters *c, int have_kernel)
{
	memset(c, 0, sizeof(*c));
	c->have_kernel = have_kernel;
	for (int i = 0; i < WS_STAT__COUNT; i++)
		c->kernel[i] = 100 + i;
	for (int i = 0; i < WS_ASM_STAT__COUNT; i++)
		c->user[i] = 200 + i;
	for (int i = 0; i < WS_EXPORT_ERR__COUNT; i++)
		c->exporter.errors[i] = 300 + i;
	c->go = (struct ws_go_stats){ .procs = 1, .probe_failures = 2, .not_followed = 3 };
	c->conns = 4;
	c->export = (struct ws_batch_stats){ .queued = 5,
					     .dropped_full = 6,
					     .exported = 7,
					     .export_failed = 8,
					     .rejected = 9,
					     .retried = 99 };
	c->exporter.retries = 10;
	c->exporter.refused = 11;
	c->not_exported = 12;
	for (int i = 0; i < WS_SAMPLE__COUNT; i++)
		c->sampled[i] = 400 + i;
	c->partners = (struct ws_peers_stats){
		.degraded = 1, .transitions = 3, .evicted = 7, .peers = 2
	};
	c->npartner = 2;
	c->partner[0] = (struct ws_peer_info){ .name = "stripe", .degraded = true };
	c->partner[1] = (struct ws_peer_info){ .name = "a\"b\\c\nd\x80:80" };
	for (int i = 0; i < WS_TAIL__COUNT; i++)
		c->tail[i] = 410 + i;
	c->tail_held = 420;
}

#define USER_PART                                                                                  \
	" user: records=200 bad_records=201 spans=202 http_parse_errors=203"                       \
	" http_head_too_big=204 response_without_request=205 request_without_response=206"         \
	" pipeline_full=207 conns_evicted=208 gap_desync=209 resource_attrs_dropped=210"           \
	" webhook_linked=211 webhook_no_context=212 webhook_busy=213"                              \
	" connect_failures_not_http=214 stream_gaps=215 bodies_skipped=216"                        \
	" header_fields_dropped=217 own_exports=218 heads_cut=219"
#define EXPORT_PART                                                                                \
	" conns=4 export: sampled_kept_always=400 sampled_kept_ratio=401"                          \
	" sampled_kept_parent=402 sampled_dropped_ratio=403 sampled_dropped_parent=404"            \
	" sampled_dropped_off=405 sampled_kept_error=410 sampled_kept_slow=411"                    \
	" sampled_kept_degraded=412 sampled_kept_decided=413 sampled_dropped_waited=414"           \
	" sampled_dropped_decided=415 sampled_dropped_overflow=416 sampled_held=420"               \
	" partners_degraded=1 partner_transitions=3 partners_evicted=7"                            \
	" queued=5 dropped_queue_full=6 exported=7 rejected=9 refused=11"                          \
	" export_failed=8 not_exported=12 retries=10 errors_connect=300 errors_timeout=301"        \
	" errors_network=302 errors_tls=303 errors_http_retryable=304"                             \
	" errors_http_rejected=305 errors_encoding=306 errors_other=307\n"

TEST(live_line_names_every_counter_in_order)
{
	static const char want[] =
		"wirespan: stats kernel: records=100 ringbuf_full=101 truncated=102"
		" read_failed=103 no_buffer=104 not_http=105 conn_table_full=106 closes=107"
		" connect_failures=108 go_events=109 recursion_misses=110"
		" syscalls_untracked=111 body_skipped=112 head_parts=113"
		" go: processes=1 probe_failures=2 not_followed=3" USER_PART EXPORT_PART;
	struct ws_counters c;
	char line[4096];
	int n;

	known_snapshot(&c, 1);
	n = ws_stats_line(&c, line, sizeof(line));
	CHECK_INT(n, strlen(want));
	CHECK_STR(line, want);
}

TEST(replay_line_has_no_kernel_or_go_part)
{
	static const char want[] = "wirespan: stats" USER_PART EXPORT_PART;
	struct ws_counters c;
	char line[4096];

	known_snapshot(&c, 0);
	CHECK_INT(ws_stats_line(&c, line, sizeof(line)), strlen(want));
	CHECK_STR(line, want);
}

TEST(short_buffer_is_refused_and_left_terminated)
{
	struct ws_counters c;
	char line[64];

	known_snapshot(&c, 1);
	CHECK_INT(ws_stats_line(&c, line, sizeof(line)), -ENOSPC);
	CHECK_INT(strlen(line), sizeof(line) - 1);
	CHECK(!strncmp(line, "wirespan: stats kernel: records=100 ", 36));
}

/* The two renderings read the same snapshot: a counter in one is in the other. */
TEST(prometheus_text_carries_the_same_numbers)
{
	struct ws_counters c;
	char out[16384];

	known_snapshot(&c, 1);
	CHECK(ws_metrics_format(&c, out, sizeof(out)) > 0);
	CHECK(strstr(out, "wirespan_kernel_events_total{kind=\"head_parts\"} 113\n") != NULL);
	CHECK(strstr(out, "wirespan_assembly_events_total{kind=\"heads_cut\"} 219\n") != NULL);
	CHECK(strstr(out, "wirespan_export_spans_total{outcome=\"queued\"} 5\n") != NULL);
	CHECK(strstr(out, "wirespan_export_spans_total{outcome=\"failed\"} 8\n") != NULL);
	CHECK(strstr(out, "wirespan_export_spans_total{outcome=\"not_exported\"} 12\n") != NULL);
	CHECK(strstr(out, "wirespan_export_errors_total{kind=\"other\"} 307\n") != NULL);
	CHECK(strstr(out, "wirespan_go_not_followed_total 3\n") != NULL);
	CHECK(strstr(out, "wirespan_sampling_spans_total{decision=\"kept\",reason=\"always\"} "
			  "400\n") != NULL);
	CHECK(strstr(out, "wirespan_sampling_spans_total{decision=\"dropped\",reason=\"ratio\"} "
			  "403\n") != NULL);
	CHECK(strstr(out, "wirespan_sampling_spans_total{decision=\"dropped\",reason=\"off\"} "
			  "405\n") != NULL);
	CHECK(strstr(out, "wirespan_partner_degraded{peer=\"stripe\"} 1\n") != NULL);
	/* A label value escaped as the exposition format says, bytes past ASCII replaced. */
	CHECK(strstr(out, "wirespan_partner_degraded{peer=\"a\\\"b\\\\c\\nd_:80\"} 0\n") != NULL);
	CHECK(strstr(out, "wirespan_partners_degraded 1\n") != NULL);
	CHECK(strstr(out, "wirespan_partner_transitions_total 3\n") != NULL);
	CHECK(strstr(out, "wirespan_partners_evicted_total 7\n") != NULL);
	CHECK(strstr(out, "wirespan_sampling_spans_total{decision=\"kept\",reason=\"error\"} "
			  "410\n") != NULL);
	CHECK(strstr(out, "wirespan_sampling_spans_total{decision=\"kept\","
			  "reason=\"degraded\"} 412\n") != NULL);
	CHECK(strstr(out, "wirespan_sampling_spans_total{decision=\"dropped\","
			  "reason=\"overflow\"} 416\n") != NULL);
	CHECK(strstr(out, "wirespan_sampling_held_spans 420\n") != NULL);
}

static const struct check_case cases[] = {
	CASE(live_line_names_every_counter_in_order),
	CASE(replay_line_has_no_kernel_or_go_part),
	CASE(short_buffer_is_refused_and_left_terminated),
	CASE(prometheus_text_carries_the_same_numbers),
};

CHECK_MAIN("stats", cases)
