/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Record files: the ring buffer records of a run, byte for byte, so the user
 * side can be replayed without BPF (benchmarks, reproducible bug reports).
 *
 * Layout, host byte order (x86-64: little endian):
 *   header, 40 bytes:
 *     char     magic[8]      "WSRECORD"
 *     uint32_t version       WS_RECFILE_VERSION
 *     uint32_t header_size   40
 *     uint32_t rec_hdr_size  sizeof(struct ws_rec_hdr)   } the record ABI of
 *     uint32_t data_rec_size sizeof(struct ws_data_rec)  } bpf/wirespan.h
 *     int64_t  mono_to_unix_ns  clock offset of the recording host
 *     uint64_t reserved      0
 *   then per record: uint32_t size, uint32_t 0, size bytes, zero padding to 8.
 * Records stay 8-byte aligned in the file, so a reader can use them in place.
 * Version 1 holds records with and without stream positions (WS_F_SEQ: the
 * field was padding before), so files of older agents replay as they were.
 */
#ifndef WS_RECFILE_H
#define WS_RECFILE_H

#include <stddef.h>
#include <stdint.h>

#define WS_RECFILE_MAGIC "WSRECORD"
#define WS_RECFILE_VERSION 1
/* Larger records are refused on both sides: the kernel never makes one. */
#define WS_RECFILE_MAX_REC (1u << 20)

struct ws_recfile_hdr {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint32_t rec_hdr_size;
	uint32_t data_rec_size;
	int64_t mono_to_unix_ns;
	uint64_t reserved;
};

struct ws_rec_writer;
struct ws_rec_reader;

/*
 * Creates path, mode 0600 whatever the umask, and writes the header. Never
 * follows a symlink and never opens an existing file: NULL with errno
 * EEXIST then (other failures: NULL with errno set).
 */
struct ws_rec_writer *ws_recw_open(const char *path, int64_t mono_to_unix_ns);
/* Appends one record (buffered). 0, or -errno (-E2BIG for a record over the limit). */
int ws_recw_write(struct ws_rec_writer *w, const void *rec, size_t size);
/* Records written so far. */
uint64_t ws_recw_count(const struct ws_rec_writer *w);
/* Flushes and closes; 0 or -errno of the first failure. NULL is a no-op. */
int ws_recw_close(struct ws_rec_writer *w);

/*
 * Opens and checks a record file (mapped, read only). NULL with errno set:
 * EINVAL (not a record file, or another record ABI: msg says which),
 * or the open/mmap error. msg (may be NULL) gets one line for the user.
 */
struct ws_rec_reader *ws_recr_open(const char *path, char *msg, size_t msgsz);
const struct ws_recfile_hdr *ws_recr_header(const struct ws_rec_reader *r);
/*
 * The next record, in place and 8-byte aligned: 1 with *rec and *size set,
 * 0 at the end, -EINVAL when the file is cut or corrupt at this point.
 * Files of the data record layout before the goroutine field (104 bytes)
 * are read too: their data records come widened, from a buffer that the
 * next call reuses.
 */
int ws_recr_next(struct ws_rec_reader *r, const void **rec, size_t *size);
void ws_recr_close(struct ws_rec_reader *r);

#endif /* WS_RECFILE_H */
