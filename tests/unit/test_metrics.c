// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Prometheus text the agent serves about itself. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "metrics.h"

TEST(every_counter_is_exposed_with_help_and_type)
{
	struct ws_counters c;
	char out[8192];
	int n;

	memset(&c, 0, sizeof(c));
	c.have_kernel = 1;
	c.kernel[WS_STAT_RB_FULL] = 7;
	c.user[WS_ASM_SPANS] = 42;
	c.export.dropped_full = 3;
	c.export.rejected = 4;
	c.conns = 5;
	c.exporter.errors[WS_EXPORT_ERR_TLS] = 2;
	c.exporter.errors[WS_EXPORT_ERR_OTHER] = 9;
	c.exporter.retries = 11;
	c.exporter.refused = 13;
	n = ws_metrics_format(&c, out, sizeof(out));
	CHECK(n > 0 && (size_t)n == strlen(out));
	CHECK(strstr(out, "# TYPE wirespan_kernel_events_total counter\n") != NULL);
	CHECK(strstr(out, "wirespan_kernel_events_total{kind=\"ringbuf_full\"} 7\n") != NULL);
	CHECK(strstr(out, "wirespan_assembly_events_total{kind=\"spans\"} 42\n") != NULL);
	CHECK(strstr(out, "wirespan_export_spans_total{outcome=\"dropped_queue_full\"} 3\n") != NULL);
	CHECK(strstr(out, "wirespan_export_spans_total{outcome=\"rejected\"} 4\n") != NULL);
	CHECK(strstr(out, "wirespan_connections 5\n") != NULL);
	CHECK(strstr(out, "wirespan_export_errors_total{kind=\"connect\"} 0\n") != NULL);
	CHECK(strstr(out, "wirespan_export_errors_total{kind=\"tls\"} 2\n") != NULL);
	CHECK(strstr(out, "wirespan_export_errors_total{kind=\"other\"} 9\n") != NULL);
	CHECK(strstr(out, "wirespan_export_retries_total 11\n") != NULL);
	CHECK(strstr(out, "wirespan_export_refused_spans_total 13\n") != NULL);
	/* every sample line names a metric that has a TYPE line */
	for (char *l = out; *l; l = strchr(l, '\n') + 1) {
		char family[96], type[128];
		size_t len = strcspn(l, "{ ");

		if (*l != '#' && len < sizeof(family) - 16) {
			memcpy(family, l, len);
			family[len] = '\0';
			snprintf(type, sizeof(type), "# TYPE %s ", family);
			if (!strstr(out, type))
				fprintf(stderr, "    no TYPE line for %s\n", family);
			CHECK(strstr(out, type) != NULL);
		}
	}
}

TEST(replay_has_no_kernel_family_and_small_buffers_are_refused)
{
	struct ws_counters c;
	char out[8192], tiny[64];

	memset(&c, 0, sizeof(c));
	CHECK(ws_metrics_format(&c, out, sizeof(out)) > 0);
	CHECK(strstr(out, "wirespan_kernel_events_total") == NULL);
	CHECK_INT(ws_metrics_format(&c, tiny, sizeof(tiny)), -ENOSPC);
}

TEST(bad_listen_addresses_are_one_line)
{
	char err[256];

	CHECK(ws_metrics_listen("nocolon", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "host:port") != NULL);
	CHECK(ws_metrics_listen("127.0.0.1:notaport", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "--metrics-address") != NULL);
	CHECK(ws_metrics_listen("192.0.2.1:9464", err, sizeof(err)) == NULL); /* not ours */
	CHECK(strstr(err, "--metrics-address") != NULL);
}

static const struct check_case cases[] = {
	CASE(every_counter_is_exposed_with_help_and_type),
	CASE(replay_has_no_kernel_family_and_small_buffers_are_refused),
	CASE(bad_listen_addresses_are_one_line),
};

CHECK_MAIN("metrics", cases)
