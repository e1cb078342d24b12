// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The discard exporter: OTLP encoding, then nothing. See exporter.h. */
#include <errno.h>
#include <stdlib.h>

#include "exporter.h"
#include "otlp_pb.h"

struct discard {
	struct ws_exporter exp;
	struct ws_buf buf;
};

static int discard_export(struct ws_exporter *e, struct ws_span *const *spans, size_t n)
{
	struct discard *d = (struct discard *)e;

	return ws_otlp_encode(spans, n, &d->buf);
}

static void discard_shutdown(struct ws_exporter *e)
{
	struct discard *d = (struct discard *)e;

	ws_buf_release(&d->buf);
	free(d);
}

struct ws_exporter *ws_discard_exporter_new(void)
{
	struct discard *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->exp.export = discard_export;
	d->exp.shutdown = discard_shutdown;
	d->exp.name = "discard";
	return &d->exp;
}
