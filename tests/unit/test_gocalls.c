// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Whose call a Go writer goroutine writes: the sequence Go's http.Transport
 * makes (roundTrip in the caller, Request.write in the connection's writer,
 * then the bytes), and everything that must give no owner but the writer.
 */
#include "check.h"
#include "gocalls.h"

#define S 1000000000ull
#define PID 4242
#define REQ 0xc0001a2000ull
#define CALLER 0xc000007380ull
#define WRITER 0xc0000829c0ull

TEST(a_transport_write_belongs_to_the_caller_once)
{
	struct ws_gocalls *g = ws_gocalls_new();

	/* Before any event: a goroutine writes for itself. */
	CHECK(ws_gocalls_owner(g, PID, WRITER, 5 * S) == WRITER);
	ws_gocalls_roundtrip(g, PID, REQ, CALLER, 10 * S);
	ws_gocalls_write(g, PID, REQ, WRITER, 10 * S + 1000);
	CHECK(ws_gocalls_owner(g, PID, WRITER, 10 * S + 5000) == CALLER);
	/* Used: the writer's next head is not that call's. */
	CHECK(ws_gocalls_owner(g, PID, WRITER, 10 * S + 9000) == WRITER);
	ws_gocalls_free(g);
}

TEST(a_stack_growth_repeat_of_the_write_keeps_the_owner)
{
	struct ws_gocalls *g = ws_gocalls_new();

	ws_gocalls_roundtrip(g, PID, REQ, CALLER, 1 * S);
	ws_gocalls_roundtrip(g, PID, REQ, CALLER, 1 * S + 10); /* the entry probe fired twice */
	ws_gocalls_write(g, PID, REQ, WRITER, 1 * S + 100);
	ws_gocalls_write(g, PID, REQ, WRITER, 1 * S + 110);
	CHECK(ws_gocalls_owner(g, PID, WRITER, 1 * S + 200) == CALLER);
	ws_gocalls_free(g);
}

TEST(a_write_of_a_request_nobody_asked_for_is_the_writers_own)
{
	struct ws_gocalls *g = ws_gocalls_new();

	ws_gocalls_roundtrip(g, PID, REQ, CALLER, 1 * S);
	ws_gocalls_write(g, PID, REQ, WRITER, 1 * S + 100);
	/* Before its head went out the writer began another, unasked request. */
	ws_gocalls_write(g, PID, REQ + 0x400, WRITER, 1 * S + 200);
	CHECK(ws_gocalls_owner(g, PID, WRITER, 1 * S + 300) == WRITER);
	/* The request's address used again, without a call: not the old caller's. */
	ws_gocalls_write(g, PID, REQ, WRITER, 2 * S);
	CHECK(ws_gocalls_owner(g, PID, WRITER, 2 * S + 100) == WRITER);
	ws_gocalls_free(g);
}

TEST(old_entries_are_not_used)
{
	struct ws_gocalls *g = ws_gocalls_new();

	/* A call whose write came more than a minute later. */
	ws_gocalls_roundtrip(g, PID, REQ, CALLER, 1 * S);
	ws_gocalls_write(g, PID, REQ, WRITER, 62 * S);
	CHECK(ws_gocalls_owner(g, PID, WRITER, 62 * S + 100) == WRITER);
	/* A write whose bytes never came (an error) and a head much later. */
	ws_gocalls_roundtrip(g, PID, REQ, CALLER, 100 * S);
	ws_gocalls_write(g, PID, REQ, WRITER, 100 * S);
	CHECK(ws_gocalls_owner(g, PID, WRITER, 110 * S) == WRITER);
	/* Times out of order (clock, ring): not matched either. */
	ws_gocalls_roundtrip(g, PID, REQ, CALLER, 200 * S);
	ws_gocalls_write(g, PID, REQ, WRITER, 200 * S);
	CHECK(ws_gocalls_owner(g, PID, WRITER, 199 * S) == WRITER);
	ws_gocalls_free(g);
}

TEST(processes_are_kept_apart)
{
	struct ws_gocalls *g = ws_gocalls_new();

	/* The same addresses in two processes (Go heaps start alike). */
	ws_gocalls_roundtrip(g, PID, REQ, CALLER, 1 * S);
	ws_gocalls_write(g, PID + 1, REQ, WRITER, 1 * S + 100);
	CHECK(ws_gocalls_owner(g, PID + 1, WRITER, 1 * S + 200) == WRITER);
	ws_gocalls_write(g, PID, REQ, WRITER, 1 * S + 300);
	CHECK(ws_gocalls_owner(g, PID + 1, WRITER, 1 * S + 400) == WRITER);
	CHECK(ws_gocalls_owner(g, PID, WRITER, 1 * S + 400) == CALLER);
	ws_gocalls_free(g);
}

TEST(many_writers_at_once_each_get_their_caller)
{
	struct ws_gocalls *g = ws_gocalls_new();
	int right = 0;

	/* 100 handlers, each a call on its own connection, interleaved. */
	for (uint64_t i = 0; i < 100; i++)
		ws_gocalls_roundtrip(g, PID, REQ + i * 0x200, CALLER + i * 0x1000, S + i);
	for (uint64_t i = 0; i < 100; i++)
		ws_gocalls_write(g, PID, REQ + i * 0x200, WRITER + i * 0x1000, S + 200 + i);
	for (uint64_t i = 100; i-- > 0;) {
		uint64_t o = ws_gocalls_owner(g, PID, WRITER + i * 0x1000, S + 400 + i);

		right += o == CALLER + i * 0x1000;
	}
	CHECK_INT(right, 100); /* four ways per set: no collision loses one */
	ws_gocalls_free(g);
}

TEST(a_full_table_forgets_the_oldest_and_never_mixes_two)
{
	struct ws_gocalls *g = ws_gocalls_new();
	const uint64_t n = 20000; /* five times what the tables hold */
	int right = 0;

	for (uint64_t i = 0; i < n; i++) {
		ws_gocalls_roundtrip(g, PID, REQ + i * 0x200, CALLER + i * 0x1000, S + 2 * i);
		ws_gocalls_write(g, PID, REQ + i * 0x200, WRITER + i * 0x1000, S + 2 * i + 1);
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t o = ws_gocalls_owner(g, PID, WRITER + i * 0x1000, S + 2 * n);

		CHECK(o == CALLER + i * 0x1000 || o == WRITER + i * 0x1000);
		right += o == CALLER + i * 0x1000;
	}
	/* The newest writes are kept (all 4096 slots in use), the oldest went. */
	CHECK(right > 3000 && right <= 4096);
	CHECK(ws_gocalls_owner(g, PID, WRITER, S + 2 * n) == WRITER);
	ws_gocalls_free(g);
}

TEST(zero_ids_and_no_tables_are_harmless)
{
	struct ws_gocalls *g = ws_gocalls_new();

	CHECK(ws_gocalls_owner(g, PID, 0, S) == 0);
	ws_gocalls_roundtrip(g, PID, 0, CALLER, S);
	ws_gocalls_roundtrip(g, PID, REQ, 0, S);
	ws_gocalls_write(g, PID, REQ, 0, S);
	CHECK(ws_gocalls_owner(g, PID, WRITER, S) == WRITER);
	ws_gocalls_free(g);
	ws_gocalls_free(NULL);
}

static const struct check_case cases[] = {
	CASE(a_transport_write_belongs_to_the_caller_once),
	CASE(a_stack_growth_repeat_of_the_write_keeps_the_owner),
	CASE(a_write_of_a_request_nobody_asked_for_is_the_writers_own),
	CASE(old_entries_are_not_used),
	CASE(processes_are_kept_apart),
	CASE(many_writers_at_once_each_get_their_caller),
	CASE(a_full_table_forgets_the_oldest_and_never_mixes_two),
	CASE(zero_ids_and_no_tables_are_harmless),
};

CHECK_MAIN("gocalls", cases)
