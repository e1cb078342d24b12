// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ready line (see ready.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ready.h"

/* Appends with bounds; *pos past size marks the cut. */
static void put(char *buf, size_t size, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*pos < size ? buf + *pos : NULL, *pos < size ? size - *pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += n;
}

int ws_url_for_log(const char *url, char *out, size_t size)
{
	const char *auth = strstr(url, "://"), *end = url + strcspn(url, "?#"), *at;
	size_t pos = 0;

	if (size)
		out[0] = '\0';
	if (auth && auth < end) {
		auth += 3;
		/* The authority ends at the path; an '@' in it ends the user information. */
		at = memchr(auth, '@', strcspn(auth, "/?#"));
		put(out, size, &pos, "%.*s", (int)(auth - url), url);
		if (at)
			auth = at + 1;
		put(out, size, &pos, "%.*s", (int)(end - auth), auth);
	} else {
		put(out, size, &pos, "%.*s", (int)(end - url), url);
	}
	return (int)pos;
}

static void put_selection(const struct ws_config *c, char *buf, size_t size, size_t *pos)
{
	size_t shown = 0, total = c->npids + c->ncgroups + c->ncomms;

	put(buf, size, pos, "selection: ");
	if (!total) {
		put(buf, size, pos, c->trace_self ? "every process, wirespan too"
						  : "every process but wirespan");
		return;
	}
	for (size_t i = 0; i < c->npids && shown < WS_READY_SELECTORS_MAX; i++, shown++)
		put(buf, size, pos, "%spid %u", shown ? ", " : "", c->pids[i]);
	for (size_t i = 0; i < c->ncgroups && shown < WS_READY_SELECTORS_MAX; i++, shown++)
		put(buf, size, pos, "%scgroup %s", shown ? ", " : "", c->cgroups[i]);
	for (size_t i = 0; i < c->ncomms && shown < WS_READY_SELECTORS_MAX; i++, shown++)
		put(buf, size, pos, "%scomm %s", shown ? ", " : "",
		    c->comm_names[i] ? c->comm_names[i] : c->comms[i]);
	if (shown < total)
		put(buf, size, pos, " and %zu more", total - shown);
}

static const char *protocol_name(enum ws_otlp_protocol p)
{
	switch (p) {
	case WS_OTLP_HTTP_JSON:
		return "http/json";
	case WS_OTLP_GRPC:
		return "grpc";
	default:
		return "http/protobuf";
	}
}

static void put_export(const struct ws_config *c, char *buf, size_t size, size_t *pos)
{
	char url[sizeof(c->endpoint)];

	put(buf, size, pos, "export: ");
	if (c->floor) {
		put(buf, size, pos, "none (%s: no spans)", c->floor == WS_FLOOR_COPY ? "--floor-copy"
										 : "--floor");
		return;
	}
	switch (c->exporter) {
	case WS_EXP_CONSOLE:
		put(buf, size, pos, "console (stdout)");
		break;
	case WS_EXP_OTLP:
		ws_url_for_log(c->endpoint, url, sizeof(url));
		put(buf, size, pos, "OTLP %s%s to %s", protocol_name(c->otlp_protocol),
		    c->otlp_gzip ? " gzip" : "", url);
		break;
	case WS_EXP_DISCARD:
		put(buf, size, pos, "discard (OTLP %s%s bodies made, then dropped)",
		    protocol_name(c->otlp_protocol), c->otlp_gzip ? " gzip" : "");
		break;
	default:
		put(buf, size, pos, "none");
		break;
	}
}

int ws_ready_line(const struct ws_config *c, const char *plan_desc, char *buf, size_t size)
{
	size_t pos = 0;

	if (size)
		buf[0] = '\0';
	put(buf, size, &pos, "wirespan: ready (");
	put_selection(c, buf, size, &pos);
	put(buf, size, &pos, "; %s; ", plan_desc);
	put_export(c, buf, size, &pos);
	if (c->record)
		put(buf, size, &pos, "; record: %s", c->record);
	put(buf, size, &pos, ")");
	return (int)pos;
}
