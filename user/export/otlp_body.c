/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Request and answer bodies per OTLP protocol (see otlp_body.h). The
 * encoding buffer, the compressed/framed buffer and both zlib streams are
 * kept between batches, so a batch costs no allocation once they have
 * grown to it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "grpc.h"
#include "otlp_body.h"
#include "otlp_json.h"
#include "otlp_pb.h"

struct ws_otlp_body {
	enum ws_otlp_protocol proto;
	bool gzip;
	struct ws_buf enc; /* the encoded request */
	struct ws_buf out; /* compressed and/or framed: what goes on the wire */
	z_stream def;
	bool def_ready;
	z_stream inf; /* for gRPC answers a server compressed anyway */
	bool inf_ready;
	uint8_t *answer; /* WS_OTLP_ANSWER_MAX bytes, on first use */
};

struct ws_otlp_body *ws_otlp_body_new(enum ws_otlp_protocol proto, bool gzip)
{
	struct ws_otlp_body *b;

	if (proto != WS_OTLP_HTTP_PROTOBUF && proto != WS_OTLP_HTTP_JSON && proto != WS_OTLP_GRPC) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	b->proto = proto;
	b->gzip = gzip;
	return b;
}

void ws_otlp_body_free(struct ws_otlp_body *b)
{
	if (!b)
		return;
	ws_buf_release(&b->enc);
	ws_buf_release(&b->out);
	if (b->def_ready)
		deflateEnd(&b->def);
	if (b->inf_ready)
		inflateEnd(&b->inf);
	free(b->answer);
	free(b);
}

const char *ws_otlp_content_type(enum ws_otlp_protocol proto)
{
	switch (proto) {
	case WS_OTLP_HTTP_JSON:
		return "application/json";
	case WS_OTLP_GRPC:
		return "application/grpc";
	default:
		return "application/x-protobuf";
	}
}

/*
 * gzip of the encoding into out after headroom bytes. Level 1: most of the
 * size gain for a fraction of the CPU, which is what an agent on a busy
 * host should spend.
 */
static int deflate_into(struct ws_otlp_body *b, const uint8_t *enc, size_t enc_len, size_t headroom)
{
	uLong bound;

	if (!b->def_ready) {
		if (deflateInit2(&b->def, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		b->def_ready = true;
	} else if (deflateReset(&b->def) != Z_OK) {
		return -EIO;
	}
	bound = deflateBound(&b->def, enc_len);
	if (ws_buf_reserve(&b->out, headroom + bound))
		return -ENOMEM;
	b->def.next_in = (Bytef *)enc;
	b->def.avail_in = enc_len;
	b->def.next_out = b->out.data + headroom;
	b->def.avail_out = bound;
	if (deflate(&b->def, Z_FINISH) != Z_STREAM_END)
		return -EIO;
	b->out.len = headroom + (bound - b->def.avail_out);
	return 0;
}

int ws_otlp_body_request(struct ws_otlp_body *b, struct ws_span *const *spans, size_t n,
			 const uint8_t **data, size_t *len)
{
	size_t headroom = b->proto == WS_OTLP_GRPC ? WS_GRPC_PREFIX : 0;
	const uint8_t *enc;
	size_t enc_len;
	int err;

	*data = NULL;
	*len = 0;
	if (b->proto == WS_OTLP_HTTP_JSON) {
		err = ws_otlp_json_encode(spans, n, &b->enc);
		enc = b->enc.data;
		enc_len = b->enc.len;
	} else {
		/* Read where it was written: it is only ever read through a pointer. */
		err = ws_otlp_encode_end(spans, n, &b->enc, &enc, &enc_len);
	}
	if (err)
		return err;
	if (!headroom && !b->gzip) {
		*data = enc;
		*len = enc_len;
		return 0;
	}
	if (b->gzip) {
		err = deflate_into(b, enc, enc_len, headroom);
		if (err)
			return err;
	} else {
		if (ws_buf_reserve(&b->out, headroom + enc_len))
			return -ENOMEM;
		if (enc_len)
			memcpy(b->out.data + headroom, enc, enc_len);
		b->out.len = headroom + enc_len;
	}
	if (headroom) {
		/* One message per call; compressed per the grpc-encoding header, or not at all. */
		if (b->out.len - headroom > UINT32_MAX)
			return -EMSGSIZE;
		ws_grpc_prefix(b->out.data, b->gzip, (uint32_t)(b->out.len - headroom));
	}
	*data = b->out.data;
	*len = b->out.len;
	return 0;
}

/* Inflates a gzip message into b->answer; its length, or -EBADMSG (broken, or too big). */
static long inflate_answer(struct ws_otlp_body *b, const uint8_t *p, size_t len)
{
	int rc;

	if (!b->answer && !(b->answer = malloc(WS_OTLP_ANSWER_MAX)))
		return -EBADMSG;
	if (!b->inf_ready) {
		if (inflateInit2(&b->inf, 15 + 16) != Z_OK)
			return -EBADMSG;
		b->inf_ready = true;
	} else if (inflateReset(&b->inf) != Z_OK) {
		return -EBADMSG;
	}
	if (len > UINT32_MAX)
		return -EBADMSG;
	b->inf.next_in = (Bytef *)p;
	b->inf.avail_in = (uInt)len;
	b->inf.next_out = b->answer;
	b->inf.avail_out = WS_OTLP_ANSWER_MAX;
	rc = inflate(&b->inf, Z_FINISH);
	if (rc != Z_STREAM_END)
		return -EBADMSG;
	return (long)(WS_OTLP_ANSWER_MAX - b->inf.avail_out);
}

int ws_otlp_body_answer(struct ws_otlp_body *b, const uint8_t *p, size_t len,
			const struct ws_otlp_answer_info *info, struct ws_otlp_partial *out)
{
	const uint8_t *msg;
	size_t mlen;
	bool compressed, json;
	long n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!len)
		return 0;
	if (b->proto == WS_OTLP_GRPC) {
		rc = ws_grpc_message(p, len, &msg, &mlen, &compressed);
		if (rc == -ENODATA)
			return 0;
		if (rc)
			return -EBADMSG;
		if (!compressed)
			return ws_otlp_resp_pb(msg, mlen, out);
		/* The flag means "per grpc-encoding": without gzip there, nothing says how. */
		if (!info->grpc_gzip)
			return -EBADMSG;
		n = inflate_answer(b, msg, mlen);
		if (n < 0)
			return -EBADMSG;
		return ws_otlp_resp_pb(b->answer, (size_t)n, out);
	}
	json = info->json || (!info->protobuf && b->proto == WS_OTLP_HTTP_JSON);
	if (json)
		return ws_otlp_resp_json((const char *)p, len, out);
	return ws_otlp_resp_pb(p, len, out);
}
