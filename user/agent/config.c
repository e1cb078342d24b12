// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Command line and environment -> struct ws_config. Flags win over
 * WIRESPAN_* variables, which the OpenTelemetry variables sit beside:
 * OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _PROTOCOL,
 * _TIMEOUT, _HEADERS, _COMPRESSION, _CERTIFICATE, _CLIENT_*, and OTEL_BSP_*.
 * The only I/O: TLS files are opened to refuse, at start, one that cannot work.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "httpchars.h"
#include "wirespan.h"

#ifndef WS_VERSION
#define WS_VERSION "0.0.0"
#endif

static const char usage[] =
	"Usage: wirespan [OPTION]...\n"
	"Trace the HTTP/1.x traffic of unmodified programs with eBPF and export\n"
	"OpenTelemetry spans. With no selector every process but wirespan is traced.\n"
	"\n"
	"Selection (any match selects a process; repeatable):\n"
	"  -p, --pid PID          trace running process PID (a process id, not a thread's)\n"
	"  -c, --cgroup PATH      trace every process in the cgroup v2 subtree PATH\n"
	"                         (absolute, or relative to the cgroup2 mount)\n"
	"  -n, --comm NAME        trace processes named NAME (as in /proc/PID/comm)\n"
	"\n"
	"Capture:\n"
	"      --capture MODE     auto (default), socket (socket tracepoints, kernel 6.3+)\n"
	"                         or syscalls (syscall tracepoints: slower, older kernels)\n"
	"      --capture-bytes N  payload bytes copied per I/O (default %u, max %u)\n"
	"      --ringbuf-size N   ring buffer bytes, a power of two (default 8388608)\n"
	"\n"
	"Export:\n"
	"      --exporter KIND    console, otlp, none or discard (encode, then drop:\n"
	"                         for measuring) (OTEL_TRACES_EXPORTER);\n"
	"                         default: otlp when an OTLP endpoint is set, else console\n"
	"      --endpoint URL     OTLP traces URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,\n"
	"                         or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces; for grpc\n"
	"                         the collector's URL, e.g. http://localhost:4317)\n"
	"      --certificate FILE trust the CA certificates in FILE (PEM) instead of the\n"
	"                         system's for an https endpoint\n"
	"                         (OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE)\n"
	"      --client-certificate FILE, --client-key FILE  mTLS: present this PEM\n"
	"                         certificate and its key; both or neither\n"
	"                         (OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE, _CLIENT_KEY)\n"
	"      --stats-interval S log the agent's counters every S seconds (default: off;\n"
	"                         SIGUSR1 logs them at any time)\n"
	"      --metrics-address [HOST]:PORT  serve the counters in the Prometheus text\n"
	"                         format at http://HOST:PORT/metrics (default: off);\n"
	"                         :PORT or PORT listens on 127.0.0.1 only, all\n"
	"                         interfaces only with 0.0.0.0:PORT or [::]:PORT\n"
	"\n"
	"Spans:\n"
	"      --partner HOST=NAME[,...]  name the partner a CLIENT span calls\n"
	"                         (peer.service); *.example.com matches subdomains\n"
	"      --request-id-headers LIST  response headers kept on CLIENT spans as\n"
	"                         http.response.header.<name>; default:\n"
	"                         %s\n"
	"      --baggage-keys LIST  W3C baggage keys copied into span attributes\n"
	"                         (default: none)\n"
	"      --no-goroutines    in Go programs, do not follow goroutines (no uprobes\n"
	"                         in their net/http client): their calls then get no\n"
	"                         parent inside the process\n"
	"      --webhook 'METHOD /PATH=JSON.PATH[,parent]'  an incoming request on this\n"
	"                         route without traceparent is linked (or, with\n"
	"                         ',parent', parented) to the W3C traceparent found at\n"
	"                         JSON.PATH in the first %u bytes of its body;\n"
	"                         /PATH may end in '*' (repeatable, at most %u)\n"
	"\n"
	"Record and replay:\n"
	"      --record FILE      also write every ring buffer record to FILE\n"
	"      --replay FILE      no BPF: feed the records of FILE through parsing,\n"
	"                         assembly and export, report the rate, exit\n"
	"      --floor            attach every hook with programs that return at once:\n"
	"                         the hooks' own cost, for benchmarks; no spans\n"
	"      --floor-copy       the least a capture does, for benchmarks: select each\n"
	"                         socket I/O, copy its first bytes into the ring buffer,\n"
	"                         count and drop them; no spans (socket tracepoints only)\n"
	"\n"
	"  -v, --verbose          more messages on stderr\n"
	"  -h, --help             this help\n"
	"      --version          print the version\n"
	"\n"
	"Environment: OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT,\n"
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL\n"
	"(http/protobuf, http/json or grpc), OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT,\n"
	"OTEL_EXPORTER_OTLP_[TRACES_]HEADERS, OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION,\n"
	"OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY,\n"
	"OTEL_RESOURCE_ATTRIBUTES (under each traced process's own),\n"
	"OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE,\n"
	"OTEL_BSP_EXPORT_TIMEOUT, WIRESPAN_CAPTURE, WIRESPAN_CAPTURE_BYTES,\n"
	"WIRESPAN_PARTNERS, WIRESPAN_REQUEST_ID_HEADERS, WIRESPAN_BAGGAGE_KEYS,\n"
	"WIRESPAN_WEBHOOKS (routes separated by ';').\n"
	"Once every probe is attached wirespan prints 'wirespan: ready' on stderr.\n"
	"SIGINT/SIGTERM flush pending spans and exit 0.\n";

enum {
	OPT_CAPTURE = 256,
	OPT_CAPTURE_BYTES,
	OPT_RINGBUF,
	OPT_EXPORTER,
	OPT_ENDPOINT,
	OPT_STATS,
	OPT_VERSION,
	OPT_RECORD,
	OPT_REPLAY,
	OPT_FLOOR,
	OPT_FLOOR_COPY,
	OPT_PARTNER,
	OPT_REQID,
	OPT_BAGGAGE,
	OPT_METRICS,
	OPT_CERTIFICATE,
	OPT_CLIENT_CERT,
	OPT_CLIENT_KEY,
	OPT_WEBHOOK,
	OPT_NO_GOROUTINES,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "cgroup", required_argument, NULL, 'c' },
	{ "comm", required_argument, NULL, 'n' },
	{ "capture", required_argument, NULL, OPT_CAPTURE },
	{ "capture-bytes", required_argument, NULL, OPT_CAPTURE_BYTES },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "exporter", required_argument, NULL, OPT_EXPORTER },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "stats-interval", required_argument, NULL, OPT_STATS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "floor", no_argument, NULL, OPT_FLOOR },
	{ "floor-copy", no_argument, NULL, OPT_FLOOR_COPY },
	{ "partner", required_argument, NULL, OPT_PARTNER },
	{ "request-id-headers", required_argument, NULL, OPT_REQID },
	{ "baggage-keys", required_argument, NULL, OPT_BAGGAGE },
	{ "metrics-address", required_argument, NULL, OPT_METRICS },
	{ "certificate", required_argument, NULL, OPT_CERTIFICATE },
	{ "client-certificate", required_argument, NULL, OPT_CLIENT_CERT },
	{ "client-key", required_argument, NULL, OPT_CLIENT_KEY },
	{ "webhook", required_argument, NULL, OPT_WEBHOOK },
	{ "no-goroutines", no_argument, NULL, OPT_NO_GOROUTINES },
	{ 0 },
};

/* Whole-string decimal in [min, max]; 0 or -EINVAL. */
static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int set_capture(struct ws_config *c, const char *v)
{
	if (!strcmp(v, "auto"))
		c->capture = WS_CAPTURE_AUTO;
	else if (!strcmp(v, "socket"))
		c->capture = WS_CAPTURE_SOCKET;
	else if (!strcmp(v, "syscalls"))
		c->capture = WS_CAPTURE_SYSCALLS;
	else
		return -EINVAL;
	return 0;
}

static int set_exporter(struct ws_config *c, const char *v)
{
	if (!strcmp(v, "console"))
		c->exporter = WS_EXP_CONSOLE;
	else if (!strcmp(v, "otlp"))
		c->exporter = WS_EXP_OTLP;
	else if (!strcmp(v, "none"))
		c->exporter = WS_EXP_NONE;
	else if (!strcmp(v, "discard"))
		c->exporter = WS_EXP_DISCARD;
	else
		return -EINVAL;
	return 0;
}

static int set_endpoint(struct ws_config *c, const char *base, const char *suffix)
{
	size_t blen = strlen(base);

	/* The generic endpoint gets the signal path; avoid a double slash. */
	if (suffix && blen && base[blen - 1] == '/')
		blen--;
	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
		return -EINVAL;
	if ((size_t)snprintf(c->endpoint, sizeof(c->endpoint), "%.*s%s", (int)blen, base,
			     suffix ? suffix : "") >= sizeof(c->endpoint))
		return -EINVAL;
	return 0;
}

static int set_protocol(struct ws_config *c, const char *v)
{
	if (!strcmp(v, "http/protobuf"))
		c->otlp_protocol = WS_OTLP_HTTP_PROTOBUF;
	else if (!strcmp(v, "http/json"))
		c->otlp_protocol = WS_OTLP_HTTP_JSON;
	else if (!strcmp(v, "grpc"))
		c->otlp_protocol = WS_OTLP_GRPC;
	else
		return -EINVAL;
	return 0;
}

static int bad(FILE *err, const char *what, const char *val, const char *want)
{
	fprintf(err, "wirespan: invalid %s '%s': %s\n", what, val ? val : "", want);
	return -EINVAL;
}

/* The allowlist and NUL-terminated copies of its keys (attribute keys outlive spans). */
static int set_baggage_keys(struct ws_config *c, const char *csv)
{
	struct ws_baggage_allow allow;

	if (ws_baggage_parse_allowlist(csv, &allow))
		return -EINVAL;
	for (size_t i = 0; i < allow.nkeys; i++)
		if (allow.klens[i] >= sizeof(c->baggage_keys[0]))
			return -EINVAL;
	c->baggage = allow;
	for (size_t i = 0; i < allow.nkeys; i++) {
		memcpy(c->baggage_keys[i], allow.keys[i], allow.klens[i]);
		c->baggage_keys[i][allow.klens[i]] = '\0';
	}
	return 0;
}

/*
 * OTEL_EXPORTER_OTLP_HEADERS: "k1=v1,k2=v2", values percent-decoded, into
 * "k1: v1\n" lines. A name that is not a token, or a value that decodes to
 * a control character (a way to smuggle a header in), refuses the whole list.
 */
static int set_otlp_headers(struct ws_config *c, const char *v)
{
	char out[sizeof(c->otlp_headers)];
	const char *s = v, *end = v + strlen(v);
	size_t n = 0;

	while (s < end) {
		const char *comma = memchr(s, ',', end - s), *e = comma ? comma : end;
		const char *eq = memchr(s, '=', e - s), *ks = s, *ke, *vs, *ve = e;
		char val[512];
		size_t vlen;
		int ch;

		if (!eq)
			return -EINVAL;
		ke = eq;
		vs = eq + 1;
		ws_trim_ows(&ks, &ke);
		ws_trim_ows(&vs, &ve);
		if (ks == ke || (size_t)(ve - vs) >= sizeof(val))
			return -EINVAL;
		for (const char *k = ks; k < ke; k++)
			if (!ws_is_tchar(*k))
				return -EINVAL;
		/* decoded by hand: a control character must refuse, not turn into '?' */
		vlen = 0;
		for (size_t x = 0; (ch = ws_pct_next(vs, ve - vs, &x)) >= 0;) {
			if (ch < 0x20 || ch == 0x7f)
				return -EINVAL;
			val[vlen++] = (char)ch;
		}
		if (n + (ke - ks) + 2 + vlen + 2 > sizeof(out))
			return -EINVAL;
		n += snprintf(out + n, sizeof(out) - n, "%.*s: %.*s\n", (int)(ke - ks), ks,
			      (int)vlen, val);
		s = e + 1;
	}
	memcpy(c->otlp_headers, out, n);
	c->otlp_headers[n] = '\0';
	return 0;
}

/* WIRESPAN_WEBHOOKS: routes separated by ';' (a route itself may hold a ','). */
static int set_webhooks_env(struct ws_config *c, const char *v)
{
	char one[512];

	while (*v) {
		const char *semi = strchr(v, ';'), *e = semi ? semi : v + strlen(v);

		if ((size_t)(e - v) >= sizeof(one))
			return -EINVAL;
		memcpy(one, v, e - v);
		one[e - v] = '\0';
		if (e > v && ws_webhooks_add(&c->webhooks, one))
			return -EINVAL;
		v = semi ? semi + 1 : e;
	}
	return 0;
}

/* Environment first, so flags parsed after it win. */
static int config_from_env(struct ws_config *c, ws_getenv_fn env, FILE *err, int *have_endpoint)
{
	const char *v, *name;
	long n;

	/* First: it decides what the generic endpoint becomes. */
	if (((v = env(name = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")) && *v) ||
	    ((v = env(name = "OTEL_EXPORTER_OTLP_PROTOCOL")) && *v)) {
		if (set_protocol(c, v))
			return bad(err, name, v, "grpc, http/protobuf or http/json");
	}
	if ((v = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) && *v) {
		if (set_endpoint(c, v, NULL))
			return bad(err, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", v, "an http(s) URL");
		*have_endpoint = 1;
	} else if ((v = env("OTEL_EXPORTER_OTLP_ENDPOINT")) && *v) {
		/* gRPC has no signal path: the method names the signal. */
		if (set_endpoint(c, v, c->otlp_protocol == WS_OTLP_GRPC ? NULL : "/v1/traces"))
			return bad(err, "OTEL_EXPORTER_OTLP_ENDPOINT", v, "an http(s) URL");
		*have_endpoint = 1;
	}
	c->exporter = *have_endpoint ? WS_EXP_OTLP : WS_EXP_CONSOLE;
	if ((v = env("OTEL_TRACES_EXPORTER")) && *v && set_exporter(c, v))
		return bad(err, "OTEL_TRACES_EXPORTER", v, "otlp, console or none");
	if (((v = env("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")) && *v) ||
	    ((v = env("OTEL_EXPORTER_OTLP_TIMEOUT")) && *v)) {
		if (parse_long(v, 1, 3600000, &c->export_timeout_ms))
			return bad(err, "OTLP timeout", v, "milliseconds, 1..3600000");
	}
	if (((v = env("OTEL_EXPORTER_OTLP_TRACES_HEADERS")) && *v) ||
	    ((v = env("OTEL_EXPORTER_OTLP_HEADERS")) && *v)) {
		if (set_otlp_headers(c, v))
			return bad(err, "OTLP headers", v,
				   "name=value pairs, comma separated, values percent-encoded");
	}
	ws_otlp_tls_from_env(&c->otlp_tls, env);
	/* Bad entries are dropped, as the SDKs do: said once, not fatal. */
	if ((v = env("OTEL_RESOURCE_ATTRIBUTES")) &&
	    (n = ws_res_attrs_parse(&c->resource_attrs, v, strlen(v))))
		fprintf(err, "wirespan: OTEL_RESOURCE_ATTRIBUTES: %ld entr%s dropped (want key=value, "
			     "comma separated, percent-encoded; at most %d of them, keys of at most "
			     "%d bytes, values of %d)\n",
			n, n == 1 ? "y" : "ies", WS_RES_ATTRS_MAX, WS_RES_KEY_MAX, WS_RES_VALUE_MAX);
	if (((v = env("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION")) && *v) ||
	    ((v = env("OTEL_EXPORTER_OTLP_COMPRESSION")) && *v)) {
		if (strcmp(v, "gzip") && strcmp(v, "none"))
			return bad(err, "OTLP compression", v, "gzip or none");
		c->otlp_gzip = !strcmp(v, "gzip");
	}
	if ((v = env("OTEL_BSP_SCHEDULE_DELAY")) && *v) {
		if (parse_long(v, 0, 3600000, &c->batch.schedule_delay_ms))
			return bad(err, "OTEL_BSP_SCHEDULE_DELAY", v, "milliseconds");
	}
	if ((v = env("OTEL_BSP_EXPORT_TIMEOUT")) && *v) {
		if (parse_long(v, 1, 3600000, &c->batch.export_timeout_ms))
			return bad(err, "OTEL_BSP_EXPORT_TIMEOUT", v, "milliseconds");
	}
	if ((v = env("OTEL_BSP_MAX_QUEUE_SIZE")) && *v) {
		if (parse_long(v, 1, 1 << 24, &n))
			return bad(err, "OTEL_BSP_MAX_QUEUE_SIZE", v, "a positive count");
		c->batch.max_queue = n;
	}
	if ((v = env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) && *v) {
		if (parse_long(v, 1, 1 << 24, &n))
			return bad(err, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", v, "a positive count");
		c->batch.max_batch = n;
	}
	if ((v = env("WIRESPAN_PARTNERS")) && *v && ws_partners_add(&c->partners, v))
		return bad(err, "WIRESPAN_PARTNERS", v, "host=name[,host=name...]");
	if ((v = env("WIRESPAN_REQUEST_ID_HEADERS")) && ws_partners_set_headers(&c->partners, v))
		return bad(err, "WIRESPAN_REQUEST_ID_HEADERS", v, "header names, comma separated");
	if ((v = env("WIRESPAN_BAGGAGE_KEYS")) && *v && set_baggage_keys(c, v))
		return bad(err, "WIRESPAN_BAGGAGE_KEYS", v, "baggage keys, comma separated");
	if ((v = env("WIRESPAN_WEBHOOKS")) && *v && set_webhooks_env(c, v))
		return bad(err, "WIRESPAN_WEBHOOKS", v,
			   "METHOD /PATH=JSON.PATH[,parent] routes separated by ';'");
	if ((v = env("WIRESPAN_CAPTURE")) && *v && set_capture(c, v))
		return bad(err, "WIRESPAN_CAPTURE", v, "auto, socket or syscalls");
	if ((v = env("WIRESPAN_CAPTURE_BYTES")) && *v) {
		if (parse_long(v, 64, WS_CAP_MAX, &n))
			return bad(err, "WIRESPAN_CAPTURE_BYTES", v, "64..16384");
		c->capture_bytes = n;
	}
	return 0;
}

/*
 * TLS files that cannot work refuse the start, once every source has had its
 * say; they matter only to the OTLP exporter, and only over https.
 */
static int check_tls(const struct ws_config *c, FILE *err)
{
	char msg[1024];

	if (c->exporter != WS_EXP_OTLP || !ws_otlp_tls_any(&c->otlp_tls))
		return 0;
	if (ws_otlp_tls_check(&c->otlp_tls, msg, sizeof(msg))) {
		fprintf(err, "wirespan: %s\n", msg);
		return -EINVAL;
	}
	if (strncmp(c->endpoint, "https://", 8))
		fprintf(err, "wirespan: the OTLP endpoint is not https: the TLS certificate and key "
			     "settings are not used\n");
	return 0;
}

static int add_comm(struct ws_config *c, const char *v)
{
	if (c->ncomms == WS_MAX_COMMS || !*v)
		return -EINVAL;
	/* The kernel keeps 15 characters of a name: match what it keeps. */
	memset(c->comms[c->ncomms], 0, sizeof(c->comms[0]));
	strncpy(c->comms[c->ncomms], v, sizeof(c->comms[0]) - 1);
	c->comm_names[c->ncomms] = v;
	c->ncomms++;
	return 0;
}

int ws_config_parse(struct ws_config *c, int argc, char **argv, ws_getenv_fn env, FILE *out,
		    FILE *err)
{
	int have_endpoint = 0, opt, exporter_flag = 0, ret;
	long n;

	memset(c, 0, sizeof(*c));
	c->capture_bytes = WS_CAP_DEFAULT;
	c->ringbuf_bytes = 8 << 20;
	c->export_timeout_ms = 10000;
	ws_partners_init(&c->partners);
	ret = config_from_env(c, env, err, &have_endpoint);
	if (ret)
		return ret;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:c:n:vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (c->npids == WS_MAX_PIDS || parse_long(optarg, 1, INT_MAX, &n))
				return bad(err, "--pid", optarg, "a process id");
			c->pids[c->npids++] = n;
			break;
		case 'c':
			if (c->ncgroups == WS_MAX_SEL_CGROUPS)
				return bad(err, "--cgroup", optarg, "at most 8 cgroups");
			c->cgroups[c->ncgroups++] = optarg;
			break;
		case 'n':
			if (add_comm(c, optarg))
				return bad(err, "--comm", optarg, "a name; at most 64 of them");
			break;
		case OPT_CAPTURE:
			if (set_capture(c, optarg))
				return bad(err, "--capture", optarg, "auto, socket or syscalls");
			break;
		case OPT_CAPTURE_BYTES:
			if (parse_long(optarg, 64, WS_CAP_MAX, &n))
				return bad(err, "--capture-bytes", optarg, "64..16384");
			c->capture_bytes = n;
			break;
		case OPT_RINGBUF:
			if (parse_long(optarg, 4096, 1L << 30, &n) || (n & (n - 1)))
				return bad(err, "--ringbuf-size", optarg,
					   "a power of two, 4096..1073741824");
			c->ringbuf_bytes = n;
			break;
		case OPT_EXPORTER:
			if (set_exporter(c, optarg))
				return bad(err, "--exporter", optarg, "otlp, console, none or discard");
			exporter_flag = 1;
			break;
		case OPT_ENDPOINT:
			if (set_endpoint(c, optarg, NULL))
				return bad(err, "--endpoint", optarg, "an http(s) URL");
			have_endpoint = 1;
			if (!exporter_flag)
				c->exporter = WS_EXP_OTLP;
			break;
		case OPT_STATS:
			if (parse_long(optarg, 0, 86400, &c->stats_interval_s))
				return bad(err, "--stats-interval", optarg, "seconds, 0..86400");
			break;
		case OPT_RECORD:
			if (!*optarg)
				return bad(err, "--record", optarg, "a file name");
			c->record = optarg;
			break;
		case OPT_REPLAY:
			if (!*optarg)
				return bad(err, "--replay", optarg, "a file name");
			c->replay = optarg;
			break;
		case OPT_FLOOR:
			c->floor = WS_FLOOR_RETURN;
			break;
		case OPT_FLOOR_COPY:
			c->floor = WS_FLOOR_COPY;
			break;
		case OPT_NO_GOROUTINES:
			c->no_goroutines = 1;
			break;
		case OPT_PARTNER:
			if (ws_partners_add(&c->partners, optarg))
				return bad(err, "--partner", optarg,
					   "host=name[,host=name...], at most 64");
			break;
		case OPT_REQID:
			if (ws_partners_set_headers(&c->partners, optarg))
				return bad(err, "--request-id-headers", optarg,
					   "at most 8 header names, comma separated");
			break;
		case OPT_BAGGAGE:
			if (set_baggage_keys(c, optarg))
				return bad(err, "--baggage-keys", optarg,
					   "at most 16 keys (tokens), comma separated");
			break;
		case OPT_METRICS:
			/* The rest (a port, a bracketed IPv6) is checked where it is bound. */
			if (!*optarg || (!strchr(optarg, ':') &&
					 strspn(optarg, "0123456789") != strlen(optarg)))
				return bad(err, "--metrics-address", optarg, "[host]:port");
			c->metrics_address = optarg;
			break;
		case OPT_CERTIFICATE:
			c->otlp_tls.ca = (struct ws_tls_file){ optarg, "--certificate" };
			break;
		case OPT_CLIENT_CERT:
			c->otlp_tls.cert = (struct ws_tls_file){ optarg, "--client-certificate" };
			break;
		case OPT_CLIENT_KEY:
			c->otlp_tls.key = (struct ws_tls_file){ optarg, "--client-key" };
			break;
		case OPT_WEBHOOK:
			if (ws_webhooks_add(&c->webhooks, optarg))
				return bad(err, "--webhook", optarg,
					   "METHOD /PATH=JSON.PATH[,link|,parent], at most 16");
			break;
		case 'v':
			c->verbose++;
			break;
		case 'h':
			fprintf(out, usage, (unsigned)WS_CAP_DEFAULT, (unsigned)WS_CAP_MAX,
				WS_REQID_HEADERS_DEFAULT, (unsigned)WS_WEBHOOK_BODY_MAX,
				(unsigned)WS_MAX_WEBHOOKS);
			return WS_CONFIG_EXIT_OK;
		case OPT_VERSION:
			fprintf(out, "wirespan %s\n", WS_VERSION);
			return WS_CONFIG_EXIT_OK;
		case ':':
			fprintf(err, "wirespan: option '%s' needs a value (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(err, "wirespan: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(err, "wirespan: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	if (c->replay && (c->record || c->floor || c->npids || c->ncgroups || c->ncomms)) {
		fprintf(err, "wirespan: --replay reads a file: it takes no selector, --record, "
			     "--floor or --floor-copy\n");
		return -EINVAL;
	}
	if (c->floor == WS_FLOOR_COPY && c->capture == WS_CAPTURE_SYSCALLS) {
		fprintf(err, "wirespan: --floor-copy measures the socket tracepoints' path: it "
			     "takes no --capture syscalls\n");
		return -EINVAL;
	}
	/* The specification's defaults: port 4317 for gRPC, 4318 for HTTP. */
	if (c->exporter == WS_EXP_OTLP && !have_endpoint)
		snprintf(c->endpoint, sizeof(c->endpoint), "%s",
			 c->otlp_protocol == WS_OTLP_GRPC ? "http://localhost:4317"
							  : "http://localhost:4318/v1/traces");
	ret = check_tls(c, err);
	if (ret)
		return ret;
	/* A person reading the console wants spans now, not in 5 s batches. */
	if (c->exporter == WS_EXP_CONSOLE && !env("OTEL_BSP_SCHEDULE_DELAY"))
		c->batch.schedule_delay_ms = 200;
	return WS_CONFIG_RUN;
}
