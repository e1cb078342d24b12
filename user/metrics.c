// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Self-metrics (see metrics.h). */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"

#define MAX_CLIENTS 8

struct ws_metrics_server {
	int lfd;
	int cfd[MAX_CLIENTS]; /* -1: free */
};

struct metric {
	const char *name, *help, *type;
};

/* Appends with bounds; *n past outsz marks the overflow. */
static void put(char *out, size_t outsz, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *out, size_t outsz, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(*n < outsz ? out + *n : NULL, *n < outsz ? outsz - *n : 0, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n += r;
}

int ws_metrics_format(const struct ws_counters *c, char *out, size_t outsz)
{
	static const char *const knames[] = WS_STAT_NAMES;
	static const char *const unames[] = WS_ASM_STAT_NAMES;
	static const char *const enames[] = WS_EXPORT_ERR_NAMES;
	size_t n = 0;

	if (c->have_kernel) {
		put(out, outsz, &n,
		    "# HELP wirespan_kernel_events_total Kernel-side counters by kind "
		    "(records, ringbuf_full, truncated, ...).\n"
		    "# TYPE wirespan_kernel_events_total counter\n");
		for (int i = 0; i < WS_STAT__COUNT; i++)
			put(out, outsz, &n, "wirespan_kernel_events_total{kind=\"%s\"} %llu\n",
			    knames[i], (unsigned long long)c->kernel[i]);
	}
	put(out, outsz, &n,
	    "# HELP wirespan_assembly_events_total User-side assembly counters by kind "
	    "(records, spans, http_parse_errors, ...).\n"
	    "# TYPE wirespan_assembly_events_total counter\n");
	for (int i = 0; i < WS_ASM_STAT__COUNT; i++)
		put(out, outsz, &n, "wirespan_assembly_events_total{kind=\"%s\"} %llu\n", unames[i],
		    (unsigned long long)c->user[i]);
	put(out, outsz, &n,
	    "# HELP wirespan_export_spans_total Spans by export outcome.\n"
	    "# TYPE wirespan_export_spans_total counter\n"
	    "wirespan_export_spans_total{outcome=\"queued\"} %llu\n"
	    "wirespan_export_spans_total{outcome=\"dropped_queue_full\"} %llu\n"
	    "wirespan_export_spans_total{outcome=\"exported\"} %llu\n"
	    "wirespan_export_spans_total{outcome=\"rejected\"} %llu\n"
	    "wirespan_export_spans_total{outcome=\"failed\"} %llu\n"
	    "wirespan_export_spans_total{outcome=\"not_exported\"} %llu\n"
	    "# HELP wirespan_connections Connections the agent is following.\n"
	    "# TYPE wirespan_connections gauge\n"
	    "wirespan_connections %llu\n",
	    (unsigned long long)c->export.queued, (unsigned long long)c->export.dropped_full,
	    (unsigned long long)c->export.exported, (unsigned long long)c->export.rejected,
	    (unsigned long long)c->export.export_failed,
	    (unsigned long long)c->not_exported, (unsigned long long)c->conns);
	put(out, outsz, &n,
	    "# HELP wirespan_export_errors_total Failed export attempts by kind "
	    "(connect, timeout, network, tls, http_retryable, http_rejected, ...).\n"
	    "# TYPE wirespan_export_errors_total counter\n");
	for (int i = 0; i < WS_EXPORT_ERR__COUNT; i++)
		put(out, outsz, &n, "wirespan_export_errors_total{kind=\"%s\"} %llu\n", enames[i],
		    (unsigned long long)c->exporter.errors[i]);
	put(out, outsz, &n,
	    "# HELP wirespan_export_retries_total Export attempts that repeat a failed one.\n"
	    "# TYPE wirespan_export_retries_total counter\n"
	    "wirespan_export_retries_total %llu\n"
	    "# HELP wirespan_export_refused_spans_total Spans in batches the collector refused "
	    "with an answer that is not worth a retry (also counted as failed).\n"
	    "# TYPE wirespan_export_refused_spans_total counter\n"
	    "wirespan_export_refused_spans_total %llu\n",
	    (unsigned long long)c->exporter.retries, (unsigned long long)c->exporter.refused);
	if (c->have_kernel)
		put(out, outsz, &n,
		    "# HELP wirespan_go_processes Go programs whose goroutines are followed.\n"
		    "# TYPE wirespan_go_processes gauge\n"
		    "wirespan_go_processes %llu\n"
		    "# HELP wirespan_go_probe_failures_total Go programs whose net/http client "
		    "could not be probed (their calls through it get no parent).\n"
		    "# TYPE wirespan_go_probe_failures_total counter\n"
		    "wirespan_go_probe_failures_total %llu\n"
		    "# HELP wirespan_go_not_followed_total Go programs not followed: too many at once.\n"
		    "# TYPE wirespan_go_not_followed_total counter\n"
		    "wirespan_go_not_followed_total %llu\n",
		    (unsigned long long)c->go.procs, (unsigned long long)c->go.probe_failures,
		    (unsigned long long)c->go.not_followed);
	if (n >= outsz)
		return -ENOSPC;
	return (int)n;
}

struct ws_metrics_server *ws_metrics_listen(const char *addr, char *err, size_t errsz)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct ws_metrics_server *m;
	struct addrinfo *res = NULL;
	char host[256], *port;
	int one = 1, rc;
	size_t len = strlen(addr);

	if (len >= sizeof(host) || !(port = strrchr(addr, ':')) || !port[1]) {
		snprintf(err, errsz, "--metrics-address '%s': want host:port", addr);
		return NULL;
	}
	memcpy(host, addr, port - addr);
	host[port - addr] = '\0';
	port++;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [::1]:9464 */
		memmove(host, host + 1, strlen(host) - 2);
		host[strlen(host) - 2] = '\0';
	}
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc) {
		snprintf(err, errsz, "--metrics-address '%s': %s", addr, gai_strerror(rc));
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		freeaddrinfo(res);
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		m->cfd[i] = -1;
	m->lfd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->lfd < 0 || setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->lfd, res->ai_addr, res->ai_addrlen) || listen(m->lfd, 16)) {
		snprintf(err, errsz, "--metrics-address '%s': %s", addr, strerror(errno));
		freeaddrinfo(res);
		ws_metrics_close(m);
		return NULL;
	}
	freeaddrinfo(res);
	return m;
}

int ws_metrics_fd(const struct ws_metrics_server *m)
{
	return m->lfd;
}

static void client_close(struct ws_metrics_server *m, int epfd, int i)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, m->cfd[i], NULL);
	close(m->cfd[i]);
	m->cfd[i] = -1;
}

/* One short request, one short answer, then close: no keep-alive to track. */
static void answer(struct ws_metrics_server *m, int epfd, int i, const char *body, size_t len)
{
	char req[1024], head[256];
	ssize_t r = recv(m->cfd[i], req, sizeof(req) - 1, MSG_DONTWAIT);
	int ok, hn;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return; /* woken early: wait for the bytes */
	if (r <= 0) {
		client_close(m, epfd, i);
		return;
	}
	req[r] = '\0';
	ok = !strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13);
	if (!ok) {
		body = "not found: try GET /metrics\n";
		len = strlen(body);
	}
	hn = snprintf(head, sizeof(head),
		      "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
		      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		      ok ? "200 OK" : "404 Not Found", len);
	/* A few KiB: the socket buffer takes it at once; a stuck client loses its answer. */
	if (send(m->cfd[i], head, hn, MSG_DONTWAIT | MSG_NOSIGNAL) == hn)
		send(m->cfd[i], body, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	shutdown(m->cfd[i], SHUT_WR);
	client_close(m, epfd, i);
}

int ws_metrics_handle(struct ws_metrics_server *m, int epfd, int fd, const char *body,
		      size_t len)
{
	if (!m)
		return 0;
	if (fd == m->lfd) {
		int c;

		while ((c = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.fd = c };
			int i;

			for (i = 0; i < MAX_CLIENTS && m->cfd[i] >= 0; i++)
				;
			if (i == MAX_CLIENTS || epoll_ctl(epfd, EPOLL_CTL_ADD, c, &ev)) {
				close(c); /* more scrapers at once than anyone needs */
				continue;
			}
			m->cfd[i] = c;
		}
		return 1;
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (m->cfd[i] == fd) {
			answer(m, epfd, i, body, len);
			return 1;
		}
	}
	return 0;
}

void ws_metrics_close(struct ws_metrics_server *m)
{
	if (!m)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m->cfd[i] >= 0)
			close(m->cfd[i]);
	if (m->lfd >= 0)
		close(m->lfd);
	free(m);
}
