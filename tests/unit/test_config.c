// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Configuration rules: flags, OTEL_* and WIRESPAN_* variables, defaults,
 * and the one-line errors for values that make no sense.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

static const char *const *fake_env;

static const char *env(const char *name)
{
	for (const char *const *e = fake_env; e && *e; e += 2)
		if (!strcmp(e[0], name))
			return e[1];
	return NULL;
}

static char errbuf[512];
static char outbuf[16384]; /* --help's text */

static int parse(struct ws_config *c, const char *const *envv, int argc, ...)
{
	char *argv[32] = { "wirespan" };
	FILE *out = fmemopen(outbuf, sizeof(outbuf), "w");
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	va_list ap;
	int ret;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	fake_env = envv;
	memset(errbuf, 0, sizeof(errbuf));
	memset(outbuf, 0, sizeof(outbuf));
	ret = ws_config_parse(c, argc + 1, argv, env, out, err);
	fclose(out);
	fclose(err);
	return ret;
}

static struct ws_config c;

TEST(test_defaults_trace_everything_to_the_console)
{
	CHECK_INT(parse(&c, NULL, 0), WS_CONFIG_RUN);
	CHECK_INT(c.npids + c.ncgroups + c.ncomms, 0);
	CHECK_INT(c.exporter, WS_EXP_CONSOLE);
	CHECK_INT(c.capture, WS_CAPTURE_AUTO);
	CHECK_INT(c.capture_bytes, 8192);
	CHECK_INT(c.ringbuf_bytes, 8 << 20);
}

TEST(test_selectors_repeat)
{
	CHECK_INT(parse(&c, NULL, 8, "--pid", "12", "-p", "13", "--cgroup", "a/b", "--comm",
			"nginx-worker-too-long-name"),
		  WS_CONFIG_RUN);
	CHECK_INT(c.npids, 2);
	CHECK_INT(c.pids[1], 13);
	CHECK_INT(c.ncgroups, 1);
	CHECK_STR(c.cgroups[0], "a/b");
	/* The kernel keeps 15 characters of a comm. */
	CHECK_STR(c.comms[0], "nginx-worker-to");
}

TEST(test_generic_endpoint_gets_v1_traces_and_selects_otlp)
{
	const char *const e[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318/", NULL };

	CHECK_INT(parse(&c, e, 0), WS_CONFIG_RUN);
	CHECK_INT(c.exporter, WS_EXP_OTLP);
	CHECK_STR(c.endpoint, "http://col:4318/v1/traces");
}

TEST(test_traces_endpoint_is_used_as_is_and_wins)
{
	const char *const e[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318",
				  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://b/custom", NULL };

	CHECK_INT(parse(&c, e, 0), WS_CONFIG_RUN);
	CHECK_STR(c.endpoint, "https://b/custom");
}

TEST(test_exporter_env_and_flag_override_endpoint_default)
{
	const char *const e[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318",
				  "OTEL_TRACES_EXPORTER", "console", NULL };

	CHECK_INT(parse(&c, e, 0), WS_CONFIG_RUN);
	CHECK_INT(c.exporter, WS_EXP_CONSOLE);
	CHECK_INT(parse(&c, e, 2, "--exporter", "none"), WS_CONFIG_RUN);
	CHECK_INT(c.exporter, WS_EXP_NONE);
	CHECK_INT(parse(&c, NULL, 2, "--exporter", "otlp"), WS_CONFIG_RUN);
	CHECK_STR(c.endpoint, "http://localhost:4318/v1/traces");
}

TEST(test_bsp_variables_fill_the_batch_options)
{
	const char *const e[] = { "OTEL_BSP_SCHEDULE_DELAY",
				  "250",
				  "OTEL_BSP_MAX_QUEUE_SIZE",
				  "99",
				  "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
				  "7",
				  "OTEL_BSP_EXPORT_TIMEOUT",
				  "1234",
				  NULL };

	CHECK_INT(parse(&c, e, 0), WS_CONFIG_RUN);
	CHECK_INT(c.batch.schedule_delay_ms, 250);
	CHECK_INT(c.batch.max_queue, 99);
	CHECK_INT(c.batch.max_batch, 7);
	CHECK_INT(c.batch.export_timeout_ms, 1234);
}

TEST(test_console_gets_a_short_delay_unless_set)
{
	CHECK_INT(parse(&c, NULL, 0), WS_CONFIG_RUN);
	CHECK_INT(c.batch.schedule_delay_ms, 200);
}

struct bad_case {
	const char *env_name, *env_val, *flag, *val, *needle;
};

TEST(test_bad_values_give_one_line_naming_them)
{
	static const struct bad_case rows[] = {
		{ NULL, NULL, "--pid", "abc", "--pid" },
		{ NULL, NULL, "--pid", "0", "--pid" },
		{ NULL, NULL, "--capture", "ebpf", "--capture" },
		{ NULL, NULL, "--capture-bytes", "99999", "--capture-bytes" },
		{ NULL, NULL, "--ringbuf-size", "5000", "power of two" },
		{ NULL, NULL, "--exporter", "jaeger", "--exporter" },
		{ NULL, NULL, "--endpoint", "localhost:4318", "--endpoint" },
		{ NULL, NULL, "--bogus", NULL, "unknown option" },
		{ "OTEL_TRACES_EXPORTER", "zipkin", NULL, NULL, "OTEL_TRACES_EXPORTER" },
		{ "OTEL_BSP_MAX_QUEUE_SIZE", "-1", NULL, NULL, "OTEL_BSP_MAX_QUEUE_SIZE" },
		{ "OTEL_EXPORTER_OTLP_TIMEOUT", "soon", NULL, NULL, "timeout" },
		{ "WIRESPAN_CAPTURE", "x", NULL, NULL, "WIRESPAN_CAPTURE" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct bad_case *r = &rows[i];
		const char *e[] = { r->env_name, r->env_val, NULL };
		int ret;

		if (r->flag && r->val)
			ret = parse(&c, e, 2, r->flag, r->val);
		else if (r->flag)
			ret = parse(&c, e, 1, r->flag);
		else
			ret = parse(&c, e, 0);
		CHECK_INT(ret, -EINVAL);
		CHECK(strstr(errbuf, r->needle) != NULL);
		CHECK(strchr(errbuf, '\n') == errbuf + strlen(errbuf) - 1);
	}
}

TEST(test_help_and_version_exit_ok)
{
	CHECK_INT(parse(&c, NULL, 1, "--help"), WS_CONFIG_EXIT_OK);
	CHECK_INT(parse(&c, NULL, 1, "--version"), WS_CONFIG_EXIT_OK);
}

TEST(test_record_replay_floor_and_discard)
{
	CHECK_INT(parse(&c, NULL, 5, "--record", "/tmp/x.wsrec", "--floor", "--comm", "nginx"),
		  WS_CONFIG_RUN);
	CHECK_STR(c.record, "/tmp/x.wsrec");
	CHECK_INT(c.floor, WS_FLOOR_RETURN);
	CHECK(c.replay == NULL);
	CHECK_INT(parse(&c, NULL, 4, "--replay", "/tmp/x.wsrec", "--exporter", "discard"),
		  WS_CONFIG_RUN);
	CHECK_STR(c.replay, "/tmp/x.wsrec");
	CHECK_INT(c.exporter, WS_EXP_DISCARD);
	CHECK_INT(c.floor, 0);
	/* a replay reads a file: selecting or recording makes no sense with it */
	CHECK_INT(parse(&c, NULL, 4, "--replay", "a", "--pid", "1"), -EINVAL);
	CHECK(strstr(errbuf, "--replay") != NULL);
	CHECK_INT(parse(&c, NULL, 4, "--replay", "a", "--record", "b"), -EINVAL);
	CHECK_INT(parse(&c, NULL, 2, "--record", ""), -EINVAL);
	CHECK(strstr(errbuf, "--record") != NULL);
	CHECK_INT(parse(&c, NULL, 1, "--floor-copy"), WS_CONFIG_RUN);
	CHECK_INT(c.floor, WS_FLOOR_COPY);
	/* it measures the socket tracepoints' path, which the fallback does not take */
	CHECK_INT(parse(&c, NULL, 3, "--floor-copy", "--capture", "syscalls"), -EINVAL);
	CHECK(strstr(errbuf, "--floor-copy") != NULL);
	CHECK_INT(parse(&c, NULL, 3, "--replay", "a", "--floor-copy"), -EINVAL);
}

TEST(test_otlp_headers_and_compression)
{
	const char *ok[] = { "OTEL_EXPORTER_OTLP_HEADERS",
			     "api-key=s3cr%65t%20value, tenant = acme",
			     "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", NULL };
	const char *specific[] = { "OTEL_EXPORTER_OTLP_HEADERS",
				   "a=1",
				   "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
				   "b=2",
				   "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
				   "none",
				   "OTEL_EXPORTER_OTLP_COMPRESSION",
				   "gzip",
				   NULL };
	const char *inject[] = { "OTEL_EXPORTER_OTLP_HEADERS", "k=a%0D%0AHost: evil", NULL };
	const char *badkey[] = { "OTEL_EXPORTER_OTLP_HEADERS", "bad key=x", NULL };
	const char *noeq[] = { "OTEL_EXPORTER_OTLP_HEADERS", "novalue", NULL };
	const char *badzip[] = { "OTEL_EXPORTER_OTLP_COMPRESSION", "brotli", NULL };

	CHECK_INT(parse(&c, ok, 0), WS_CONFIG_RUN);
	CHECK_STR(c.otlp_headers, "api-key: s3cret value\ntenant: acme\n");
	CHECK_INT(c.otlp_gzip, 1);
	/* the traces-specific variables win over the generic ones */
	CHECK_INT(parse(&c, specific, 0), WS_CONFIG_RUN);
	CHECK_STR(c.otlp_headers, "b: 2\n");
	CHECK_INT(c.otlp_gzip, 0);
	/* a CR/LF decoded from a value would let a value add its own header */
	CHECK_INT(parse(&c, inject, 0), -EINVAL);
	CHECK(strstr(errbuf, "OTLP headers") != NULL);
	CHECK_INT(parse(&c, badkey, 0), -EINVAL);
	CHECK_INT(parse(&c, noeq, 0), -EINVAL);
	CHECK_INT(parse(&c, badzip, 0), -EINVAL);
	CHECK(strstr(errbuf, "gzip or none") != NULL);
	CHECK_INT(parse(&c, NULL, 0), WS_CONFIG_RUN);
	CHECK_STR(c.otlp_headers, "");
	CHECK_INT(c.otlp_gzip, 0);
}

TEST(test_otlp_protocol_picks_the_endpoint_and_its_default)
{
	const char *grpc[] = { "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT",
			       "https://col:4317", NULL };
	const char *json_wins[] = { "OTEL_EXPORTER_OTLP_PROTOCOL",
				    "grpc",
				    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
				    "http/json",
				    "OTEL_EXPORTER_OTLP_ENDPOINT",
				    "http://col:4318",
				    NULL };
	const char *grpc_default[] = { "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc",
				       "OTEL_TRACES_EXPORTER", "otlp", NULL };
	const char *pb_default[] = { "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
				     "OTEL_TRACES_EXPORTER", "otlp", NULL };
	const char *bad_generic[] = { "OTEL_EXPORTER_OTLP_PROTOCOL", "http", NULL };
	const char *bad_traces[] = { "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
				     "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "GRPC", NULL };

	CHECK_INT(parse(&c, NULL, 0), WS_CONFIG_RUN);
	CHECK_INT(c.otlp_protocol, WS_OTLP_HTTP_PROTOBUF);
	/* gRPC: the generic endpoint is the collector itself, no /v1/traces */
	CHECK_INT(parse(&c, grpc, 0), WS_CONFIG_RUN);
	CHECK_INT(c.otlp_protocol, WS_OTLP_GRPC);
	CHECK_INT(c.exporter, WS_EXP_OTLP);
	CHECK_STR(c.endpoint, "https://col:4317");
	/* the traces-specific variable wins */
	CHECK_INT(parse(&c, json_wins, 0), WS_CONFIG_RUN);
	CHECK_INT(c.otlp_protocol, WS_OTLP_HTTP_JSON);
	CHECK_STR(c.endpoint, "http://col:4318/v1/traces");
	/* the specification's default ports */
	CHECK_INT(parse(&c, grpc_default, 0), WS_CONFIG_RUN);
	CHECK_STR(c.endpoint, "http://localhost:4317");
	CHECK_INT(parse(&c, pb_default, 0), WS_CONFIG_RUN);
	CHECK_STR(c.endpoint, "http://localhost:4318/v1/traces");
	/* a flag's endpoint is used as it is, whatever the protocol */
	CHECK_INT(parse(&c, grpc_default, 2, "--endpoint", "http://10.0.0.1:9000"), WS_CONFIG_RUN);
	CHECK_STR(c.endpoint, "http://10.0.0.1:9000");
	/* unknown values stop the start with one line naming the variable */
	CHECK_INT(parse(&c, bad_generic, 0), -EINVAL);
	CHECK(strstr(errbuf, "OTEL_EXPORTER_OTLP_PROTOCOL 'http'") != NULL);
	CHECK(strstr(errbuf, "grpc, http/protobuf or http/json") != NULL);
	CHECK_INT(parse(&c, bad_traces, 0), -EINVAL);
	CHECK(strstr(errbuf, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL 'GRPC'") != NULL);
	CHECK(strchr(errbuf, '\n') == errbuf + strlen(errbuf) - 1);
}

TEST(test_tls_files_flags_win_and_are_checked_for_otlp_only)
{
	char dir[] = "/tmp/ws-test-cfg-XXXXXX", ca[64], key[64];
	const char *env_pair[] = { "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
				   ca,
				   "OTEL_EXPORTER_OTLP_CLIENT_KEY",
				   key,
				   "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
				   "/no/such/ca.pem",
				   NULL };
	const char *key_only[] = { "OTEL_EXPORTER_OTLP_CLIENT_KEY", key, NULL };
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	f = fopen(ca, "w");
	fputs("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	f = fopen(key, "w");
	fputs("-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n", f);
	fclose(f);

	/* the variable names a missing CA file: refused, naming it ... */
	CHECK_INT(parse(&c, env_pair, 2, "--endpoint", "https://collector:4318/v1/traces"),
		  -EINVAL);
	CHECK(strstr(errbuf, "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE '/no/such/ca.pem'") != NULL);
	/* ... unless the flag, which wins, names a good one */
	CHECK_INT(parse(&c, env_pair, 4, "--endpoint", "https://collector:4318/v1/traces",
			"--certificate", ca),
		  WS_CONFIG_RUN);
	CHECK_STR(c.otlp_tls.ca.path, ca);
	CHECK_STR(c.otlp_tls.ca.from, "--certificate");
	CHECK_STR(c.otlp_tls.cert.path, ca);
	CHECK_STR(c.otlp_tls.key.path, key);
	CHECK_STR(errbuf, "");
	/* a key without its certificate; the flags pair up with the variables */
	CHECK_INT(parse(&c, key_only, 2, "--endpoint", "https://c/v1/traces"), -EINVAL);
	CHECK(strstr(errbuf, "OTEL_EXPORTER_OTLP_CLIENT_KEY is set without") != NULL);
	CHECK_INT(parse(&c, key_only, 4, "--endpoint", "https://c/v1/traces",
			"--client-certificate", ca),
		  WS_CONFIG_RUN);
	CHECK_INT(parse(&c, NULL, 6, "--endpoint", "https://c/v1/traces", "--client-certificate",
			ca, "--client-key", key),
		  WS_CONFIG_RUN);
	/* not exporting OTLP: the files are not used, so not checked */
	CHECK_INT(parse(&c, env_pair, 2, "--exporter", "console"), WS_CONFIG_RUN);
	/* over plain http they would not be used: said once, not refused */
	CHECK_INT(parse(&c, NULL, 4, "--endpoint", "http://c:4318/v1/traces", "--certificate", ca),
		  WS_CONFIG_RUN);
	CHECK(strstr(errbuf, "not https") != NULL);
	CHECK(strchr(errbuf, '\n') == errbuf + strlen(errbuf) - 1);
	unlink(ca);
	unlink(key);
	rmdir(dir);
}

TEST(test_resource_attributes_are_the_base_and_bad_entries_a_warning)
{
	const char *ok[] = { "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,team=a%2Cb",
			     NULL };
	const char *bad[] = { "OTEL_RESOURCE_ATTRIBUTES", "a=1,novalue,b=%zz,c=3", NULL };

	CHECK_INT(parse(&c, ok, 0), WS_CONFIG_RUN);
	CHECK_INT(c.resource_attrs.n, 2);
	CHECK_STR(ws_res_attrs_get(&c.resource_attrs, "team"), "a,b");
	CHECK_STR(errbuf, "");
	/* dropped as the SDKs drop them, and said in one line; not a refusal */
	CHECK_INT(parse(&c, bad, 0), WS_CONFIG_RUN);
	CHECK_INT(c.resource_attrs.n, 2);
	CHECK(strstr(errbuf, "OTEL_RESOURCE_ATTRIBUTES: 2 entries dropped") != NULL);
	CHECK(strchr(errbuf, '\n') == errbuf + strlen(errbuf) - 1);
	CHECK_INT(parse(&c, NULL, 0), WS_CONFIG_RUN);
	CHECK_INT(c.resource_attrs.n, 0);
}

TEST(test_webhook_routes_from_flags_and_env)
{
	const char *env2[] = { "WIRESPAN_WEBHOOKS", "POST /a=x.tp;;PUT /b/*=tp,parent", NULL };
	const char *badenv[] = { "WIRESPAN_WEBHOOKS", "POST /a=x.tp;POST b=tp", NULL };

	CHECK_INT(parse(&c, NULL, 4, "--webhook", "POST /webhooks/stripe=data.object.metadata.tp",
			"--webhook", "POST /hooks/gh=hook.tp,parent"),
		  WS_CONFIG_RUN);
	CHECK_INT(c.webhooks.n, 2);
	CHECK_STR(c.webhooks.w[0].path, "/webhooks/stripe");
	CHECK_INT(c.webhooks.w[0].mode, WS_WEBHOOK_LINK);
	CHECK_INT(c.webhooks.w[1].mode, WS_WEBHOOK_PARENT);
	/* the variable's routes, then the flags' */
	CHECK_INT(parse(&c, env2, 2, "--webhook", "POST /c=tp"), WS_CONFIG_RUN);
	CHECK_INT(c.webhooks.n, 3);
	CHECK_STR(c.webhooks.w[1].path, "/b/*");
	CHECK_INT(c.webhooks.w[1].mode, WS_WEBHOOK_PARENT);
	CHECK_STR(c.webhooks.w[2].path, "/c");
	CHECK_INT(parse(&c, badenv, 0), -EINVAL);
	CHECK(strstr(errbuf, "WIRESPAN_WEBHOOKS") != NULL);
	CHECK_INT(parse(&c, NULL, 2, "--webhook", "POST /a"), -EINVAL);
	CHECK(strstr(errbuf, "--webhook") != NULL);
	CHECK_INT(parse(&c, NULL, 0), WS_CONFIG_RUN);
	CHECK_INT(c.webhooks.n, 0);
}

/* ---- every setting of the option table, by its flag and by its variables ---- */

#define TOOK(name, expr)                                                                           \
	static int name(const struct ws_config *c)                                                 \
	{                                                                                          \
		return expr;                                                                       \
	}

TOOK(took_pid, c->npids == 1 && c->pids[0] == 42)
TOOK(took_cgroup, c->ncgroups == 1 && !strcmp(c->cgroups[0], "a/b"))
TOOK(took_comm, c->ncomms == 1 && !strcmp(c->comms[0], "nginx"))
TOOK(took_capture, c->capture == WS_CAPTURE_SYSCALLS)
TOOK(took_capture_bytes, c->capture_bytes == 4096)
TOOK(took_ringbuf, c->ringbuf_bytes == 65536)
TOOK(took_protocol, c->otlp_protocol == WS_OTLP_GRPC)
TOOK(took_endpoint, !strcmp(c->endpoint, "http://col:9/x") && c->exporter == WS_EXP_OTLP)
TOOK(took_generic_endpoint, !strcmp(c->endpoint, "http://col:9/x/v1/traces"))
TOOK(took_exporter, c->exporter == WS_EXP_NONE)
TOOK(took_ca, c->otlp_tls.ca.path && !strcmp(c->otlp_tls.ca.path, "/x/ca.pem"))
TOOK(took_cert, c->otlp_tls.cert.path && !strcmp(c->otlp_tls.cert.path, "/x/ca.pem"))
TOOK(took_key, c->otlp_tls.key.path && !strcmp(c->otlp_tls.key.path, "/x/ca.pem"))
TOOK(took_timeout, c->export_timeout_ms == 2500)
TOOK(took_headers, !strcmp(c->otlp_headers, "a: 1\n"))
TOOK(took_gzip, c->otlp_gzip == 1)
TOOK(took_stats, c->stats_interval_s == 30)
TOOK(took_metrics, c->metrics_address && !strcmp(c->metrics_address, ":9100"))
TOOK(took_delay, c->batch.schedule_delay_ms == 2500)
TOOK(took_bsp_timeout, c->batch.export_timeout_ms == 2500)
TOOK(took_queue, c->batch.max_queue == 2500)
TOOK(took_batch, c->batch.max_batch == 2500)
TOOK(took_partner, c->partners.n == 1 && !strcmp(c->partners.p[0].name, "stripe"))
TOOK(took_reqid, c->partners.nhdr == 1 && !strcmp(c->partners.hdr[0], "x-req"))
TOOK(took_baggage, c->baggage.nkeys == 1 && !strcmp(c->baggage_keys[0], "tenant"))
TOOK(took_no_goroutines, c->no_goroutines == 1)
TOOK(took_webhook, c->webhooks.n == 1 && !strcmp(c->webhooks.w[0].path, "/a"))
TOOK(took_res_attrs, c->resource_attrs.n == 1)
TOOK(took_sampler, c->sampler.kind == WS_SAMPLER_TRACEIDRATIO)
TOOK(took_sampler_arg, c->sampler_arg && !strcmp(c->sampler_arg, "0.5"))
TOOK(took_partner_window, c->partner_health.window_s == 2)
TOOK(took_partner_error_rate, c->partner_health.error_pct == 20)
TOOK(took_partner_recover_rate, c->partner_health.recover_pct == 15)
TOOK(took_partner_latency, c->partner_health.p99_ms == 500)
TOOK(took_partner_min_calls, c->partner_health.min_calls == 5)
TOOK(took_record, c->record && !strcmp(c->record, "/tmp/r"))
TOOK(took_replay, c->replay && !strcmp(c->replay, "/tmp/r"))
TOOK(took_floor, c->floor == WS_FLOOR_RETURN)
TOOK(took_floor_copy, c->floor == WS_FLOOR_COPY)
TOOK(took_verbose, c->verbose == 1)
TOOK(took_tail_on, c->tail_mode == WS_TAIL_ON && c->tail)
TOOK(took_slow, c->tail_slow_ms == 250 && c->tail_opts.slow_ns == 250000000)
TOOK(took_wait, c->tail_wait_ms == 1500 && c->tail_opts.wait_ns == 1500000000)
TOOK(took_max_traces, c->tail_opts.max_traces == 7)
TOOK(took_max_spans, c->tail_opts.max_spans == 7)
TOOK(took_max_decided, c->tail_opts.max_decided == 7)

/*
 * One setting: its flag and/or one of its variables, a value it takes and
 * where that lands (NULL: the flag prints and exits), a value it refuses
 * and the hint its error line gives then.
 */
struct setting {
	const char *flag, *env, *good;
	int (*took)(const struct ws_config *c);
	const char *bad, *hint;
};

#define OTLP(x) "OTEL_EXPORTER_OTLP_" x

static const struct setting settings[] = {
	{ "--pid", NULL, "42", took_pid, "0", "a process id" },
	{ "--cgroup", NULL, "a/b", took_cgroup, NULL, NULL },
	{ "--comm", NULL, "nginx", took_comm, "", "a name" },
	{ "--capture", "WIRESPAN_CAPTURE", "syscalls", took_capture, "ebpf",
	  "auto, socket or syscalls" },
	{ "--capture-bytes", "WIRESPAN_CAPTURE_BYTES", "4096", took_capture_bytes, "63",
	  "64..16384" },
	{ "--ringbuf-size", NULL, "65536", took_ringbuf, "5000", "a power of two" },
	{ NULL, OTLP("TRACES_PROTOCOL"), "grpc", took_protocol, "http",
	  "grpc, http/protobuf or http/json" },
	{ NULL, OTLP("PROTOCOL"), "grpc", took_protocol, "GRPC",
	  "grpc, http/protobuf or http/json" },
	{ "--endpoint", OTLP("TRACES_ENDPOINT"), "http://col:9/x", took_endpoint, "col:9",
	  "an http(s) URL" },
	{ NULL, OTLP("ENDPOINT"), "http://col:9/x/", took_generic_endpoint, "col:9",
	  "an http(s) URL" },
	{ "--exporter", "OTEL_TRACES_EXPORTER", "none", took_exporter, "zipkin",
	  "otlp, console, none or discard" },
	{ "--certificate", OTLP("TRACES_CERTIFICATE"), "/x/ca.pem", took_ca, NULL, NULL },
	{ NULL, OTLP("CERTIFICATE"), "/x/ca.pem", took_ca, NULL, NULL },
	{ "--client-certificate", OTLP("TRACES_CLIENT_CERTIFICATE"), "/x/ca.pem", took_cert, NULL,
	  NULL },
	{ NULL, OTLP("CLIENT_CERTIFICATE"), "/x/ca.pem", took_cert, NULL, NULL },
	{ "--client-key", OTLP("TRACES_CLIENT_KEY"), "/x/ca.pem", took_key, NULL, NULL },
	{ NULL, OTLP("CLIENT_KEY"), "/x/ca.pem", took_key, NULL, NULL },
	{ NULL, OTLP("TRACES_TIMEOUT"), "2500", took_timeout, "0", "timeout in milliseconds" },
	{ NULL, OTLP("TIMEOUT"), "2500", took_timeout, "soon", "timeout in milliseconds" },
	{ NULL, OTLP("TRACES_HEADERS"), "a=1", took_headers, "a", "OTLP headers" },
	{ NULL, OTLP("HEADERS"), "a=1", took_headers, "bad key=1", "OTLP headers" },
	{ NULL, OTLP("TRACES_COMPRESSION"), "gzip", took_gzip, "zstd", "gzip or none" },
	{ NULL, OTLP("COMPRESSION"), "gzip", took_gzip, "brotli", "gzip or none" },
	{ "--stats-interval", NULL, "30", took_stats, "86401", "seconds, 0..86400" },
	{ "--metrics-address", NULL, ":9100", took_metrics, "host", "[host]:port" },
	{ NULL, "OTEL_BSP_SCHEDULE_DELAY", "2500", took_delay, "-1", "milliseconds" },
	{ NULL, "OTEL_BSP_EXPORT_TIMEOUT", "2500", took_bsp_timeout, "0", "milliseconds" },
	{ NULL, "OTEL_BSP_MAX_QUEUE_SIZE", "2500", took_queue, "-1", "a positive count" },
	{ NULL, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2500", took_batch, "x", "a positive count" },
	{ "--partner", "WIRESPAN_PARTNERS", "api.stripe.com=stripe", took_partner, "stripe",
	  "host=name[,host=name...], at most 64" },
	{ "--request-id-headers", "WIRESPAN_REQUEST_ID_HEADERS", "X-Req", took_reqid, "a b",
	  "at most 8 header names" },
	{ "--baggage-keys", "WIRESPAN_BAGGAGE_KEYS", "tenant", took_baggage, "a b",
	  "at most 16 keys (tokens)" },
	{ "--no-goroutines", NULL, NULL, took_no_goroutines, NULL, NULL },
	{ "--webhook", "WIRESPAN_WEBHOOKS", "POST /a=x.tp", took_webhook, "POST /a",
	  "METHOD /PATH=JSON.PATH[,link|,parent]" },
	{ NULL, "OTEL_RESOURCE_ATTRIBUTES", "team=a", took_res_attrs, NULL, NULL },
	/* An unknown sampler is a warning, and a ratio is read only by a ratio sampler. */
	{ "--sampler", "OTEL_TRACES_SAMPLER", "traceidratio", took_sampler, NULL, NULL },
	{ "--sampler-arg", "OTEL_TRACES_SAMPLER_ARG", "0.5", took_sampler_arg, NULL, NULL },
	{ "--partner-window", "WIRESPAN_PARTNER_WINDOW", "2", took_partner_window, "0",
	  "seconds, 1..3600" },
	{ "--partner-error-rate", "WIRESPAN_PARTNER_ERROR_RATE", "20", took_partner_error_rate,
	  "101", "a percentage, 1..100" },
	{ "--partner-recover-rate", "WIRESPAN_PARTNER_RECOVER_RATE", "15",
	  took_partner_recover_rate, "0", "a percentage, 1..100" },
	{ "--partner-latency", "WIRESPAN_PARTNER_LATENCY", "500", took_partner_latency, "2s",
	  "milliseconds" },
	{ "--partner-min-calls", "WIRESPAN_PARTNER_MIN_CALLS", "5", took_partner_min_calls, "0",
	  "a positive count" },
	{ "--sampling-tail", "WIRESPAN_SAMPLING_TAIL", "on", took_tail_on, "yes",
	  "auto, on or off" },
	{ "--sampling-slow-ms", "WIRESPAN_SAMPLING_SLOW_MS", "250", took_slow, "-1",
	  "milliseconds, 0..3600000" },
	{ "--sampling-decision-wait", "WIRESPAN_SAMPLING_DECISION_WAIT", "1500", took_wait, "0",
	  "milliseconds, 1..600000" },
	{ NULL, "WIRESPAN_SAMPLING_MAX_TRACES", "7", took_max_traces, "0",
	  "a positive count, at most 16777216" },
	{ NULL, "WIRESPAN_SAMPLING_MAX_SPANS", "7", took_max_spans, "16777217",
	  "a positive count, at most 16777216" },
	{ NULL, "WIRESPAN_SAMPLING_DECISION_CACHE", "7", took_max_decided, "x",
	  "a positive count, at most 16777216" },
	{ "--record", NULL, "/tmp/r", took_record, "", "a file name" },
	{ "--replay", NULL, "/tmp/r", took_replay, "", "a file name" },
	{ "--floor", NULL, NULL, took_floor, NULL, NULL },
	{ "--floor-copy", NULL, NULL, took_floor_copy, NULL, NULL },
	{ "--verbose", NULL, NULL, took_verbose, NULL, NULL },
	{ "--help", NULL, NULL, NULL, NULL, NULL },
	{ "--version", NULL, NULL, NULL, NULL, NULL },
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* A value refused by its flag or variable: one line naming it, then the hint. */
static void check_refused(const char *flag, const char *var, const char *val, const char *hint)
{
	const char *e[] = { var, val, NULL };
	char head[128];

	CHECK_INT(flag ? parse(&c, NULL, 2, flag, val) : parse(&c, e, 0), -EINVAL);
	snprintf(head, sizeof(head), "wirespan: invalid %s '%s': ", flag ? flag : var, val);
	CHECK(!strncmp(errbuf, head, strlen(head)));
	CHECK(strstr(errbuf, hint) != NULL);
	CHECK(strchr(errbuf, '\n') == errbuf + strlen(errbuf) - 1);
}

static void check_setting(const struct setting *s)
{
	const char *e[] = { s->env, s->good, NULL };
	int ret;

	/* the value must change something, or taking it proves nothing */
	CHECK_INT(parse(&c, NULL, 0), WS_CONFIG_RUN);
	if (s->took)
		CHECK(!s->took(&c));
	if (s->flag) {
		ret = s->good ? parse(&c, NULL, 2, s->flag, s->good) : parse(&c, NULL, 1, s->flag);
		CHECK_INT(ret, s->took ? WS_CONFIG_RUN : WS_CONFIG_EXIT_OK);
		CHECK(!s->took || s->took(&c));
	}
	if (s->env) {
		CHECK_INT(parse(&c, e, 0), WS_CONFIG_RUN);
		CHECK(s->took(&c));
	}
	if (s->bad && s->flag)
		check_refused(s->flag, NULL, s->bad, s->hint);
	if (s->bad && s->env)
		check_refused(NULL, s->env, s->bad, s->hint);
}

TEST(test_every_setting_is_reachable_by_flag_and_variable_and_refuses_with_its_hint)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		int failed = check_failed_in_test;

		check_failed_in_test = 0;
		check_setting(&settings[i]);
		if (check_failed_in_test)
			fprintf(stderr, "    in the row of %s %s\n", settings[i].flag ?: "",
				settings[i].env ?: "");
		check_failed_in_test |= failed;
	}
}

static int is_setting_name(const char *name, size_t len)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *f = settings[i].flag, *v = settings[i].env;

		if ((f && strlen(f) == len && !memcmp(f, name, len)) ||
		    (v && strlen(v) == len && !memcmp(v, name, len)))
			return 1;
	}
	return 0;
}

#define FLAG_CHARS "abcdefghijklmnopqrstuvwxyz-"
#define VAR_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"

/* The length of the flag or variable name starting a word at s in --help; 0: none. */
static size_t name_at(const char *s)
{
	if (s != outbuf && s[-1] != ' ' && s[-1] != '\n')
		return 0;
	if (!strncmp(s, "--", 2))
		return 2 + strspn(s + 2, FLAG_CHARS);
	if (!strncmp(s, "OTEL_", 5) || !strncmp(s, "WIRESPAN_", 9))
		return strspn(s, VAR_CHARS);
	return 0;
}

/* Whether --help names name as a whole word (--floor is not in --floor-copy). */
static int help_names(const char *name)
{
	for (const char *s = outbuf; (s = strstr(s, name)); s++)
		if (name_at(s) == strlen(name))
			return 1;
	return 0;
}

/* Every flag and variable --help names has its row above, and every row's names are in --help. */
TEST(test_help_names_every_flag_and_variable)
{
	size_t len;

	CHECK_INT(parse(&c, NULL, 1, "--help"), WS_CONFIG_EXIT_OK);
	for (const char *s = outbuf; *s; s += len ? len : 1) {
		len = name_at(s);
		if (len && !is_setting_name(s, len)) {
			fprintf(stderr, "    --help names '%.*s', which has no row\n", (int)len, s);
			CHECK(0);
		}
	}
	for (size_t i = 0; i < NSETTINGS; i++) {
		const char *names[] = { settings[i].flag, settings[i].env };

		for (int k = 0; k < 2; k++) {
			if (names[k] && !help_names(names[k])) {
				fprintf(stderr, "    --help does not name %s\n", names[k]);
				CHECK(0);
			}
		}
	}
}

/* The hint of the last error line: what follows the value. */
static const char *hint_of(const char *line)
{
	const char *h = strstr(line, "': ");

	return h ? h + 3 : "";
}

/*
 * --help, --webhook and WIRESPAN_WEBHOOKS once disagreed: --help and the
 * variable's hint left out ',link', the variable refused a route of 512
 * bytes or more that the flag took. Now a value is taken or refused alike
 * both ways, into the same routes, with the same hint, which --help shows.
 */
TEST(test_webhook_flag_variable_and_help_agree_on_the_grammar)
{
	static char longest[900], many[400];
	const char *good[] = { "POST /a=x.tp",	      "PUT /b/*=tp,link",
			       "POST /c=d.tp,parent", "POST /a=x.tp;PUT /b=tp,parent",
			       "POST /a=tp;;",	      longest };
	const char *bad[] = { "POST /a",  "POST a=tp",	  "POST /a=tp,both",
			      "POST /a=", "POST /a=tp;x", many };
	struct ws_webhooks by_flag;
	char flag_hint[256];
	size_t n;

	/* the longest route ws_webhooks_add takes: a 255-byte path, 8 keys of 63 */
	n = snprintf(longest, sizeof(longest), "%.20s /%.254s=", "PROPFINDPROPFINDPROP",
		     "ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
		     "ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
		     "ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
		     "ppppppppppppppppppppppppppppppppppppp");
	for (int k = 0; k < 8; k++)
		n += snprintf(longest + n, sizeof(longest) - n, "%s%.63s", k ? "." : "",
			      "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk");
	snprintf(longest + n, sizeof(longest) - n, ",parent");
	for (int k = 0, m = 0; k <= WS_MAX_WEBHOOKS; k++)
		m += snprintf(many + m, sizeof(many) - m, "POST /%d=tp;", k);

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *e[] = { "WIRESPAN_WEBHOOKS", good[i], NULL };

		CHECK_INT(parse(&c, NULL, 2, "--webhook", good[i]), WS_CONFIG_RUN);
		by_flag = c.webhooks;
		CHECK_INT(parse(&c, e, 0), WS_CONFIG_RUN);
		CHECK(by_flag.n > 0);
		CHECK_INT(c.webhooks.n, by_flag.n);
		CHECK(!memcmp(&c.webhooks, &by_flag, sizeof(by_flag)));
	}
	CHECK_INT(c.webhooks.n, 1);
	CHECK_INT(strlen(c.webhooks.w[0].path), 255);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *e[] = { "WIRESPAN_WEBHOOKS", bad[i], NULL };

		CHECK_INT(parse(&c, NULL, 2, "--webhook", bad[i]), -EINVAL);
		snprintf(flag_hint, sizeof(flag_hint), "%s", hint_of(errbuf));
		CHECK_INT(parse(&c, e, 0), -EINVAL);
		CHECK_STR(hint_of(errbuf), flag_hint);
		CHECK(strstr(flag_hint, "METHOD /PATH=JSON.PATH[,link|,parent]") != NULL);
	}
	CHECK_INT(parse(&c, NULL, 1, "--help"), WS_CONFIG_EXIT_OK);
	CHECK(strstr(outbuf, "--webhook 'METHOD /PATH=JSON.PATH[,link|,parent]'") != NULL);
	CHECK(strstr(outbuf, "joined with ';'") != NULL);
}

/* An empty variable is unset, as if absent; but for the request-id headers it means none. */
TEST(test_empty_variables_are_unset_but_empty_request_id_headers_mean_none)
{
	const char *empty[] = { "OTEL_TRACES_EXPORTER",
				"",
				"WIRESPAN_CAPTURE",
				"",
				"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
				"",
				"OTEL_EXPORTER_OTLP_ENDPOINT",
				"http://col:4318",
				NULL };
	const char *no_reqid[] = { "WIRESPAN_REQUEST_ID_HEADERS", "", NULL };

	CHECK_INT(parse(&c, empty, 0), WS_CONFIG_RUN);
	CHECK_INT(c.exporter, WS_EXP_OTLP);
	CHECK_STR(c.endpoint, "http://col:4318/v1/traces");
	CHECK_INT(c.capture, WS_CAPTURE_AUTO);
	CHECK_INT(c.partners.nhdr, 5);
	CHECK_INT(parse(&c, no_reqid, 0), WS_CONFIG_RUN);
	CHECK_INT(c.partners.nhdr, 0);
}

TEST(test_sampler_default_ratio_bad_ratio_and_unknown_name)
{
	const char *const ratio[] = { "OTEL_TRACES_SAMPLER", "parentbased_traceidratio",
				      "OTEL_TRACES_SAMPLER_ARG", "0.1", NULL };
	const char *const bad[] = { "OTEL_TRACES_SAMPLER", "traceidratio",
				    "OTEL_TRACES_SAMPLER_ARG", "10%", NULL };
	const char *const unknown[] = { "OTEL_TRACES_SAMPLER", "xray", NULL };

	CHECK_INT(parse(&c, NULL, 0), WS_CONFIG_RUN);
	CHECK_INT(c.sampler.kind, WS_SAMPLER_ALWAYS_ON);
	CHECK_INT(parse(&c, ratio, 0), WS_CONFIG_RUN);
	CHECK_INT(c.sampler.kind, WS_SAMPLER_PB_TRACEIDRATIO);
	CHECK_STR(c.sampler.th, "e6666666666666");
	/* The flag wins over the variable. */
	CHECK_INT(parse(&c, ratio, 2, "--sampler-arg", "0.5"), WS_CONFIG_RUN);
	CHECK_STR(c.sampler.th, "8");
	CHECK_INT(parse(&c, bad, 0), -EINVAL);
	CHECK_STR(errbuf, "wirespan: invalid OTEL_TRACES_SAMPLER_ARG '10%': a probability, 0..1\n");
	CHECK_INT(parse(&c, NULL, 4, "--sampler", "traceidratio", "--sampler-arg", "2"), -EINVAL);
	CHECK(strstr(errbuf, "invalid --sampler-arg '2'") != NULL);
	CHECK_INT(parse(&c, unknown, 0), WS_CONFIG_RUN);
	CHECK_INT(c.sampler.kind, WS_SAMPLER_ALWAYS_ON);
	CHECK(strstr(errbuf, "unknown OTEL_TRACES_SAMPLER 'xray': using always_on") != NULL);
	CHECK(strchr(errbuf, '\n') == errbuf + strlen(errbuf) - 1);
}

/* Tail rules run by default only where the sampler can drop: always_on stays as it was. */
TEST(test_tail_rules_follow_a_sampler_that_can_drop_unless_told)
{
	const char *const ratio[] = { "OTEL_TRACES_SAMPLER", "traceidratio",
				      "OTEL_TRACES_SAMPLER_ARG", "0.1", NULL };
	const char *const all[] = { "OTEL_TRACES_SAMPLER", "traceidratio", NULL };
	const char *const pb[] = { "OTEL_TRACES_SAMPLER", "parentbased_always_on", NULL };

	CHECK_INT(parse(&c, NULL, 0), WS_CONFIG_RUN);
	CHECK_INT(c.tail, 0);
	CHECK_INT(c.tail_opts.wait_ns, WS_TAIL_WAIT_MS * 1000000ull);
	CHECK_INT(c.tail_opts.slow_ns, WS_TAIL_SLOW_MS * 1000000ull);
	CHECK_INT(c.tail_opts.max_traces, WS_TAIL_MAX_TRACES);
	CHECK_INT(c.tail_opts.max_spans, WS_TAIL_MAX_SPANS);
	CHECK_INT(c.tail_opts.max_decided, WS_TAIL_MAX_DECIDED);
	CHECK_INT(parse(&c, ratio, 0), WS_CONFIG_RUN);
	CHECK_INT(c.tail, 1);
	CHECK_INT(parse(&c, all, 0), WS_CONFIG_RUN); /* a ratio of 1 drops nothing */
	CHECK_INT(c.tail, 0);
	CHECK_INT(parse(&c, pb, 0), WS_CONFIG_RUN); /* an unsampled parent drops */
	CHECK_INT(c.tail, 1);
	CHECK_INT(parse(&c, ratio, 2, "--sampling-tail", "off"), WS_CONFIG_RUN);
	CHECK_INT(c.tail, 0);
}

static const struct check_case cases[] = {
	CASE(test_otlp_protocol_picks_the_endpoint_and_its_default),
	CASE(test_webhook_routes_from_flags_and_env),
	CASE(test_otlp_headers_and_compression),
	CASE(test_tls_files_flags_win_and_are_checked_for_otlp_only),
	CASE(test_resource_attributes_are_the_base_and_bad_entries_a_warning),
	CASE(test_record_replay_floor_and_discard),
	CASE(test_defaults_trace_everything_to_the_console),
	CASE(test_selectors_repeat),
	CASE(test_generic_endpoint_gets_v1_traces_and_selects_otlp),
	CASE(test_traces_endpoint_is_used_as_is_and_wins),
	CASE(test_exporter_env_and_flag_override_endpoint_default),
	CASE(test_bsp_variables_fill_the_batch_options),
	CASE(test_console_gets_a_short_delay_unless_set),
	CASE(test_bad_values_give_one_line_naming_them),
	CASE(test_help_and_version_exit_ok),
	CASE(test_every_setting_is_reachable_by_flag_and_variable_and_refuses_with_its_hint),
	CASE(test_help_names_every_flag_and_variable),
	CASE(test_webhook_flag_variable_and_help_agree_on_the_grammar),
	CASE(test_empty_variables_are_unset_but_empty_request_id_headers_mean_none),
	CASE(test_sampler_default_ratio_bad_ratio_and_unknown_name),
	CASE(test_tail_rules_follow_a_sampler_that_can_drop_unless_told),
};
CHECK_MAIN("config", cases)
