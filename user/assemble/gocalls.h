/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Go's net/http client writes a request from the connection's writer
 * goroutine (persistConn.writeLoop), not from the goroutine that made the
 * call. The kernel's uprobes (bpf/go_uprobe.bpf.c) say who asked for which
 * *http.Request (Transport.roundTrip) and who writes it (Request.write);
 * this says, for the request head a goroutine writes next, whose call it is.
 *
 * Pure bookkeeping. Two 4-way set-associative tables, allocated at the first Go
 * event: a collision or an old entry loses a parent, never gives a wrong
 * one, and each answer is used once.
 */
#ifndef WS_GOCALLS_H
#define WS_GOCALLS_H

#include <stdint.h>

struct ws_gocalls;

struct ws_gocalls *ws_gocalls_new(void);
void ws_gocalls_free(struct ws_gocalls *g);

/* Goroutine caller of process tgid asked for request req at ts (CLOCK_MONOTONIC ns). */
void ws_gocalls_roundtrip(struct ws_gocalls *g, uint32_t tgid, uint64_t req, uint64_t caller,
			  uint64_t ts);
/* Goroutine writer of process tgid starts writing request req at ts. */
void ws_gocalls_write(struct ws_gocalls *g, uint32_t tgid, uint64_t req, uint64_t writer,
		      uint64_t ts);
/*
 * The goroutine whose call the request head that writer sent at ts belongs
 * to: the caller of the request writer last began to write, if that was
 * asked for and is at most a few seconds old; then forgotten. Otherwise
 * writer itself: it writes for itself (a request written with no
 * Transport, or one whose call the agent did not see).
 */
uint64_t ws_gocalls_owner(struct ws_gocalls *g, uint32_t tgid, uint64_t writer, uint64_t ts);

#endif /* WS_GOCALLS_H */
