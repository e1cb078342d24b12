/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of the console exporter: the exact line for server and client spans,
 * root and child spans, errors, missing attributes, escaping of hostile
 * attribute bytes (terminal escapes, fake lines, C1 controls, bad UTF-8),
 * the URL length bound, a flush per batch (to a pipe), write errors, and
 * empty batches. Output goes to open_memstream() so lines compare exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "exporter.h"
#include "resource.h"
#include "span.h"

#define TRACE_HEX "4bf92f3577b34da6a3ce929d0e0e4736"
#define SPAN_HEX "00f067aa0ba902b7"
#define PARENT_HEX "b7ad6b7169203331"

static const uint8_t trace_id[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
				      0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
static const uint8_t span_id[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
static const uint8_t parent_id[8] = { 0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31 };

/* A resource built by hand (no /proc): one reference, which the span owns. */
static struct ws_resource *res(const char *service, uint32_t pid)
{
	struct ws_resource *r = calloc(1, sizeof(*r));

	r->refs = 1;
	r->pid = pid;
	strncpy(r->service_name, service, sizeof(r->service_name) - 1);
	return r;
}

/* A root span of kind, method, 1.234 ms long, by python3 pid 4242. */
static struct ws_span *span(uint8_t kind, const char *method)
{
	struct ws_span *s = ws_span_new();

	s->kind = kind;
	strncpy(s->name, method, sizeof(s->name) - 1);
	memcpy(s->trace_id, trace_id, sizeof(trace_id));
	memcpy(s->span_id, span_id, sizeof(span_id));
	s->start_unix_ns = 1700000000000000000ULL;
	s->end_unix_ns = s->start_unix_ns + 1234000;
	s->res = res("python3", 4242);
	return s;
}

static void add(struct ws_span *s, const char *key, const char *val)
{
	CHECK_INT(ws_span_add_str(s, key, val, strlen(val)), 0);
}

/* Exports spans[0..n) to a memory stream; the output (malloc'd) in *out. Returns export()'s result. */
static int export_to_string(struct ws_span *const *spans, size_t n, char **out)
{
	struct ws_exporter *e;
	size_t size = 0;
	FILE *f;
	int rc;

	*out = NULL;
	f = open_memstream(out, &size);
	e = ws_console_exporter_new(f);
	CHECK(e != NULL);
	CHECK_STR(e->name, "console");
	rc = e->export(e, spans, n);
	/* export() flushed: the memory stream's buffer is already up to date. */
	CHECK_INT(strlen(*out), size);
	e->shutdown(e);
	fclose(f);
	return rc;
}

/* Exports one span, frees it, compares the whole output with want. */
static void check_line(struct ws_span *s, const char *want)
{
	char *out;

	CHECK_INT(export_to_string(&s, 1, &out), 0);
	CHECK_STR(out, want);
	free(out);
	ws_span_free(s);
}

TEST(server_span_line)
{
	struct ws_span *s = span(WS_KIND_SERVER, "GET");

	add(s, "url.path", "/users");
	add(s, "url.query", "id=REDACTED");
	ws_span_add_int(s, "http.response.status_code", 200);
	check_line(s, "SERVER GET /users?id=REDACTED 200 1.234ms service=python3 pid=4242 "
		      "trace=" TRACE_HEX " span=" SPAN_HEX " parent=-\n");
}

TEST(client_span_line_uses_url_full_and_parent)
{
	struct ws_span *s = span(WS_KIND_CLIENT, "POST");

	memcpy(s->parent_span_id, parent_id, sizeof(parent_id));
	add(s, "url.path", "/v1/orders");
	add(s, "url.full", "http://api.internal:8080/v1/orders?x=REDACTED");
	ws_span_add_int(s, "http.response.status_code", 201);
	s->end_unix_ns = s->start_unix_ns + 12000000;
	check_line(s, "CLIENT POST http://api.internal:8080/v1/orders?x=REDACTED 201 12.000ms "
		      "service=python3 pid=4242 trace=" TRACE_HEX " span=" SPAN_HEX
		      " parent=" PARENT_HEX "\n");
}

TEST(links_print_one_field_each_before_the_error)
{
	struct ws_span *s = span(WS_KIND_SERVER, "POST");

	add(s, "url.path", "/webhooks/stripe");
	ws_span_add_int(s, "http.response.status_code", 500);
	CHECK_INT(ws_span_add_link(s, trace_id, parent_id, 1), 0);
	CHECK_INT(ws_span_add_link(s, trace_id, span_id, 0), 0);
	s->status = WS_STATUS_ERROR;
	add(s, "error.type", "500");
	check_line(
		s,
		"SERVER POST /webhooks/stripe 500 1.234ms service=python3 pid=4242 trace=" TRACE_HEX
		" span=" SPAN_HEX " parent=- link=" TRACE_HEX "-" PARENT_HEX " link=" TRACE_HEX
		"-" SPAN_HEX " error=500\n");
}

TEST(client_without_url_full_falls_back_to_path)
{
	struct ws_span *s = span(WS_KIND_CLIENT, "GET");

	add(s, "url.path", "/only-path");
	check_line(s, "CLIENT GET /only-path - 1.234ms service=python3 pid=4242 trace=" TRACE_HEX
		      " span=" SPAN_HEX " parent=-\n");
}

TEST(error_span_prints_error_type)
{
	struct ws_span *s = span(WS_KIND_SERVER, "GET");

	add(s, "url.path", "/boom");
	ws_span_add_int(s, "http.response.status_code", 500);
	s->status = WS_STATUS_ERROR;
	add(s, "error.type", "500");
	check_line(s, "SERVER GET /boom 500 1.234ms service=python3 pid=4242 trace=" TRACE_HEX
		      " span=" SPAN_HEX " parent=- error=500\n");
}

TEST(error_without_error_type_and_no_response)
{
	struct ws_span *s = span(WS_KIND_CLIENT, "GET");

	add(s, "url.full", "http://h/x");
	s->status = WS_STATUS_ERROR;
	check_line(s, "CLIENT GET http://h/x - 1.234ms service=python3 pid=4242 trace=" TRACE_HEX
		      " span=" SPAN_HEX " parent=- error=-\n");
}

TEST(ok_status_prints_no_error)
{
	char *out;
	struct ws_span *s = span(WS_KIND_SERVER, "GET");

	s->status = WS_STATUS_OK;
	add(s, "error.type", "ignored");
	CHECK_INT(export_to_string(&s, 1, &out), 0);
	CHECK(strstr(out, "error=") == NULL);
	free(out);
	ws_span_free(s);
}

TEST(missing_everything_prints_dashes)
{
	struct ws_span *s = span(0, "");

	ws_resource_put(s->res);
	s->res = NULL;
	s->end_unix_ns = s->start_unix_ns - 5; /* a clock step: never negative */
	check_line(s, "SPAN   - - - 0.000ms service=- pid=- trace=" TRACE_HEX " span=" SPAN_HEX
		      " parent=-\n");
}

TEST(duration_rounds_to_microseconds)
{
	struct ws_span *s = span(WS_KIND_SERVER, "GET");

	add(s, "url.path", "/");
	s->end_unix_ns = s->start_unix_ns + 3600ULL * 1000000000ULL + 999500;
	check_line(s, "SERVER GET / - 3600001.000ms service=python3 pid=4242 trace=" TRACE_HEX
		      " span=" SPAN_HEX " parent=-\n");
}

/*
 * Issue 20: a call to a partner showed neither the partner nor the request
 * id its support desk asks for, though the span carried both.
 */
TEST(partner_call_shows_peer_service_and_request_ids)
{
	struct ws_span *s = span(WS_KIND_CLIENT, "POST");

	add(s, "url.full", "https://api.stripe.com/v1/charges");
	ws_span_add_int(s, "http.response.status_code", 402);
	add(s, "peer.service", "stripe");
	add(s, "http.response.header.request-id", "req_123");
	add(s, "http.response.header.cf-ray", "8a1b-FRA");
	check_line(s, "CLIENT POST https://api.stripe.com/v1/charges 402 1.234ms service=python3 "
		      "pid=4242 peer.service=stripe request-id=req_123 cf-ray=8a1b-FRA "
		      "trace=" TRACE_HEX " span=" SPAN_HEX " parent=-\n");
}

TEST(request_id_without_partner_name_is_shown_alone)
{
	struct ws_span *s = span(WS_KIND_CLIENT, "GET");

	add(s, "url.full", "http://h/");
	add(s, "http.response.header.x-request-id", "abc");
	check_line(s, "CLIENT GET http://h/ - 1.234ms service=python3 pid=4242 x-request-id=abc "
		      "trace=" TRACE_HEX " span=" SPAN_HEX " parent=-\n");
}

/* A partner's answer is the network's: its request id must not act on the terminal. */
TEST(hostile_partner_values_are_escaped_on_one_line)
{
	struct ws_span *s = span(WS_KIND_CLIENT, "GET");
	char *out;

	add(s, "url.full", "http://h/");
	add(s, "peer.service", "a\x1b]0;t\x07");
	add(s, "http.response.header.request-id", "r\x1b[2J\r\nCLIENT x\xc2\x9b");
	add(s, "http.response.header.x\x1bz", "v");
	CHECK_INT(export_to_string(&s, 1, &out), 0);
	CHECK_STR(out, "CLIENT GET http://h/ - 1.234ms service=python3 pid=4242 "
		       "peer.service=a\\x1b]0;t\\x07 "
		       "request-id=r\\x1b[2J\\x0d\\x0aCLIENT\\x20x\\xc2\\x9b "
		       "x\\x1bz=v trace=" TRACE_HEX " span=" SPAN_HEX " parent=-\n");
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
	for (const char *p = out; *p; p++)
		CHECK(*p == '\n' ||
		      ((unsigned char)*p >= 0x20 && *p != 0x7f && (unsigned char)*p != 0xc2));
	free(out);
	ws_span_free(s);
}

TEST(hostile_path_is_escaped_on_one_line)
{
	struct ws_span *s = span(WS_KIND_SERVER, "GET");
	char *out;

	add(s, "url.path", "/a\x1b[2J\r\nSERVER GET /fake\x7f\\");
	ws_span_add_int(s, "http.response.status_code", 200);
	CHECK_INT(export_to_string(&s, 1, &out), 0);
	CHECK_STR(out,
		  "SERVER GET /a\\x1b[2J\\x0d\\x0aSERVER\\x20GET\\x20/fake\\x7f\\\\ 200 1.234ms "
		  "service=python3 pid=4242 trace=" TRACE_HEX " span=" SPAN_HEX " parent=-\n");
	/* One line, and no byte that a terminal acts on. */
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
	for (const char *p = out; *p; p++)
		CHECK(*p == '\n' || ((unsigned char)*p >= 0x20 && *p != 0x7f));
	free(out);
	ws_span_free(s);
}

TEST(c1_controls_bad_utf8_and_bidi_are_escaped_utf8_kept)
{
	struct ws_span *s = span(WS_KIND_SERVER, "GET");

	/* é (kept), U+009B CSI as UTF-8, a bare 0x9b, 0xff, U+202E, an overlong '/', a cut é. */
	add(s, "url.path",
	    "/caf\xc3\xa9\xc2\x9b"
	    "1m\x9b\xff\xe2\x80\xae\xc0\xaf\xc3");
	check_line(s,
		   "SERVER GET /caf\xc3\xa9\\xc2\\x9b1m\\x9b\\xff\\xe2\\x80\\xae\\xc0\\xaf\\xc3 - "
		   "1.234ms service=python3 pid=4242 trace=" TRACE_HEX " span=" SPAN_HEX
		   " parent=-\n");
}

TEST(hostile_method_service_and_error_are_escaped)
{
	struct ws_span *s = span(WS_KIND_CLIENT, "G\x1b]0;x\x07");

	ws_resource_put(s->res);
	s->res = res("my svc\n", 7);
	add(s, "url.full", "http://h/");
	s->status = WS_STATUS_ERROR;
	add(s, "error.type", "a b\x1b");
	check_line(s, "CLIENT G\\x1b]0;x\\x07 http://h/ - 1.234ms service=my\\x20svc\\x0a pid=7 "
		      "trace=" TRACE_HEX " span=" SPAN_HEX " parent=- error=a\\x20b\\x1b\n");
}

TEST(long_url_is_cut_with_ellipsis)
{
	struct ws_span *s = span(WS_KIND_SERVER, "GET");
	char path[900], want[2048];
	char *out;

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	add(s, "url.path", path);
	add(s, "url.query", "q=REDACTED");
	snprintf(want, sizeof(want),
		 "SERVER GET %.512s\xe2\x80\xa6 - 1.234ms service=python3 pid=4242 trace=" TRACE_HEX
		 " span=" SPAN_HEX " parent=-\n",
		 path);
	CHECK_INT(export_to_string(&s, 1, &out), 0);
	CHECK_STR(out, want);
	free(out);
	ws_span_free(s);
}

TEST(cut_never_splits_an_escape)
{
	struct ws_span *s = span(WS_KIND_SERVER, "GET");
	char path[600];
	char *out, *cut;

	/* 510 bytes then a control: its 4-byte escape does not fit in 512. */
	memset(path, 'b', 510);
	path[0] = '/';
	path[510] = '\x01';
	path[511] = '\0';
	add(s, "url.path", path);
	CHECK_INT(export_to_string(&s, 1, &out), 0);
	cut = strstr(out, "\xe2\x80\xa6");
	CHECK(cut != NULL);
	if (cut)
		CHECK_INT(cut - (out + strlen("SERVER GET ")), 510);
	CHECK(strstr(out, "\\x") == NULL);
	free(out);
	ws_span_free(s);
}

TEST(batch_prints_one_line_per_span_in_order)
{
	struct ws_span *s[3];
	char *out;

	s[0] = span(WS_KIND_SERVER, "GET");
	s[1] = span(WS_KIND_CLIENT, "PUT");
	s[2] = span(WS_KIND_SERVER, "DELETE");
	add(s[0], "url.path", "/0");
	add(s[1], "url.full", "http://h/1");
	add(s[2], "url.path", "/2");
	CHECK_INT(export_to_string(s, 3, &out), 0);
	CHECK(!strncmp(out, "SERVER GET /0 ", 14));
	CHECK(strstr(out, "\nCLIENT PUT http://h/1 ") != NULL);
	CHECK(strstr(out, "\nSERVER DELETE /2 ") != NULL);
	CHECK(strstr(out, "/0 ") < strstr(out, "h/1 "));
	CHECK(strstr(out, "h/1 ") < strstr(out, "/2 "));
	free(out);
	for (int i = 0; i < 3; i++)
		ws_span_free(s[i]);
}

TEST(empty_batch_writes_nothing)
{
	char *out;

	CHECK_INT(export_to_string(NULL, 0, &out), 0);
	CHECK_STR(out, "");
	free(out);
}

TEST(each_batch_is_flushed_to_a_pipe)
{
	struct ws_span *s = span(WS_KIND_SERVER, "GET");
	struct ws_exporter *e;
	char buf[4096];
	int fds[2];
	ssize_t n;
	FILE *w;

	CHECK_INT(pipe(fds), 0);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	w = fdopen(fds[1], "w");
	/* Fully buffered, as stdout is on a pipe: only a flush gets the line out. */
	setvbuf(w, NULL, _IOFBF, 8192);
	e = ws_console_exporter_new(w);
	CHECK_INT(e->export(e, &s, 1), 0);
	n = read(fds[0], buf, sizeof(buf) - 1);
	CHECK(n > 0);
	if (n > 0) {
		buf[n] = '\0';
		CHECK(!strncmp(buf, "SERVER GET - ", 13));
		CHECK(buf[n - 1] == '\n');
	}
	e->shutdown(e);
	/* shutdown did not close the stream: it is still ours to write and close. */
	CHECK(fputs("after\n", w) >= 0);
	CHECK_INT(fclose(w), 0);
	n = read(fds[0], buf, sizeof(buf) - 1);
	CHECK_INT(n, 6);
	close(fds[0]);
	ws_span_free(s);
}

TEST(write_error_is_returned_negative)
{
	struct ws_span *s = span(WS_KIND_SERVER, "GET");
	struct ws_exporter *e;
	FILE *full = fopen("/dev/full", "w");
	int rc;

	CHECK(full != NULL);
	if (!full) {
		ws_span_free(s);
		return;
	}
	e = ws_console_exporter_new(full);
	rc = e->export(e, &s, 1);
	CHECK_INT(rc, -ENOSPC);
	e->shutdown(e);
	fclose(full);
	ws_span_free(s);
}

TEST(write_error_on_closed_descriptor)
{
	struct ws_span *s = span(WS_KIND_SERVER, "GET");
	struct ws_exporter *e;
	int fds[2];
	FILE *w;

	CHECK_INT(pipe(fds), 0);
	w = fdopen(fds[1], "w");
	close(fds[1]); /* the FILE's descriptor is gone under it */
	e = ws_console_exporter_new(w);
	CHECK_INT(e->export(e, &s, 1), -EBADF);
	e->shutdown(e);
	fclose(w); /* fails with EBADF; frees the FILE */
	close(fds[0]);
	ws_span_free(s);
}

TEST(null_stream_means_stdout)
{
	struct ws_exporter *e = ws_console_exporter_new(NULL);

	CHECK(e != NULL);
	CHECK_STR(e->name, "console");
	/* Nothing to print: the test's own output is left alone. */
	CHECK_INT(e->export(e, NULL, 0), 0);
	e->shutdown(e);
}

static const struct check_case cases[] = {
	CASE(server_span_line),
	CASE(client_span_line_uses_url_full_and_parent),
	CASE(client_without_url_full_falls_back_to_path),
	CASE(links_print_one_field_each_before_the_error),
	CASE(error_span_prints_error_type),
	CASE(error_without_error_type_and_no_response),
	CASE(ok_status_prints_no_error),
	CASE(missing_everything_prints_dashes),
	CASE(duration_rounds_to_microseconds),
	CASE(partner_call_shows_peer_service_and_request_ids),
	CASE(request_id_without_partner_name_is_shown_alone),
	CASE(hostile_partner_values_are_escaped_on_one_line),
	CASE(hostile_path_is_escaped_on_one_line),
	CASE(c1_controls_bad_utf8_and_bidi_are_escaped_utf8_kept),
	CASE(hostile_method_service_and_error_are_escaped),
	CASE(long_url_is_cut_with_ellipsis),
	CASE(cut_never_splits_an_escape),
	CASE(batch_prints_one_line_per_span_in_order),
	CASE(empty_batch_writes_nothing),
	CASE(each_batch_is_flushed_to_a_pipe),
	CASE(write_error_is_returned_negative),
	CASE(write_error_on_closed_descriptor),
	CASE(null_stream_means_stdout),
};

CHECK_MAIN("exp_console", cases)
