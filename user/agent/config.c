// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Command line and environment -> struct ws_config, both driven by one table
 * of settings (opts[] below). A row names the flag, the WIRESPAN_* or OTEL_*
 * variables it reads, its --help text, the hint its error line gives and the
 * setter that checks and stores a value; --help, getopt_long's options, the
 * environment and the error lines are all made from it, so they cannot
 * disagree. The environment is read first, so a flag wins over its variable.
 * The only I/O: TLS files are opened to refuse, at start, one that cannot work.
 *
 * Past 800 lines on purpose: about 150 of them are the one option table, which
 * --help, getopt, the environment and the error lines are all made from.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "httpchars.h"
#include "wirespan.h"

#ifndef WS_VERSION
#define WS_VERSION "0.0.0"
#endif

#define STR_(x) #x
#define STR(x) STR_(x) /* a limit's digits in --help, from its one definition */

/* --help: the left column (indent, flags, placeholder) is this wide. */
#define HELP_COL 25
/* getopt_long values of flags without a letter: 256 + their row, past every char. */
#define OPT_ROW0 256
/* A webhook route fits: method 20, path 255, JSON path 8 keys of 63, ",parent". */
#define ROUTE_MAX 1024

/* One parse in progress: what the setters share beyond the config. */
struct parse {
	struct ws_config *c;
	FILE *out, *err;
	const char *from;	      /* the flag ("--pid") or variable being read, for messages */
	int generic;		      /* the value is from the row's second (generic) variable */
	int flag;		      /* the value is from the command line */
	int have_endpoint;	      /* an endpoint was given: OTLP's default is not needed */
	int exporter_flag;	      /* --exporter was given: a later --endpoint keeps it */
	const char *sampler_arg_from; /* where sampler_arg came from, for its error line */
};

struct word {
	const char *name;
	int value;
};

struct opt;
/* 0, -EINVAL (the caller prints the row's error line) or WS_CONFIG_EXIT_OK. */
typedef int (*set_fn)(struct parse *p, const struct opt *o, const char *v);

struct opt {
	const char *group;  /* starts a --help section with this heading */
	const char *flag;   /* "--name"; NULL: variables only */
	char letter;	    /* the short flag; 0: none */
	const char *arg;    /* the value's placeholder; NULL: the flag takes none */
	const char *env[2]; /* variables read; when both are set the first wins */
	int env_empty;	    /* an empty variable is a value (else it is unset) */
	const char *help;   /* lines separated by '\n' */
	const char *hint;   /* a good value, in the error line; NULL: the words */
	set_fn set;
	size_t off, size;	  /* the field the generic setters store into */
	long min, max;		  /* set_long's bounds; set_const's value in min */
	const struct word *words; /* set_word's, NULL-terminated */
};

#define FIELD(f) .off = offsetof(struct ws_config, f), .size = sizeof(((struct ws_config *)0)->f)

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

/* The row's integer field (an int, enum, uint32_t, long or size_t) = v, v >= 0 or an int. */
static void store(struct ws_config *c, const struct opt *o, long v)
{
	char *f = (char *)c + o->off;
	int32_t i = (int32_t)v;

	if (o->size == sizeof(long))
		memcpy(f, &v, sizeof(v));
	else
		memcpy(f, &i, sizeof(i));
}

static int set_long(struct parse *p, const struct opt *o, const char *v)
{
	long n;

	if (parse_long(v, o->min, o->max, &n))
		return -EINVAL;
	store(p->c, o, n);
	return 0;
}

static int set_pow2(struct parse *p, const struct opt *o, const char *v)
{
	long n;

	if (parse_long(v, o->min, o->max, &n) || (n & (n - 1)))
		return -EINVAL;
	store(p->c, o, n);
	return 0;
}

static int set_word(struct parse *p, const struct opt *o, const char *v)
{
	for (const struct word *w = o->words; w->name; w++) {
		if (!strcmp(v, w->name)) {
			store(p->c, o, w->value);
			return 0;
		}
	}
	return -EINVAL;
}

static int set_const(struct parse *p, const struct opt *o, const char *v)
{
	(void)v;
	store(p->c, o, o->min);
	return 0;
}

/* A file name (a pointer into argv or the environment). */
static int set_name(struct parse *p, const struct opt *o, const char *v)
{
	if (!*v)
		return -EINVAL;
	memcpy((char *)p->c + o->off, &v, sizeof(v));
	return 0;
}

static int set_tls_file(struct parse *p, const struct opt *o, const char *v)
{
	struct ws_tls_file f = { v, p->from };

	memcpy((char *)p->c + o->off, &f, sizeof(f));
	return 0;
}

static int set_verbose(struct parse *p, const struct opt *o, const char *v)
{
	(void)o, (void)v;
	p->c->verbose++;
	return 0;
}

static int add_pid(struct parse *p, const struct opt *o, const char *v)
{
	struct ws_config *c = p->c;
	long n;

	(void)o;
	if (c->npids == WS_MAX_PIDS || parse_long(v, 1, INT_MAX, &n))
		return -EINVAL;
	c->pids[c->npids++] = n;
	return 0;
}

static int add_cgroup(struct parse *p, const struct opt *o, const char *v)
{
	(void)o;
	if (p->c->ncgroups == WS_MAX_SEL_CGROUPS)
		return -EINVAL;
	p->c->cgroups[p->c->ncgroups++] = v;
	return 0;
}

static int add_comm(struct parse *p, const struct opt *o, const char *v)
{
	struct ws_config *c = p->c;

	(void)o;
	if (c->ncomms == WS_MAX_COMMS || !*v)
		return -EINVAL;
	/* The kernel keeps 15 characters of a name: match what it keeps. */
	memset(c->comms[c->ncomms], 0, sizeof(c->comms[0]));
	strncpy(c->comms[c->ncomms], v, sizeof(c->comms[0]) - 1);
	c->comm_names[c->ncomms] = v;
	c->ncomms++;
	return 0;
}

static int set_exporter(struct parse *p, const struct opt *o, const char *v)
{
	if (set_word(p, o, v))
		return -EINVAL;
	if (p->flag)
		p->exporter_flag = 1;
	return 0;
}

/*
 * A flag's or the traces variable's URL is used as it is; the generic
 * variable's gets the signal path (but for gRPC, whose method names the
 * signal), without a double slash. Any endpoint selects OTLP unless
 * --exporter said otherwise; OTEL_TRACES_EXPORTER is read after it.
 */
static int set_endpoint(struct parse *p, const struct opt *o, const char *v)
{
	struct ws_config *c = p->c;
	const char *suffix = p->generic && c->otlp_protocol != WS_OTLP_GRPC ? "/v1/traces" : NULL;
	size_t blen = strlen(v);

	(void)o;
	if (suffix && blen && v[blen - 1] == '/')
		blen--;
	if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
		return -EINVAL;
	if ((size_t)snprintf(c->endpoint, sizeof(c->endpoint), "%.*s%s", (int)blen, v,
			     suffix ? suffix : "") >= sizeof(c->endpoint))
		return -EINVAL;
	p->have_endpoint = 1;
	if (!p->exporter_flag)
		c->exporter = WS_EXP_OTLP;
	return 0;
}

/* The rest (a port, a bracketed IPv6) is checked where it is bound. */
static int set_metrics(struct parse *p, const struct opt *o, const char *v)
{
	if (!*v || (!strchr(v, ':') && strspn(v, "0123456789") != strlen(v)))
		return -EINVAL;
	return set_name(p, o, v);
}

static int add_partners(struct parse *p, const struct opt *o, const char *v)
{
	(void)o;
	return ws_partners_add(&p->c->partners, v) ? -EINVAL : 0;
}

static int set_reqid_headers(struct parse *p, const struct opt *o, const char *v)
{
	(void)o;
	return ws_partners_set_headers(&p->c->partners, v) ? -EINVAL : 0;
}

/* The allowlist and NUL-terminated copies of its keys (attribute keys outlive spans). */
static int set_baggage_keys(struct parse *p, const struct opt *o, const char *csv)
{
	struct ws_config *c = p->c;
	struct ws_baggage_allow allow;

	(void)o;
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
 * Routes separated by ';' (a route itself may hold a ','), empty ones
 * skipped: the same grammar for --webhook and WIRESPAN_WEBHOOKS, so a
 * route given one way is given the other way too.
 */
static int add_webhooks(struct parse *p, const struct opt *o, const char *v)
{
	char one[ROUTE_MAX];

	(void)o;
	if (!*v)
		return -EINVAL;
	while (*v) {
		const char *semi = strchr(v, ';'), *e = semi ? semi : v + strlen(v);

		if ((size_t)(e - v) >= sizeof(one))
			return -EINVAL;
		memcpy(one, v, e - v);
		one[e - v] = '\0';
		if (e > v && ws_webhooks_add(&p->c->webhooks, one))
			return -EINVAL;
		v = semi ? semi + 1 : e;
	}
	return 0;
}

/*
 * OTEL_EXPORTER_OTLP_HEADERS: "k1=v1,k2=v2", values percent-decoded, into
 * "k1: v1\n" lines. A name that is not a token, or a value that decodes to
 * a control character (a way to smuggle a header in), refuses the whole list.
 */
static int set_otlp_headers(struct parse *p, const struct opt *o, const char *v)
{
	char out[sizeof(p->c->otlp_headers)];
	const char *s = v, *end = v + strlen(v);
	size_t n = 0;

	(void)o;
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
	memcpy(p->c->otlp_headers, out, n);
	p->c->otlp_headers[n] = '\0';
	return 0;
}

/* Bad entries are dropped, as the SDKs do: said once, not fatal. */
static int set_sampler_arg(struct parse *p, const struct opt *o, const char *v)
{
	(void)o;
	p->c->sampler_arg = v;
	p->sampler_arg_from = p->from;
	return 0;
}

static int set_res_attrs(struct parse *p, const struct opt *o, const char *v)
{
	long n = ws_res_attrs_parse(&p->c->resource_attrs, v, strlen(v));

	(void)o;
	if (n)
		fprintf(p->err,
			"wirespan: OTEL_RESOURCE_ATTRIBUTES: %ld entr%s dropped (want key=value, "
			"comma separated, percent-encoded; at most %d of them, keys of at most "
			"%d bytes, values of %d)\n",
			n, n == 1 ? "y" : "ies", WS_RES_ATTRS_MAX, WS_RES_KEY_MAX,
			WS_RES_VALUE_MAX);
	return 0;
}

static int print_help(struct parse *p, const struct opt *o, const char *v);

static int print_version(struct parse *p, const struct opt *o, const char *v)
{
	(void)o, (void)v;
	fprintf(p->out, "wirespan %s\n", WS_VERSION);
	return WS_CONFIG_EXIT_OK;
}

static const struct word capture_words[] = {
	{ "auto", WS_CAPTURE_AUTO },
	{ "socket", WS_CAPTURE_SOCKET },
	{ "syscalls", WS_CAPTURE_SYSCALLS },
	{ NULL, 0 },
};

static const struct word exporter_words[] = {
	{ "otlp", WS_EXP_OTLP },
	{ "console", WS_EXP_CONSOLE },
	{ "none", WS_EXP_NONE },
	{ "discard", WS_EXP_DISCARD },
	{ NULL, 0 },
};

static const struct word protocol_words[] = {
	{ "grpc", WS_OTLP_GRPC },
	{ "http/protobuf", WS_OTLP_HTTP_PROTOBUF },
	{ "http/json", WS_OTLP_HTTP_JSON },
	{ NULL, 0 },
};

static const struct word tail_words[] = {
	{ "auto", WS_TAIL_AUTO },
	{ "on", WS_TAIL_ON },
	{ "off", WS_TAIL_OFF },
	{ NULL, 0 },
};

static const struct word compression_words[] = { { "gzip", 1 }, { "none", 0 }, { NULL, 0 } };

#define TRACES_OR(x)                                                                               \
	{                                                                                          \
		"OTEL_EXPORTER_OTLP_TRACES_" x, "OTEL_EXPORTER_OTLP_" x                            \
	}

/*
 * Every setting, in --help's order, which is also the order the variables
 * are read in: the protocol decides what the generic endpoint becomes, and
 * an endpoint picks OTLP before OTEL_TRACES_EXPORTER may pick otherwise.
 */
static const struct opt opts[] = {
	{ .group = "Selection (any match selects a process; repeatable):",
	  .flag = "--pid",
	  .letter = 'p',
	  .arg = "PID",
	  .set = add_pid,
	  .help = "trace running process PID (a process id, not a thread's)",
	  .hint = "a process id" },
	{ .flag = "--cgroup",
	  .letter = 'c',
	  .arg = "PATH",
	  .set = add_cgroup,
	  .help = "trace every process in the cgroup v2 subtree PATH\n"
		  "(absolute, or relative to the cgroup2 mount)",
	  .hint = "at most " STR(WS_MAX_SEL_CGROUPS) " cgroups" },
	{ .flag = "--comm",
	  .letter = 'n',
	  .arg = "NAME",
	  .set = add_comm,
	  .help = "trace processes named NAME (as in /proc/PID/comm)",
	  .hint = "a name; at most " STR(WS_MAX_COMMS) " of them" },

	{ .group = "Capture:",
	  .flag = "--capture",
	  .arg = "MODE",
	  .env = { "WIRESPAN_CAPTURE" },
	  .set = set_word,
	  FIELD(capture),
	  .words = capture_words,
	  .help = "auto (default), socket (socket tracepoints, kernel 6.3+)\n"
		  "or syscalls (syscall tracepoints: slower, older kernels)" },
	{ .flag = "--capture-bytes",
	  .arg = "N",
	  .env = { "WIRESPAN_CAPTURE_BYTES" },
	  .set = set_long,
	  FIELD(capture_bytes),
	  .min = 64,
	  .max = WS_CAP_MAX,
	  .help = "payload bytes copied per I/O (default " STR(WS_CAP_DEFAULT) ", max " STR(
		  WS_CAP_MAX) ")",
	  .hint = "64.." STR(WS_CAP_MAX) },
	{ .flag = "--ringbuf-size",
	  .arg = "N",
	  .set = set_pow2,
	  FIELD(ringbuf_bytes),
	  .min = 4096,
	  .max = 1L << 30,
	  .help = "ring buffer bytes, a power of two (default 8388608)",
	  .hint = "a power of two, 4096..1073741824" },

	{ .group = "Export:",
	  .env = TRACES_OR("PROTOCOL"),
	  .set = set_word,
	  FIELD(otlp_protocol),
	  .words = protocol_words,
	  .help = "how spans go to an OTLP collector: http/protobuf\n"
		  "(default), http/json or grpc" },
	{ .flag = "--endpoint",
	  .arg = "URL",
	  .set = set_endpoint,
	  .env = { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT" },
	  .help = "OTLP traces URL, used as it is; the generic variable\n"
		  "gets /v1/traces added (for grpc both are the\n"
		  "collector's URL, e.g. http://localhost:4317)",
	  .hint = "an http(s) URL" },
	{ .flag = "--exporter",
	  .arg = "KIND",
	  .env = { "OTEL_TRACES_EXPORTER" },
	  .set = set_exporter,
	  FIELD(exporter),
	  .words = exporter_words,
	  .help = "console, otlp, none or discard (encode, then drop: for\n"
		  "measuring); default: otlp when an OTLP endpoint is set,\n"
		  "else console" },
	{ .flag = "--certificate",
	  .arg = "FILE",
	  .env = TRACES_OR("CERTIFICATE"),
	  .set = set_tls_file,
	  FIELD(otlp_tls.ca),
	  .help = "trust the CA certificates in FILE (PEM) instead of the\n"
		  "system's for an https endpoint" },
	{ .flag = "--client-certificate",
	  .arg = "FILE",
	  .env = TRACES_OR("CLIENT_CERTIFICATE"),
	  .set = set_tls_file,
	  FIELD(otlp_tls.cert),
	  .help = "mTLS: present this PEM certificate; with --client-key" },
	{ .flag = "--client-key",
	  .arg = "FILE",
	  .env = TRACES_OR("CLIENT_KEY"),
	  .set = set_tls_file,
	  FIELD(otlp_tls.key),
	  .help = "mTLS: the certificate's key (PEM, not encrypted);\n"
		  "both or neither" },
	{ .env = TRACES_OR("TIMEOUT"),
	  .set = set_long,
	  FIELD(export_timeout_ms),
	  .min = 1,
	  .max = 3600000,
	  .help = "an export's timeout in milliseconds (default 10000)",
	  .hint = "the OTLP timeout in milliseconds, 1..3600000" },
	{ .env = TRACES_OR("HEADERS"),
	  .set = set_otlp_headers,
	  .help = "name=value,... headers sent with every export (values\n"
		  "percent-encoded)",
	  .hint = "OTLP headers: name=value pairs, comma separated, values percent-encoded" },
	{ .env = TRACES_OR("COMPRESSION"),
	  .set = set_word,
	  FIELD(otlp_gzip),
	  .words = compression_words,
	  .help = "gzip or none (default)" },
	{ .flag = "--stats-interval",
	  .arg = "S",
	  .set = set_long,
	  FIELD(stats_interval_s),
	  .min = 0,
	  .max = 86400,
	  .help = "log the agent's counters every S seconds (default: off;\n"
		  "SIGUSR1 logs them at any time)",
	  .hint = "seconds, 0..86400" },
	{ .flag = "--metrics-address",
	  .arg = "[HOST]:PORT",
	  .set = set_metrics,
	  FIELD(metrics_address),
	  .help = "serve the counters in the Prometheus text format at\n"
		  "http://HOST:PORT/metrics (default: off); :PORT or PORT\n"
		  "listens on 127.0.0.1 only, all interfaces only with\n"
		  "0.0.0.0:PORT or [::]:PORT",
	  .hint = "[host]:port" },

	{ .group = "Sampling (head: one decision per span before export, from the trace id\n"
		   "or the parent alone, so agents on other hosts decide the same):",
	  .flag = "--sampler",
	  .arg = "NAME",
	  .env = { "OTEL_TRACES_SAMPLER" },
	  .set = set_name,
	  FIELD(sampler_name),
	  .help = "always_on (default: keep every span), always_off,\n"
		  "traceidratio, parentbased_always_on,\n"
		  "parentbased_always_off or parentbased_traceidratio;\n"
		  "another name: a warning, and the default",
	  .hint = "a sampler name" },
	{ .flag = "--sampler-arg",
	  .arg = "P",
	  .env = { "OTEL_TRACES_SAMPLER_ARG" },
	  .set = set_sampler_arg,
	  .help = "the ratio samplers' probability, 0..1 (default 1)" },
	{ .flag = "--partner-window",
	  .arg = "S",
	  .env = { "WIRESPAN_PARTNER_WINDOW" },
	  .set = set_long,
	  FIELD(partner_health.window_s),
	  .min = 1,
	  .max = 3600,
	  .help = "degraded partners: the sliding window over each peer\n"
		  "of CLIENT spans, in seconds (default " STR(WS_PEERS_DEFAULT_WINDOW_S) ")",
	  .hint = "seconds, 1..3600" },
	{ .flag = "--partner-error-rate",
	  .arg = "PCT",
	  .env = { "WIRESPAN_PARTNER_ERROR_RATE" },
	  .set = set_long,
	  FIELD(partner_health.error_pct),
	  .min = 1,
	  .max = 100,
	  .help = "a peer is degraded at this error rate, percent\n"
		  "(default " STR(WS_PEERS_DEFAULT_ERROR_PCT) ")",
	  .hint = "a percentage, 1..100" },
	{ .flag = "--partner-recover-rate",
	  .arg = "PCT",
	  .env = { "WIRESPAN_PARTNER_RECOVER_RATE" },
	  .set = set_long,
	  FIELD(partner_health.recover_pct),
	  .min = 1,
	  .max = 100,
	  .help = "and recovers under this one (default " STR(
		  WS_PEERS_DEFAULT_RECOVER_PCT) ";\n"
						"at most the error rate)",
	  .hint = "a percentage, 1..100" },
	{ .flag = "--partner-latency",
	  .arg = "MS",
	  .env = { "WIRESPAN_PARTNER_LATENCY" },
	  .set = set_long,
	  FIELD(partner_health.p99_ms),
	  .min = 1,
	  .max = 3600000,
	  .help = "a peer is degraded at this p99 latency, milliseconds\n"
		  "(default " STR(WS_PEERS_DEFAULT_P99_MS) "), and recovers under " STR(
			  WS_PEERS_RECOVER_P99_PCT) "% of it",
	  .hint = "milliseconds" },
	{ .flag = "--partner-min-calls",
	  .arg = "N",
	  .env = { "WIRESPAN_PARTNER_MIN_CALLS" },
	  .set = set_long,
	  FIELD(partner_health.min_calls),
	  .min = 1,
	  .max = 1000000,
	  .help = "calls in the window a peer needs to change state\n"
		  "(default " STR(WS_PEERS_DEFAULT_MIN_CALLS) ")",
	  .hint = "a positive count" },
	{ .flag = "--sampling-tail",
	  .arg = "MODE",
	  .env = { "WIRESPAN_SAMPLING_TAIL" },
	  .set = set_word,
	  FIELD(tail_mode),
	  .words = tail_words,
	  .help = "tail rules: a trace the sampler dropped is kept whole\n"
		  "when a span of it is an error or slow (its spans wait\n"
		  "here for the decision); auto (default: on when the\n"
		  "sampler can drop), on or off" },
	{ .flag = "--sampling-slow-ms",
	  .arg = "MS",
	  .env = { "WIRESPAN_SAMPLING_SLOW_MS" },
	  .set = set_long,
	  FIELD(tail_slow_ms),
	  .min = 0,
	  .max = 3600000,
	  .help = "a span this slow keeps its trace (default " STR(
		  WS_TAIL_SLOW_MS) "; 0: no\nslow rule)",
	  .hint = "milliseconds, 0..3600000" },
	{ .flag = "--sampling-decision-wait",
	  .arg = "MS",
	  .env = { "WIRESPAN_SAMPLING_DECISION_WAIT" },
	  .set = set_long,
	  FIELD(tail_wait_ms),
	  .min = 1,
	  .max = 600000,
	  .help = "milliseconds a dropped trace's spans wait for an error\n"
		  "or slow span (default " STR(WS_TAIL_WAIT_MS) ")",
	  .hint = "milliseconds, 1..600000" },
	{ .env = { "WIRESPAN_SAMPLING_MAX_TRACES" },
	  .set = set_long,
	  FIELD(tail_max_traces),
	  .min = 1,
	  .max = WS_TAIL_BOUND_MAX,
	  .help = "traces waiting at once at most (default " STR(WS_TAIL_MAX_TRACES) ")",
	  .hint = "a positive count, at most 16777216" },
	{ .env = { "WIRESPAN_SAMPLING_MAX_SPANS" },
	  .set = set_long,
	  FIELD(tail_max_spans),
	  .min = 1,
	  .max = WS_TAIL_BOUND_MAX,
	  .help = "spans waiting at once at most (default " STR(WS_TAIL_MAX_SPANS) ")",
	  .hint = "a positive count, at most 16777216" },
	{ .env = { "WIRESPAN_SAMPLING_DECISION_CACHE" },
	  .set = set_long,
	  FIELD(tail_max_decided),
	  .min = 1,
	  .max = WS_TAIL_BOUND_MAX,
	  .help = "decided traces remembered for their late spans\n"
		  "(default " STR(WS_TAIL_MAX_DECIDED) ")",
	  .hint = "a positive count, at most 16777216" },

	{ .group = "Batches (the OpenTelemetry SDK's span processor):",
	  .env = { "OTEL_BSP_SCHEDULE_DELAY" },
	  .set = set_long,
	  FIELD(batch.schedule_delay_ms),
	  .min = 0,
	  .max = 3600000,
	  .help = "milliseconds between exports (default 5000; 200 for\n"
		  "console)",
	  .hint = "milliseconds" },
	{ .env = { "OTEL_BSP_EXPORT_TIMEOUT" },
	  .set = set_long,
	  FIELD(batch.export_timeout_ms),
	  .min = 1,
	  .max = 3600000,
	  .help = "milliseconds the flush at exit may take (default 30000)",
	  .hint = "milliseconds" },
	{ .env = { "OTEL_BSP_MAX_QUEUE_SIZE" },
	  .set = set_long,
	  FIELD(batch.max_queue),
	  .min = 1,
	  .max = 1 << 24,
	  .help = "spans queued at most (default 2048)",
	  .hint = "a positive count" },
	{ .env = { "OTEL_BSP_MAX_EXPORT_BATCH_SIZE" },
	  .set = set_long,
	  FIELD(batch.max_batch),
	  .min = 1,
	  .max = 1 << 24,
	  .help = "spans per export at most (default 512)",
	  .hint = "a positive count" },

	{ .group = "Spans:",
	  .flag = "--partner",
	  .arg = "HOST=NAME[,...]",
	  .env = { "WIRESPAN_PARTNERS" },
	  .set = add_partners,
	  .help = "name the partner a CLIENT span calls (peer.service);\n"
		  "*.example.com matches subdomains",
	  .hint = "host=name[,host=name...], at most " STR(WS_MAX_PARTNERS) },
	{ .flag = "--request-id-headers",
	  .arg = "LIST",
	  .env = { "WIRESPAN_REQUEST_ID_HEADERS" },
	  .env_empty = 1,
	  .set = set_reqid_headers,
	  .help = "response headers kept on CLIENT spans as\n"
		  "http.response.header.<name> (empty: none); default:\n" WS_REQID_HEADERS_DEFAULT,
	  .hint = "at most " STR(WS_MAX_REQID_HEADERS) " header names, comma separated" },
	{ .flag = "--baggage-keys",
	  .arg = "LIST",
	  .env = { "WIRESPAN_BAGGAGE_KEYS" },
	  .set = set_baggage_keys,
	  .help = "W3C baggage keys copied into span attributes\n(default: none)",
	  .hint = "at most " STR(WS_BAGGAGE_MAX_KEYS) " keys (tokens), comma separated" },
	{ .flag = "--no-goroutines",
	  .set = set_const,
	  FIELD(no_goroutines),
	  .min = 1,
	  .help = "in Go programs, do not follow goroutines (no uprobes in\n"
		  "their net/http client): their calls then get no parent\n"
		  "inside the process" },
	{ .flag = "--webhook",
	  .arg = "'METHOD /PATH=JSON.PATH[,link|,parent]'",
	  .env = { "WIRESPAN_WEBHOOKS" },
	  .set = add_webhooks,
	  .help = "an incoming request on this route without traceparent\n"
		  "is linked (or, with ',parent', parented) to the W3C\n"
		  "traceparent at JSON.PATH in the first " STR(
			  WS_WEBHOOK_BODY_MAX) " bytes of\n"
					       "its body; /PATH may end in '*' and holds no ';'.\n"
					       "Repeatable, and routes may be joined with ';' (at most\n" STR(
						       WS_MAX_WEBHOOKS) " in all)",
	  .hint = "METHOD /PATH=JSON.PATH[,link|,parent] routes separated by ';', at most " STR(
		  WS_MAX_WEBHOOKS) },
	{ .env = { "OTEL_RESOURCE_ATTRIBUTES" },
	  .set = set_res_attrs,
	  .help = "k=v,... resource attributes under each traced\n"
		  "process's own (percent-encoded; bad entries dropped\n"
		  "with a warning)" },

	{ .group = "Record and replay:",
	  .flag = "--record",
	  .arg = "FILE",
	  .set = set_name,
	  FIELD(record),
	  .help = "also write every ring buffer record to FILE",
	  .hint = "a file name" },
	{ .flag = "--replay",
	  .arg = "FILE",
	  .set = set_name,
	  FIELD(replay),
	  .help = "no BPF: feed the records of FILE through parsing,\n"
		  "assembly and export, report the rate, exit",
	  .hint = "a file name" },
	{ .flag = "--floor",
	  .set = set_const,
	  FIELD(floor),
	  .min = WS_FLOOR_RETURN,
	  .help = "attach every hook with programs that return at once:\n"
		  "the hooks' own cost, for benchmarks; no spans" },
	{ .flag = "--floor-copy",
	  .set = set_const,
	  FIELD(floor),
	  .min = WS_FLOOR_COPY,
	  .help = "the least a capture does, for benchmarks: select each\n"
		  "socket I/O, copy its first bytes into the ring buffer,\n"
		  "count and drop them; no spans (socket tracepoints only)" },

	{ .group = "",
	  .flag = "--verbose",
	  .letter = 'v',
	  .set = set_verbose,
	  .help = "more messages on stderr" },
	{ .flag = "--help", .letter = 'h', .set = print_help, .help = "this help" },
	{ .flag = "--version", .set = print_version, .help = "print the version" },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char help_head[] =
	"Usage: wirespan [OPTION]...\n"
	"Trace the HTTP/1.x traffic of unmodified programs with eBPF and export\n"
	"OpenTelemetry spans. With no selector every process but wirespan is traced.\n";

static const char help_tail[] =
	"\n"
	"A flag wins over the variable under it ('env'); of two variables the first,\n"
	"traces-specific one wins. An empty variable is unset unless said otherwise.\n"
	"Once every probe is attached wirespan prints 'wirespan: ready' on stderr.\n"
	"SIGINT/SIGTERM flush pending spans and exit 0.\n";

/* Lines of text, each after the left column (the first may share its line). */
static void help_lines(FILE *out, int col, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "\n");

		fprintf(out, "%*s%.*s\n", HELP_COL - col, "", (int)n, s);
		col = 0;
		s += n + (s[n] == '\n');
	}
}

static void help_row(FILE *out, const struct opt *o)
{
	int col = 0;

	if (o->group)
		fprintf(out, "\n%s%s", o->group, *o->group ? "\n" : "");
	if (o->flag)
		col = fprintf(out, "  %c%c%c %s%s%s", o->letter ? '-' : ' ', o->letter ?: ' ',
			      o->letter ? ',' : ' ', o->flag, o->arg ? " " : "", o->arg ?: "");
	for (int i = 0; !o->flag && i < 2 && o->env[i]; i++)
		fprintf(out, "  %s\n", o->env[i]);
	if (col >= HELP_COL) {
		fputc('\n', out);
		col = 0;
	}
	help_lines(out, col, o->help);
	for (int i = 0; o->flag && i < 2 && o->env[i]; i++)
		fprintf(out, "%*s%s %s\n", HELP_COL, "", i ? "else" : "env", o->env[i]);
}

static int print_help(struct parse *p, const struct opt *o, const char *v)
{
	(void)o, (void)v;
	fputs(help_head, p->out);
	for (size_t i = 0; i < NOPTS; i++)
		help_row(p->out, &opts[i]);
	fputs(help_tail, p->out);
	return WS_CONFIG_EXIT_OK;
}

/* "a, b or c" from a row's words: its hint when it has no other. */
static const char *words_hint(const struct opt *o, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const struct word *w = o->words; w && w->name && n < size; w++) {
		const char *sep = w == o->words ? "" : w[1].name ? ", " : " or ";

		n += snprintf(buf + n, size - n, "%s%s", sep, w->name);
	}
	return buf;
}

static int bad(struct parse *p, const struct opt *o, const char *v)
{
	char words[128];

	fprintf(p->err, "wirespan: invalid %s '%s': %s\n", p->from, v ? v : "",
		o->hint ? o->hint : words_hint(o, words, sizeof(words)));
	return -EINVAL;
}

/* One row's variables: the first set wins; 0, or -EINVAL after its error line. */
static int env_row(struct parse *p, const struct opt *o, ws_getenv_fn env)
{
	for (int i = 0; i < 2 && o->env[i]; i++) {
		const char *v = env(o->env[i]);

		if (!v || (!*v && !o->env_empty))
			continue;
		p->from = o->env[i];
		p->generic = i == 1;
		return o->set(p, o, v) < 0 ? bad(p, o, v) : 0;
	}
	return 0;
}

static int read_env(struct parse *p, ws_getenv_fn env)
{
	int ret;

	for (size_t i = 0; i < NOPTS; i++) {
		ret = env_row(p, &opts[i], env);
		if (ret)
			return ret;
	}
	return 0;
}

/* getopt_long's tables, made from the rows with a flag. */
static void getopt_tables(struct option *longs, char *shorts)
{
	*shorts++ = ':'; /* a missing value returns ':', told apart from an unknown flag */
	for (size_t i = 0; i < NOPTS; i++) {
		const struct opt *o = &opts[i];

		if (!o->flag)
			continue;
		*longs++ = (struct option){ o->flag + 2, o->arg ? required_argument : no_argument,
					    NULL, o->letter ? o->letter : (int)(OPT_ROW0 + i) };
		if (o->letter) {
			*shorts++ = o->letter;
			if (o->arg)
				*shorts++ = ':';
		}
	}
	*longs = (struct option){ 0 };
	*shorts = '\0';
}

static const struct opt *row_of(int val)
{
	if (val >= OPT_ROW0 && val < (int)(OPT_ROW0 + NOPTS))
		return &opts[val - OPT_ROW0];
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].letter && opts[i].letter == val)
			return &opts[i];
	return NULL;
}

static int not_a_flag(struct parse *p, int val, const char *arg)
{
	if (val == ':')
		fprintf(p->err, "wirespan: option '%s' needs a value (see --help)\n", arg);
	else
		fprintf(p->err, "wirespan: unknown option '%s' (see --help)\n", arg);
	return -EINVAL;
}

static int read_flags(struct parse *p, int argc, char **argv)
{
	struct option longs[NOPTS + 1];
	char shorts[2 + 2 * NOPTS];
	const struct opt *o;
	int val, ret;

	getopt_tables(longs, shorts);
	optind = 1;
	opterr = 0;
	p->flag = 1;
	p->generic = 0;
	while ((val = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		o = row_of(val);
		if (!o)
			return not_a_flag(p, val, argv[optind - 1]);
		p->from = o->flag;
		ret = o->set(p, o, optarg);
		if (ret)
			return ret < 0 ? bad(p, o, optarg) : ret;
	}
	if (optind < argc) {
		fprintf(p->err, "wirespan: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Settings that each make sense but not together. */
static int check_together(const struct ws_config *c, FILE *err)
{
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
		fprintf(err,
			"wirespan: the OTLP endpoint is not https: the TLS certificate and key "
			"settings are not used\n");
	return 0;
}

/*
 * The sampler of the two settings. An unknown name is the specification's
 * case: a warning, then the default; a ratio that is not one refuses the start.
 */
static int make_sampler(struct parse *p)
{
	struct ws_config *c = p->c;
	int ret = ws_sampler_init(&c->sampler, c->sampler_name, c->sampler_arg);

	if (ret == -ENOENT)
		fprintf(p->err,
			"wirespan: unknown OTEL_TRACES_SAMPLER '%s': using always_on, the "
			"default (the OpenTelemetry specification's rule)\n",
			c->sampler_name);
	if (ret != -EINVAL)
		return 0;
	fprintf(p->err, "wirespan: invalid %s '%s': a probability, 0..1\n", p->sampler_arg_from,
		c->sampler_arg);
	return -EINVAL;
}

/* Whether s can drop a span: always_on and a ratio of 1 without a parent rule cannot. */
static bool sampler_can_drop(const struct ws_sampler *s)
{
	return !(s->kind == WS_SAMPLER_ALWAYS_ON ||
		 (s->kind == WS_SAMPLER_TRACEIDRATIO && s->threshold == 0));
}

/* The tail rules' settings, resolved against the sampler. */
static void make_tail(struct ws_config *c)
{
	c->tail = c->tail_mode == WS_TAIL_ON ||
		  (c->tail_mode == WS_TAIL_AUTO && sampler_can_drop(&c->sampler));
	c->tail_opts = (struct ws_tail_opts){ .wait_ns = (uint64_t)c->tail_wait_ms * 1000000,
					      .slow_ns = (uint64_t)c->tail_slow_ms * 1000000,
					      .max_traces = c->tail_max_traces,
					      .max_spans = c->tail_max_spans,
					      .max_decided = c->tail_max_decided };
}

static void set_defaults(struct ws_config *c)
{
	memset(c, 0, sizeof(*c));
	c->capture_bytes = WS_CAP_DEFAULT;
	c->ringbuf_bytes = 8 << 20;
	c->export_timeout_ms = 10000;
	c->tail_slow_ms = WS_TAIL_SLOW_MS;
	c->tail_wait_ms = WS_TAIL_WAIT_MS;
	c->tail_max_traces = WS_TAIL_MAX_TRACES;
	c->tail_max_spans = WS_TAIL_MAX_SPANS;
	c->tail_max_decided = WS_TAIL_MAX_DECIDED;
	ws_partners_init(&c->partners);
}

int ws_config_parse(struct ws_config *c, int argc, char **argv, ws_getenv_fn env, FILE *out,
		    FILE *err)
{
	struct parse p = { .c = c, .out = out, .err = err };
	int ret;

	set_defaults(c);
	ret = read_env(&p, env);
	if (!ret)
		ret = read_flags(&p, argc, argv);
	if (!ret)
		ret = check_together(c, err);
	if (!ret)
		ret = make_sampler(&p);
	if (ret)
		return ret;
	make_tail(c);
	/* The specification's defaults: port 4317 for gRPC, 4318 for HTTP. */
	if (c->exporter == WS_EXP_OTLP && !p.have_endpoint)
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
