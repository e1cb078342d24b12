// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Self-metrics (see metrics.h). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

/* Scrapers at once: one Prometheus, a curl or two; more take the oldest one's place. */
#define MAX_CLIENTS 8
/* A request head (Prometheus sends ~300 bytes); a longer one is answered on what came. */
#define REQ_MAX 1024

/*
 * A client: its socket, when it was accepted (its deadline runs from
 * there) and the request head so far (it may come in pieces).
 */
struct client {
	int fd; /* -1: free */
	long accepted_ms;
	size_t len;
	char req[REQ_MAX];
};

struct ws_metrics_server {
	int lfd;
	struct client c[MAX_CLIENTS];
};

/*
 * "host:port", "[v6]:port", ":port" or "port" into host and port (pointing
 * into buf). No host means loopback: the counters say what the agent
 * traces, so all interfaces only when asked (0.0.0.0, [::]).
 */
static int split_addr(const char *addr, char *buf, size_t bufsz, const char **host,
		      const char **port)
{
	size_t len = strlen(addr);
	char *colon;

	if (len >= bufsz || !len)
		return -EINVAL;
	memcpy(buf, addr, len + 1);
	colon = strrchr(buf, ':');
	if (!colon) {
		*host = WS_METRICS_DEFAULT_HOST;
		*port = buf;
	} else {
		*colon = '\0';
		*host = buf[0] ? buf : WS_METRICS_DEFAULT_HOST;
		*port = colon + 1;
	}
	if (!**port || strspn(*port, "0123456789") != strlen(*port))
		return -EINVAL;
	if ((*host)[0] == '[') { /* [::1]:9464 */
		size_t hl = strlen(*host);

		if (hl < 3 || (*host)[hl - 1] != ']')
			return -EINVAL;
		buf[hl - 1] = '\0';
		(*host)++;
	}
	return 0;
}

struct ws_metrics_server *ws_metrics_listen(const char *addr, char *err, size_t errsz)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct ws_metrics_server *m;
	struct addrinfo *res = NULL;
	const char *host, *port;
	char buf[256];
	int one = 1, rc;

	if (split_addr(addr, buf, sizeof(buf), &host, &port)) {
		snprintf(err, errsz,
			 "--metrics-address '%s': want [HOST]:PORT (HOST by default "
			 "127.0.0.1; 0.0.0.0 or [::] for all interfaces)",
			 addr);
		return NULL;
	}
	rc = getaddrinfo(host, port, &hints, &res);
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
		m->c[i].fd = -1;
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

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void client_close(int epfd, struct client *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Whether the head is complete: the blank line after the headers. */
static int head_done(const struct client *c)
{
	return memmem(c->req, c->len, "\r\n\r\n", 4) || memmem(c->req, c->len, "\n\n", 2);
}

/*
 * Reads what came; once the head is complete (or fills the buffer),
 * answers and closes: no keep-alive to track.
 */
static void answer(int epfd, struct client *c, const char *body, size_t len)
{
	char head[256];
	ssize_t r = recv(c->fd, c->req + c->len, sizeof(c->req) - c->len, MSG_DONTWAIT);
	int ok, hn;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return; /* woken early: wait for the bytes */
	if (r <= 0) {
		client_close(epfd, c);
		return;
	}
	c->len += r;
	if (!head_done(c) && c->len < sizeof(c->req))
		return; /* more to come, within the client's deadline */
	ok = c->len >= 13 &&
	     (!strncmp(c->req, "GET /metrics ", 13) || !strncmp(c->req, "GET /metrics?", 13));
	if (!ok) {
		body = "not found: try GET /metrics\n";
		len = strlen(body);
	}
	hn = snprintf(head, sizeof(head),
		      "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
		      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		      ok ? "200 OK" : "404 Not Found", len);
	/* A few KiB: the socket buffer takes it at once; a stuck client loses its answer. */
	if (send(c->fd, head, hn, MSG_DONTWAIT | MSG_NOSIGNAL) == hn)
		send(c->fd, body, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	shutdown(c->fd, SHUT_WR);
	client_close(epfd, c);
}

/* A free slot; when there is none, the oldest client's, closed: a new scrape beats an idle one. */
static struct client *take_slot(struct ws_metrics_server *m, int epfd)
{
	struct client *oldest = &m->c[0];

	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (m->c[i].fd < 0)
			return &m->c[i];
		if (m->c[i].accepted_ms < oldest->accepted_ms)
			oldest = &m->c[i];
	}
	client_close(epfd, oldest);
	return oldest;
}

int ws_metrics_handle(struct ws_metrics_server *m, int epfd, int fd, const char *body, size_t len)
{
	if (!m)
		return 0;
	if (fd == m->lfd) {
		int cfd;

		while ((cfd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.fd = cfd };
			struct client *c = take_slot(m, epfd);

			if (epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ev)) {
				close(cfd);
				continue;
			}
			*c = (struct client){ .fd = cfd, .accepted_ms = mono_ms() };
		}
		return 1;
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (m->c[i].fd >= 0 && m->c[i].fd == fd) {
			answer(epfd, &m->c[i], body, len);
			return 1;
		}
	}
	return 0;
}

void ws_metrics_tick(struct ws_metrics_server *m, int epfd, long now_ms)
{
	if (!m)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m->c[i].fd >= 0 &&
		    now_ms - m->c[i].accepted_ms >= WS_METRICS_CLIENT_DEADLINE_MS)
			client_close(epfd, &m->c[i]);
}

long ws_metrics_now_ms(void)
{
	return mono_ms();
}

void ws_metrics_close(struct ws_metrics_server *m)
{
	if (!m)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m->c[i].fd >= 0)
			close(m->c[i].fd);
	if (m->lfd >= 0)
		close(m->lfd);
	free(m);
}
