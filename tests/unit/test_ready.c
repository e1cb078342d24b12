// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ready line: the selection as given, the capture plan, the export
 * target (an endpoint without credentials or query), all on one line.
 */
#include <stdarg.h>

#include "check.h"
#include "ready.h"

#define PLAN                                                                                       \
	"capture: socket tracepoints (sock_send_length/sock_recv_length), "                        \
	"connection state: inet_sock_set_state"

static const char *const *fake_env;

static const char *env(const char *name)
{
	for (const char *const *e = fake_env; e && *e; e += 2)
		if (!strcmp(e[0], name))
			return e[1];
	return NULL;
}

static struct ws_config c;
static char line[4096];

/* The ready line for argv (after "wirespan") and envv (name, value, ..., NULL). */
static const char *ready(const char *const *envv, int argc, ...)
{
	char *argv[48] = { "wirespan" };
	FILE *out = fopen("/dev/null", "w"), *err = fopen("/dev/null", "w");
	va_list ap;
	int ret;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	fake_env = envv;
	ret = ws_config_parse(&c, argc + 1, argv, env, out, err);
	fclose(out);
	fclose(err);
	if (ret != WS_CONFIG_RUN)
		return "(config refused)";
	ws_ready_line(&c, PLAN, line, sizeof(line));
	return line;
}

TEST(the_default_names_every_process_but_wirespan_and_the_console)
{
	CHECK_STR(ready(NULL, 0), "wirespan: ready (selection: every process but wirespan; " PLAN
				  "; export: console (stdout))");
}

TEST(selectors_are_named_as_given)
{
	const char *l = ready(NULL, 8, "--pid", "1", "--cgroup", "system.slice/nginx.service",
			      "--comm", "nginx", "--comm", "python3.11-worker-1");

	CHECK(strstr(l, "(selection: pid 1, cgroup system.slice/nginx.service, comm nginx, comm "
			"python3.11-worker-1; capture: "));
}

TEST(many_selectors_are_counted_past_the_first_eight)
{
	const char *l = ready(NULL, 20, "-n", "a", "-n", "b", "-n", "c", "-n", "d", "-n", "e", "-n",
			      "f", "-n", "g", "-n", "h", "-n", "i", "-n", "j");

	CHECK(strstr(l, "comm g, comm h and 2 more; capture: "));
	CHECK(!strstr(l, "comm i"));
}

TEST(an_otlp_endpoint_is_shown_without_credentials_or_query)
{
	static const char *const e[] = { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
					 "https://user:s3cret@collector.example:4318/v1/traces"
					 "?api_key=abc#frag",
					 NULL };
	const char *l = ready(e, 0);

	CHECK(strstr(l,
		     "; export: OTLP http/protobuf to https://collector.example:4318/v1/traces)"));
	CHECK(!strstr(l, "s3cret"));
	CHECK(!strstr(l, "api_key"));
}

TEST(the_protocol_and_compression_are_named)
{
	static const char *const e[] = { "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
					 "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", NULL };

	CHECK(strstr(ready(e, 2, "--endpoint", "http://localhost:4317"),
		     "; export: OTLP grpc gzip to http://localhost:4317)"));
}

TEST(none_discard_floor_and_record_are_said)
{
	CHECK(strstr(ready(NULL, 2, "--exporter", "none"), "; export: none)"));
	CHECK(strstr(ready(NULL, 2, "--exporter", "discard"),
		     "; export: discard (OTLP http/protobuf bodies made, then dropped))"));
	CHECK(strstr(ready(NULL, 1, "--floor"), "; export: none (--floor: no spans))"));
	CHECK(strstr(ready(NULL, 2, "--record", "/tmp/run.wsrec"),
		     "; export: console (stdout); record: /tmp/run.wsrec)"));
}

TEST(the_line_is_one_line_and_cut_to_its_buffer)
{
	char small[24];
	int n;

	ready(NULL, 2, "--exporter", "none");
	CHECK(!strchr(line, '\n'));
	n = ws_ready_line(&c, PLAN, small, sizeof(small));
	CHECK_INT(n, (int)strlen(line));
	CHECK_STR(small, "wirespan: ready (select");
}

static const struct {
	const char *url, *want;
} urls[] = {
	{ "http://localhost:4318/v1/traces", "http://localhost:4318/v1/traces" },
	{ "https://u:p@h:443/v1/traces?k=v#f", "https://h:443/v1/traces" },
	{ "http://token@h", "http://h" },
	/* An '@' past the host is the path's, not credentials. */
	{ "http://h/a@b", "http://h/a@b" },
	{ "http://[::1]:4317", "http://[::1]:4317" },
	{ "h:4318?x=1", "h:4318" },
	{ "", "" },
};

TEST(urls_lose_user_information_query_and_fragment)
{
	char out[128];

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		CHECK_INT(ws_url_for_log(urls[i].url, out, sizeof(out)), (int)strlen(urls[i].want));
		CHECK_STR(out, urls[i].want);
	}
	CHECK_INT(ws_url_for_log("https://u:p@host/x", out, 9), 14);
	CHECK_STR(out, "https://");
}

static const struct check_case cases[] = {
	CASE(the_default_names_every_process_but_wirespan_and_the_console),
	CASE(selectors_are_named_as_given),
	CASE(many_selectors_are_counted_past_the_first_eight),
	CASE(an_otlp_endpoint_is_shown_without_credentials_or_query),
	CASE(the_protocol_and_compression_are_named),
	CASE(none_discard_floor_and_record_are_said),
	CASE(the_line_is_one_line_and_cut_to_its_buffer),
	CASE(urls_lose_user_information_query_and_fragment),
};

int main(void)
{
	return check_run("ready", cases, sizeof(cases) / sizeof(cases[0]));
}
