// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Degraded partners: synthetic CLIENT spans on a fake clock through the
 * tracker; the thresholds, the hysteresis, the minimum calls, the sliding
 * window, the histogram's precision, peer names, the table's bound.
 */
#include <stdlib.h>

#include "check.h"
#include "peers.h"
#include "span.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1700000000ull * SEC) /* a wall clock time: spans carry unix times */

struct log {
	int degraded, recovered;
	char last[256];
};

static void on_transition(void *ctx, const struct ws_peer_transition *t)
{
	struct log *l = ctx;

	t->degraded ? l->degraded++ : l->recovered++;
	ws_peer_transition_line(t, l->last, sizeof(l->last));
}

static struct ws_peers *tracker(struct log *l, uint32_t max_peers)
{
	struct ws_peers_opts o = { .max_peers = max_peers,
				   .on_transition = on_transition,
				   .ctx = l };
	struct ws_peers *p;

	memset(l, 0, sizeof(*l));
	p = ws_peers_new(&o);
	CHECK(p != NULL);
	return p;
}

/* A CLIENT span to host:443 (or peer.service service) ending at end_ns after dur_ns. */
static struct ws_span *span(const char *service, const char *host, bool error, uint64_t end_ns,
			    uint64_t dur_ns)
{
	struct ws_span *s = ws_span_new();

	s->kind = WS_KIND_CLIENT;
	s->status = error ? WS_STATUS_ERROR : WS_STATUS_UNSET;
	s->end_unix_ns = end_ns;
	s->start_unix_ns = end_ns - dur_ns;
	if (host) {
		ws_span_add_str(s, "server.address", host, strlen(host));
		ws_span_add_int(s, "server.port", 443);
	}
	if (service)
		ws_span_add_str(s, "peer.service", service, strlen(service));
	return s;
}

/* n calls to service, one every 100 ms from *now, errors of them failing, each taking dur_ns. */
static void calls(struct ws_peers *p, const char *service, int n, int errors, uint64_t *now,
		  uint64_t dur_ns)
{
	for (int i = 0; i < n; i++) {
		struct ws_span *s = span(service, "api.example.com", i < errors, *now, dur_ns);

		ws_peers_observe(p, s, *now);
		ws_span_free(s);
		*now += 100 * MS;
	}
}

static bool degraded(struct ws_peers *p, const char *service)
{
	struct ws_span *s = span(service, "api.example.com", false, T0, MS);
	bool d = ws_peers_span_degraded(p, s);

	ws_span_free(s);
	return d;
}

TEST(a_healthy_peer_stays_healthy)
{
	uint64_t now = T0;
	struct log l;
	struct ws_peers *p = tracker(&l, 0);

	/* 5% errors (under 10%), 50 ms each, for two windows. */
	for (int i = 0; i < 60; i++)
		calls(p, "stripe", 20, 1, &now, 50 * MS);
	CHECK(!degraded(p, "stripe"));
	CHECK_INT(l.degraded, 0);
	CHECK_INT(ws_peers_degraded_now(p), 0);
	ws_peers_free(p);
}

TEST(errors_past_the_threshold_degrade_once)
{
	uint64_t now = T0;
	struct log l;
	struct ws_peers *p = tracker(&l, 0);

	calls(p, "stripe", 100, 0, &now, 50 * MS);
	CHECK(!degraded(p, "stripe"));
	/* 30 of the next 100 fail: the rate climbs through 10% and stays over it. */
	for (int i = 0; i < 10; i++)
		calls(p, "stripe", 10, 3, &now, 50 * MS);
	CHECK(degraded(p, "stripe"));
	CHECK_INT(l.degraded, 1);
	CHECK_INT(l.recovered, 0);
	CHECK_INT(ws_peers_degraded_now(p), 1);
	CHECK(strstr(l.last,
		     "wirespan: partner stripe degraded: error rate 10% (>= 10%) over 60 s, "
		     "p99 54 ms\n") == l.last);
	ws_peers_free(p);
}

TEST(it_recovers_only_under_the_lower_threshold)
{
	uint64_t now = T0;
	struct log l;
	struct ws_peers *p = tracker(&l, 0);
	struct ws_peers_stats st;

	calls(p, "stripe", 600, 600, &now, 50 * MS);
	CHECK(degraded(p, "stripe"));
	/* 7% errors for two whole windows: between 5% and 10%, still degraded. */
	for (int i = 0; i < 120; i++)
		calls(p, "stripe", 100, 7, &now, 50 * MS);
	CHECK(degraded(p, "stripe"));
	CHECK_INT(l.recovered, 0);
	/* 4%: recovered, once. */
	for (int i = 0; i < 20; i++)
		calls(p, "stripe", 100, 4, &now, 50 * MS);
	CHECK(!degraded(p, "stripe"));
	CHECK_INT(l.degraded, 1);
	CHECK_INT(l.recovered, 1);
	CHECK(strstr(l.last,
		     "wirespan: partner stripe recovered: error rate 4% (< 5%) and p99 54 ms "
		     "(< 1600 ms) over 60 s\n") == l.last);
	ws_peers_stats(p, &st);
	CHECK_INT(st.transitions, 2);
	CHECK_INT(st.degraded, 0);
	ws_peers_free(p);
}

/* Bins are 2^(1/4) wide: a reported p99 is the upper edge, within 19% over the truth. */
TEST(the_histogram_holds_p99_within_a_quarter_doubling)
{
	static const uint64_t ms[] = { 1, 2, 3, 10, 50, 180, 999, 1500, 2000, 10000, 60000 };

	CHECK_INT(ws_peers_bin(0), 0);
	CHECK_INT(ws_peers_bin(MS - 1), 0);
	CHECK_INT(ws_peers_bin(MS), 1);
	CHECK_INT(ws_peers_bin(2048 * MS), 45);
	CHECK_INT(ws_peers_bin(2048 * MS - 1), 44);
	CHECK_INT(ws_peers_bin(3600 * SEC), WS_PEERS_BINS - 1);
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		uint64_t up = ws_peers_bin_upper_ms(ws_peers_bin(ms[i] * MS));

		CHECK(up > ms[i]);
		CHECK(up * 100 <= ms[i] * 119 + 100); /* 19%, and the rounding up to a whole ms */
	}
}

TEST(a_p99_over_the_threshold_degrades_and_under_80_percent_recovers)
{
	uint64_t now = T0;
	struct log l;
	struct ws_peers *p = tracker(&l, 0);

	/* 1.5 s calls: their bin ends at 1723 ms, under 2000: healthy. */
	calls(p, "slow", 200, 0, &now, 1500 * MS);
	CHECK(!degraded(p, "slow"));
	/* Then 2 of every 100 take 2.5 s: p99 is one of them. */
	for (int i = 0; i < 6; i++) {
		calls(p, "slow", 98, 0, &now, 10 * MS);
		calls(p, "slow", 2, 0, &now, 2500 * MS);
	}
	CHECK(degraded(p, "slow"));
	CHECK_INT(l.degraded, 1);
	CHECK(strstr(l.last,
		     "wirespan: partner slow degraded: p99 2897 ms (>= 2000 ms) over 60 s") ==
	      l.last);
	/* 1.5 s is under 2 s but not under 1.6 s (its bin's edge 1723): still degraded. */
	calls(p, "slow", 1200, 0, &now, 1500 * MS);
	CHECK(degraded(p, "slow"));
	/* 1.2 s (bin edge 1218 ms): recovered. */
	calls(p, "slow", 700, 0, &now, 1200 * MS);
	CHECK(!degraded(p, "slow"));
	CHECK_INT(l.recovered, 1);
	ws_peers_free(p);
}

TEST(fewer_than_the_minimum_calls_change_nothing)
{
	uint64_t now = T0;
	struct log l;
	struct ws_peers *p = tracker(&l, 0);

	/* 19 calls in the window, every one failing. */
	calls(p, "rare", 19, 19, &now, 50 * MS);
	CHECK(!degraded(p, "rare"));
	/* The 20th. */
	calls(p, "rare", 1, 1, &now, 50 * MS);
	CHECK(degraded(p, "rare"));
	/* A minute on, 19 good calls are too few to recover on. */
	now += 70 * SEC;
	calls(p, "rare", 19, 0, &now, 50 * MS);
	CHECK(degraded(p, "rare"));
	calls(p, "rare", 1, 0, &now, 50 * MS);
	CHECK(!degraded(p, "rare"));
	CHECK_INT(l.degraded, 1);
	CHECK_INT(l.recovered, 1);
	ws_peers_free(p);
}

TEST(the_window_slides_and_old_slots_fall_out)
{
	uint64_t now = T0;
	struct log l;
	struct ws_peers *p = tracker(&l, 0);
	struct ws_peer_info info[1];

	/* 60 failures in 6 s, then good calls: 60 of 540 is 11%, still degraded 54 s on. */
	calls(p, "stripe", 60, 60, &now, 50 * MS);
	CHECK(degraded(p, "stripe"));
	calls(p, "stripe", 480, 0, &now, 50 * MS);
	CHECK(degraded(p, "stripe"));
	CHECK_INT(ws_peers_list(p, info, 1), 1);
	CHECK_INT(info[0].error_pct, 11);
	/* 20 s more: the failures' slots have left the window. */
	calls(p, "stripe", 200, 0, &now, 50 * MS);
	CHECK(!degraded(p, "stripe"));
	CHECK_INT(ws_peers_list(p, info, 1), 1);
	CHECK_INT(info[0].error_pct, 0);
	/* A window is 54..60 s of 100 ms calls. */
	CHECK(info[0].calls >= 540 && info[0].calls <= 600);
	/* Spans older than the window are not counted. */
	{
		struct ws_span *s = span("stripe", NULL, true, now - 120 * SEC, MS);

		for (int i = 0; i < 100; i++)
			ws_peers_observe(p, s, now - 120 * SEC);
		ws_span_free(s);
	}
	CHECK(!degraded(p, "stripe"));
	CHECK_INT(l.degraded, 1);
	CHECK_INT(l.recovered, 1);
	ws_peers_free(p);
}

TEST(peers_are_named_by_peer_service_else_server_address_and_port)
{
	uint64_t now = T0;
	struct log l;
	struct ws_peers *p = tracker(&l, 0);
	struct ws_peer_info info[4];
	struct ws_span *a = span(NULL, "db.internal", true, now, MS);
	struct ws_span *b = span("acme", "db.internal", false, now, MS);

	for (int i = 0; i < 20; i++)
		ws_peers_observe(p, a, now);
	ws_peers_observe(p, b, now);
	CHECK_INT(ws_peers_list(p, info, 4), 2);
	CHECK_STR(info[0].name, "db.internal:443"); /* degraded first */
	CHECK(info[0].degraded);
	CHECK_STR(info[1].name, "acme");
	CHECK(!info[1].degraded);
	CHECK(ws_peers_span_degraded(p, a));
	CHECK(!ws_peers_span_degraded(p, b));
	CHECK(strstr(l.last, "partner db.internal:443 degraded") != NULL);
	ws_span_free(a);
	ws_span_free(b);
	ws_peers_free(p);
}

TEST(the_table_is_bounded_and_gives_up_the_least_recently_called)
{
	uint64_t now = T0;
	struct log l;
	struct ws_peers *p = tracker(&l, 4);
	struct ws_peers_stats st;
	struct ws_peer_info info[8];
	char name[16];

	/* "p0" degraded, then p1..p4 called: p0 is the least recent and goes. */
	calls(p, "p0", 20, 20, &now, MS);
	CHECK_INT(ws_peers_degraded_now(p), 1);
	for (int i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		calls(p, name, 1, 0, &now, MS);
	}
	ws_peers_stats(p, &st);
	CHECK_INT(st.peers, 4);
	CHECK_INT(st.evicted, 1);
	CHECK_INT(st.degraded, 0);
	CHECK(!degraded(p, "p0"));
	CHECK_INT(ws_peers_list(p, info, 8), 4);
	CHECK_STR(info[0].name, "p4");
	CHECK_STR(info[3].name, "p1");
	/* Calling p1 makes p2 the next to go. */
	calls(p, "p1", 1, 0, &now, MS);
	calls(p, "p5", 1, 0, &now, MS);
	CHECK_INT(ws_peers_list(p, info, 8), 4);
	CHECK_STR(info[0].name, "p5");
	CHECK_STR(info[1].name, "p1");
	CHECK_STR(info[3].name, "p3");
	/* Many more peers than room, fixed-seed names: the bound holds. */
	srand(16);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "h%d", rand() % 700);
		calls(p, name, 1, 0, &now, MS);
	}
	ws_peers_stats(p, &st);
	CHECK_INT(st.peers, 4);
	CHECK(st.evicted > 4000);
	ws_peers_free(p);
}

TEST(server_spans_and_spans_without_a_peer_are_ignored)
{
	uint64_t now = T0;
	struct log l;
	struct ws_peers *p = tracker(&l, 0);
	struct ws_span *s = span("acme", "api.example.com", true, now, MS);
	struct ws_span *none = span(NULL, NULL, true, now, MS);
	struct ws_peers_stats st;

	s->kind = WS_KIND_SERVER;
	for (int i = 0; i < 50; i++) {
		ws_peers_observe(p, s, now);
		ws_peers_observe(p, none, now);
	}
	ws_peers_stats(p, &st);
	CHECK_INT(st.peers, 0);
	CHECK(!ws_peers_span_degraded(p, s));
	CHECK_INT(l.degraded, 0);
	ws_span_free(s);
	ws_span_free(none);
	ws_peers_free(p);
}

static const struct check_case cases[] = {
	CASE(a_healthy_peer_stays_healthy),
	CASE(errors_past_the_threshold_degrade_once),
	CASE(it_recovers_only_under_the_lower_threshold),
	CASE(the_histogram_holds_p99_within_a_quarter_doubling),
	CASE(a_p99_over_the_threshold_degrades_and_under_80_percent_recovers),
	CASE(fewer_than_the_minimum_calls_change_nothing),
	CASE(the_window_slides_and_old_slots_fall_out),
	CASE(peers_are_named_by_peer_service_else_server_address_and_port),
	CASE(the_table_is_bounded_and_gives_up_the_least_recently_called),
	CASE(server_spans_and_spans_without_a_peer_are_ignored),
};

CHECK_MAIN("peers", cases)
