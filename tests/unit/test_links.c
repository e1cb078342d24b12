// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Inferred links: thread parents, ambiguity, and client/server pairing by tuple. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "check.h"
#include "links.h"

static struct ws_link_ctx ctx(uint8_t n)
{
	struct ws_link_ctx c;

	memset(&c, 0, sizeof(c));
	memset(c.trace_id, n, sizeof(c.trace_id));
	memset(c.span_id, n, sizeof(c.span_id));
	c.flags = 1;
	return c;
}

/* A thread, by its id. */
static struct ws_exec_ctx T(uint64_t tid) {
	return (struct ws_exec_ctx){ .id = tid };
}

/* A goroutine g of Go process tgid. */
static struct ws_exec_ctx
G(uint32_t tgid, uint64_t g) {
	return (struct ws_exec_ctx){ .id = g, .tgid = tgid };
}

static struct ws_tuple
tup(int family, const char *s, uint16_t sp, const char *d, uint16_t dp)
{
	struct ws_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = family;
	inet_pton(family, s, t.saddr);
	inet_pton(family, d, t.daddr);
	t.sport = sp;
	t.dport = dp;
	return t;
}

TEST(thread_with_one_server_request_is_the_parent)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_link_ctx a = ctx(1), got;

	CHECK_INT(ws_links_thread_parent(l, T(10), &got), -ENOENT);
	ws_links_server_begin(l, T(10), &a);
	CHECK_INT(ws_links_thread_parent(l, T(10), &got), 0);
	CHECK(!memcmp(&got, &a, sizeof(got)));
	CHECK_INT(ws_links_thread_parent(l, T(11), &got), -ENOENT);
	ws_links_server_end(l, T(10));
	CHECK_INT(ws_links_thread_parent(l, T(10), &got), -ENOENT);
	ws_links_free(l);
}

TEST(goroutines_are_told_apart_by_process_and_from_threads)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_link_ctx a = ctx(1), b = ctx(2), got;

	/* Go heaps start at the same address in every process: g alone is not unique. */
	ws_links_server_begin(l, G(100, 0xc000102000), &a);
	ws_links_server_begin(l, G(200, 0xc000102000), &b);
	CHECK_INT(ws_links_thread_parent(l, G(100, 0xc000102000), &got), 0);
	CHECK(!memcmp(&got, &a, sizeof(got)));
	CHECK_INT(ws_links_thread_parent(l, G(200, 0xc000102000), &got), 0);
	CHECK(!memcmp(&got, &b, sizeof(got)));
	CHECK_INT(ws_links_thread_parent(l, T(0xc000102000), &got), -ENOENT);
	CHECK_INT(ws_links_thread_parent(l, G(100, 0xc000104000), &got), -ENOENT);
	ws_links_server_end(l, G(100, 0xc000102000));
	CHECK_INT(ws_links_thread_parent(l, G(100, 0xc000102000), &got), -ENOENT);
	CHECK_INT(ws_links_thread_parent(l, G(200, 0xc000102000), &got), 0);
	ws_links_free(l);
}

TEST(unknown_executor_is_never_a_parent)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_link_ctx a = ctx(1), got;

	/* A Go process whose goroutines are not known: id 0, in any process. */
	ws_links_server_begin(l, G(100, 0), &a);
	ws_links_server_begin(l, T(0), &a);
	CHECK_INT(ws_links_thread_parent(l, G(100, 0), &got), -ENOENT);
	CHECK_INT(ws_links_thread_parent(l, T(0), &got), -ENOENT);
	ws_links_server_update(l, T(0), &a);
	ws_links_server_end(l, G(100, 0));
	ws_links_free(l);
}

TEST(server_update_moves_the_thread_parent_to_another_trace)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_link_ctx a = ctx(1), moved = ctx(2), other = ctx(3), got;

	ws_links_server_begin(l, T(10), &a);
	/* Same span, new trace id: calls from now on follow it. */
	memcpy(moved.span_id, a.span_id, sizeof(a.span_id));
	ws_links_server_update(l, T(10), &moved);
	CHECK_INT(ws_links_thread_parent(l, T(10), &got), 0);
	CHECK(!memcmp(&got, &moved, sizeof(got)));
	/* Another span, or another thread: nothing changes. */
	ws_links_server_update(l, T(10), &other);
	ws_links_server_update(l, T(11), &other);
	CHECK_INT(ws_links_thread_parent(l, T(10), &got), 0);
	CHECK(!memcmp(&got, &moved, sizeof(got)));
	CHECK_INT(ws_links_thread_parent(l, T(11), &got), -ENOENT);
	ws_links_free(l);
}

TEST(overlapping_requests_on_a_thread_give_no_parent_until_idle)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_link_ctx a = ctx(1), b = ctx(2), c = ctx(3), got;

	ws_links_server_begin(l, T(10), &a);
	ws_links_server_begin(l, T(10), &b);
	CHECK_INT(ws_links_thread_parent(l, T(10), &got), -EBUSY);
	ws_links_server_end(l, T(10));
	/* one left, but which one is unknown: still no guess */
	CHECK_INT(ws_links_thread_parent(l, T(10), &got), -EBUSY);
	ws_links_server_end(l, T(10));
	ws_links_server_begin(l, T(10), &c);
	CHECK_INT(ws_links_thread_parent(l, T(10), &got), 0);
	CHECK(!memcmp(got.span_id, c.span_id, 8));
	ws_links_free(l);
}

TEST(server_request_pairs_with_the_client_at_the_other_end_in_order)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_tuple cli = tup(AF_INET, "127.0.0.1", 40000, "127.0.0.1", 8080);
	struct ws_tuple srv = tup(AF_INET, "127.0.0.1", 8080, "127.0.0.1", 40000);
	struct ws_tuple other = tup(AF_INET, "127.0.0.1", 8080, "127.0.0.1", 40001);
	struct ws_link_ctx c1 = ctx(1), c2 = ctx(2), got;

	ws_links_client_sent(l, &cli, 1000, &c1);
	ws_links_client_sent(l, &cli, 2000, &c2);
	CHECK_INT(ws_links_peer_client(l, &other, 5000, 0, &got), -ENOENT);
	CHECK_INT(ws_links_peer_client(l, &srv, 1500, 0, &got), 0);
	CHECK(!memcmp(got.span_id, c1.span_id, 8));
	/* the second was sent after this read (beyond the skew): not it */
	CHECK_INT(ws_links_peer_client(l, &srv, 1500, 100, &got), -ENOENT);
	/* within the skew: a send stamped just after the read it caused */
	CHECK_INT(ws_links_peer_client(l, &srv, 1950, 100, &got), 0);
	CHECK(!memcmp(got.span_id, c2.span_id, 8));
	CHECK_INT(ws_links_peer_client(l, &srv, 9000, 0, &got), -ENOENT);
	ws_links_free(l);
}

TEST(dual_stack_server_matches_an_ipv4_client)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_tuple cli = tup(AF_INET, "10.0.0.1", 40000, "10.0.0.2", 80);
	struct ws_tuple srv = tup(AF_INET6, "::ffff:10.0.0.2", 80, "::ffff:10.0.0.1", 40000);
	struct ws_link_ctx c1 = ctx(7), got;

	ws_links_client_sent(l, &cli, 1000, &c1);
	CHECK_INT(ws_links_peer_client(l, &srv, 1000, 0, &got), 0);
	CHECK(!memcmp(got.trace_id, c1.trace_id, 16));
	ws_links_free(l);
}

TEST(closed_client_and_oldest_unclaimed_requests_are_forgotten)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_tuple cli = tup(AF_INET6, "::1", 40000, "::1", 8080);
	struct ws_tuple srv = tup(AF_INET6, "::1", 8080, "::1", 40000);
	struct ws_link_ctx got, c;

	for (uint8_t i = 1; i <= 10; i++) {
		c = ctx(i);
		ws_links_client_sent(l, &cli, i * 1000, &c);
	}
	/* 8 kept: the two oldest were never claimed by a traced server */
	CHECK_INT(ws_links_peer_client(l, &srv, 20000, 0, &got), 0);
	CHECK_INT(got.span_id[0], 3);
	ws_links_client_closed(l, &cli);
	CHECK_INT(ws_links_peer_client(l, &srv, 20000, 0, &got), -ENOENT);
	ws_links_client_closed(l, &cli); /* twice: harmless */
	ws_links_free(l);
}

/* The server read before the client's send was seen: that send pairs with nothing. */
TEST(a_late_send_never_pairs_with_a_later_read)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_tuple cli = tup(AF_INET, "127.0.0.1", 40000, "127.0.0.1", 8080);
	struct ws_tuple srv = tup(AF_INET, "127.0.0.1", 8080, "127.0.0.1", 40000);
	struct ws_link_ctx c1 = ctx(1), c2 = ctx(2), got;

	CHECK_INT(ws_links_peer_client(l, &srv, 1000, 0, &got), -ENOENT); /* read 1 */
	ws_links_client_sent(l, &cli, 1010, &c1);			  /* its send, late */
	ws_links_client_sent(l, &cli, 2000, &c2);			  /* send 2 */
	CHECK_INT(ws_links_peer_client(l, &srv, 2100, 0, &got), 0);	  /* read 2 */
	CHECK(!memcmp(got.span_id, c2.span_id, 8));
	ws_links_server_closed(l, &srv);
	CHECK_INT(ws_links_peer_client(l, &srv, 3000, 0, &got), -ENOENT);
	ws_links_server_closed(l, &srv);
	ws_links_free(l);
}

TEST(tables_are_bounded)
{
	struct ws_links *l = ws_links_new(2);
	struct ws_link_ctx a = ctx(1), got;

	ws_links_server_begin(l, T(1), &a);
	ws_links_server_begin(l, T(2), &a);
	ws_links_server_begin(l, T(3), &a); /* refused: no parent, never a wrong one */
	CHECK_INT(ws_links_thread_parent(l, T(3), &got), -ENOENT);
	ws_links_server_end(l, T(3)); /* unknown thread: harmless */
	CHECK_INT(ws_links_thread_parent(l, T(2), &got), 0);
	ws_links_free(l);
}

/* Entries of threads gone idle are reused: one must carry nothing of its last thread. */
TEST(reused_thread_entries_start_fresh)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_link_ctx a = ctx(1), b = ctx(2), got;

	ws_links_server_begin(l, T(1), &a);
	ws_links_server_begin(l, T(2), &a);
	ws_links_server_end(l, T(1));
	ws_links_server_end(l, T(2));
	ws_links_server_begin(l, T(1), &b); /* a spare whose chain link was another spare */
	CHECK_INT(ws_links_thread_parent(l, T(1), &got), 0);
	CHECK(!memcmp(&got, &b, sizeof(got)));
	ws_links_server_end(l, T(1));
	CHECK_INT(ws_links_thread_parent(l, T(1), &got), -ENOENT);
	CHECK_INT(ws_links_thread_parent(l, T(2), &got), -ENOENT);
	ws_links_free(l);
}

/* More threads at once than spares are kept: some entries come new, the rest are freed. */
TEST(many_threads_reuse_and_free_entries)
{
	struct ws_links *l = ws_links_new(0);
	struct ws_link_ctx got;

	for (int round = 0; round < 2; round++) {
		for (uint8_t i = 1; i <= 200; i++) {
			struct ws_link_ctx c = ctx(i);

			ws_links_server_begin(l, T(i), &c);
		}
		for (uint8_t i = 1; i <= 200; i++) {
			CHECK_INT(ws_links_thread_parent(l, T(i), &got), 0);
			CHECK_INT(got.span_id[0], i);
			ws_links_server_end(l, T(i));
			CHECK_INT(ws_links_thread_parent(l, T(i), &got), -ENOENT);
		}
	}
	ws_links_free(l);
}

static const struct check_case cases[] = {
	CASE(thread_with_one_server_request_is_the_parent),
	CASE(goroutines_are_told_apart_by_process_and_from_threads),
	CASE(unknown_executor_is_never_a_parent),
	CASE(server_update_moves_the_thread_parent_to_another_trace),
	CASE(overlapping_requests_on_a_thread_give_no_parent_until_idle),
	CASE(server_request_pairs_with_the_client_at_the_other_end_in_order),
	CASE(dual_stack_server_matches_an_ipv4_client),
	CASE(closed_client_and_oldest_unclaimed_requests_are_forgotten),
	CASE(a_late_send_never_pairs_with_a_later_read),
	CASE(tables_are_bounded),
	CASE(reused_thread_entries_start_fresh),
	CASE(many_threads_reuse_and_free_entries),
};

CHECK_MAIN("links", cases)
