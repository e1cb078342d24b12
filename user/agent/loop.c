// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event loop (see loop.h): one epoll set over a signalfd, a timerfd,
 * the ring buffer's fd and the /metrics sockets, on the capture thread. The
 * ring is read on its wakeup and on every tick, because the kernel side
 * wakes the loop only past a fill threshold (ws_bpf_wake_bytes).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "assemble.h"
#include "bpf_load.h"
#include "config.h"
#include "loop.h"
#include "metrics.h"
#include "ready.h"
#include "recfile.h"
#include "sink.h"

#define TICK_MS 50	       /* ring buffer drain period: wakeups are not per record */
#define EXPIRE_EVERY_TICKS 200 /* idle connection sweep, every 10 s */

int ws_pipeline_record(void *pipeline, void *data, size_t size)
{
	struct ws_pipeline *p = pipeline;
	int err;

	if (p->rec && (err = ws_recw_write(p->rec, data, size))) {
		fprintf(stderr,
			"wirespan: --record %s failed after %llu records: %s; recording stopped\n",
			p->cfg->record, (unsigned long long)ws_recw_count(p->rec), strerror(-err));
		ws_recw_close(p->rec);
		p->rec = NULL;
	}
	ws_assembler_record(p->asm_, data, size);
	return 0;
}

void ws_pipeline_drain(struct ws_pipeline *p)
{
	ws_ring_consume(ws_bpf_ring(p->bpf));
	ws_sink_hand_over(p->sink);
}

void ws_pipeline_counters(const struct ws_pipeline *p, struct ws_counters *c)
{
	memset(c, 0, sizeof(*c));
	if (p->bpf) { /* a replay has no kernel side */
		ws_bpf_stats(p->bpf, c->kernel);
		ws_bpf_go_stats(p->bpf, &c->go);
		c->have_kernel = 1;
	}
	ws_assembler_stats(p->asm_, c->user);
	ws_sink_stats(p->sink, &c->export, &c->exporter, &c->not_exported);
	ws_sink_sample_stats(p->sink, c->sampled);
	ws_peers_stats(ws_sink_peers(p->sink), &c->partners);
	c->npartner = (uint32_t)ws_peers_list(ws_sink_peers(p->sink), c->partner,
					      WS_METRICS_PARTNERS);
	ws_sink_tail_stats(p->sink, c->tail, &c->tail_held);
	c->conns = ws_assembler_nconns(p->asm_);
}

void ws_pipeline_log_stats(const struct ws_pipeline *p)
{
	struct ws_counters c;
	char line[4096];

	ws_pipeline_counters(p, &c);
	ws_stats_line(&c, line, sizeof(line));
	fputs(line, stderr);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The spans' clock (their times are Unix times): the tail rules' waits end by it. */
static uint64_t unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A scraper's socket is readable: answer it with the counters of now. */
static int serve_metrics(struct ws_pipeline *p, int epfd, int fd)
{
	static char body[32768]; /* up to 64 partner gauges of 128-byte names */
	struct ws_counters c;
	int n;

	if (!p->metrics)
		return 0;
	ws_pipeline_counters(p, &c);
	n = ws_metrics_format(&c, body, sizeof(body));
	return ws_metrics_handle(p->metrics, epfd, fd, body, n > 0 ? (size_t)n : 0);
}

/* Signals arrive through a signalfd; a timerfd drains the ring buffer every tick. */
int ws_loop_run(struct ws_pipeline *p)
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
		fprintf(stderr, "wirespan: setting up the event loop failed: %s\n",
			strerror(errno));
		goto out;
	}
	ev.data.fd = sfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = ws_ring_fd(ws_bpf_ring(p->bpf));
	epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	if (p->metrics) {
		ev.data.fd = ws_metrics_fd(p->metrics);
		epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}

	ws_ready_line(p->cfg, p->plan_desc, ready, sizeof(ready));
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
					ws_pipeline_log_stats(p);
					continue;
				}
				goto out;
			} else if (fd == tfd) {
				uint64_t expirations;

				if (read(tfd, &expirations, sizeof(expirations)) < 0)
					continue;
				ticks++;
				ws_pipeline_drain(p);
				ws_sink_tick(p->sink, unix_ns());
				ws_metrics_tick(p->metrics, epfd, ws_metrics_now_ms());
				if (ticks % EXPIRE_EVERY_TICKS == 0) {
					ws_assembler_expire(p->asm_, mono_ns());
					ws_sink_hand_over(p->sink);
					ws_bpf_go_reap(p->bpf);
				}
				if (p->cfg->stats_interval_s &&
				    ticks % (p->cfg->stats_interval_s * 1000 / TICK_MS) == 0)
					ws_pipeline_log_stats(p);
			} else if (!serve_metrics(p, epfd, fd)) {
				ws_pipeline_drain(p);
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
