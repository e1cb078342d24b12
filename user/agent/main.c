// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wirespan: parse -> probe -> plan -> exporter -> assembler -> load and
 * attach -> one epoll loop (ring buffer, timer, signals) -> drain, flush,
 * exit. Everything that is not wiring lives in its own module.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "assemble.h"
#include "bpf_load.h"
#include "config.h"
#include "exporter.h"
#include "metrics.h"
#include "probe.h"
#include "ready.h"
#include "recfile.h"
#include "selcheck.h"
#include "sink.h"
#include "span.h"

#define TICK_MS 50		/* ring buffer drain period: wakeups are not per record */
#define EXPIRE_EVERY_TICKS 200	/* idle connection sweep, every 10 s */

struct agent {
	struct ws_config cfg;
	struct ws_plan plan;
	struct ws_bpf *bpf;
	struct ws_assembler *asm_;
	struct ws_sink *sink; /* the assembler's spans, to the exporter */
	struct ws_export_counters export_counters; /* the exporter's failures, by kind */
	struct ws_rec_writer *rec;  /* --record */
	struct ws_metrics_server *metrics; /* --metrics-address */
	/*
	 * A secret of this run, sent as X-Wirespan-Agent with every export:
	 * the assembler makes no span of a request that carries it, wherever
	 * the collector runs (a header, not an address: NAT and containers
	 * hide addresses, and a guessable value would let any program hide).
	 */
	char agent_token[33];
	char export_headers[sizeof(((struct ws_config *)0)->otlp_headers) + 64];
};

/* 32 hex digits from the kernel's random pool; "" if it has none to give. */
static void make_agent_token(char out[33])
{
	unsigned char r[16];

	out[0] = '\0';
	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return;
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	int err;

	if (a->rec && (err = ws_recw_write(a->rec, data, size))) {
		fprintf(stderr, "wirespan: --record %s failed after %llu records: %s; recording stopped\n",
			a->cfg.record, (unsigned long long)ws_recw_count(a->rec), strerror(-err));
		ws_recw_close(a->rec);
		a->rec = NULL;
	}
	ws_assembler_record(a->asm_, data, size);
	return 0;
}

/* Takes what the ring holds; the spans it made go to the export queue at once. */
static void drain(struct agent *a)
{
	ws_ring_consume(ws_bpf_ring(a->bpf));
	ws_sink_hand_over(a->sink);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* bpf_ktime_get_ns() is CLOCK_MONOTONIC: the offset turns record times into Unix time. */
static int64_t mono_to_unix_ns(void)
{
	struct timespec rt, mo;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mo);
	return ((int64_t)rt.tv_sec - mo.tv_sec) * 1000000000ll + (rt.tv_nsec - mo.tv_nsec);
}

static void gather(struct agent *a, struct ws_counters *c)
{
	memset(c, 0, sizeof(*c));
	if (a->bpf) { /* a replay has no kernel side */
		ws_bpf_stats(a->bpf, c->kernel);
		ws_bpf_go_stats(a->bpf, &c->go);
		c->have_kernel = 1;
	}
	ws_assembler_stats(a->asm_, c->user);
	ws_sink_stats(a->sink, &c->export, &c->exporter, &c->not_exported);
	c->conns = ws_assembler_nconns(a->asm_);
}

/* The counters of now, as one line on stderr (the formats are in stats.c). */
static void log_stats(struct agent *a)
{
	struct ws_counters c;
	char line[4096];

	gather(a, &c);
	ws_stats_line(&c, line, sizeof(line));
	fputs(line, stderr);
}

/* A scraper's socket is readable: answer it with the counters of now. */
static int serve_metrics(struct agent *a, int epfd, int fd)
{
	static char body[16384];
	struct ws_counters c;
	int n;

	if (!a->metrics)
		return 0;
	gather(a, &c);
	n = ws_metrics_format(&c, body, sizeof(body));
	return ws_metrics_handle(a->metrics, epfd, fd, body, n > 0 ? (size_t)n : 0);
}

/* The exporter the options name, behind the span sink (a replay's exports on its thread). */
static int make_sink(struct agent *a)
{
	struct ws_sink_opts so = { .counters = &a->export_counters };
	struct ws_otlp_http_opts o = { 0 };
	struct ws_exporter *e = NULL;

	if (!a->cfg.replay)
		so.batch = &a->cfg.batch;
	switch (a->cfg.exporter) {
	case WS_EXP_NONE:
		break;
	case WS_EXP_CONSOLE:
		e = ws_console_exporter_new(stdout);
		break;
	case WS_EXP_OTLP:
		o.protocol = a->cfg.otlp_protocol;
		o.endpoint = a->cfg.endpoint;
		o.timeout_ms = a->cfg.export_timeout_ms;
		o.gzip = a->cfg.otlp_gzip;
		snprintf(a->export_headers, sizeof(a->export_headers), "%s%s%s%s",
			 a->cfg.otlp_headers, a->agent_token[0] ? "X-Wirespan-Agent: " : "",
			 a->agent_token, a->agent_token[0] ? "\n" : "");
		o.headers = a->export_headers;
		o.counters = &a->export_counters;
		o.ca_file = a->cfg.otlp_tls.ca.path;
		o.client_cert = a->cfg.otlp_tls.cert.path;
		o.client_key = a->cfg.otlp_tls.key.path;
		e = ws_otlp_http_exporter_new(&o);
		break;
	case WS_EXP_DISCARD:
		e = ws_discard_exporter_new(a->cfg.otlp_protocol, a->cfg.otlp_gzip);
		break;
	default:
		return -EINVAL;
	}
	if (!e && a->cfg.exporter != WS_EXP_NONE)
		return -errno;
	so.exp = e;
	a->sink = ws_sink_new(&so);
	return a->sink ? 0 : -errno;
}

/* Signals arrive through a signalfd; a timerfd drains the ring buffer every tick. */
static int run_loop(struct agent *a)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[4];
	char ready[2048];
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000L },
				  .it_value = { 0, TICK_MS * 1000000L } };
	int epfd, tfd, sfd, ret = 0;
	uint64_t ticks = 0;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || epfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		ret = -errno;
		fprintf(stderr, "wirespan: setting up the event loop failed: %s\n", strerror(errno));
		goto out;
	}
	ev.data.fd = sfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = ws_ring_fd(ws_bpf_ring(a->bpf));
	epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	if (a->metrics) {
		ev.data.fd = ws_metrics_fd(a->metrics);
		epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}

	ws_ready_line(&a->cfg, a->plan.desc, ready, sizeof(ready));
	fprintf(stderr, "%s\n", ready);
	for (;;) {
		int n = epoll_wait(epfd, evs, 4, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			fprintf(stderr, "wirespan: epoll_wait failed: %s\n", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGUSR1) {
					log_stats(a);
					continue;
				}
				goto out;
			} else if (fd == tfd) {
				uint64_t expirations;

				if (read(tfd, &expirations, sizeof(expirations)) < 0)
					continue;
				ticks++;
				drain(a);
				ws_metrics_tick(a->metrics, epfd, ws_metrics_now_ms());
				if (ticks % EXPIRE_EVERY_TICKS == 0) {
					ws_assembler_expire(a->asm_, mono_ns());
					ws_sink_hand_over(a->sink);
					ws_bpf_go_reap(a->bpf);
				}
				if (a->cfg.stats_interval_s &&
				    ticks % (a->cfg.stats_interval_s * 1000 / TICK_MS) == 0)
					log_stats(a);
			} else if (!serve_metrics(a, epfd, fd)) {
				drain(a);
			}
		}
	}
out:
	if (epfd >= 0)
		close(epfd);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	return ret;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * --replay: the records of a file through the same assembler and exporter as
 * a live run, on this thread, as fast as they go; then the rate. No BPF, so
 * no root needed: a record file is a reproducible bug report.
 */
static int replay(struct agent *a, struct ws_assembler_opts *aopts)
{
	uint64_t nrec = 0, st[WS_ASM_STAT__COUNT], last_ts = 0;
	struct ws_rec_reader *r;
	double t0, c0, secs, cpu;
	struct timespec ts;
	const void *rec;
	char msg[512];
	size_t size;
	int ret;

	r = ws_recr_open(a->cfg.replay, msg, sizeof(msg));
	if (!r) {
		fprintf(stderr, "wirespan: --replay: %s\n", msg);
		return -1;
	}
	aopts->mono_to_unix_ns = ws_recr_header(r)->mono_to_unix_ns;
	aopts->proc_root = ""; /* the recorded pids are not this host's processes */
	a->asm_ = ws_assembler_new(aopts, ws_sink_span, a->sink);
	if (!a->asm_) {
		fprintf(stderr, "wirespan: %s\n", strerror(errno));
		ws_recr_close(r);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec + ts.tv_nsec / 1e9;
	c0 = cpu_seconds();
	while ((ret = ws_recr_next(r, &rec, &size)) == 1) {
		ws_assembler_record(a->asm_, rec, size);
		if (size >= sizeof(struct ws_rec_hdr))
			memcpy(&last_ts, (const char *)rec + offsetof(struct ws_rec_hdr, ts_ns),
			       sizeof(last_ts));
		/* Idle connections age by the recording's clock, not this one. */
		if (++nrec % 65536 == 0)
			ws_assembler_expire(a->asm_, last_ts);
	}
	if (ret < 0)
		fprintf(stderr, "wirespan: --replay: %s is cut or corrupt after %llu records; "
				"replayed those\n",
			a->cfg.replay, (unsigned long long)nrec);
	ws_sink_shutdown(a->sink);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	secs = ts.tv_sec + ts.tv_nsec / 1e9 - t0;
	cpu = cpu_seconds() - c0;
	ws_assembler_stats(a->asm_, st);
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
	log_stats(a);
	ws_recr_close(r);
	return 0;
}

int main(int argc, char **argv)
{
	struct ws_assembler_opts aopts = { .proc_root = "/proc" };
	struct ws_features feat;
	struct agent a = { 0 };
	char err[512];
	int ret;

	/*
	 * Spans are freed in batches: without this, glibc gives the top of the heap
	 * back after each batch and page-faults it in again for the next one.
	 */
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	mallopt(M_TOP_PAD, 4 << 20);
	ret = ws_config_parse(&a.cfg, argc, argv, env_get, stdout, stderr);
	if (ret)
		return ret == WS_CONFIG_EXIT_OK ? 0 : 2;
	aopts.partners = &a.cfg.partners;
	aopts.baggage = &a.cfg.baggage;
	aopts.baggage_keys = a.cfg.baggage_keys;
	aopts.resource_attrs = &a.cfg.resource_attrs;
	aopts.webhooks = &a.cfg.webhooks;
	make_agent_token(a.agent_token);
	aopts.agent_token = a.agent_token;
	libbpf_set_print(a.cfg.verbose ? libbpf_log : NULL);

	if (a.cfg.replay) {
		ret = make_sink(&a);
		if (ret) {
			fprintf(stderr, "wirespan: starting the exporter failed: %s\n", strerror(-ret));
			return 1;
		}
		ret = replay(&a, &aopts);
		ws_assembler_free(a.asm_);
		ws_sink_free(a.sink);
		return ret ? 1 : 0;
	}

	ws_probe_features(&feat);
	if (ws_choose_hooks(&feat, &a.cfg, &a.plan)) {
		fprintf(stderr, "wirespan: %s\n", a.plan.desc);
		return 1;
	}
	ret = make_sink(&a);
	if (ret) {
		fprintf(stderr, "wirespan: starting the %s exporter failed: %s\n",
			a.cfg.exporter == WS_EXP_OTLP ? "OTLP" : "console", strerror(-ret));
		return 1;
	}
	aopts.mono_to_unix_ns = mono_to_unix_ns();
	/* Kernel hints go straight to the capture stage; the handle comes after the assembler. */
	aopts.go_process = ws_bpf_hint_go_process;
	aopts.skip_body = ws_bpf_hint_skip;
	aopts.hint_ctx = &a.bpf;
	a.asm_ = ws_assembler_new(&aopts, ws_sink_span, a.sink);
	if (!a.asm_) {
		fprintf(stderr, "wirespan: %s\n", strerror(errno));
		ret = -errno;
		goto cleanup;
	}
	if (a.cfg.metrics_address) {
		a.metrics = ws_metrics_listen(a.cfg.metrics_address, err, sizeof(err));
		if (!a.metrics) {
			fprintf(stderr, "wirespan: %s\n", err);
			ret = -1;
			goto cleanup;
		}
	}
	if (a.cfg.record) {
		a.rec = ws_recw_open(a.cfg.record, aopts.mono_to_unix_ns);
		if (!a.rec) {
			/* EEXIST: a file or a link is there; the writer never replaces either. */
			fprintf(stderr, "wirespan: --record %s: %s\n", a.cfg.record,
				errno == EEXIST ? "exists; remove it or choose another name"
						: strerror(errno));
			ret = -1;
			goto cleanup;
		}
	}
	a.bpf = ws_bpf_start(&a.cfg, &a.plan, on_record, &a, err, sizeof(err));
	if (!a.bpf) {
		fprintf(stderr, "wirespan: %s\n", err);
		ret = -1;
		goto cleanup;
	}
	/* Selectors that match nothing running: a warning each, then on (processes may come). */
	ws_selcheck_warn(&a.cfg, "/proc", stderr);
	ret = run_loop(&a);
	/*
	 * Take what the ring still holds, flush the exporter within its bound,
	 * then report: what could not go out by then is in the counters too.
	 */
	drain(&a);
	ws_sink_shutdown(a.sink);
	log_stats(&a);
	if (a.rec) {
		unsigned long long n = ws_recw_count(a.rec);

		if (ws_recw_close(a.rec))
			fprintf(stderr, "wirespan: --record %s: writing failed\n", a.cfg.record);
		else
			fprintf(stderr, "wirespan: recorded %llu records to %s\n", n, a.cfg.record);
		a.rec = NULL;
	}
cleanup:
	ws_recw_close(a.rec);
	ws_metrics_close(a.metrics);
	ws_bpf_free(a.bpf);
	a.bpf = NULL; /* the assembler's hints, when it lets its connections go, see none */
	ws_assembler_free(a.asm_);
	ws_sink_free(a.sink);
	return ret ? 1 : 0;
}
