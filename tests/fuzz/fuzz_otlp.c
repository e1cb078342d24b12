// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fuzz-links: user/export/otlp_pb.c user/export/otlp_json.c user/export/otlp_group.c user/export/otlp_resp.c user/export/grpc.c user/assemble/span.c user/process/resource.c user/process/container.c user/process/golang.c user/process/elfsym.c user/process/resattrs.c user/lib/jsonpick.c user/lib/json.c
/*
 * libFuzzer target for what OTLP export writes and reads. Byte 0 picks:
 *   0  the JSON encoder, over spans built from the input (any bytes in
 *      names, attributes, tracestate, exception texts and resource fields,
 *      fields without their NUL, offsets past the arena): the output must
 *      be one valid JSON document in valid UTF-8 (ws_json_valid), and
 *      nothing may be read outside what a span holds (ASan); the same
 *      spans through the protobuf encoder must give well-formed wire
 *      format of the OTLP schema, every string UTF-8, every span there;
 *   1  a collector's JSON answer: read or refused, and whatever is read
 *      was valid JSON; the message fits its buffer;
 *   2  a collector's protobuf answer;
 *   3  gRPC's pieces: grpc-status-details-bin, grpc-message, a framed message.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpc.h"
#include "otlp_json.h"
#include "otlp_pb.h"
#include "pbwire.h"
#include "utf8.h"
#include "otlp_resp.h"
#include "span.h"

#define ASSERT(c)                                                                                  \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	uint8_t b = 0;

	if (in->n) {
		b = *in->p++;
		in->n--;
	}
	return b;
}

/* Up to max bytes of the input, as a chunk: a length byte, then the bytes. */
static size_t chunk(struct in *in, const uint8_t **p, size_t max)
{
	size_t len = byte(in);

	if (len > in->n)
		len = in->n;
	if (len > max)
		len = max;
	*p = in->p;
	in->p += len;
	in->n -= len;
	return len;
}

/* A fixed char array filled from the input, NUL or not. */
static void fill(struct in *in, char *field, size_t size)
{
	const uint8_t *p;
	size_t len = chunk(in, &p, size);

	memset(field, 0, size);
	memcpy(field, p, len);
}

static const char *const keys[] = { "url.full", "k", "a\"b", "\x01", "" };

static struct ws_span *make_span(struct in *in, struct ws_resource *res)
{
	struct ws_span *s = ws_span_new();
	uint8_t flags = byte(in), nattrs = byte(in) % 30;
	const uint8_t *p, *q;
	size_t len, qlen;

	if (!s)
		return NULL;
	for (size_t i = 0; i < sizeof(s->trace_id); i++)
		s->trace_id[i] = byte(in);
	for (size_t i = 0; i < sizeof(s->span_id); i++)
		s->span_id[i] = byte(in);
	if (flags & 1)
		for (size_t i = 0; i < sizeof(s->parent_span_id); i++)
			s->parent_span_id[i] = byte(in);
	s->trace_flags = byte(in);
	s->kind = byte(in);
	s->status = byte(in);
	fill(in, s->name, sizeof(s->name));
	s->start_unix_ns = (uint64_t)byte(in) << 56 | byte(in);
	s->end_unix_ns = ~(uint64_t)byte(in);
	s->dropped_attrs = byte(in);
	s->res = res;
	for (uint8_t i = 0; i < nattrs; i++) {
		uint8_t t = byte(in);

		if (t & 1) {
			/* Unsigned arithmetic: INT64_MIN - n would overflow; the wrap is meant. */
			int64_t v = (int64_t)(((uint64_t)byte(in) << 56) - byte(in));

			ws_span_add_int(s, keys[t % 5], v);
		} else {
			len = chunk(in, &p, 255);
			ws_span_add_str(s, keys[t % 5], (const char *)p, len);
		}
	}
	if (flags & 2) {
		len = chunk(in, &p, 255);
		ws_span_set_tracestate(s, (const char *)p, len);
	}
	if (flags & 4) {
		char t[256], m[256];

		len = chunk(in, &p, 255);
		qlen = chunk(in, &q, 255);
		memcpy(t, p, len);
		t[len] = '\0';
		memcpy(m, q, qlen);
		m[qlen] = '\0';
		ws_span_set_exception(s, byte(in), t, m);
	}
	for (uint8_t i = 0; i < (flags >> 3 & 3); i++) {
		uint8_t tid[16], sid[8];

		for (size_t j = 0; j < 16; j++)
			tid[j] = byte(in);
		for (size_t j = 0; j < 8; j++)
			sid[j] = byte(in);
		ws_span_add_link(s, tid, sid, byte(in));
	}
	s = ws_span_shrink(s);
	/* A bug upstream: offsets past what the span holds must read nothing. */
	if (flags & 0x20) {
		uint16_t off = (uint16_t)(byte(in) << 8 | byte(in));

		/*
		 * The ascii flag speaks for the bytes at the old offset: a bug
		 * moving one would carry it along wrongly, which no encoder can
		 * see (span.c alone writes both). Cleared, the text is checked.
		 */
		if (s->nattrs) {
			struct ws_attr *a = &s->attrs[byte(in) % s->nattrs];

			a->off = off;
			a->ascii = 0;
		}
		s->tracestate_len = byte(in);
		s->exc_msg_off = off;
		s->exc_type_len = byte(in);
		/* One slot more, keyless (past nattrs a span holds garbage: span.h), or past the table. */
		if (byte(in) % 2) {
			if (s->nattrs < WS_SPAN_MAX_ATTRS)
				s->attrs[s->nattrs] = (struct ws_attr){ .type = WS_ATTR_STR };
			s->nattrs++;
		}
		s->nlinks = byte(in);
	}
	return s;
}

/* The OTLP messages the protobuf encoder writes, and which of their fields are messages or strings. */
enum msg {
	M_REQ,
	M_RS,
	M_RES,
	M_SS,
	M_SCOPE,
	M_SPAN,
	M_EVENT,
	M_LINK,
	M_STATUS,
	M_KV,
	M_ANY,
	M_NONE
};

static enum msg sub_msg(enum msg m, uint32_t f)
{
	static const struct {
		enum msg m;
		uint32_t f;
		enum msg sub;
	} t[] = {
		{ M_REQ, 1, M_RS },	{ M_RS, 1, M_RES },	  { M_RS, 2, M_SS },
		{ M_RES, 1, M_KV },	{ M_SS, 1, M_SCOPE },	  { M_SS, 2, M_SPAN },
		{ M_SCOPE, 3, M_KV },	{ M_SPAN, 9, M_KV },	  { M_SPAN, 11, M_EVENT },
		{ M_SPAN, 13, M_LINK }, { M_SPAN, 15, M_STATUS }, { M_EVENT, 3, M_KV },
		{ M_LINK, 4, M_KV },	{ M_KV, 2, M_ANY },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].m == m && t[i].f == f)
			return t[i].sub;
	return M_NONE;
}

static bool is_string(enum msg m, uint32_t f)
{
	return (m == M_SPAN && (f == 3 || f == 5)) || (m == M_SCOPE && (f == 1 || f == 2)) ||
	       (m == M_KV && f == 1) || (m == M_ANY && f == 1) || (m == M_EVENT && f == 2);
}

/* Walks a message of kind m: well-formed, strings UTF-8 without NUL; counts spans. */
static void pb_walk(const uint8_t *p, size_t len, enum msg m, int depth, size_t *spans)
{
	struct ws_pb_reader r = { p, p + len };
	struct ws_pb_field f;
	int rc;

	ASSERT(depth < 8);
	if (m == M_SPAN)
		(*spans)++;
	while ((rc = ws_pb_next(&r, &f)) == 1) {
		enum msg sub = sub_msg(m, f.num);

		if (sub != M_NONE) {
			ASSERT(f.type == WS_PB_LEN);
			pb_walk(f.data, f.len, sub, depth + 1, spans);
		} else if (is_string(m, f.num)) {
			ASSERT(f.type == WS_PB_LEN);
			for (size_t i = 0, n; i < f.len; i += n) {
				n = ws_utf8_seq(f.data + i, f.len - i);
				ASSERT(n);
			}
		}
	}
	ASSERT(rc == 0);
}

static void encoder(struct in *in)
{
	struct ws_resource res[2] = { { .refs = 1 }, { .refs = 1 } };
	struct ws_span *sp[3] = { 0 };
	struct ws_buf b = WS_BUF_INIT;
	size_t n = 1 + byte(in) % 3;

	for (int i = 0; i < 2; i++) {
		res[i].pid = byte(in);
		fill(in, res[i].service_name, sizeof(res[i].service_name));
		fill(in, res[i].exe_name, sizeof(res[i].exe_name));
		fill(in, res[i].exe_path, sizeof(res[i].exe_path));
		fill(in, res[i].host_name, sizeof(res[i].host_name));
		fill(in, res[i].container_id, sizeof(res[i].container_id));
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t r = byte(in) % 3;

		sp[i] = make_span(in, r == 2 ? NULL : &res[r]);
		ASSERT(sp[i]);
	}
	ASSERT(ws_otlp_json_encode(sp, n, &b) == 0);
	ASSERT(ws_json_valid((const char *)b.data, b.len));
	{
		struct ws_buf pb = WS_BUF_INIT;
		size_t spans = 0;

		ASSERT(ws_otlp_encode(sp, n, &pb) == 0);
		pb_walk(pb.data, pb.len, M_REQ, 0, &spans);
		ASSERT(spans == n);
		ws_buf_release(&pb);
	}
	for (size_t i = 0; i < n; i++) {
		sp[i]->res = NULL; /* on the stack: not reference counted */
		ws_span_free(sp[i]);
	}
	ws_buf_release(&b);
}

static bool blank(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct ws_otlp_partial ps;
	const uint8_t *msg;
	char out[512];
	size_t mlen;
	bool comp;
	long ms;

	switch (byte(&in) % 4) {
	case 0:
		encoder(&in);
		break;
	case 1:
		/* Heap copy: ASan sees a read one past the end. */
		{
			char *copy = malloc(in.n ? in.n : 1);

			ASSERT(copy);
			memcpy(copy, in.p, in.n);
			if (!ws_otlp_resp_json(copy, in.n, &ps)) {
				ASSERT(blank(in.p, in.n) || ws_json_valid(copy, in.n));
				ASSERT(ps.message_len < sizeof(ps.message) && ps.rejected >= 0);
			}
			free(copy);
		}
		break;
	case 2:
		if (!ws_otlp_resp_pb(in.p, in.n, &ps))
			ASSERT(ps.message_len < sizeof(ps.message) && ps.rejected >= 0);
		break;
	default:
		if (ws_grpc_retry_info((const char *)in.p, in.n, &ms) == 1)
			ASSERT(ms >= 0 && ms <= 86400000L);
		ASSERT(ws_grpc_pct_decode((const char *)in.p, in.n, out, sizeof(out)) <= in.n);
		if (!ws_grpc_message(in.p, in.n, &msg, &mlen, &comp))
			ASSERT(msg >= in.p && msg + mlen <= in.p + in.n);
		break;
	}
	return 0;
}
