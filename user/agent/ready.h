/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ready line: once every probe is attached, one line on stderr says
 * what the agent traces, how it captures and where spans go, so an agent
 * that traces nothing, or exports nowhere, shows it at once. Pure.
 */
#ifndef WS_READY_H
#define WS_READY_H

#include <stddef.h>

#include "config.h"

/* Selectors named on the line, then "and N more": the line stays readable. */
#define WS_READY_SELECTORS_MAX 8

/*
 * "wirespan: ready (selection: ...; capture: ...; export: ...[; record: FILE])"
 * into buf, no newline; plan_desc is the capture plan's own words. Returns
 * its length (as snprintf: the line is cut to size).
 */
int ws_ready_line(const struct ws_config *c, const char *plan_desc, char *buf, size_t size);

/*
 * url without what must not reach a log: the user information before the
 * host (user:password@) and the query and fragment. Into out, cut to size;
 * returns the full length.
 */
int ws_url_for_log(const char *url, char *out, size_t size);

#endif /* WS_READY_H */
