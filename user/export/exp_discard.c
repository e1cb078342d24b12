// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The discard exporter: the request body the OTLP exporter would send (the
 * configured protocol, gzip when asked), then nothing. See exporter.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "exporter.h"
#include "otlp_body.h"

struct discard {
	struct ws_exporter exp;
	struct ws_otlp_body *body;
};

static int discard_export(struct ws_exporter *e, struct ws_span *const *spans, size_t n)
{
	struct discard *d = (struct discard *)e;
	const uint8_t *data;
	size_t len;

	return ws_otlp_body_request(d->body, spans, n, &data, &len);
}

static void discard_shutdown(struct ws_exporter *e)
{
	struct discard *d = (struct discard *)e;

	ws_otlp_body_free(d->body);
	free(d);
}

struct ws_exporter *ws_discard_exporter_new(enum ws_otlp_protocol proto, bool gzip)
{
	struct discard *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->body = ws_otlp_body_new(proto, gzip);
	if (!d->body) {
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	d->exp.export = discard_export;
	d->exp.shutdown = discard_shutdown;
	d->exp.name = "discard";
	return &d->exp;
}
