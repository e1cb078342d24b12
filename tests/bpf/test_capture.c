// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel-side tests, selftests style: load and attach the real skeleton,
 * select only this test's own pid, cause real socket I/O on loopback, and
 * assert the records and counters that come out of the ring buffer. Each
 * capture family (socket tracepoints, syscall fallback) is run; a family the
 * kernel lacks is a loud failure-free skip with its reason, never a pass.
 *
 * Past 800 lines on purpose: one binary loads the real programs once per
 * test for every hook family; its cases share the load and socket helpers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf_load.h"
#include "check.h"
#include "config.h"
#include "probe.h"
#include "wirespan.h"

#define MAX_RECS 256

struct rec {
	struct ws_rec_hdr hdr;
	struct ws_data_rec data;
	struct ws_connect_fail_rec cf;
	char payload[WS_CAP_MAX];
};

static struct rec recs[MAX_RECS];
static int nrecs;

static int on_sample(void *ctx, void *data, size_t size)
{
	struct rec *r;

	(void)ctx;
	if (nrecs == MAX_RECS || size < sizeof(struct ws_rec_hdr))
		return 0;
	r = &recs[nrecs++];
	memset(r, 0, sizeof(*r));
	memcpy(&r->hdr, data, sizeof(r->hdr));
	if ((r->hdr.type == WS_REC_DATA || r->hdr.type == WS_REC_FLOOR) &&
	    size >= sizeof(struct ws_data_rec)) {
		memcpy(&r->data, data, sizeof(r->data));
		memcpy(r->payload, (char *)data + sizeof(r->data), size - sizeof(r->data));
	}
	if (r->hdr.type == WS_REC_CONNECT_FAIL && size >= sizeof(struct ws_connect_fail_rec))
		memcpy(&r->cf, data, sizeof(r->cf));
	return 0;
}

static struct ws_features feat;
static uint32_t ring_bytes; /* 0: the default ring size */
static int floor_mode;	    /* enum ws_floor of the next start() */

static struct ws_bpf *start(enum ws_capture capture, uint32_t pid)
{
	struct ws_config c;
	struct ws_plan plan;
	struct ws_bpf *b;
	char err[512];
	char *argv[] = { "test", NULL };

	ws_config_parse(&c, 1, argv, (ws_getenv_fn)getenv, stdout, stderr);
	c.capture = capture;
	c.capture_bytes = 4096;
	c.trace_self = 1;
	if (ring_bytes)
		c.ringbuf_bytes = ring_bytes;
	c.floor = floor_mode;
	if (pid) {
		c.pids[0] = pid;
		c.npids = 1;
	}
	if (ws_choose_hooks(&feat, &c, &plan)) {
		CHECK_SKIP("kernel lacks a feature: %s", plan.desc);
		return NULL;
	}
	b = ws_bpf_start(&c, &plan, on_sample, NULL, err, sizeof(err));
	if (!b)
		fprintf(stderr, "    ws_bpf_start: %s\n", err);
	CHECK(b != NULL);
	nrecs = 0;
	return b;
}

/* A connected loopback pair: *cli (connect()ed) and *srv (accept()ed). */
static void tcp_pair(int *cli, int *srv, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(l >= 0);
	CHECK_INT(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(listen(l, 4), 0);
	CHECK_INT(getsockname(l, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_INT(connect(*cli, (struct sockaddr *)&a, sizeof(a)), 0);
	*srv = accept(l, NULL, NULL);
	CHECK(*srv >= 0);
	close(l);
}

static const uint8_t loopback[4] = { 127, 0, 0, 1 };
static const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

static struct rec *find(uint8_t dir, uint16_t sport)
{
	for (int i = 0; i < nrecs; i++)
		if (recs[i].hdr.type == WS_REC_DATA && recs[i].data.dir == dir &&
		    recs[i].data.tuple.sport == sport)
			return &recs[i];
	return NULL;
}

/* One request/response on loopback: four records with the bytes, tuple, role and close. */
static void check_http_exchange(enum ws_capture capture)
{
	struct ws_bpf *b = start(capture, getpid());
	uint64_t st[WS_STAT__COUNT];
	int cli, srv, closes = 0;
	char buf[256];
	uint16_t port, cport = 0;
	struct rec *r;

	if (!b)
		return;
	tcp_pair(&cli, &srv, &port);
	CHECK_INT(write(cli, req, sizeof(req) - 1), sizeof(req) - 1);
	CHECK_INT(read(srv, buf, sizeof(buf)), sizeof(req) - 1);
	CHECK_INT(send(srv, resp, sizeof(resp) - 1, 0), sizeof(resp) - 1);
	CHECK_INT(recv(cli, buf, sizeof(buf), 0), sizeof(resp) - 1);
	close(cli);
	close(srv);
	usleep(100000);
	ws_ring_consume(ws_bpf_ring(b));

	/* client egress: the request, from the connect()ed socket (role client) */
	r = find(WS_DIR_EGRESS, 0);
	for (int i = 0; i < nrecs && !r; i++)
		if (recs[i].hdr.type == WS_REC_DATA && recs[i].data.dir == WS_DIR_EGRESS &&
		    recs[i].data.tuple.dport == port)
			r = &recs[i];
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(r->data.io_len, sizeof(req) - 1);
		CHECK_INT(r->data.cap_len, sizeof(req) - 1);
		CHECK_MEM(r->payload, r->data.cap_len, req);
		CHECK_INT(r->data.role, WS_ROLE_CLIENT);
		CHECK_INT(r->data.tuple.family, AF_INET);
		CHECK_INT(r->hdr.tgid, getpid());
		CHECK_INT(r->data.source,
			  capture == WS_CAPTURE_SYSCALLS ? WS_SRC_SYSCALL : WS_SRC_SOCK_TP);
		/* every address byte: a short copy once left 127.0.0.0 */
		CHECK(!memcmp(r->data.tuple.daddr, loopback, 4));
		CHECK(!memcmp(r->data.tuple.saddr, loopback, 4));
		CHECK(strncmp(r->data.comm, "test_capture", 12) == 0);
		cport = r->data.tuple.sport;
	}
	/* server ingress: the same bytes, on the accepted socket (local port = port) */
	r = find(WS_DIR_INGRESS, port);
	CHECK(r != NULL);
	if (r) {
		CHECK_MEM(r->payload, r->data.cap_len, req);
		CHECK_INT(r->data.tuple.dport, cport);
		CHECK(!memcmp(r->data.tuple.daddr, loopback, 4));
	}
	r = find(WS_DIR_EGRESS, port);
	CHECK(r != NULL);
	if (r)
		CHECK_MEM(r->payload, r->data.cap_len, resp);
	for (int i = 0; i < nrecs; i++)
		closes += recs[i].hdr.type == WS_REC_CLOSE;
	CHECK_INT(closes, 2);
	CHECK_INT(ws_bpf_stats(b, st), 0);
	CHECK_INT(st[WS_STAT_RECORDS], 4);
	CHECK_INT(st[WS_STAT_RB_FULL], 0);
	ws_bpf_free(b);
}

TEST(test_socket_tracepoints_capture_an_http_exchange)
{
	check_http_exchange(WS_CAPTURE_SOCKET);
}

TEST(test_syscall_fallback_captures_an_http_exchange)
{
	check_http_exchange(WS_CAPTURE_SYSCALLS);
}

/*
 * --floor-copy: each I/O of the selected process gives one record of its
 * bytes, length and direction, whatever they are (not HTTP here), and
 * nothing else: no data record, no connection state, so no close record.
 */
TEST(test_floor_copy_outputs_the_bytes_of_each_io_and_nothing_else)
{
	static const char head[] = "\x16\x03\x01 not http", tail[] = "and more";
	struct iovec iov[2] = { { (void *)head, sizeof(head) - 1 },
				{ (void *)tail, sizeof(tail) - 1 } };
	size_t total = sizeof(head) - 1 + sizeof(tail) - 1;
	uint64_t st[WS_STAT__COUNT];
	int cli, srv, floors = 0, others = 0;
	struct rec *w = NULL, *r = NULL;
	uint16_t port;
	char buf[64];
	struct ws_bpf *b;

	floor_mode = WS_FLOOR_COPY;
	b = start(WS_CAPTURE_SOCKET, getpid());
	floor_mode = WS_FLOOR_OFF;
	if (!b)
		return;
	tcp_pair(&cli, &srv, &port);
	CHECK_INT(writev(srv, iov, 2), total);
	CHECK_INT(read(cli, buf, sizeof(buf)), total);
	close(cli);
	close(srv);
	usleep(100000);
	ws_ring_consume(ws_bpf_ring(b));
	for (int i = 0; i < nrecs; i++) {
		if (recs[i].hdr.type != WS_REC_FLOOR) {
			others++;
			continue;
		}
		floors++;
		if (recs[i].data.dir == WS_DIR_EGRESS)
			w = &recs[i];
		else
			r = &recs[i];
	}
	CHECK_INT(floors, 2);
	CHECK_INT(others, 0);
	CHECK(w != NULL && r != NULL);
	for (int i = 0; i < 2 && w && r; i++) {
		struct rec *x = i ? r : w;

		CHECK_INT(x->data.io_len, total);
		CHECK_INT(x->data.cap_len, total);
		CHECK_INT(x->hdr.len, sizeof(x->data) - sizeof(x->hdr) + total);
		CHECK_MEM(x->payload, sizeof(head) - 1, head);
		CHECK_MEM(x->payload + sizeof(head) - 1, sizeof(tail) - 1, tail);
		CHECK_INT(x->hdr.tgid, getpid());
	}
	CHECK_INT(ws_bpf_stats(b, st), 0);
	CHECK_INT(st[WS_STAT_RECORDS], 2);
	CHECK_INT(st[WS_STAT_NOT_HTTP], 0);
	ws_bpf_free(b);
}

/* One write of n bytes of 'x' on srv, read back whole on cli. */
static void body_write(int srv, int cli, size_t n)
{
	static char out[65536], in[65536];
	size_t got = 0;

	memset(out, 'x', n);
	CHECK_INT(write(srv, out, n), n);
	while (got < n) {
		ssize_t r = read(cli, in, n - got);

		CHECK(r > 0);
		if (r <= 0)
			break;
		got += r;
	}
}

/* The server's egress data records (local port port) from index from on; out[0] NULL if none. */
static int egress_recs(uint16_t port, int from, struct rec **out, int max)
{
	int n = 0;

	out[0] = NULL;
	for (int i = from; i < nrecs && n < max; i++)
		if (recs[i].hdr.type == WS_REC_DATA && recs[i].data.dir == WS_DIR_EGRESS &&
		    recs[i].data.tuple.sport == port)
			out[n++] = &recs[i];
	return n;
}

/*
 * Gives the kernel side hint for sock, then makes n body writes of w bytes:
 * the server's egress records they made (in r, at most 16).
 */
static int hinted_writes(struct ws_bpf *b, uint64_t sock, const struct ws_skip *hint, int srv,
			 int cli, int n, size_t w, uint16_t port, struct rec **r)
{
	int mark = nrecs;

	CHECK_INT(ws_bpf_skip(b, sock, hint), 0);
	for (int i = 0; i < n; i++)
		body_write(srv, cli, w);
	ws_ring_consume(ws_bpf_ring(b));
	return egress_recs(port, mark, r, 16);
}

/*
 * A body user space asked not to copy: its writes send no record but the
 * last, without bytes, at its end; records say where they are in the
 * stream; a hint older than the connection is ignored.
 */
static void check_body_skip(enum ws_capture capture)
{
	enum { BODY = 8 * 16384, W = 16384 };
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 131072\r\n\r\n";
	const uint32_t hl = sizeof(head) - 1;
	struct ws_bpf *b = start(capture, getpid());
	struct ws_skip hint = {};
	uint64_t st[WS_STAT__COUNT];
	struct rec *r[16];
	uint64_t sock, born;
	int cli, srv;
	char buf[256];
	uint16_t port;

	if (!b)
		return;
	tcp_pair(&cli, &srv, &port);
	CHECK_INT(write(srv, head, hl), hl);
	CHECK_INT(read(cli, buf, sizeof(buf)), hl);
	ws_ring_consume(ws_bpf_ring(b));
	CHECK_INT(egress_recs(port, 0, r, 16), 1);
	if (nrecs == 0 || !egress_recs(port, 0, r, 1))
		goto out;
	CHECK(r[0]->hdr.flags & WS_F_SEQ);
	CHECK_INT(r[0]->data.seq, 0);
	sock = r[0]->hdr.sock_id;
	born = r[0]->hdr.ts_ns;

	/* Derived from a record older than the connection: another one's, ignored. */
	hint.ts[WS_DIR_EGRESS] = born - 1;
	hint.from[WS_DIR_EGRESS] = hl;
	hint.until[WS_DIR_EGRESS] = hl + BODY;
	CHECK_INT(hinted_writes(b, sock, &hint, srv, cli, 1, W, port, r), 1);
	if (r[0]) {
		CHECK_INT(r[0]->data.seq, hl);
		CHECK_INT(r[0]->data.cap_len, 4096); /* copied as usual */
	}

	/* The rest of the body: seven writes, one byteless record at its end. */
	hint.ts[WS_DIR_EGRESS] = born;
	hint.from[WS_DIR_EGRESS] = hl + W;
	CHECK_INT(hinted_writes(b, sock, &hint, srv, cli, 7, W, port, r), 1);
	if (r[0]) {
		CHECK_INT(r[0]->data.seq, hl + BODY - W);
		CHECK_INT(r[0]->data.io_len, W);
		CHECK_INT(r[0]->data.cap_len, 0);
		CHECK_INT(r[0]->hdr.flags, WS_F_SKIPPED | WS_F_SEQ);
	}
	CHECK_INT(ws_bpf_stats(b, st), 0);
	CHECK_INT(st[WS_STAT_BODY_SKIPPED], 7);

	/* A write that runs past a stretch's end (into a next message) is copied as usual. */
	hint.from[WS_DIR_EGRESS] = hl + BODY;
	hint.until[WS_DIR_EGRESS] = hl + BODY + W - 1;
	CHECK_INT(hinted_writes(b, sock, &hint, srv, cli, 1, W, port, r), 1);
	if (r[0]) {
		CHECK_INT(r[0]->data.seq, hl + BODY);
		CHECK_INT(r[0]->data.cap_len, 4096);
	}
	CHECK_INT(ws_bpf_skip(b, sock, NULL), 0);
	CHECK_INT(ws_bpf_skip(b, sock, NULL), 0); /* forgetting twice is no error */
out:
	close(cli);
	close(srv);
	ws_bpf_free(b);
}

TEST(test_socket_tracepoints_skip_a_body_user_space_does_not_need)
{
	check_body_skip(WS_CAPTURE_SOCKET);
}

TEST(test_syscall_fallback_skips_a_body_user_space_does_not_need)
{
	check_body_skip(WS_CAPTURE_SYSCALLS);
}

/* Non-HTTP bytes on an opened connection: classified at once, nothing copied. */
TEST(test_non_http_connection_is_not_streamed)
{
	struct ws_bpf *b = start(WS_CAPTURE_SOCKET, getpid());
	uint64_t st[WS_STAT__COUNT];
	int cli, srv;
	char buf[64];
	uint16_t port;

	if (!b)
		return;
	tcp_pair(&cli, &srv, &port);
	for (int i = 0; i < 5; i++) {
		CHECK_INT(write(cli, "\x01\x02\x03\x04garbage", 11), 11);
		CHECK_INT(read(srv, buf, sizeof(buf)), 11);
	}
	close(cli);
	close(srv);
	ws_ring_consume(ws_bpf_ring(b));
	CHECK_INT(nrecs, 0);
	CHECK_INT(ws_bpf_stats(b, st), 0);
	CHECK_INT(st[WS_STAT_RECORDS], 0);
	CHECK(st[WS_STAT_NOT_HTTP] >= 5);
	ws_bpf_free(b);
}

/* Another pid selected: this process's I/O produces nothing. */
TEST(test_unselected_process_produces_no_records)
{
	struct ws_bpf *b = start(WS_CAPTURE_SOCKET, 1);
	int cli, srv;
	char buf[256];
	uint16_t port;

	if (!b)
		return;
	tcp_pair(&cli, &srv, &port);
	CHECK_INT(write(cli, req, sizeof(req) - 1), sizeof(req) - 1);
	CHECK_INT(read(srv, buf, sizeof(buf)), sizeof(req) - 1);
	close(cli);
	close(srv);
	ws_ring_consume(ws_bpf_ring(b));
	CHECK_INT(nrecs, 0);
	ws_bpf_free(b);
}

/* One HTTP request over a fresh loopback pair; returns the records it made. */
static int exchange_records(struct ws_bpf *b)
{
	int cli, srv;
	char buf[256];
	uint16_t port;

	nrecs = 0;
	tcp_pair(&cli, &srv, &port);
	CHECK_INT(write(cli, req, sizeof(req) - 1), sizeof(req) - 1);
	CHECK_INT(read(srv, buf, sizeof(buf)), sizeof(req) - 1);
	close(cli);
	close(srv);
	ws_ring_consume(ws_bpf_ring(b));
	return nrecs;
}

/* --comm is judged once per process, and again after the process renames itself. */
TEST(test_comm_selection_follows_a_rename)
{
	struct ws_config c;
	struct ws_plan plan;
	struct ws_bpf *b;
	char err[512], name[16] = "";
	char *argv[] = { "test", NULL };

	ws_config_parse(&c, 1, argv, (ws_getenv_fn)getenv, stdout, stderr);
	c.capture = WS_CAPTURE_SOCKET;
	c.trace_self = 1;
	strcpy(c.comms[0], "ws-comm-test");
	c.ncomms = 1;
	if (ws_choose_hooks(&feat, &c, &plan)) {
		CHECK_SKIP("kernel lacks a feature: %s", plan.desc);
		return;
	}
	prctl(PR_GET_NAME, name);
	b = ws_bpf_start(&c, &plan, on_sample, NULL, err, sizeof(err));
	if (!b)
		fprintf(stderr, "    ws_bpf_start: %s\n", err);
	CHECK(b != NULL);
	if (!b)
		return;
	CHECK_INT(exchange_records(b), 0); /* not named so: not traced */
	prctl(PR_SET_NAME, "ws-comm-test");
	CHECK(exchange_records(b) >= 2); /* renamed: judged again, traced */
	prctl(PR_SET_NAME, name);
	CHECK_INT(exchange_records(b), 0); /* and back */
	ws_bpf_free(b);
}

/*
 * writev(iov, n) of total bytes on a fresh loopback pair, read whole on the
 * other side; the sender's record, or NULL.
 */
static struct rec *writev_record(struct ws_bpf *b, const struct iovec *iov, int n, int total)
{
	static char rbuf[16384];
	int cli, srv, got = 0;
	uint16_t port;

	tcp_pair(&cli, &srv, &port);
	CHECK_INT(writev(cli, iov, n), total);
	while (got < total) {
		int k = read(srv, rbuf, sizeof(rbuf));

		if (k <= 0)
			break;
		got += k;
	}
	close(cli);
	close(srv);
	ws_ring_consume(ws_bpf_ring(b));
	for (int i = 0; i < nrecs; i++)
		if (recs[i].hdr.type == WS_REC_DATA && recs[i].data.dir == WS_DIR_EGRESS)
			return &recs[i];
	return NULL;
}

/*
 * writev with three iovecs and a capture smaller than the I/O, an answer:
 * truncated, flagged, counted (only request heads are copied on).
 */
TEST(test_writev_is_copied_across_iovecs_and_truncated)
{
	struct ws_bpf *b = start(WS_CAPTURE_SOCKET, getpid());
	static char big[8192];
	struct iovec iov[3] = { { "HTTP/1.1 200 OK\r\n", 17 },
				{ "Content-Length: 8192\r\n\r\n", 24 },
				{ big, sizeof(big) } };
	uint64_t st[WS_STAT__COUNT];
	struct rec *r;

	if (!b)
		return;
	memset(big, 'x', sizeof(big));
	r = writev_record(b, iov, 3, 17 + 24 + 8192);
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(r->data.io_len, 17 + 24 + 8192);
		CHECK_INT(r->data.cap_len, 4096);
		CHECK(r->hdr.flags & WS_F_TRUNCATED);
		CHECK(!(r->hdr.flags & WS_F_PART));
		CHECK_MEM(r->payload, 41, "HTTP/1.1 200 OK\r\nContent-Length: 8192\r\n\r\n");
		CHECK(r->payload[41] == 'x' && r->payload[4095] == 'x');
	}
	CHECK_INT(ws_bpf_stats(b, st), 0);
	CHECK(st[WS_STAT_TRUNCATED] >= 1);
	CHECK_INT(st[WS_STAT_HEAD_PARTS], 0);
	ws_bpf_free(b);
}

/*
 * writev of six iovecs, one of them empty: the kernel reads the first
 * WS_MAX_IOV entries (in one copy of the array) and their bytes in order.
 * A request: the rest is a part of its own, of bytes past the entries the
 * kernel reads, so without bytes and flagged truncated.
 */
TEST(test_writev_past_the_iovec_limit_keeps_the_first_entries)
{
	struct ws_bpf *b = start(WS_CAPTURE_SOCKET, getpid());
	struct iovec iov[6] = { { "GET /", 5 },		 { "", 0 },	    { "a", 1 },
				{ " HTTP/1.1\r\n", 11 }, { "X: y\r\n", 6 }, { "\r\n", 2 } };
	struct rec *r;

	if (!b)
		return;
	r = writev_record(b, iov, 6, 25);
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(r->data.io_len, 17);
		CHECK_MEM(r->payload, r->data.cap_len, "GET /a HTTP/1.1\r\n");
		CHECK(r->hdr.flags & WS_F_PART);
		CHECK(r + 1 < recs + nrecs);
		if (r + 1 < recs + nrecs) {
			CHECK_INT(r[1].data.seq, r->data.seq + 17);
			CHECK_INT(r[1].data.io_len, 8);
			CHECK_INT(r[1].data.cap_len, 0);
			CHECK(r[1].hdr.flags & WS_F_TRUNCATED);
			CHECK(r[1].hdr.flags & WS_F_PART);
		}
	}
	ws_bpf_free(b);
}

/*
 * Sends len bytes of msg on a fresh loopback pair (flat send, or writev of
 * three pieces when iov) and reads them; the egress records of the client
 * in *out. Returns how many.
 */
/* A reader of len bytes from fd, on a thread of its own. */
struct drain {
	int fd;
	size_t len;
};

static void *drain_bytes(void *arg)
{
	static char rbuf[1 << 16];
	struct drain *d = arg;
	size_t got = 0;

	while (got < d->len) {
		ssize_t k = read(d->fd, rbuf, sizeof(rbuf));

		if (k <= 0)
			break;
		got += k;
	}
	return NULL;
}

static int head_records(struct ws_bpf *b, const char *msg, size_t len, bool iov, struct rec **out,
			int max)
{
	struct drain d = { .len = len };
	pthread_t t;
	int cli, n = 0;
	uint16_t port;

	/* Read while sending: 100 KiB need not fit the loopback buffers. */
	tcp_pair(&cli, &d.fd, &port);
	CHECK_INT(pthread_create(&t, NULL, drain_bytes, &d), 0);
	if (iov) {
		struct iovec v[3] = { { (char *)msg, 10 },
				      { (char *)msg + 10, 5000 },
				      { (char *)msg + 5010, len - 5010 } };

		CHECK_INT(writev(cli, v, 3), (ssize_t)len);
	} else {
		CHECK_INT(send(cli, msg, len, 0), (ssize_t)len);
	}
	pthread_join(t, NULL);
	close(cli);
	close(d.fd);
	ws_ring_consume(ws_bpf_ring(b));
	for (int i = 0; i < nrecs && n < max; i++)
		if (recs[i].hdr.type == WS_REC_DATA && recs[i].data.dir == WS_DIR_EGRESS &&
		    recs[i].data.tuple.dport == port)
			out[n++] = &recs[i];
	return n;
}

/*
 * A request head longer than the capture (a 9 KiB cookie) sent in one I/O:
 * copied on in parts at their stream positions, so the traceparent behind
 * the cookie reaches user space; the parts' lengths add up to the I/O's.
 * Bug: the head was cut at the capture and its span was lost.
 */
static void check_long_head_in_parts(enum ws_capture capture, bool iov)
{
	struct ws_bpf *b = start(capture, getpid());
	static const char tp[] =
		"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n";
	static char msg[10000];
	char joined[sizeof(msg)];
	uint64_t st[WS_STAT__COUNT];
	struct rec *r[8];
	size_t len, at = 0, io = 0;
	int n;

	if (!b)
		return;
	len = (size_t)snprintf(msg, sizeof(msg), "GET / HTTP/1.1\r\nHost: x\r\nCookie: c=");
	memset(msg + len, 'c', 9000);
	len += 9000;
	memcpy(msg + len, "\r\n", 2);
	len += 2;
	memcpy(msg + len, tp, sizeof(tp) - 1);
	len += sizeof(tp) - 1;
	n = head_records(b, msg, len, iov, r, 8);
	CHECK_INT(n, 2); /* 4096 bytes, then the rest (up to WS_CAP_MAX a part) */
	for (int i = 0; i < n; i++) {
		CHECK(r[i]->hdr.flags & WS_F_PART);
		CHECK(!(r[i]->hdr.flags & WS_F_TRUNCATED));
		CHECK_INT(r[i]->data.seq, r[0]->data.seq + io);
		CHECK_INT(r[i]->data.cap_len, r[i]->data.io_len);
		if (at + r[i]->data.cap_len <= sizeof(joined))
			memcpy(joined + at, r[i]->payload, r[i]->data.cap_len);
		at += r[i]->data.cap_len;
		io += r[i]->data.io_len;
	}
	CHECK_INT(io, len);
	CHECK_INT(at, len);
	CHECK_MEM(joined, len, msg);
	CHECK_INT(ws_bpf_stats(b, st), 0);
	/* The server's read of the head is a request I/O too: its parts count as well. */
	CHECK(st[WS_STAT_HEAD_PARTS] >= (uint64_t)n - 1);
	ws_bpf_free(b);
}

TEST(test_socket_tracepoints_copy_a_long_request_head_on_in_parts)
{
	check_long_head_in_parts(WS_CAPTURE_SOCKET, false);
}

TEST(test_syscall_fallback_copies_a_long_request_head_on_in_parts)
{
	check_long_head_in_parts(WS_CAPTURE_SYSCALLS, false);
}

TEST(test_a_long_request_head_from_writev_is_copied_on_across_its_iovecs)
{
	check_long_head_in_parts(WS_CAPTURE_SOCKET, true);
}

/*
 * A request I/O of 100 KiB (a head and an upload's body): copied up to
 * WS_HEAD_MAX bytes from its start, no further; the last part stands for
 * the rest, truncated.
 */
TEST(test_request_parts_stop_at_the_head_max)
{
	struct ws_bpf *b = start(WS_CAPTURE_SOCKET, getpid());
	static char msg[100 * 1024];
	uint64_t st[WS_STAT__COUNT];
	size_t copied = 0, io = 0;
	struct rec *r[16];
	int n;

	if (!b)
		return;
	memset(msg, 'b', sizeof(msg));
	memcpy(msg, "POST /up HTTP/1.1\r\n", 19);
	n = head_records(b, msg, sizeof(msg), false, r, 16);
	/* 4096, then 16384, 16384, 16384 and 12288 (to 64 KiB) standing for the rest */
	CHECK_INT(n, 5);
	for (int i = 0; i < n; i++) {
		copied += r[i]->data.cap_len;
		io += r[i]->data.io_len;
	}
	CHECK_INT(copied, WS_HEAD_MAX);
	CHECK_INT(io, sizeof(msg));
	if (n == 5) {
		CHECK(r[4]->hdr.flags & WS_F_TRUNCATED);
		CHECK_INT(r[4]->data.io_len, sizeof(msg) - (WS_HEAD_MAX - 12288));
	}
	CHECK_INT(ws_bpf_stats(b, st), 0);
	CHECK(st[WS_STAT_HEAD_PARTS] >= 4); /* and the server's reads' */
	CHECK(st[WS_STAT_TRUNCATED] >= 1);
	ws_bpf_free(b);
}

/* Whether the ring's fd became readable through a wakeup within ms. */
static int woken(int epfd, int ms)
{
	struct epoll_event ev;

	return epoll_wait(epfd, &ev, 1, ms) == 1;
}

/*
 * Records do not wake the consumer one by one: a CPU wakes it once it has
 * put ws_bpf_wake_bytes() in the ring since its last wakeup (the agent's
 * drain tick reads the rest), or at once for a large I/O not copied whole.
 */
TEST(test_consumer_is_woken_once_a_cpu_has_put_the_threshold)
{
	static char msg[1024], rbuf[2048], big[16384];
	struct epoll_event ev = { .events = EPOLLIN };
	struct ws_bpf *b;
	cpu_set_t one, saved;
	uint64_t wake, put = 0;
	int cli, srv, epfd, len;
	uint16_t port;

	/* One CPU: the threshold counts per CPU. */
	CHECK_INT(sched_getaffinity(0, sizeof(saved), &saved), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	CHECK_INT(sched_setaffinity(0, sizeof(one), &one), 0);
	ring_bytes = 1 << 20;
	b = start(WS_CAPTURE_SOCKET, getpid());
	ring_bytes = 0;
	if (!b)
		goto out;
	wake = ws_bpf_wake_bytes(1 << 20);
	len = snprintf(msg, sizeof(msg), "GET /%0900d HTTP/1.1\r\n\r\n", 0);
	tcp_pair(&cli, &srv, &port);
	epfd = epoll_create1(0);
	CHECK_INT(epoll_ctl(epfd, EPOLL_CTL_ADD, ws_ring_fd(ws_bpf_ring(b)), &ev), 0);
	/* Each exchange puts two records of len bytes and a header. */
	while (put + 2 * (len + sizeof(struct ws_data_rec) + 8) < wake / 2) {
		CHECK_INT(write(cli, msg, len), len);
		CHECK_INT(read(srv, rbuf, sizeof(rbuf)), len);
		put += 2 * (len + sizeof(struct ws_data_rec) + 8);
	}
	CHECK(put > 0);
	CHECK(!woken(epfd, 200)); /* half the threshold waiting: no wakeup */
	while (put < wake + 4096) {
		CHECK_INT(write(cli, msg, len), len);
		CHECK_INT(read(srv, rbuf, sizeof(rbuf)), len);
		put += 2 * (len + sizeof(struct ws_data_rec) + 8);
	}
	CHECK(woken(epfd, 1000)); /* past it: woken */
	ws_ring_consume(ws_bpf_ring(b));
	CHECK(!woken(epfd, 100));
	/* A large I/O not copied whole may start a long body to skip: woken at once. */
	usleep(5000); /* more than WS_PROMPT_WAKE_NS after the last wakeup */
	memset(big, 'x', sizeof(big));
	CHECK_INT(write(cli, big, sizeof(big)), sizeof(big));
	CHECK(woken(epfd, 1000));
	for (size_t got = 0; got < sizeof(big);) {
		ssize_t r = read(srv, big, sizeof(big) - got);

		CHECK(r > 0);
		if (r <= 0)
			break;
		got += r;
	}
	ws_ring_consume(ws_bpf_ring(b));
	close(epfd);
	close(cli);
	close(srv);
	ws_bpf_free(b);
out:
	sched_setaffinity(0, sizeof(saved), &saved);
}

/* A --pid above the kernel's pid_max cannot be selected: a clear error, not a silent miss. */
/* Starting with --pid pid fails, with an error that says want. */
static void check_pid_refused(uint32_t pid, const char *want)
{
	struct ws_config c;
	struct ws_plan plan;
	struct ws_bpf *b;
	char err[512] = "";
	char *argv[] = { "test", NULL };

	ws_config_parse(&c, 1, argv, (ws_getenv_fn)getenv, stdout, stderr);
	c.capture = WS_CAPTURE_SOCKET;
	c.pids[0] = pid;
	c.npids = 1;
	if (ws_choose_hooks(&feat, &c, &plan)) {
		CHECK_SKIP("kernel lacks a feature: %s", plan.desc);
		return;
	}
	b = ws_bpf_start(&c, &plan, on_sample, NULL, err, sizeof(err));
	CHECK(b == NULL);
	if (!strstr(err, want))
		fprintf(stderr, "    error: %s\n    wanted: %s\n", err, want);
	CHECK(strstr(err, want) != NULL);
	ws_bpf_free(b);
}

TEST(test_pid_above_pid_max_is_refused)
{
	check_pid_refused(1u << 30, "--pid 1073741824: above the kernel's pid_max");
}

static void *park(void *arg)
{
	int *tid = arg;

	__atomic_store_n(tid, gettid(), __ATOMIC_SEQ_CST);
	while (__atomic_load_n(tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	return NULL;
}

/* A pid with no process, or a thread's id, would select nothing: both are refused. */
TEST(test_pid_of_no_process_or_of_a_thread_is_refused)
{
	char want[128];
	pthread_t th;
	int tid = 0;
	pid_t gone = fork();

	CHECK(gone >= 0);
	if (!gone)
		_exit(0);
	CHECK_INT(waitpid(gone, NULL, 0), gone);
	snprintf(want, sizeof(want), "--pid %d: no such process", gone);
	check_pid_refused(gone, want);

	CHECK_INT(pthread_create(&th, NULL, park, &tid), 0);
	while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	snprintf(want, sizeof(want),
		 "--pid %d: a thread of process %d (select the process: --pid %d)", tid, getpid(),
		 getpid());
	check_pid_refused(tid, want);
	__atomic_store_n(&tid, 0, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
}

/* A port nobody listens on: the connect is refused before any byte, and still reported. */
TEST(test_refused_connect_is_reported_with_who_and_when)
{
	struct ws_bpf *b = start(WS_CAPTURE_SOCKET, getpid());
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	uint64_t st[WS_STAT__COUNT];
	int l, s, cli, srv, n = 0;
	uint16_t port, ok_port;
	struct rec *r = NULL;

	if (!b)
		return;
	/* A port that was free a moment ago: bound, then released. */
	l = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_INT(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_INT(getsockname(l, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(l);
	s = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_INT(connect(s, (struct sockaddr *)&a, sizeof(a)), -1);
	CHECK_INT(errno, ECONNREFUSED);
	close(s);
	/* A connection that opens and closes without a byte is no failure. */
	tcp_pair(&cli, &srv, &ok_port);
	close(cli);
	close(srv);
	usleep(50000);
	ws_ring_consume(ws_bpf_ring(b));
	for (int i = 0; i < nrecs; i++) {
		if (recs[i].hdr.type == WS_REC_CONNECT_FAIL) {
			r = &recs[i];
			n++;
		}
	}
	CHECK_INT(n, 1);
	if (r) {
		CHECK_INT(r->hdr.flags, WS_F_REFUSED);
		CHECK_INT(r->hdr.tgid, getpid());
		CHECK_INT(r->hdr.tid, gettid());
		CHECK_INT(r->hdr.len, sizeof(r->cf) - sizeof(r->hdr));
		CHECK_INT(r->cf.tuple.family, AF_INET);
		CHECK_INT(r->cf.tuple.dport, port);
		CHECK(!memcmp(r->cf.tuple.daddr, loopback, 4));
		CHECK(r->cf.start_ns > 0 && r->cf.start_ns <= r->hdr.ts_ns);
		CHECK(strncmp(r->cf.comm, "test_capture", 12) == 0);
	}
	CHECK_INT(ws_bpf_stats(b, st), 0);
	CHECK_INT(st[WS_STAT_CONNECT_FAILS], 1);
	ws_bpf_free(b);
}

/*
 * A 16 KiB ring and records of 200 sizes, read after each: records keep
 * running past the ring's end, and each comes out whole (wrapped ones
 * copied, since the data is mapped once).
 */
TEST(test_records_across_the_ring_end_come_out_whole)
{
	static char msg[2048], rbuf[2048];
	struct ws_bpf *b;
	uint64_t st[WS_STAT__COUNT];
	int cli, srv, bad = 0;
	uint16_t port;

	ring_bytes = 16384;
	b = start(WS_CAPTURE_SOCKET, getpid());
	ring_bytes = 0;
	if (!b)
		return;
	tcp_pair(&cli, &srv, &port);
	for (int i = 0; i < 200; i++) {
		int path = 1 + i * 37 % 1500, len;
		struct rec *r = NULL;

		len = snprintf(
			msg, sizeof(msg), "GET /%.*s HTTP/1.1\r\n\r\n", path,
			"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
			"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789");
		for (int k = 5 + 144; k < 5 + path; k++)
			msg[k] = (char)('a' +
					(i + k) % 26); /* past the literal: a pattern per record */
		nrecs = 0;
		CHECK_INT(write(cli, msg, len), len);
		CHECK_INT(read(srv, rbuf, sizeof(rbuf)), len);
		ws_ring_consume(ws_bpf_ring(b));
		for (int k = 0; k < nrecs && !r; k++)
			if (recs[k].hdr.type == WS_REC_DATA && recs[k].data.dir == WS_DIR_EGRESS)
				r = &recs[k];
		if (!r || r->data.cap_len != (uint32_t)len || memcmp(r->payload, msg, len))
			bad++;
	}
	close(cli);
	close(srv);
	CHECK_INT(bad, 0);
	/* ~180 KiB through 16 KiB: a record straddles the end on most laps. */
	if (ws_ring_wrapped(ws_bpf_ring(b)) < 5)
		fprintf(stderr, "    wrapped: %lu\n", ws_ring_wrapped(ws_bpf_ring(b)));
	CHECK(ws_ring_wrapped(ws_bpf_ring(b)) >= 5);
	CHECK_INT(ws_bpf_stats(b, st), 0);
	CHECK_INT(st[WS_STAT_RB_FULL], 0);
	ws_bpf_free(b);
}

/*
 * fd of the newest BPF map named name (the agent does not expose its maps),
 * its value size in *value_size; or -1.
 */
static int newest_map_fd(const char *name, uint32_t *value_size)
{
	uint32_t id = 0, best = 0;

	while (!bpf_map_get_next_id(id, &id)) {
		struct bpf_map_info info = {};
		uint32_t len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name)) {
			best = id;
			*value_size = info.value_size;
		}
		close(fd);
	}
	return best ? bpf_map_get_fd_by_id(best) : -1;
}

/*
 * The syscall fallback keeps each selected thread's socket syscall in a
 * table until it returns: with the table full, the syscall is not followed,
 * and that is counted, not silent.
 */
TEST(test_syscall_fallback_counts_what_its_full_table_drops)
{
	struct ws_bpf *b = start(WS_CAPTURE_SYSCALLS, getpid());
	uint64_t st[WS_STAT__COUNT], v[8] = {};
	uint32_t tid, filled = 0, vsize = 0;
	int fd;

	if (!b)
		return;
	fd = newest_map_fd("sys_args", &vsize);
	CHECK(fd >= 0);
	CHECK(vsize <= sizeof(v));
	/* Threads that do not exist, in syscalls that never return: the table is full. */
	for (tid = 1u << 30; !bpf_map_update_elem(fd, &tid, &v, BPF_NOEXIST); tid++)
		filled++;
	CHECK(filled >= 1024);
	CHECK_INT(exchange_records(b), 0);
	CHECK_INT(ws_bpf_stats(b, st), 0);
	CHECK(st[WS_STAT_SYSCALLS_UNTRACKED] >= 2); /* the write and the read at least */
	CHECK_INT(st[WS_STAT_RECORDS], 0);
	/* Room again: followed again. */
	for (tid = 1u << 30; filled--; tid++)
		CHECK_INT(bpf_map_delete_elem(fd, &tid), 0);
	CHECK(exchange_records(b) >= 2); /* the write and the read at least */
	close(fd);
	ws_bpf_free(b);
}

static const struct check_case cases[] = {
	CASE(test_socket_tracepoints_capture_an_http_exchange),
	CASE(test_syscall_fallback_captures_an_http_exchange),
	CASE(test_socket_tracepoints_skip_a_body_user_space_does_not_need),
	CASE(test_syscall_fallback_skips_a_body_user_space_does_not_need),
	CASE(test_non_http_connection_is_not_streamed),
	CASE(test_floor_copy_outputs_the_bytes_of_each_io_and_nothing_else),
	CASE(test_unselected_process_produces_no_records),
	CASE(test_comm_selection_follows_a_rename),
	CASE(test_writev_is_copied_across_iovecs_and_truncated),
	CASE(test_writev_past_the_iovec_limit_keeps_the_first_entries),
	CASE(test_socket_tracepoints_copy_a_long_request_head_on_in_parts),
	CASE(test_syscall_fallback_copies_a_long_request_head_on_in_parts),
	CASE(test_a_long_request_head_from_writev_is_copied_on_across_its_iovecs),
	CASE(test_request_parts_stop_at_the_head_max),
	CASE(test_consumer_is_woken_once_a_cpu_has_put_the_threshold),
	CASE(test_pid_above_pid_max_is_refused),
	CASE(test_pid_of_no_process_or_of_a_thread_is_refused),
	CASE(test_refused_connect_is_reported_with_who_and_when),
	CASE(test_records_across_the_ring_end_come_out_whole),
	CASE(test_syscall_fallback_counts_what_its_full_table_drops),
};

int main(void)
{
	ws_probe_features(&feat);
	if (!feat.privileged) {
		printf("FAIL: the BPF tests must run as root\n0 passed, 1 failed, 0 skipped\n");
		return 1;
	}
	/* A test the kernel cannot run prints "skip bpf.<name>: <reason>" and is counted apart. */
	return check_run("bpf", cases, sizeof(cases) / sizeof(cases[0]));
}
