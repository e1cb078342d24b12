// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Record files: a buffered writer on the capture loop (one fwrite per record
 * into a 1 MiB stdio buffer) and an mmap reader that hands records out in
 * place, so replay measures the pipeline and not the file I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recfile.h"
#include "wirespan.h"

_Static_assert(sizeof(struct ws_recfile_hdr) == 40, "record file header");

#define WRITE_BUF (1u << 20)

struct ws_rec_writer {
	FILE *f;
	char *buf;
	uint64_t count;
	int err;
};

struct ws_rec_reader {
	const uint8_t *map;
	size_t len;
	size_t off;
	size_t dropped; /* bytes at the start of the map already given back */
	uint8_t *conv;	/* a file of the older data record layout: records widened here */
};

/* The data record before it carried the goroutine, and that field's size. */
#define OLD_DATA_REC 104
#define GOROUTINE_FIELD 8
_Static_assert(sizeof(struct ws_data_rec) == OLD_DATA_REC + GOROUTINE_FIELD,
	       "widen_data_rec() knows one older layout");

#define DROP_EVERY (8u << 20) /* a multiple of the page size */

struct ws_rec_writer *ws_recw_open(const char *path, int64_t mono_to_unix_ns)
{
	struct ws_recfile_hdr h = {
		.version = WS_RECFILE_VERSION,
		.header_size = sizeof(h),
		.rec_hdr_size = sizeof(struct ws_rec_hdr),
		.data_rec_size = sizeof(struct ws_data_rec),
		.mono_to_unix_ns = mono_to_unix_ns,
	};
	struct ws_rec_writer *w = calloc(1, sizeof(*w));
	int saved, fd = -1;

	if (!w)
		return NULL;
	memcpy(h.magic, WS_RECFILE_MAGIC, sizeof(h.magic));
	w->buf = malloc(WRITE_BUF);
	if (!w->buf)
		goto fail;
	/*
	 * A recording holds raw traffic, secrets included, and the agent runs
	 * as root: a link planted at path must not redirect the write, an
	 * existing file (another run's recording, or anything else) is never
	 * clobbered, and nobody but the owner may read the result. O_EXCL
	 * alone refuses a symlink too; O_NOFOLLOW says so where it is read.
	 */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	/* A umask only takes bits away; an odd one (0277) would leave the owner without read. */
	if (fchmod(fd, 0600))
		goto fail;
	w->f = fdopen(fd, "wb");
	if (!w->f)
		goto fail;
	fd = -1;
	setvbuf(w->f, w->buf, _IOFBF, WRITE_BUF);
	if (fwrite(&h, sizeof(h), 1, w->f) != 1)
		goto fail;
	return w;
fail:
	saved = errno ? errno : EIO;
	if (w->f)
		fclose(w->f);
	if (fd >= 0)
		close(fd);
	free(w->buf);
	free(w);
	errno = saved;
	return NULL;
}

int ws_recw_write(struct ws_rec_writer *w, const void *rec, size_t size)
{
	static const uint8_t zeros[8];
	uint32_t len[2] = { (uint32_t)size, 0 };
	size_t pad = (8 - size % 8) % 8;

	if (size > WS_RECFILE_MAX_REC)
		return -E2BIG;
	if (w->err)
		return w->err;
	if (fwrite(len, sizeof(len), 1, w->f) != 1 || (size && fwrite(rec, size, 1, w->f) != 1) ||
	    (pad && fwrite(zeros, pad, 1, w->f) != 1)) {
		w->err = errno ? -errno : -EIO;
		return w->err;
	}
	w->count++;
	return 0;
}

uint64_t ws_recw_count(const struct ws_rec_writer *w)
{
	return w->count;
}

int ws_recw_close(struct ws_rec_writer *w)
{
	int ret;

	if (!w)
		return 0;
	ret = w->err;
	if (fclose(w->f) && !ret)
		ret = errno ? -errno : -EIO;
	free(w->buf);
	free(w);
	return ret;
}

static struct ws_rec_reader *refuse(struct ws_rec_reader *r, char *msg, size_t msgsz,
				    const char *why)
{
	if (msg && msgsz)
		snprintf(msg, msgsz, "%s", why);
	ws_recr_close(r);
	errno = EINVAL;
	return NULL;
}

struct ws_rec_reader *ws_recr_open(const char *path, char *msg, size_t msgsz)
{
	const struct ws_recfile_hdr *h;
	struct ws_rec_reader *r;
	struct stat st;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		saved = errno;
		if (msg && msgsz)
			snprintf(msg, msgsz, "cannot read %s: %s", path, strerror(saved));
		if (fd >= 0)
			close(fd);
		errno = saved;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return NULL;
	}
	if ((size_t)st.st_size < sizeof(*h)) {
		close(fd);
		return refuse(r, msg, msgsz, "not a wirespan record file (too short)");
	}
	r->len = st.st_size;
	r->map = mmap(NULL, r->len, PROT_READ, MAP_PRIVATE, fd, 0);
	saved = errno;
	close(fd);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		if (msg && msgsz)
			snprintf(msg, msgsz, "cannot map %s: %s", path, strerror(saved));
		ws_recr_close(r);
		errno = saved;
		return NULL;
	}
	madvise((void *)r->map, r->len, MADV_SEQUENTIAL);
	h = (const struct ws_recfile_hdr *)r->map;
	if (memcmp(h->magic, WS_RECFILE_MAGIC, sizeof(h->magic)))
		return refuse(r, msg, msgsz, "not a wirespan record file (bad magic)");
	if (h->version != WS_RECFILE_VERSION || h->header_size != sizeof(*h))
		return refuse(r, msg, msgsz, "record file version not supported by this wirespan");
	if (h->data_rec_size == OLD_DATA_REC && h->rec_hdr_size == sizeof(struct ws_rec_hdr)) {
		r->conv = malloc(WS_RECFILE_MAX_REC + GOROUTINE_FIELD);
		if (!r->conv)
			return refuse(r, msg, msgsz, "out of memory");
	} else if (h->rec_hdr_size != sizeof(struct ws_rec_hdr) ||
		   h->data_rec_size != sizeof(struct ws_data_rec)) {
		return refuse(r, msg, msgsz,
			      "record file made by a wirespan with another record layout");
	}
	r->off = sizeof(*h);
	return r;
}

const struct ws_recfile_hdr *ws_recr_header(const struct ws_rec_reader *r)
{
	return (const struct ws_recfile_hdr *)r->map;
}

/*
 * A data record of a file written before records carried the goroutine
 * (data_rec_size 104): the same record with the field, 0, in a buffer of
 * the reader's. Anything else is handed out as it is.
 */
static void widen_data_rec(struct ws_rec_reader *r, const void **rec, size_t *size)
{
	const size_t at = OLD_DATA_REC; /* where the field goes: after comm */
	struct ws_rec_hdr h;

	if (*size < at)
		return;
	memcpy(&h, *rec, sizeof(h));
	if (h.type != WS_REC_DATA)
		return;
	h.len += GOROUTINE_FIELD;
	memcpy(r->conv, *rec, at);
	memcpy(r->conv, &h, sizeof(h));
	memset(r->conv + at, 0, GOROUTINE_FIELD);
	memcpy(r->conv + at + GOROUTINE_FIELD, (const uint8_t *)*rec + at, *size - at);
	*rec = r->conv;
	*size += GOROUTINE_FIELD;
}

int ws_recr_next(struct ws_rec_reader *r, const void **rec, size_t *size)
{
	uint32_t len[2];
	size_t padded;

	if (r->off == r->len)
		return 0;
	if (r->len - r->off < sizeof(len))
		return -EINVAL;
	memcpy(len, r->map + r->off, sizeof(len));
	padded = ((size_t)len[0] + 7) & ~(size_t)7;
	if (len[0] > WS_RECFILE_MAX_REC || len[1] || r->len - r->off - sizeof(len) < padded)
		return -EINVAL;
	*rec = r->map + r->off + sizeof(len);
	*size = len[0];
	if (r->conv)
		widen_data_rec(r, rec, size);
	r->off += sizeof(len) + padded;
	/* Pages read are dropped as we go: a replay's RSS is the pipeline, not the file. */
	if (r->off - r->dropped >= DROP_EVERY) {
		size_t upto = (r->off - sizeof(len) - padded) & ~(size_t)(DROP_EVERY - 1);

		if (upto > r->dropped) {
			madvise((void *)(r->map + r->dropped), upto - r->dropped, MADV_DONTNEED);
			r->dropped = upto;
		}
	}
	return 1;
}

void ws_recr_close(struct ws_rec_reader *r)
{
	if (!r)
		return;
	free(r->conv);
	if (r->map)
		munmap((void *)r->map, r->len);
	free(r);
}
