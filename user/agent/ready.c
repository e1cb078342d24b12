// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ready line (see ready.h). */
#include <stdio.h>
#include <string.h>

#include "bufput.h"
#include "ready.h"

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
		ws_bufput(out, size, &pos, "%.*s", (int)(auth - url), url);
		if (at)
			auth = at + 1;
		ws_bufput(out, size, &pos, "%.*s", (int)(end - auth), auth);
	} else {
		ws_bufput(out, size, &pos, "%.*s", (int)(end - url), url);
	}
	return (int)pos;
}

static void put_selection(const struct ws_config *c, char *buf, size_t size, size_t *pos)
{
	size_t shown = 0, total = c->npids + c->ncgroups + c->ncomms;

	ws_bufput(buf, size, pos, "selection: ");
	if (!total) {
		ws_bufput(buf, size, pos,
			  c->trace_self ? "every process, wirespan too"
					: "every process but wirespan");
		return;
	}
	for (size_t i = 0; i < c->npids && shown < WS_READY_SELECTORS_MAX; i++, shown++)
		ws_bufput(buf, size, pos, "%spid %u", shown ? ", " : "", c->pids[i]);
	for (size_t i = 0; i < c->ncgroups && shown < WS_READY_SELECTORS_MAX; i++, shown++)
		ws_bufput(buf, size, pos, "%scgroup %s", shown ? ", " : "", c->cgroups[i]);
	for (size_t i = 0; i < c->ncomms && shown < WS_READY_SELECTORS_MAX; i++, shown++)
		ws_bufput(buf, size, pos, "%scomm %s", shown ? ", " : "",
			  c->comm_names[i] ? c->comm_names[i] : c->comms[i]);
	if (shown < total)
		ws_bufput(buf, size, pos, " and %zu more", total - shown);
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

	ws_bufput(buf, size, pos, "export: ");
	if (c->floor) {
		ws_bufput(buf, size, pos, "none (%s: no spans)",
			  c->floor == WS_FLOOR_COPY ? "--floor-copy" : "--floor");
		return;
	}
	switch (c->exporter) {
	case WS_EXP_CONSOLE:
		ws_bufput(buf, size, pos, "console (stdout)");
		break;
	case WS_EXP_OTLP:
		ws_url_for_log(c->endpoint, url, sizeof(url));
		ws_bufput(buf, size, pos, "OTLP %s%s to %s", protocol_name(c->otlp_protocol),
			  c->otlp_gzip ? " gzip" : "", url);
		break;
	case WS_EXP_DISCARD:
		ws_bufput(buf, size, pos, "discard (OTLP %s%s bodies made, then dropped)",
			  protocol_name(c->otlp_protocol), c->otlp_gzip ? " gzip" : "");
		break;
	default:
		ws_bufput(buf, size, pos, "none");
		break;
	}
}

int ws_ready_line(const struct ws_config *c, const char *plan_desc, char *buf, size_t size)
{
	size_t pos = 0;

	if (size)
		buf[0] = '\0';
	ws_bufput(buf, size, &pos, "wirespan: ready (");
	put_selection(c, buf, size, &pos);
	ws_bufput(buf, size, &pos, "; %s; ", plan_desc);
	put_export(c, buf, size, &pos);
	if (c->record)
		ws_bufput(buf, size, &pos, "; record: %s", c->record);
	ws_bufput(buf, size, &pos, ")");
	return (int)pos;
}
