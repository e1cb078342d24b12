// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Prometheus text the agent serves about itself. */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

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
	CHECK(strstr(out, "wirespan_export_spans_total{outcome=\"dropped_queue_full\"} 3\n") !=
	      NULL);
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
	CHECK(strstr(err, "[HOST]:PORT") != NULL);
	CHECK(ws_metrics_listen("[::1:9464", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "[HOST]:PORT") != NULL);
	CHECK(ws_metrics_listen("127.0.0.1:notaport", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "--metrics-address") != NULL);
	CHECK(ws_metrics_listen("192.0.2.1:9464", err, sizeof(err)) == NULL); /* not ours */
	CHECK(strstr(err, "--metrics-address") != NULL);
}

/* The address the server's listening socket is bound to, as text. */
static void bound_to(struct ws_metrics_server *m, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	out[0] = '\0';
	if (getsockname(ws_metrics_fd(m), (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, outsz);
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, outsz);
}

/*
 * Issue 20: ":PORT" listened on every interface (getaddrinfo with no host
 * and AI_PASSIVE), serving the counters to the network. No host is loopback;
 * all interfaces only when asked.
 */
TEST(port_alone_listens_on_loopback_and_all_interfaces_only_when_asked)
{
	static const struct {
		const char *addr, *bound;
	} rows[] = {
		{ ":0", "127.0.0.1" },	    { "0", "127.0.0.1" }, { "127.0.0.1:0", "127.0.0.1" },
		{ "0.0.0.0:0", "0.0.0.0" }, { "[::]:0", "::" },
	};
	char err[256], got[INET6_ADDRSTRLEN];

	int v6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (v6 < 0)
		fprintf(stderr, "    SKIP [::]:0: no IPv6 here (%s)\n", strerror(errno));
	else
		close(v6);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_metrics_server *m;

		if (v6 < 0 && rows[i].addr[0] == '[')
			continue;
		m = ws_metrics_listen(rows[i].addr, err, sizeof(err));
		CHECK(m != NULL);
		if (!m) {
			fprintf(stderr, "    %s: %s\n", rows[i].addr, err);
			continue;
		}
		bound_to(m, got, sizeof(got));
		if (strcmp(got, rows[i].bound))
			fprintf(stderr, "    %s bound to %s\n", rows[i].addr, got);
		CHECK_STR(got, rows[i].bound);
		ws_metrics_close(m);
	}
}

static int connect_to(struct ws_metrics_server *m)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	if (getsockname(ws_metrics_fd(m), (struct sockaddr *)&ss, &sl))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, sl)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The agent's event loop, for rounds of at most 20 ms each: accepts and answers. */
static void pump(struct ws_metrics_server *m, int epfd, int rounds)
{
	struct epoll_event evs[16];
	const char body[] = "wirespan_connections 0\n";

	for (int r = 0; r < rounds; r++) {
		int n = epoll_wait(epfd, evs, 16, 20);

		for (int i = 0; i < n; i++)
			ws_metrics_handle(m, epfd, evs[i].data.fd, body, sizeof(body) - 1);
	}
}

/* What the server sent fd until it closed, or until 2 s passed; NUL-terminated. */
static void read_answer(int fd, char *out, size_t outsz)
{
	struct timeval tv = { 2, 0 };
	size_t n = 0;
	ssize_t r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n < outsz - 1 && (r = recv(fd, out + n, outsz - 1 - n, 0)) > 0)
		n += r;
	out[n] = '\0';
}

struct server {
	struct ws_metrics_server *m;
	int epfd;
};

static int serve(struct server *s)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char err[256];

	s->m = ws_metrics_listen("127.0.0.1:0", err, sizeof(err));
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!s->m || s->epfd < 0)
		return -1;
	ev.data.fd = ws_metrics_fd(s->m);
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
}

static void unserve(struct server *s)
{
	ws_metrics_close(s->m);
	if (s->epfd >= 0)
		close(s->epfd);
}

#define IDLE 12 /* more than the server's client slots */

/*
 * Issue 20: eight idle TCP connections held every client slot, and each
 * scrape after them was closed unanswered for as long as they stayed.
 */
TEST(idle_clients_cannot_lock_a_scrape_out)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct server s;
	int idle[IDLE], fd;
	char ans[512];

	CHECK_INT(serve(&s), 0);
	for (int i = 0; i < IDLE; i++) {
		idle[i] = connect_to(s.m);
		pump(s.m, s.epfd, 1);
	}
	fd = connect_to(s.m);
	CHECK(fd >= 0);
	pump(s.m, s.epfd, 2);
	CHECK_INT(send(fd, get, sizeof(get) - 1, MSG_NOSIGNAL), sizeof(get) - 1);
	pump(s.m, s.epfd, 3);
	read_answer(fd, ans, sizeof(ans));
	if (strncmp(ans, "HTTP/1.1 200 OK", 15))
		fprintf(stderr, "    answer: \"%s\"\n", ans);
	CHECK(!strncmp(ans, "HTTP/1.1 200 OK", 15));
	CHECK(strstr(ans, "\r\n\r\nwirespan_connections 0\n") != NULL);
	close(fd);
	for (int i = 0; i < IDLE; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	unserve(&s);
}

/* A client that has not sent its request head by its deadline is closed, not kept. */
TEST(silent_client_is_closed_at_its_deadline)
{
	struct server s;
	char ans[64];
	int fd;

	CHECK_INT(serve(&s), 0);
	fd = connect_to(s.m);
	pump(s.m, s.epfd, 2);
	CHECK_INT(send(fd, "GET /metr", 9, MSG_NOSIGNAL), 9);
	pump(s.m, s.epfd, 2);
	/* Before the deadline it stays; at it, it goes. */
	ws_metrics_tick(s.m, s.epfd, ws_metrics_now_ms() + WS_METRICS_CLIENT_DEADLINE_MS - 1000);
	CHECK_INT(recv(fd, ans, sizeof(ans), MSG_DONTWAIT), -1);
	ws_metrics_tick(s.m, s.epfd, ws_metrics_now_ms() + WS_METRICS_CLIENT_DEADLINE_MS);
	read_answer(fd, ans, sizeof(ans));
	CHECK_STR(ans, "");
	/* Closed, not just quiet: EOF came before the 2 s read timeout. */
	CHECK_INT(recv(fd, ans, sizeof(ans), MSG_DONTWAIT), 0);
	close(fd);
	unserve(&s);
}

/* A request head in pieces was answered on its first piece, with a 404. */
TEST(request_head_in_pieces_is_answered_once_complete)
{
	struct server s;
	char ans[512];
	int fd;

	CHECK_INT(serve(&s), 0);
	fd = connect_to(s.m);
	pump(s.m, s.epfd, 2);
	CHECK_INT(send(fd, "GET /metr", 9, MSG_NOSIGNAL), 9);
	pump(s.m, s.epfd, 2);
	CHECK_INT(send(fd, "ics HTTP/1.1\r\n\r\n", 17, MSG_NOSIGNAL), 17);
	pump(s.m, s.epfd, 2);
	read_answer(fd, ans, sizeof(ans));
	CHECK(!strncmp(ans, "HTTP/1.1 200 OK", 15));
	close(fd);
	unserve(&s);
}

static const struct check_case cases[] = {
	CASE(every_counter_is_exposed_with_help_and_type),
	CASE(replay_has_no_kernel_family_and_small_buffers_are_refused),
	CASE(bad_listen_addresses_are_one_line),
	CASE(port_alone_listens_on_loopback_and_all_interfaces_only_when_asked),
	CASE(idle_clients_cannot_lock_a_scrape_out),
	CASE(silent_client_is_closed_at_its_deadline),
	CASE(request_head_in_pieces_is_answered_once_complete),
};

CHECK_MAIN("metrics", cases)
