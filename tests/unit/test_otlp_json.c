/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the OTLP/JSON encoder: whole requests compared with the exact
 * text they must be (every field of a span, escaping, repair of text that
 * is not UTF-8, grouping), every output checked to be valid JSON, and spans
 * whose offsets point past their arena read nothing there (ASan run).
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "otlp_json.h"
#include "otlp_resp.h"
#include "resource.h"
#include "span.h"

#ifndef WS_VERSION
#define WS_VERSION "0.0.0-dev"
#endif

static struct ws_resource res_a = {
	.refs = 1,
	.pid = 4242,
	.service_name = "checkout",
	.exe_name = "python3.11",
	.exe_path = "/usr/bin/python3.11",
	.host_name = "node-1",
	.container_id = "abc123",
};

static struct ws_span *span_make(struct ws_resource *res, uint8_t id, uint8_t parent)
{
	struct ws_span *s = ws_span_new();

	if (!s)
		abort();
	for (int i = 0; i < 16; i++)
		s->trace_id[i] = (uint8_t)(0xa0 + i);
	memset(s->span_id, id, sizeof(s->span_id));
	if (parent)
		memset(s->parent_span_id, parent, sizeof(s->parent_span_id));
	s->kind = WS_KIND_SERVER;
	snprintf(s->name, sizeof(s->name), "GET");
	s->start_unix_ns = 1700000000000000000ULL;
	s->end_unix_ns = 1700000000002500000ULL;
	s->res = res;
	return s;
}

/* Resources here are static: unhook them so ws_span_free does not drop a reference. */
static void span_free(struct ws_span *s)
{
	if (s)
		s->res = NULL;
	ws_span_free(s);
}

/* The literal text lit appears in the buffer. */
#define HAS(b, lit) (memmem((b).data, (b).len, (lit), sizeof(lit) - 1) != NULL)

/* Encodes, checks the text is valid JSON and equals want. */
static void check_encodes(struct ws_span *const *sp, size_t n, const char *want)
{
	struct ws_buf b = WS_BUF_INIT;

	CHECK_INT(ws_otlp_json_encode(sp, n, &b), 0);
	CHECK(ws_json_valid((const char *)b.data, b.len));
	CHECK_MEM(b.data, b.len, want);
	ws_buf_release(&b);
}

#define RES_A                                                                                      \
	"{\"resource\":{\"attributes\":["                                                          \
	"{\"key\":\"service.name\",\"value\":{\"stringValue\":\"checkout\"}},"                     \
	"{\"key\":\"process.pid\",\"value\":{\"intValue\":\"4242\"}},"                             \
	"{\"key\":\"process.executable.name\",\"value\":{\"stringValue\":\"python3.11\"}},"        \
	"{\"key\":\"process.executable.path\","                                                    \
	"\"value\":{\"stringValue\":\"/usr/bin/python3.11\"}},"                                    \
	"{\"key\":\"host.name\",\"value\":{\"stringValue\":\"node-1\"}},"                          \
	"{\"key\":\"container.id\",\"value\":{\"stringValue\":\"abc123\"}},"                       \
	"{\"key\":\"telemetry.sdk.name\",\"value\":{\"stringValue\":\"wirespan\"}},"               \
	"{\"key\":\"telemetry.sdk.version\",\"value\":{\"stringValue\":\"" WS_VERSION "\"}}"       \
	"]},\"scopeSpans\":[{\"scope\":{\"name\":\"wirespan\",\"version\":\"" WS_VERSION "\"},"

#define RES_NONE                                                                                   \
	"{\"resource\":{\"attributes\":["                                                          \
	"{\"key\":\"service.name\",\"value\":{\"stringValue\":\"unknown_service\"}},"              \
	"{\"key\":\"telemetry.sdk.name\",\"value\":{\"stringValue\":\"wirespan\"}},"               \
	"{\"key\":\"telemetry.sdk.version\",\"value\":{\"stringValue\":\"" WS_VERSION "\"}}"       \
	"]},\"scopeSpans\":[{\"scope\":{\"name\":\"wirespan\",\"version\":\"" WS_VERSION "\"},"

#define IDS(id)                                                                                    \
	"\"traceId\":\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\",\"spanId\":\"" id id id id id id id id   \
	"\""
#define TIMES                                                                                      \
	"\"startTimeUnixNano\":\"1700000000000000000\",\"endTimeUnixNano\":\"1700000000002500000\""

/*
 * A span with every field set: links, the exception event, a tracestate,
 * attributes of both kinds, dropped attributes, an error status. Also the
 * sample the integration tests decode with protobuf's own JSON parser.
 */
static struct ws_span *full_span(void)
{
	static const uint8_t lt[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
					0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	static const uint8_t ls[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
	static const uint8_t lt2[16] = { [15] = 1 };
	static const uint8_t ls2[8] = { [7] = 2 };
	static const char ts[] = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
	struct ws_span *s = span_make(&res_a, 0x11, 0x01);

	s->trace_flags = 1;
	s->kind = WS_KIND_CLIENT;
	s->status = WS_STATUS_ERROR;
	snprintf(s->name, sizeof(s->name), "POST");
	CHECK_INT(ws_span_set_tracestate(s, ts, strlen(ts)), 0);
	CHECK_INT(ws_span_add_str(s, "url.full", "http://x/a?q=REDACTED", 21), 0);
	CHECK_INT(ws_span_add_int(s, "http.response.status_code", 503), 0);
	CHECK_INT(ws_span_add_int(s, "big", INT64_MIN), 0);
	CHECK_INT(ws_span_add_str(s, "empty", "", 0), 0);
	CHECK_INT(ws_span_add_link(s, lt, ls, 1), 0);
	CHECK_INT(ws_span_add_link(s, lt2, ls2, 0), 0);
	CHECK_INT(ws_span_set_exception(s, 1700000000001000000ULL, "ConnectionRefusedError",
					"connect: connection refused"),
		  0);
	s->dropped_attrs = 2;
	return ws_span_shrink(s);
}

/* Every field a span holds, in the request a collector must read. */
TEST(encodes_every_field_of_a_span)
{
	struct ws_span *s = full_span();

	check_encodes(
		&s, 1,
		"{\"resourceSpans\":[" RES_A "\"spans\":[{"
		"\"traceId\":\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\","
		"\"spanId\":\"1111111111111111\","
		"\"traceState\":\"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7\","
		"\"parentSpanId\":\"0101010101010101\","
		"\"flags\":1,\"name\":\"POST\",\"kind\":3," TIMES ","
		"\"attributes\":["
		"{\"key\":\"url.full\",\"value\":{\"stringValue\":\"http://x/a?q=REDACTED\"}},"
		"{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}},"
		"{\"key\":\"big\",\"value\":{\"intValue\":\"-9223372036854775808\"}},"
		"{\"key\":\"empty\",\"value\":{\"stringValue\":\"\"}}],"
		"\"droppedAttributesCount\":2,"
		"\"events\":[{\"timeUnixNano\":\"1700000000001000000\",\"name\":\"exception\","
		"\"attributes\":["
		"{\"key\":\"exception.type\",\"value\":{\"stringValue\":\"ConnectionRefusedError\"}},"
		"{\"key\":\"exception.message\","
		"\"value\":{\"stringValue\":\"connect: connection refused\"}}]}],"
		"\"links\":["
		"{\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"00f067aa0ba902b7\","
		"\"flags\":1},"
		"{\"traceId\":\"00000000000000000000000000000001\",\"spanId\":\"0000000000000002\"}],"
		"\"status\":{\"code\":2}}]}]}]}");
	span_free(s);
}

/* A root span with nothing set: defaults left out (no parent, flags, status, lists). */
TEST(defaults_are_left_out)
{
	struct ws_span *s = span_make(NULL, 0x22, 0);

	check_encodes(&s, 1,
		      "{\"resourceSpans\":[" RES_NONE
		      "\"spans\":[{" IDS("22") ",\"name\":\"GET\",\"kind\":2," TIMES "}]}]}]}");
	span_free(s);
}

TEST(no_spans_is_an_empty_request)
{
	struct ws_buf b = WS_BUF_INIT;

	CHECK_INT(ws_otlp_json_encode(NULL, 0, &b), 0);
	CHECK_MEM(b.data, b.len, "{}");
	ws_buf_release(&b);
}

/*
 * JSON escapes for quotes, backslashes and control characters; bytes that
 * are not UTF-8 (and NUL, which the protobuf encoder cannot carry either)
 * become U+FFFD, as ws_otlp_encode makes them.
 */
TEST(strings_are_escaped_and_repaired)
{
	struct ws_span *s = span_make(NULL, 0x33, 0);
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} rows[] = {
		{ "say \"hi\"\\", 9, "say \\\"hi\\\"\\\\" },
		{ "\b\f\n\r\t\x01\x1f\x7f", 8, "\\b\\f\\n\\r\\t\\u0001\\u001f\x7f" },
		{ "h\xc3\xa9llo \xf0\x9f\x98\x80", 11, "h\xc3\xa9llo \xf0\x9f\x98\x80" },
		{ "a\xff"
		  "b\xc3",
		  4,
		  "a\xef\xbf\xbd"
		  "b\xef\xbf\xbd" },
		{ "x\0y", 3, "x\xef\xbf\xbdy" },
		{ "\xc0\xaf\xed\xa0\x80", 5,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "</script>\xe2\x80\xa8", 12, "</script>\xe2\x80\xa8" },
	};
	struct ws_buf b = WS_BUF_INIT;
	char want[256];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		s->nattrs = 0;
		s->strbuf_used = 0;
		CHECK_INT(ws_span_add_str(s, "k", rows[i].in, rows[i].len), 0);
		CHECK_INT(ws_otlp_json_encode(&s, 1, &b), 0);
		CHECK(ws_json_valid((const char *)b.data, b.len));
		snprintf(want, sizeof(want),
			 "\"attributes\":[{\"key\":\"k\",\"value\":{\"stringValue\":\"%s\"}}]",
			 rows[i].out);
		if (!memmem(b.data, b.len, want, strlen(want))) {
			fprintf(stderr, "    row %zu: %s not in %.*s\n", i, want, (int)b.len,
				b.data);
			CHECK(0);
		}
	}
	ws_buf_release(&b);
	span_free(s);
}

/* Spans of one process share a ResourceSpans, in order of first appearance, spans in batch order. */
TEST(spans_are_grouped_by_resource)
{
	static struct ws_resource res[3];
	struct ws_span *sp[7];
	struct ws_buf b = WS_BUF_INIT;
	static const int which[7] = { 2, 0, 2, 1, 0, 2, 2 };
	const char *p;

	for (int i = 0; i < 3; i++) {
		res[i] = (struct ws_resource){ .refs = 1, .pid = (uint32_t)(100 + i) };
		snprintf(res[i].service_name, sizeof(res[i].service_name), "svc%d", i);
	}
	for (int i = 0; i < 7; i++)
		sp[i] = span_make(&res[which[i]], (uint8_t)(0x10 + i), 0);
	CHECK_INT(ws_otlp_json_encode(sp, 7, &b), 0);
	CHECK(ws_json_valid((const char *)b.data, b.len));
	/* the order of the service names and span ids in the text is the grouping */
	p = (const char *)b.data;
	static const char *const order[] = {
		"svc2",
		"1010101010101010",
		"1212121212121212",
		"1515151515151515",
		"1616161616161616",
		"svc0",
		"1111111111111111",
		"1414141414141414",
		"svc1",
		"1313131313131313",
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && p; i++) {
		const char *q = memmem(p, b.len - (size_t)(p - (const char *)b.data), order[i],
				       strlen(order[i]));

		if (!q)
			fprintf(stderr, "    %s missing or out of order\n", order[i]);
		CHECK(q);
		p = q;
	}
	for (int i = 0; i < 7; i++)
		span_free(sp[i]);
	ws_buf_release(&b);
}

/*
 * A span whose offsets point outside the bytes it holds (a bug upstream):
 * the attribute is dropped and counted, the tracestate and exception texts
 * left out, and nothing past the shrunk arena is read (ASan checks).
 */
TEST(offsets_past_the_arena_read_nothing)
{
	struct ws_span *s = span_make(NULL, 0x44, 0);
	struct ws_buf b = WS_BUF_INIT;

	CHECK_INT(ws_span_add_str(s, "ok", "abc", 3), 0);
	CHECK_INT(ws_span_add_str(s, "bad", "defg", 4), 0);
	CHECK_INT(ws_span_set_exception(s, 5, "T", "M"), 0);
	s = ws_span_shrink(s);
	s->attrs[1].off = 2000;
	s->tracestate_off = 1;
	s->tracestate_len = 500;
	s->exc_msg_len = 300;
	s->nattrs = 3;
	s->attrs[2] = (struct ws_attr){ .key = "t", .type = 9 };
	CHECK_INT(ws_otlp_json_encode(&s, 1, &b), 0);
	CHECK(ws_json_valid((const char *)b.data, b.len));
	CHECK(HAS(b, "\"droppedAttributesCount\":2"));
	CHECK(!HAS(b, "traceState"));
	CHECK(HAS(b, "\"events\":[{\"timeUnixNano\":\"5\",\"name\":\"exception\",\"attributes\":"
		     "[{\"key\":\"exception.type\",\"value\":{\"stringValue\":\"T\"}}],"
		     "\"droppedAttributesCount\":1}]"));
	ws_buf_release(&b);
	span_free(s);
}

/* A full span (every attribute, the arena full of bytes that need escaping) and buffer reuse. */
TEST(worst_case_span_and_buffer_reuse)
{
	static const char *const keys[WS_SPAN_MAX_ATTRS] = {
		"k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09", "k10", "k11",
		"k12", "k13", "k14", "k15", "k16", "k17", "k18", "k19", "k20", "k21", "k22", "k23",
	};
	struct ws_span *s = span_make(&res_a, 5, 6);
	struct ws_buf b = WS_BUF_INIT;
	char val[WS_ATTR_VALUE_MAX];
	size_t per = WS_SPAN_STRBUF / WS_SPAN_MAX_ATTRS, len1, cap1;

	memset(val, 0x01, sizeof(val)); /* each becomes \u0001: six bytes */
	for (size_t i = 0; i < WS_SPAN_MAX_ATTRS; i++) {
		size_t left = WS_SPAN_STRBUF - (size_t)s->strbuf_used;

		CHECK_INT(ws_span_add_str(s, keys[i], val, i + 1 < WS_SPAN_MAX_ATTRS ? per : left),
			  0);
	}
	CHECK_INT(s->strbuf_used, WS_SPAN_STRBUF);
	CHECK_INT(ws_otlp_json_encode(&s, 1, &b), 0);
	CHECK(ws_json_valid((const char *)b.data, b.len));
	CHECK(b.len > 6 * WS_SPAN_STRBUF);
	len1 = b.len;
	cap1 = b.cap;
	CHECK_INT(ws_otlp_json_encode(&s, 1, &b), 0);
	CHECK_INT(b.len, len1);
	CHECK_INT(b.cap, cap1);
	ws_buf_release(&b);
	span_free(s);
}

static const struct check_case cases[] = {
	CASE(encodes_every_field_of_a_span),	CASE(defaults_are_left_out),
	CASE(no_spans_is_an_empty_request),	CASE(strings_are_escaped_and_repaired),
	CASE(spans_are_grouped_by_resource),	CASE(offsets_past_the_arena_read_nothing),
	CASE(worst_case_span_and_buffer_reuse),
};

/*
 * WS_OTLP_JSON_SAMPLE_OUT=path: the full span and a second one of another
 * (unknown) process, with text that is not UTF-8, as JSON in path, for
 * tests/integration/test_otlp_receiver.py.
 */
static int write_sample(const char *path)
{
	struct ws_span *sp[2] = { full_span(), span_make(NULL, 0x22, 0x11) };
	struct ws_buf b = WS_BUF_INIT;
	FILE *f;
	int err;

	ws_span_add_str(sp[1], "user_agent.original", "bad\xff\"ua\"\n", 8);
	err = ws_otlp_json_encode(sp, 2, &b);
	f = err ? NULL : fopen(path, "wb");
	if (f) {
		err = fwrite(b.data, 1, b.len, f) == b.len ? 0 : -EIO;
		if (fclose(f) && !err)
			err = -EIO;
	} else if (!err) {
		err = -errno;
	}
	if (err)
		fprintf(stderr, "%s: %s\n", path, strerror(-err));
	span_free(sp[0]);
	span_free(sp[1]);
	ws_buf_release(&b);
	return err ? 1 : 0;
}

int main(void)
{
	const char *out = getenv("WS_OTLP_JSON_SAMPLE_OUT");

	if (out && out[0])
		return write_sample(out);
	return check_run("otlp_json", cases, sizeof(cases) / sizeof(cases[0]));
}
