/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The consumer of a BPF ring buffer map, with its data pages mapped once.
 * libbpf maps them twice, back to back, so that a record running past the
 * end reads as one piece; VmRSS then counts the ring twice (16 MiB for the
 * default 8 MiB). Here the rare record that wraps is copied into a buffer
 * of the consumer's instead. Records are handed out 8-byte aligned.
 */
#ifndef WS_RINGBUF_H
#define WS_RINGBUF_H

#include <stddef.h>

/* One record; its bytes are valid until the callback returns. */
typedef int (*ws_ring_cb)(void *ctx, void *data, size_t size);

struct ws_ring;

/* map_fd: a BPF_MAP_TYPE_RINGBUF map. NULL with errno set. */
struct ws_ring *ws_ring_new(int map_fd, ws_ring_cb cb, void *ctx);
/* Pollable (EPOLLIN when records wait): the map's own fd. */
int ws_ring_fd(const struct ws_ring *r);
/* Hands out every complete record waiting, in order; returns how many. */
int ws_ring_consume(struct ws_ring *r);
/* Records so far that ran past the ring's end and were copied. */
unsigned long ws_ring_wrapped(const struct ws_ring *r);
void ws_ring_free(struct ws_ring *r);

#endif /* WS_RINGBUF_H */
