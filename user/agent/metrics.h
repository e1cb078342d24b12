/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's own counters for operators: a minimal HTTP endpoint served
 * from the agent's event loop with non-blocking sockets, so a slow scraper
 * can never stall capture. The text it serves is ws_metrics_format's
 * (stats.h), formatted beside the stats log line.
 */
#ifndef WS_METRICS_H
#define WS_METRICS_H

#include <stddef.h>

#include "stats.h"

struct ws_metrics_server;

/* Where ":PORT" and "PORT" listen: the counters are for this host's operator. */
#define WS_METRICS_DEFAULT_HOST "127.0.0.1"
/*
 * From accept to answer sent: a client that has not sent its request head
 * by then is closed, so idle or slow clients cannot hold the slots.
 */
#define WS_METRICS_CLIENT_DEADLINE_MS 5000

/*
 * Listens on "host:port" (an IPv4 or [IPv6] literal, or a name), ":port" or
 * "port" (WS_METRICS_DEFAULT_HOST: loopback). All interfaces only when
 * asked: "0.0.0.0:port", "[::]:port". NULL with one line in err when the
 * address is bad or cannot be bound.
 */
struct ws_metrics_server *ws_metrics_listen(const char *addr, char *err, size_t errsz);
/* The listening socket: add it to the event loop's epoll set. */
int ws_metrics_fd(const struct ws_metrics_server *m);
/*
 * Call when fd (the listener or a client) is readable: accepts (a new
 * client takes the oldest one's place when all slots are held), reads the
 * request head, and answers GET /metrics with body (from ws_metrics_format),
 * 404 otherwise. Returns 1 when fd was one of the server's, 0 otherwise. epfd
 * gets the client sockets added and removed.
 */
int ws_metrics_handle(struct ws_metrics_server *m, int epfd, int fd, const char *body, size_t len);
/*
 * Call from the event loop's timer: closes the clients accepted
 * WS_METRICS_CLIENT_DEADLINE_MS or more before now_ms (ws_metrics_now_ms's
 * clock, CLOCK_MONOTONIC in ms).
 */
void ws_metrics_tick(struct ws_metrics_server *m, int epfd, long now_ms);
long ws_metrics_now_ms(void);
void ws_metrics_close(struct ws_metrics_server *m);

#endif /* WS_METRICS_H */
