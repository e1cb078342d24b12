/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of span storage: attributes in the arena, cutting of long values,
 * what happens when the attribute table or the arena is full, tracestate,
 * lookups, and that freeing drops the resource reference.
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "otlp_pb.h"
#include "span.h"

TEST(new_span_is_zeroed)
{
	struct ws_span *s = ws_span_new();

	CHECK(s != NULL);
	CHECK_INT(s->nattrs, 0);
	CHECK_INT(s->strbuf_used, 0);
	CHECK_INT(s->tracestate_len, 0);
	CHECK(s->res == NULL);
	ws_span_free(s);
}

TEST(free_null_is_noop)
{
	ws_span_free(NULL);
}

TEST(string_and_int_attrs_are_stored_in_order)
{
	struct ws_span *s = ws_span_new();
	const struct ws_attr *a;

	CHECK_INT(ws_span_add_str(s, "url.path", "/x/y", 4), 0);
	CHECK_INT(ws_span_add_int(s, "http.response.status_code", 404), 0);
	CHECK_INT(ws_span_add_str(s, "http.request.method", "GET", 3), 0);
	CHECK_INT(s->nattrs, 3);

	a = ws_span_attr(s, "url.path");
	CHECK(a != NULL);
	CHECK_INT(a->type, WS_ATTR_STR);
	CHECK_MEM(ws_attr_str(s, a), a->len, "/x/y");
	a = ws_span_attr(s, "http.response.status_code");
	CHECK(a != NULL);
	CHECK_INT(a->type, WS_ATTR_INT);
	CHECK_INT(a->ival, 404);
	CHECK(ws_span_attr(s, "http.request.method") == &s->attrs[2]);
	CHECK(ws_span_attr(s, "server.address") == NULL);
	ws_span_free(s);
}

TEST(empty_string_value_is_kept)
{
	struct ws_span *s = ws_span_new();
	const struct ws_attr *a;

	CHECK_INT(ws_span_add_str(s, "url.query", "", 0), 0);
	a = ws_span_attr(s, "url.query");
	CHECK(a != NULL);
	CHECK_INT(a->len, 0);
	ws_span_free(s);
}

TEST(lookup_matches_key_text_not_pointer)
{
	struct ws_span *s = ws_span_new();
	char key[] = "url.path";

	ws_span_add_str(s, "url.path", "/", 1);
	CHECK(ws_span_attr(s, key) != NULL);
	ws_span_free(s);
}

TEST(long_value_is_cut_to_value_max)
{
	struct ws_span *s = ws_span_new();
	char big[WS_ATTR_VALUE_MAX + 100];
	const struct ws_attr *a;

	memset(big, 'a', sizeof(big));
	CHECK_INT(ws_span_add_str(s, "k", big, sizeof(big)), 0);
	a = ws_span_attr(s, "k");
	CHECK_INT(a->len, WS_ATTR_VALUE_MAX);
	CHECK_INT(s->strbuf_used, WS_ATTR_VALUE_MAX);
	CHECK_INT(s->dropped_attrs, 0);
	ws_span_free(s);
}

TEST(cut_never_splits_a_utf8_character)
{
	struct ws_span *s = ws_span_new();
	char big[WS_ATTR_VALUE_MAX + 10];
	const struct ws_attr *a;

	/* A 3-byte character (e-acute is 2, the euro sign is 3) straddling the limit. */
	memset(big, 'a', sizeof(big));
	memcpy(big + WS_ATTR_VALUE_MAX - 1, "\xe2\x82\xac", 3);
	CHECK_INT(ws_span_add_str(s, "k", big, sizeof(big)), 0);
	a = ws_span_attr(s, "k");
	CHECK_INT(a->len, WS_ATTR_VALUE_MAX - 1);

	/* A character that ends exactly at the limit is kept whole. */
	memset(big, 'a', sizeof(big));
	memcpy(big + WS_ATTR_VALUE_MAX - 3, "\xe2\x82\xac", 3);
	CHECK_INT(ws_span_add_str(s, "k2", big, sizeof(big)), 0);
	a = ws_span_attr(s, "k2");
	CHECK_INT(a->len, WS_ATTR_VALUE_MAX);
	ws_span_free(s);
}

TEST(non_utf8_bytes_are_cut_at_the_limit)
{
	struct ws_span *s = ws_span_new();
	char big[WS_ATTR_VALUE_MAX + 10];
	const struct ws_attr *a;

	memset(big, 0x80, sizeof(big)); /* nothing but continuation bytes */
	CHECK_INT(ws_span_add_str(s, "k", big, sizeof(big)), 0);
	a = ws_span_attr(s, "k");
	CHECK_INT(a->len, WS_ATTR_VALUE_MAX);
	ws_span_free(s);
}

/*
 * The ascii flag (encoders send a flagged value without looking at it) is
 * set only when no byte is NUL or above 0x7f, at every length the copy
 * takes apart (byte loop, two four-byte words, words and an overlapping
 * tail), and whatever the flag the value is copied whole.
 */
TEST(ascii_flag_is_set_only_for_bytes_1_to_7f)
{
	static const unsigned char odd[] = { 0x80, 0xc3, 0xff, 0x00 };
	char val[40];

	for (size_t len = 0; len <= sizeof(val); len++) {
		struct ws_span *s = ws_span_new();
		const struct ws_attr *a;

		for (size_t i = 0; i < len; i++)
			val[i] = (char)(0x01 + (i * 37) % 0x7f);
		CHECK_INT(ws_span_add_str(s, "k", val, len), 0);
		a = &s->attrs[0];
		CHECK_INT(a->ascii, 1);
		CHECK(!memcmp(ws_attr_str(s, a), val, len));
		for (size_t j = 0; j < len; j++) {
			for (size_t o = 0; o < sizeof(odd); o++) {
				char c = val[j];

				val[j] = (char)odd[o];
				s->nattrs = 0;
				s->strbuf_used = 0;
				CHECK_INT(ws_span_add_str(s, "k", val, len), 0);
				if (a->ascii)
					fprintf(stderr, "    len %zu, 0x%02x at %zu\n", len, odd[o],
						j);
				CHECK_INT(a->ascii, 0);
				CHECK_INT(a->len, len);
				CHECK(!memcmp(ws_attr_str(s, a), val, len));
				val[j] = c;
			}
		}
		ws_span_free(s);
	}
}

TEST(full_attr_table_returns_enospc_and_counts)
{
	struct ws_span *s = ws_span_new();

	for (int i = 0; i < WS_SPAN_MAX_ATTRS; i++)
		CHECK_INT(ws_span_add_int(s, "k", i), 0);
	CHECK_INT(ws_span_add_int(s, "over", 1), -ENOSPC);
	CHECK_INT(ws_span_add_str(s, "over2", "x", 1), -ENOSPC);
	CHECK_INT(s->nattrs, WS_SPAN_MAX_ATTRS);
	CHECK_INT(s->dropped_attrs, 2);
	CHECK_INT(s->strbuf_used, 0);
	ws_span_free(s);
}

TEST(full_arena_returns_enospc_and_counts)
{
	struct ws_span *s = ws_span_new();
	char v[WS_ATTR_VALUE_MAX];

	memset(v, 'v', sizeof(v));
	CHECK_INT(ws_span_add_str(s, "a", v, sizeof(v)), 0);
	CHECK_INT(ws_span_add_str(s, "b", v, sizeof(v) - 10), 0);
	/* 10 bytes left: an 11-byte value does not fit, a 10-byte one does. */
	CHECK_INT(ws_span_add_str(s, "c", v, 11), -ENOSPC);
	CHECK_INT(s->dropped_attrs, 1);
	CHECK_INT(ws_span_add_str(s, "d", v, 10), 0);
	CHECK_INT(s->strbuf_used, WS_SPAN_STRBUF);
	CHECK_INT(ws_span_add_str(s, "e", "x", 1), -ENOSPC);
	/* Integers need no arena space. */
	CHECK_INT(ws_span_add_int(s, "f", 7), 0);
	CHECK_INT(s->dropped_attrs, 2);
	CHECK(ws_span_attr(s, "c") == NULL);
	CHECK(ws_span_attr(s, "f") != NULL);
	ws_span_free(s);
}

TEST(bad_arguments_are_einval)
{
	struct ws_span *s = ws_span_new();

	CHECK_INT(ws_span_add_str(NULL, "k", "v", 1), -EINVAL);
	CHECK_INT(ws_span_add_str(s, NULL, "v", 1), -EINVAL);
	CHECK_INT(ws_span_add_str(s, "k", NULL, 1), -EINVAL);
	CHECK_INT(ws_span_add_int(s, NULL, 1), -EINVAL);
	CHECK_INT(ws_span_set_tracestate(NULL, "a=b", 3), -EINVAL);
	CHECK_INT(s->nattrs, 0);
	CHECK(ws_span_attr(NULL, "k") == NULL);
	ws_span_free(s);
}

TEST(tracestate_is_stored_in_arena)
{
	struct ws_span *s = ws_span_new();
	const char ts[] = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";

	ws_span_add_str(s, "url.path", "/", 1);
	CHECK_INT(ws_span_set_tracestate(s, ts, sizeof(ts) - 1), 0);
	CHECK_MEM(s->strbuf + s->tracestate_off, s->tracestate_len, ts);
	CHECK_INT(s->strbuf_used, 1 + sizeof(ts) - 1);
	ws_span_free(s);
}

TEST(tracestate_that_does_not_fit_is_not_stored)
{
	struct ws_span *s = ws_span_new();
	char v[WS_ATTR_VALUE_MAX];

	memset(v, 'v', sizeof(v));
	ws_span_add_str(s, "a", v, sizeof(v));
	ws_span_add_str(s, "b", v, sizeof(v) - 4);
	CHECK_INT(ws_span_set_tracestate(s, "k=value", 7), -ENOSPC);
	CHECK_INT(s->tracestate_len, 0);
	ws_span_free(s);
}

TEST(free_drops_the_resource_reference)
{
	struct ws_resource *r = ws_resource_new("/nonexistent-proc", 1, "comm");
	struct ws_span *s = ws_span_new();

	CHECK(r != NULL);
	s->res = ws_resource_get(r);
	CHECK_INT(r->refs, 2);
	ws_span_free(s);
	CHECK_INT(r->refs, 1);
	ws_resource_put(r);
}

TEST(shrink_keeps_every_value_and_a_nul_after_the_arena)
{
	struct ws_span *s = ws_span_new();
	const struct ws_attr *a;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(ws_span_add_str(s, "url.path", "/hello", 6), 0);
	CHECK_INT(ws_span_add_int(s, "http.response.status_code", 200), 0);
	CHECK_INT(ws_span_set_tracestate(s, "a=1", 3), 0);
	s = ws_span_shrink(s);
	a = ws_span_attr(s, "url.path");
	CHECK(a != NULL);
	if (a)
		CHECK_MEM(ws_attr_str(s, a), a->len, "/hello");
	a = ws_span_attr(s, "http.response.status_code");
	CHECK(a != NULL && a->ival == 200);
	CHECK_MEM(s->strbuf + s->tracestate_off, s->tracestate_len, "a=1");
	CHECK_INT(s->strbuf[s->strbuf_used], 0); /* readable: ASan checks the bound */
	/* The encoder reads a value's next byte to find a NUL in place: still in bounds. */
	{
		struct ws_buf b = WS_BUF_INIT;

		CHECK_INT(ws_otlp_encode(&s, 1, &b), 0);
		CHECK(b.len > 0);
		ws_buf_release(&b);
	}
	ws_span_free(s);
}

/*
 * A finished span leaves as a copy; its full-size block makes the next
 * span, zeroed up to its attribute table as a new one (the table and the
 * arena are written before they are read).
 */
TEST(shrink_gives_a_copy_and_the_block_makes_the_next_span)
{
	static const char zero[offsetof(struct ws_span, attrs)];
	struct ws_span *s = ws_span_new(), *n, *t;

	CHECK(s != NULL);
	if (!s)
		return;
	s->kind = WS_KIND_CLIENT;
	strcpy(s->name, "GET");
	CHECK_INT(ws_span_add_str(s, "url.path", "/x", 2), 0);
	CHECK_INT(ws_span_add_int(s, "server.port", 80), 0);
	/* Every field up to the table set, so the next span shows what is zeroed again. */
	memset(s->trace_id, 1, sizeof(s->trace_id));
	s->tracestate_len = s->dropped_attrs = 1;
	CHECK_INT(ws_span_add_link(s, s->trace_id, s->trace_id, 1), 0);
	CHECK_INT(ws_span_set_exception(s, 1, "T", "m"), 0);
	n = ws_span_shrink(s);
	CHECK(n != s);
	CHECK_INT(n->kind, WS_KIND_CLIENT);
	CHECK_STR(n->name, "GET");
	CHECK_INT(n->nattrs, 2);
	CHECK_MEM(ws_attr_str(n, &n->attrs[0]), n->attrs[0].len, "/x");
	CHECK_INT(n->attrs[1].ival, 80);
	CHECK_INT(n->strbuf[n->strbuf_used], 0);
	t = ws_span_new();
	CHECK(t == s);
	if (t) {
		CHECK(!memcmp(t, zero, sizeof(zero)));
		CHECK_INT(t->nattrs, 0);
		CHECK_INT(t->strbuf_used, 0);
		CHECK(ws_span_attr(t, "url.path") == NULL);
		/* The whole arena is there again. */
		memset(t->strbuf, 'a', WS_SPAN_STRBUF);
		CHECK_INT(ws_span_add_str(t, "k", "v", 1), 0);
	}
	ws_span_free(t);
	ws_span_free(n);
}

static const struct check_case cases[] = {
	CASE(shrink_keeps_every_value_and_a_nul_after_the_arena),
	CASE(shrink_gives_a_copy_and_the_block_makes_the_next_span),
	CASE(new_span_is_zeroed),
	CASE(free_null_is_noop),
	CASE(string_and_int_attrs_are_stored_in_order),
	CASE(empty_string_value_is_kept),
	CASE(lookup_matches_key_text_not_pointer),
	CASE(long_value_is_cut_to_value_max),
	CASE(cut_never_splits_a_utf8_character),
	CASE(non_utf8_bytes_are_cut_at_the_limit),
	CASE(ascii_flag_is_set_only_for_bytes_1_to_7f),
	CASE(full_attr_table_returns_enospc_and_counts),
	CASE(full_arena_returns_enospc_and_counts),
	CASE(bad_arguments_are_einval),
	CASE(tracestate_is_stored_in_arena),
	CASE(tracestate_that_does_not_fit_is_not_stored),
	CASE(free_drops_the_resource_reference),
};

CHECK_MAIN("span", cases)
