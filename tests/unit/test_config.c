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

static int parse(struct ws_config *c, const char *const *envv, int argc, ...)
{
	char *argv[32] = { "wirespan" };
	FILE *out = fopen("/dev/null", "w"), *err = fmemopen(errbuf, sizeof(errbuf), "w");
	va_list ap;
	int ret;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	fake_env = envv;
	memset(errbuf, 0, sizeof(errbuf));
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
	const char *const e[] = { "OTEL_BSP_SCHEDULE_DELAY", "250", "OTEL_BSP_MAX_QUEUE_SIZE", "99",
				  "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "7", "OTEL_BSP_EXPORT_TIMEOUT",
				  "1234", NULL };

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
	const char *ok[] = { "OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cr%65t%20value, tenant = acme",
			     "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", NULL };
	const char *specific[] = { "OTEL_EXPORTER_OTLP_HEADERS", "a=1",
				   "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2",
				   "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none",
				   "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", NULL };
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
	const char *json_wins[] = { "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
				    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json",
				    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://col:4318", NULL };
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
	const char *env_pair[] = { "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", ca,
				   "OTEL_EXPORTER_OTLP_CLIENT_KEY", key,
				   "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/no/such/ca.pem", NULL };
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
	const char *env2[] = { "WIRESPAN_WEBHOOKS",
			       "POST /a=x.tp;;PUT /b/*=tp,parent", NULL };
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
};
CHECK_MAIN("config", cases)
