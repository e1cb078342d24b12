/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the one UTF-8 repair (utf8.h): a table of inputs (well-formed
 * sequences of one to four bytes at the edges of their ranges, overlong
 * forms, surrogates, code points past U+10FFFF, sequences cut at the end or
 * in the middle, every byte 0x80-0xff alone, leads 0xf5-0xff, NUL) and the
 * exact bytes each becomes: every byte that is not part of a well-formed
 * sequence is one U+FFFD. Each row is checked through the repair itself and
 * through both OTLP encoders, as an attribute value in a request, so the
 * encoders are seen to send exactly the table's bytes. The encoder checks
 * passed on the encoders as they were before they shared the repair.
 */
#include <stdlib.h>

#include "check.h"
#include "otlp_json.h"
#include "otlp_pb.h"
#include "span.h"
#include "utf8.h"

#define R WS_UTF8_REPLACEMENT

struct row {
	const char *name;
	const char *in;
	size_t len; /* of in: rows hold NUL */
	const char *want;
};

#define ROW(name, in, want)                                                                        \
	{                                                                                          \
		name, in, sizeof(in) - 1, want                                                     \
	}

static const struct row rows[] = {
	ROW("empty", "", ""),
	ROW("ascii", "GET /a?b=c", "GET /a?b=c"),
	ROW("two bytes, lowest", "\xc2\x80", "\xc2\x80"),
	ROW("two bytes, highest", "\xdf\xbf", "\xdf\xbf"),
	ROW("three bytes, lowest", "\xe0\xa0\x80", "\xe0\xa0\x80"),
	ROW("three bytes, euro", "\xe2\x82\xac", "\xe2\x82\xac"),
	ROW("three bytes, below the surrogates", "\xed\x9f\xbf", "\xed\x9f\xbf"),
	ROW("three bytes, above the surrogates", "\xee\x80\x80", "\xee\x80\x80"),
	ROW("three bytes, highest", "\xef\xbf\xbf", "\xef\xbf\xbf"),
	ROW("four bytes, lowest", "\xf0\x90\x80\x80", "\xf0\x90\x80\x80"),
	ROW("four bytes, emoji", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"),
	ROW("four bytes, U+10FFFF", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"),
	ROW("mixed", "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z",
	    "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"),
	ROW("overlong slash, two bytes", "\xc0\xaf", R R),
	ROW("overlong, c1", "\xc1\xbf", R R),
	ROW("overlong, three bytes", "\xe0\x80\xaf", R R R),
	ROW("overlong, three bytes, highest", "\xe0\x9f\xbf", R R R),
	ROW("overlong, four bytes", "\xf0\x80\x80\xaf", R R R R),
	ROW("overlong, four bytes, highest", "\xf0\x8f\xbf\xbf", R R R R),
	ROW("high surrogate", "\xed\xa0\x80", R R R),
	ROW("low surrogate", "\xed\xbf\xbf", R R R),
	ROW("surrogate pair as CESU-8", "\xed\xa0\xbd\xed\xb8\x80", R R R R R R),
	ROW("past U+10FFFF", "\xf4\x90\x80\x80", R R R R),
	ROW("cut two bytes at the end", "a\xc3", "a" R),
	ROW("cut three bytes at the end", "a\xe2\x82", "a" R R),
	ROW("cut four bytes at the end", "\xf0\x9f\x98", R R R),
	ROW("cut three bytes before ascii", "\xe2\x82z", R R "z"),
	ROW("cut four bytes before a sequence", "\xf0\x9f\xc3\xa9", R R "\xc3\xa9"),
	ROW("lone continuation", "\x80", R),
	ROW("continuations", "\x80\xbf\x80", R R R),
	ROW("f5 lead", "\xf5\x80\x80\x80", R R R R),
	ROW("f8 lead", "\xf8\x88\x80\x80\x80", R R R R R),
	ROW("fe and ff", "\xfe\xff", R R),
	ROW("NUL", "a\0b", "a" R "b"),
	ROW("only NUL", "\0", R),
	ROW("ascii words then a bad byte", "abcdefghijklmno\xff", "abcdefghijklmno" R),
	ROW("eight bytes, bad last", "abcdefg\xff", "abcdefg" R),
	ROW("nine bytes, bad first",
	    "\xff"
	    "abcdefgh",
	    R "abcdefgh"),
	ROW("short, bad last", "abc\xff", "abc" R),
	ROW("short, NUL inside", "ab\0d", "ab" R "d"),
	ROW("three, bad middle",
	    "a\xff"
	    "b",
	    "a" R "b"),
};

/* The repair itself: length first, then the bytes. */
static void check_repair(const char *name, const char *in, size_t len, const char *want)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t wlen = strlen(want), rlen = ws_utf8_repair_len(p, len);
	char *out = malloc(3 * len + 1);

	if (!out)
		abort();
	if (rlen != wlen) {
		fprintf(stderr, "    %s: repaired length %zu, want %zu\n", name, rlen, wlen);
		check_failed_in_test = 1;
	} else {
		ws_utf8_repair(out, p, len);
		if (memcmp(out, want, wlen)) {
			fprintf(stderr, "    %s: repaired bytes differ\n", name);
			check_failed_in_test = 1;
		}
	}
	free(out);
}

/* The value of the request's one attribute, "k": its bytes as the protobuf encoding has them. */
static bool pb_value(const struct ws_buf *b, const uint8_t **v, size_t *vlen)
{
	static const uint8_t key[] = { 0x0a, 0x01, 'k', 0x12 };
	const uint8_t *p = memmem(b->data, b->len, key, sizeof(key)), *end = b->data + b->len;
	size_t n = 0;
	int shift = 0;

	if (!p)
		return false;
	p += sizeof(key);
	while (p < end && (*p & 0x80)) /* the AnyValue's length */
		p++;
	if (++p >= end || *p++ != 0x0a) /* AnyValue.string_value */
		return false;
	while (p < end && shift < 64) {
		n |= (size_t)(*p & 0x7f) << shift;
		shift += 7;
		if (!(*p++ & 0x80))
			break;
	}
	if (n > (size_t)(end - p))
		return false;
	*v = p;
	*vlen = n;
	return true;
}

/* The same in JSON: rows hold nothing JSON escapes, so the text is the bytes. */
static bool json_value(const struct ws_buf *b, const uint8_t **v, size_t *vlen)
{
	static const char key[] = "{\"key\":\"k\",\"value\":{\"stringValue\":\"";
	const uint8_t *p = memmem(b->data, b->len, key, sizeof(key) - 1), *q;

	if (!p)
		return false;
	p += sizeof(key) - 1;
	q = memchr(p, '"', (size_t)(b->data + b->len - p));
	if (!q)
		return false;
	*v = p;
	*vlen = (size_t)(q - p);
	return true;
}

/* Both encoders, the row's input as the value of attribute "k". */
static void check_encoders(const char *name, const char *in, size_t len, const char *want)
{
	struct ws_span *s = ws_span_new();
	struct ws_buf b = WS_BUF_INIT;
	const uint8_t *v = NULL;
	size_t vlen = 0;

	if (!s)
		abort();
	CHECK_INT(ws_span_add_str(s, "k", in, len), 0);
	CHECK_INT(ws_otlp_encode(&s, 1, &b), 0);
	if (!pb_value(&b, &v, &vlen) || vlen != strlen(want) || memcmp(v, want, vlen)) {
		fprintf(stderr, "    %s: protobuf value differs (%zu bytes)\n", name, vlen);
		check_failed_in_test = 1;
	}
	CHECK_INT(ws_otlp_json_encode(&s, 1, &b), 0);
	if (!json_value(&b, &v, &vlen) || vlen != strlen(want) || memcmp(v, want, vlen)) {
		fprintf(stderr, "    %s: json value differs (%zu bytes)\n", name, vlen);
		check_failed_in_test = 1;
	}
	ws_buf_release(&b);
	ws_span_free(s);
}

/* Runs fn over the table, then over every byte 0x80-0xff alone, each one U+FFFD. */
static void each_row(void (*fn)(const char *, const char *, size_t, const char *))
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		fn(rows[i].name, rows[i].in, rows[i].len, rows[i].want);
	for (unsigned int c = 0x80; c <= 0xff; c++) {
		char in[1] = { (char)c }, name[32];

		snprintf(name, sizeof(name), "byte 0x%02x alone", c);
		fn(name, in, 1, R);
	}
}

TEST(repair_gives_the_table_bytes)
{
	each_row(check_repair);
}

TEST(both_encoders_send_the_table_bytes)
{
	each_row(check_encoders);
}

/*
 * A long value (past the protobuf encoder's one-byte lengths) with bad
 * bytes deep inside: repaired where they are, the rest kept.
 */
TEST(long_text_is_repaired_in_place)
{
	char in[300], want[300 + 2 * 2 + 1];

	memset(in, 'x', sizeof(in));
	in[150] = '\xff';
	in[299] = '\xc3';
	memset(want, 'x', sizeof(want) - 1);
	memcpy(want + 150, R, 3);
	memcpy(want + 301, R, 3);
	want[sizeof(want) - 1] = '\0';
	check_repair("long", in, sizeof(in), want);
	check_encoders("long", in, sizeof(in), want);
}

static const struct check_case cases[] = {
	CASE(repair_gives_the_table_bytes),
	CASE(both_encoders_send_the_table_bytes),
	CASE(long_text_is_repaired_in_place),
};

CHECK_MAIN("utf8", cases)
