/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the connection table (conns.c): its bound and least recently
 * used eviction, idle expiry, a socket reused by another process, and the
 * request FIFO, both through the assembler and through the table itself.
 */
#include "asmkit.h"
#include "conns.h"
#include "http1.h"

/* ---- bounds ---- */

TEST(pipeline_full_drops_and_counts)
{
	struct ws_assembler *a = asm_open();
	struct cn c = server_cn(26);
	char req[128];

	for (int i = 0; i < 40; i++) {
		snprintf(req, sizeof(req), "GET /q%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
		SRV_REQ(a, &c, 1000 + i, req);
	}
	CHECK_INT(stat_of(a, WS_ASM_PIPELINE_FULL), 8);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 0);
	/* The 32 kept ones are the first 32. */
	SRV_RESP(a, &c, 5000, RESP_OK);
	CHECK_INT(nspans, 1);
	if (nspans)
		CHECK_ATTR_STR(spans[0], "url.path", "/q0");
	CHECK_INT(rec_close(a, &c, 6000), 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 31);
	CHECK_INT(ws_assembler_nconns(a), 0);
	asm_close(a);
}

TEST(table_full_evicts_least_recently_used)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent", .max_conns = 2 };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn c1 = server_cn(101), c2 = server_cn(102), c3 = server_cn(103);
	struct ws_span *s;

	SRV_REQ(a, &c1, 1000, "GET /one HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_REQ(a, &c2, 1100, "GET /two HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(ws_assembler_nconns(a), 2);
	CHECK_INT(stat_of(a, WS_ASM_CONNS_EVICTED), 0);
	/* c1 is used again: c2 is now the least recently used. */
	SRV_REQ(a, &c1, 1200, "GET /one-b HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_REQ(a, &c3, 1300, "GET /three HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(stat_of(a, WS_ASM_CONNS_EVICTED), 1);
	CHECK_INT(ws_assembler_nconns(a), 2);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	/* c1 kept its two requests. */
	SRV_RESP(a, &c1, 2000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0)))
		CHECK_ATTR_STR(s, "url.path", "/one");
	SRV_RESP(a, &c3, 2100, RESP_OK);
	CHECK_INT(nspans, 2);
	if ((s = span_at(1)))
		CHECK_ATTR_STR(s, "url.path", "/three");
	CHECK_INT(ws_assembler_nconns(a), 2);
	asm_close(a);
}

TEST(expire_drops_idle_connections)
{
	struct ws_assembler *a = asm_open();
	struct cn c1 = server_cn(201), c2 = server_cn(202);
	const uint64_t s300 = 300ull * 1000000000ull;

	SRV_REQ(a, &c1, 1000, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_REQ(a, &c2, 2000, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_REQ(a, &c2, 3000, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
	/* Nothing idle yet, and a clock below the timeout does not wrap. */
	ws_assembler_expire(a, 5);
	ws_assembler_expire(a, s300);
	CHECK_INT(ws_assembler_nconns(a), 2);
	CHECK_INT(stat_of(a, WS_ASM_CONNS_EVICTED), 0);
	/* c1 idle for more than 5 minutes, c2 not yet. */
	ws_assembler_expire(a, 1500 + s300);
	CHECK_INT(ws_assembler_nconns(a), 1);
	CHECK_INT(stat_of(a, WS_ASM_CONNS_EVICTED), 1);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	ws_assembler_expire(a, 1000000ull * s300);
	CHECK_INT(ws_assembler_nconns(a), 0);
	CHECK_INT(stat_of(a, WS_ASM_CONNS_EVICTED), 2);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 3);
	CHECK_INT(nspans, 0);
	asm_close(a);
}

TEST(expire_honours_a_custom_timeout)
{
	struct ws_assembler_opts o = { .proc_root = "/nonexistent",
				       .idle_timeout_ns = 1000000000ull };
	struct ws_assembler *a = asm_open_opts(&o);
	struct cn c = client_cn(1);

	CLI_REQ(a, &c, 5000000000ull, REQ_HELLO);
	ws_assembler_expire(a, 5900000000ull);
	CHECK_INT(ws_assembler_nconns(a), 1);
	ws_assembler_expire(a, 6100000000ull);
	CHECK_INT(ws_assembler_nconns(a), 0);
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	asm_close(a);
}

TEST(socket_reused_by_another_process_starts_over)
{
	struct ws_assembler *a = asm_open();
	struct cn c1 = server_cn(300), c2 = server_cn(300);
	struct ws_span *s;

	c2.tgid = 777;
	strcpy(c2.comm, "other");
	SRV_REQ(a, &c1, 1000, "GET /old HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_REQ(a, &c2, 2000, "GET /new HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_INT(stat_of(a, WS_ASM_REQ_NO_RESP), 1);
	CHECK_INT(ws_assembler_nconns(a), 1);
	SRV_RESP(a, &c2, 3000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.path", "/new");
		CHECK(s->res != NULL);
		if (s->res) {
			CHECK_STR(s->res->service_name, "other");
			CHECK_INT(s->res->pid, 777);
		}
	}
	asm_close(a);
}

/*
 * A send racing the peer's reset: the close record comes before the bytes
 * sent. Those bytes leave a stale connection behind; the next connection at
 * the same socket address (other endpoints) must not inherit its parser state.
 */
TEST(bytes_after_close_do_not_leak_into_the_next_connection)
{
	struct ws_assembler *a = asm_open();
	struct cn c1 = server_cn(400), c2 = server_cn(400);
	struct ws_span *s;

	c2.t = tuple4("127.0.0.1", 8080, "192.168.1.50", 54999);
	SRV_REQ(a, &c1, 1000, "POST /body HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nabc");
	CHECK_INT(rec_close(a, &c1, 2000), 0);
	SRV_RESP(a, &c1, 2100, "HTTP/1.1 201 Created\r\nContent-Length: 7\r\n\r\n");
	CHECK_INT(stat_of(a, WS_ASM_RESP_NO_REQ), 1);
	SRV_REQ(a, &c2, 3000, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
	SRV_RESP(a, &c2, 4000, RESP_OK);
	CHECK_INT(nspans, 1);
	if ((s = span_at(0))) {
		CHECK_ATTR_STR(s, "url.path", "/after");
		CHECK_ATTR_INT(s, "http.response.status_code", 200);
		CHECK_INT(s->start_unix_ns, 3000);
		CHECK_INT(s->end_unix_ns, 4000);
	}
	CHECK_INT(ws_assembler_nconns(a), 1);
	asm_close(a);
}

/* ---- the table itself (conns.h), without the assembler ---- */

/* What the drop callback saw, in order. */
static struct {
	int n;
	uint64_t keys[64];
} drops;

static void on_drop(void *ctx, struct ws_connection *c)
{
	(void)ctx;
	if (drops.n < 64)
		drops.keys[drops.n] = c->key;
	drops.n++;
}

static struct ws_conns *table(size_t max)
{
	struct ws_conns *t = ws_conns_new(max, on_drop, NULL);

	memset(&drops, 0, sizeof(drops));
	CHECK(t != NULL);
	return t;
}

static struct ws_connection *add(struct ws_conns *t, uint64_t key, bool want_evicted)
{
	bool evicted = !want_evicted;
	struct ws_connection *c = ws_conns_add(t, key, TGID, &evicted);

	CHECK(c != NULL);
	CHECK_INT(evicted, want_evicted);
	if (c) {
		CHECK_INT(c->key, key);
		CHECK_INT(c->tgid, TGID);
		CHECK_INT(c->qlen, 0);
		CHECK_INT(c->resp, WS_RESP_IDLE);
		CHECK(c->q == c->q_inline);
	}
	return c;
}

TEST(table_finds_what_it_added_and_forgets_what_it_deleted)
{
	struct ws_conns *t = table(8);
	struct ws_connection *c[5];

	CHECK(ws_conns_new(0, on_drop, NULL) == NULL); /* a table of nothing is a mistake */
	CHECK(ws_conns_new(1, NULL, NULL) == NULL);
	if (!t)
		return;
	for (int i = 0; i < 5; i++)
		c[i] = add(t, 1000 + (uint64_t)i * 1024, false); /* same low bits: one chain */
	CHECK_INT(ws_conns_count(t), 5);
	for (int i = 0; i < 5; i++)
		CHECK(ws_conns_find(t, 1000 + (uint64_t)i * 1024) == c[i]);
	CHECK(ws_conns_find(t, 999) == NULL);
	ws_conns_del(t, c[2]);
	CHECK_INT(drops.n, 1);
	CHECK_INT(drops.keys[0], 1000 + 2 * 1024);
	CHECK(ws_conns_find(t, 1000 + 2 * 1024) == NULL);
	CHECK(ws_conns_find(t, 1000 + 4 * 1024) == c[4]);
	CHECK_INT(ws_conns_count(t), 4);
	ws_conns_free(t); /* every connection left is dropped first */
	CHECK_INT(drops.n, 5);
	ws_conns_free(NULL);
}

TEST(full_table_drops_the_least_recently_used)
{
	struct ws_conns *t = table(3);
	struct ws_connection *a, *b;

	if (!t)
		return;
	a = add(t, 1, false);
	b = add(t, 2, false);
	add(t, 3, false);
	ws_conns_touch(t, a); /* 2 is now the oldest */
	add(t, 4, true);
	CHECK_INT(drops.n, 1);
	CHECK_INT(drops.keys[0], 2);
	CHECK(ws_conns_find(t, 2) == NULL);
	CHECK(ws_conns_find(t, 1) == a);
	CHECK_INT(ws_conns_count(t), 3);
	(void)b;
	ws_conns_free(t);
}

TEST(expire_drops_connections_idle_before_the_cutoff_oldest_first)
{
	struct ws_conns *t = table(8);
	struct ws_connection *c[4];

	if (!t)
		return;
	for (int i = 0; i < 4; i++) {
		c[i] = add(t, 10 + i, false);
		if (c[i])
			c[i]->last_ts = 100 * (i + 1);
	}
	/* Used again later: it moves to the young end whatever its key. */
	ws_conns_touch(t, c[0]);
	c[0]->last_ts = 1000;
	CHECK_INT(ws_conns_expire(t, 300), 1); /* 200 is idle; 300 is not before 300 */
	CHECK_INT(ws_conns_expire(t, 300), 0);
	CHECK_INT(ws_conns_expire(t, 401), 2);
	CHECK_INT(drops.n, 3);
	CHECK_INT(drops.keys[0], 11);
	CHECK_INT(drops.keys[1], 12);
	CHECK_INT(drops.keys[2], 13);
	CHECK(ws_conns_find(t, 10) == c[0]); /* used at 1000: young */
	CHECK_INT(ws_conns_count(t), 1);
	ws_conns_free(t);
}

/* Stand-ins for spans: the table never reads or frees them. */
static struct ws_span *fake_span(int i)
{
	static char marks[WS_PIPELINE_MAX + 8];

	return (struct ws_span *)(void *)&marks[i];
}

TEST(fifo_keeps_order_inline_across_growth_and_wrap_up_to_its_bound)
{
	struct ws_conns *t = table(1);
	struct ws_connection *c = t ? add(t, 7, false) : NULL;
	int next_in = 0, next_out = 0;

	if (!c) {
		ws_conns_free(t);
		return;
	}
	/* Inline: push two, pop one, push one (it wraps inside the inline pair). */
	CHECK(ws_conn_push(c, (struct ws_pending){ .span = fake_span(next_in++) }));
	CHECK(ws_conn_push(c, (struct ws_pending){ .span = fake_span(next_in++) }));
	CHECK(ws_conn_pop(c).span == fake_span(next_out++));
	CHECK(ws_conn_push(c, (struct ws_pending){ .span = fake_span(next_in++) }));
	CHECK(c->q == c->q_inline);
	CHECK(ws_conn_at(c, 0)->span == fake_span(1));
	CHECK(ws_conn_at(c, 1)->span == fake_span(2));
	/* A third in flight moves the FIFO to the heap, in order. */
	CHECK(ws_conn_push(c, (struct ws_pending){ .span = fake_span(next_in++), .head = true }));
	CHECK(c->q != c->q_inline);
	CHECK_INT(c->qcap, WS_PIPELINE_MAX);
	while (c->qlen < WS_PIPELINE_MAX)
		CHECK(ws_conn_push(c, (struct ws_pending){ .span = fake_span(next_in++) }));
	CHECK(!ws_conn_push(c, (struct ws_pending){ .span = fake_span(next_in) }));
	CHECK_INT(c->qlen, WS_PIPELINE_MAX);
	/* Out in the order they came, flags kept. */
	while (c->qlen) {
		struct ws_pending p = ws_conn_pop(c);

		CHECK(p.span == fake_span(next_out));
		CHECK_INT(p.head, next_out == 3);
		next_out++;
	}
	CHECK_INT(next_out, next_in);
	ws_conns_free(t); /* frees the heap FIFO: ASan would tell */
}

struct kind_row {
	enum http1_kind mine, other;
	enum http1_kind want;
};

/* A parser decides at its first good head; until then the other direction tells. */
static const struct kind_row kind_rows[] = {
	{ HTTP1_AUTO, HTTP1_AUTO, HTTP1_AUTO },
	{ HTTP1_AUTO, HTTP1_REQUESTS, HTTP1_RESPONSES },
	{ HTTP1_AUTO, HTTP1_RESPONSES, HTTP1_REQUESTS },
	{ HTTP1_REQUESTS, HTTP1_AUTO, HTTP1_REQUESTS },
	{ HTTP1_RESPONSES, HTTP1_AUTO, HTTP1_RESPONSES },
	/* Both decided the same way (a confused peer): each keeps its own. */
	{ HTTP1_REQUESTS, HTTP1_REQUESTS, HTTP1_REQUESTS },
};

TEST(direction_kind_comes_from_its_parser_or_the_other_direction)
{
	struct ws_connection c;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < sizeof(kind_rows) / sizeof(kind_rows[0]); i++) {
		for (int dir = 0; dir < 2; dir++) {
			c.d[dir].p.kind = kind_rows[i].mine;
			c.d[!dir].p.kind = kind_rows[i].other;
			CHECK_INT(ws_conn_dir_kind(&c, dir), kind_rows[i].want);
		}
	}
}

struct covers_row {
	uint32_t from, until; /* the stretch asked to skip */
	uint32_t at, n;	      /* the bytes asked about */
	bool want;
};

static const struct covers_row covers_rows[] = {
	{ 1000, 2000, 1000, 1000, true },		 /* the whole stretch */
	{ 1000, 2000, 1500, 500, true },		 /* its tail */
	{ 1000, 2000, 1500, 501, false },		 /* one byte past its end */
	{ 1000, 2000, 999, 1, false },			 /* one byte before it */
	{ 1000, 2000, 2000, 1, false },			 /* its end is not in it */
	{ 0xffffff00u, 0x100, 0xfffffff0u, 0x20, true }, /* across the 2^32 wrap */
	{ 0xffffff00u, 0x100, 0x100, 1, false },
};

TEST(skip_stretch_covers_bytes_inside_it_only)
{
	struct ws_connection c;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < sizeof(covers_rows) / sizeof(covers_rows[0]); i++) {
		const struct covers_row *r = &covers_rows[i];

		c.skip_set = true;
		c.skip.ts[WS_DIR_INGRESS] = 1;
		c.skip.from[WS_DIR_INGRESS] = c.skip.from[WS_DIR_EGRESS] = r->from;
		c.skip.until[WS_DIR_INGRESS] = c.skip.until[WS_DIR_EGRESS] = r->until;
		CHECK_INT(ws_conn_skip_covers(&c, WS_DIR_INGRESS, r->at, r->n), r->want);
		/* Nothing asked in the other direction (no time: a stretch never sent). */
		CHECK_INT(ws_conn_skip_covers(&c, WS_DIR_EGRESS, r->at, r->n), false);
		c.skip_set = false;
		CHECK_INT(ws_conn_skip_covers(&c, WS_DIR_INGRESS, r->at, r->n), false);
	}
}

TEST(skip_is_planned_once_per_long_body_and_cleared)
{
	static const char head[] = "POST /upload HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n";
	struct ws_conns *t = table(1);
	struct ws_connection *c = t ? add(t, 9, false) : NULL;
	struct ws_conn_dir *d;
	struct http1_event ev;

	if (!c) {
		ws_conns_free(t);
		return;
	}
	d = &c->d[WS_DIR_INGRESS];
	CHECK_INT(http1_feed(&d->p, head, sizeof(head) - 1, &ev), sizeof(head) - 1);
	CHECK_INT(ev.type, HTTP1_EV_HEAD);
	CHECK(!ws_conn_skip_plan(c, WS_DIR_INGRESS, 50)); /* no stream position yet */
	d->have_seq = true;
	d->next_seq = 5000;
	CHECK(ws_conn_skip_plan(c, WS_DIR_INGRESS, 50));
	CHECK(c->skip_set);
	CHECK_INT(c->skip.ts[WS_DIR_INGRESS], 50);
	CHECK_INT(c->skip.from[WS_DIR_INGRESS], 5000);
	CHECK_INT(c->skip.until[WS_DIR_INGRESS], 5000 + 1048576);
	CHECK(!ws_conn_skip_plan(c, WS_DIR_INGRESS, 60)); /* asked already */
	CHECK_INT(c->skip.ts[WS_DIR_INGRESS], 50);
	c->tunnel = true;
	CHECK(!ws_conn_skip_plan(c, WS_DIR_EGRESS, 60));
	CHECK(ws_conn_skip_clear(c));
	CHECK(!c->skip_set);
	CHECK_INT(c->skip.until[WS_DIR_INGRESS], 0);
	CHECK(!ws_conn_skip_clear(c)); /* nothing left to tell the kernel side */
	ws_conns_free(t);
}

static const struct check_case cases[] = {
	CASE(pipeline_full_drops_and_counts),
	CASE(table_full_evicts_least_recently_used),
	CASE(expire_drops_idle_connections),
	CASE(expire_honours_a_custom_timeout),
	CASE(socket_reused_by_another_process_starts_over),
	CASE(bytes_after_close_do_not_leak_into_the_next_connection),
	CASE(table_finds_what_it_added_and_forgets_what_it_deleted),
	CASE(full_table_drops_the_least_recently_used),
	CASE(expire_drops_connections_idle_before_the_cutoff_oldest_first),
	CASE(fifo_keeps_order_inline_across_growth_and_wrap_up_to_its_bound),
	CASE(direction_kind_comes_from_its_parser_or_the_other_direction),
	CASE(skip_stretch_covers_bytes_inside_it_only),
	CASE(skip_is_planned_once_per_long_body_and_cleared),
};

CHECK_MAIN("conns", cases)
