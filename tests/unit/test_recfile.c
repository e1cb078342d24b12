// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Record files: round trip, alignment, and every way a file can be wrong. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "recfile.h"
#include "wirespan.h"

static char path[64];

static void tmp_path(void)
{
	int fd;

	/* A unique name, then free: the writer creates its file and refuses one that exists. */
	strcpy(path, "/tmp/ws_recfile_XXXXXX");
	fd = mkstemp(path);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

/* The whole content of file p (at most outsz - 1 bytes), NUL-terminated; -1 when unreadable. */
static int read_all(const char *p, char *out, size_t outsz)
{
	FILE *f = fopen(p, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	fclose(f);
	return (int)n;
}

static void write_raw(const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

TEST(records_round_trip_in_order_and_aligned)
{
	struct ws_rec_writer *w;
	struct ws_rec_reader *r;
	uint8_t rec[300];
	const void *got;
	size_t size;
	char msg[128];

	tmp_path();
	w = ws_recw_open(path, -12345);
	CHECK(w != NULL);
	if (!w)
		return;
	/* sizes 1..9 and 300 cover every padding remainder */
	for (size_t n = 1; n <= 10; n++) {
		size_t len = n == 10 ? sizeof(rec) : n;

		memset(rec, (int)n, len);
		CHECK_INT(ws_recw_write(w, rec, len), 0);
	}
	CHECK_INT(ws_recw_count(w), 10);
	CHECK_INT(ws_recw_close(w), 0);

	r = ws_recr_open(path, msg, sizeof(msg));
	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_INT(ws_recr_header(r)->mono_to_unix_ns, -12345);
	for (size_t n = 1; n <= 10; n++) {
		size_t len = n == 10 ? sizeof(rec) : n;

		CHECK_INT(ws_recr_next(r, &got, &size), 1);
		CHECK_INT(size, len);
		CHECK_INT((uintptr_t)got % 8, 0);
		memset(rec, (int)n, len);
		CHECK(!memcmp(got, rec, len));
	}
	CHECK_INT(ws_recr_next(r, &got, &size), 0);
	CHECK_INT(ws_recr_next(r, &got, &size), 0);
	ws_recr_close(r);
	unlink(path);
}

TEST(empty_recording_has_no_records)
{
	struct ws_rec_reader *r;
	const void *got;
	size_t size;

	tmp_path();
	CHECK_INT(ws_recw_close(ws_recw_open(path, 0)), 0);
	r = ws_recr_open(path, NULL, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(ws_recr_next(r, &got, &size), 0);
		ws_recr_close(r);
	}
	unlink(path);
}

TEST(cut_file_gives_its_whole_records_then_einval)
{
	struct ws_rec_writer *w;
	struct ws_rec_reader *r;
	char rec[64] = "GET / HTTP/1.1\r\n", buf[4096];
	const void *got;
	size_t size, len;
	FILE *f;

	tmp_path();
	w = ws_recw_open(path, 0);
	CHECK(w != NULL);
	if (!w)
		return;
	ws_recw_write(w, rec, sizeof(rec));
	ws_recw_write(w, rec, sizeof(rec));
	ws_recw_close(w);
	f = fopen(path, "rb");
	len = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	write_raw(buf, len - 10); /* the second record loses its tail */
	r = ws_recr_open(path, NULL, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(ws_recr_next(r, &got, &size), 1);
		CHECK_INT(size, sizeof(rec));
		CHECK_INT(ws_recr_next(r, &got, &size), -EINVAL);
		ws_recr_close(r);
	}
	unlink(path);
}

TEST(huge_length_field_is_corrupt_not_a_read_past_the_end)
{
	struct ws_recfile_hdr h = { .version = WS_RECFILE_VERSION,
				    .header_size = sizeof(h),
				    .rec_hdr_size = sizeof(struct ws_rec_hdr),
				    .data_rec_size = sizeof(struct ws_data_rec) };
	uint8_t buf[sizeof(h) + 16] = { 0 };
	uint32_t len[2] = { 0xfffffff0u, 0 };
	struct ws_rec_reader *r;
	const void *got;
	size_t size;

	memcpy(h.magic, WS_RECFILE_MAGIC, 8);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), len, sizeof(len));
	tmp_path();
	write_raw(buf, sizeof(buf));
	r = ws_recr_open(path, NULL, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(ws_recr_next(r, &got, &size), -EINVAL);
		ws_recr_close(r);
	}
	unlink(path);
}

/* A file of the 104-byte data record layout (before the goroutine field) still replays. */
TEST(files_of_the_older_data_layout_are_read_widened)
{
	struct ws_recfile_hdr h = { .version = WS_RECFILE_VERSION,
				    .header_size = sizeof(h),
				    .rec_hdr_size = sizeof(struct ws_rec_hdr),
				    .data_rec_size = 104 };
	uint8_t buf[512] = { 0 }, old[104 + 5];
	struct ws_close_rec close = { .hdr = { .type = WS_REC_CLOSE, .len = 40, .sock_id = 9 } };
	struct ws_rec_hdr rh = {
		.type = WS_REC_DATA, .len = sizeof(old) - 32, .tgid = 7, .tid = 8, .sock_id = 9
	};
	const struct ws_data_rec *d;
	struct ws_rec_reader *r;
	size_t off = sizeof(h), size;
	uint32_t len[2] = { 0, 0 };
	const void *got;

	memcpy(h.magic, WS_RECFILE_MAGIC, 8);
	memcpy(buf, &h, sizeof(h));
	memset(old, 0xAA, sizeof(old)); /* every old field set: nothing may read as the new one */
	memcpy(old, &rh, sizeof(rh));
	old[72] = 5, old[73] = 0, old[74] = 0, old[75] = 0; /* io_len */
	old[76] = 5, old[77] = 0, old[78] = 0, old[79] = 0; /* cap_len */
	memcpy(old + 88, "curl\0\0\0\0\0\0\0\0\0\0\0", 16);
	memcpy(old + 104, "GET /", 5);
	len[0] = sizeof(old);
	memcpy(buf + off, len, sizeof(len));
	memcpy(buf + off + 8, old, sizeof(old));
	off += 8 + ((sizeof(old) + 7) & ~7u);
	len[0] = sizeof(close);
	memcpy(buf + off, len, sizeof(len));
	memcpy(buf + off + 8, &close, sizeof(close));
	off += 8 + sizeof(close);
	tmp_path();
	write_raw(buf, off);
	r = ws_recr_open(path, NULL, 0);
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(ws_recr_next(r, &got, &size), 1);
		CHECK_INT(size, sizeof(struct ws_data_rec) + 5);
		d = got;
		CHECK_INT(d->hdr.len, size - sizeof(struct ws_rec_hdr));
		CHECK_INT(d->hdr.tgid, 7);
		CHECK_INT(d->io_len, 5);
		CHECK_INT(d->cap_len, 5);
		CHECK(!strcmp(d->comm, "curl"));
		CHECK(d->goroutine == 0);
		CHECK(!memcmp(d + 1, "GET /", 5));
		CHECK_INT(ws_recr_next(r, &got, &size), 1); /* other records: as they are */
		CHECK_INT(size, sizeof(close));
		CHECK(!memcmp(got, &close, sizeof(close)));
		CHECK_INT(ws_recr_next(r, &got, &size), 0);
		ws_recr_close(r);
	}
	unlink(path);
}

static void check_refused(const void *data, size_t len, const char *want_msg)
{
	char msg[256] = "";

	tmp_path();
	write_raw(data, len);
	errno = 0;
	CHECK(ws_recr_open(path, msg, sizeof(msg)) == NULL);
	CHECK_INT(errno, EINVAL);
	CHECK(strstr(msg, want_msg) != NULL);
	if (!strstr(msg, want_msg))
		fprintf(stderr, "    got message: %s\n", msg);
	unlink(path);
}

TEST(foreign_files_are_refused_with_a_reason)
{
	struct ws_recfile_hdr h = { .version = WS_RECFILE_VERSION,
				    .header_size = sizeof(h),
				    .rec_hdr_size = sizeof(struct ws_rec_hdr),
				    .data_rec_size = sizeof(struct ws_data_rec) };
	struct ws_recfile_hdr bad;

	memcpy(h.magic, WS_RECFILE_MAGIC, 8);
	check_refused("hello", 5, "too short");
	check_refused("GET / HTTP/1.1\r\nHost: example\r\n\r\nxxxxxxxxxxxxxxxx", 48, "bad magic");
	bad = h;
	bad.version = 99;
	check_refused(&bad, sizeof(bad), "version");
	bad = h;
	bad.data_rec_size = 96;
	check_refused(&bad, sizeof(bad), "another record layout");
}

TEST(missing_file_names_the_error)
{
	char msg[256] = "";

	errno = 0;
	CHECK(ws_recr_open("/nonexistent/x.wsrec", msg, sizeof(msg)) == NULL);
	CHECK_INT(errno, ENOENT);
	CHECK(strstr(msg, "No such file") != NULL);
}

TEST(writer_refuses_oversized_records_and_bad_paths)
{
	struct ws_rec_writer *w;
	static char big[WS_RECFILE_MAX_REC + 1];

	errno = 0;
	CHECK(ws_recw_open("/nonexistent/dir/x.wsrec", 0) == NULL);
	CHECK_INT(errno, ENOENT);
	tmp_path();
	w = ws_recw_open(path, 0);
	CHECK(w != NULL);
	if (w) {
		CHECK_INT(ws_recw_write(w, big, sizeof(big)), -E2BIG);
		CHECK_INT(ws_recw_count(w), 0);
		CHECK_INT(ws_recw_close(w), 0);
	}
	CHECK_INT(ws_recw_close(NULL), 0);
	unlink(path);
}

/*
 * A full disk, made by a file size limit (the writer no longer opens an
 * existing file such as /dev/full): EFBIG instead of SIGXFSZ's kill.
 */
TEST(write_error_is_reported_not_lost)
{
	struct rlimit old, lim = { 64 << 10, 0 };
	struct ws_rec_writer *w;
	static char rec[4096];
	int err = 0;

	tmp_path();
	w = ws_recw_open(path, 0);
	CHECK(w != NULL);
	if (!w)
		return;
	getrlimit(RLIMIT_FSIZE, &old);
	lim.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
	/* stdio buffers 1 MiB: the failure shows once a buffer is flushed, or at close */
	for (int i = 0; i < 1024 && !err; i++)
		err = ws_recw_write(w, rec, sizeof(rec));
	err = ws_recw_close(w) ? -1 : err;
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	CHECK(err != 0);
	unlink(path);
}

/*
 * Issue 20: --record followed a symlink planted at its path, so a root agent
 * overwrote the link's target (a root-owned 0600 file). A link, dangling or
 * not, is refused and its target left as it was.
 */
TEST(writer_never_follows_a_symlink)
{
	char target[64], got[64];

	tmp_path();
	snprintf(target, sizeof(target), "%s.target", path);
	{
		FILE *f = fopen(target, "wb");

		CHECK(f != NULL);
		if (f) {
			fputs("precious", f);
			fclose(f);
		}
	}
	CHECK_INT(symlink(target, path), 0);
	errno = 0;
	CHECK(ws_recw_open(path, 0) == NULL);
	CHECK_INT(errno, EEXIST);
	CHECK_INT(read_all(target, got, sizeof(got)), 8);
	CHECK_STR(got, "precious");
	/* Dangling: the target must not be created through it either. */
	unlink(target);
	CHECK(ws_recw_open(path, 0) == NULL);
	CHECK(access(target, F_OK) != 0);
	unlink(path);
}

/* Issue 20: an existing file was truncated; now it is refused with EEXIST and kept. */
TEST(writer_refuses_an_existing_file_and_leaves_it_alone)
{
	char got[64];

	tmp_path();
	write_raw("another run", 11);
	errno = 0;
	CHECK(ws_recw_open(path, 0) == NULL);
	CHECK_INT(errno, EEXIST);
	CHECK_INT(read_all(path, got, sizeof(got)), 11);
	CHECK_STR(got, "another run");
	unlink(path);
}

/*
 * Issue 20: the file (raw traffic, secrets included) came out 0644 under the
 * usual umask, 0666 under umask 000. It is 0600 under any umask, also one
 * that would take the owner's read bit.
 */
TEST(recording_is_mode_0600_whatever_the_umask)
{
	static const mode_t masks[] = { 0, 022, 0277 };
	struct stat st;

	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		mode_t old = umask(masks[i]);

		tmp_path();
		CHECK_INT(ws_recw_close(ws_recw_open(path, 0)), 0);
		umask(old);
		CHECK_INT(stat(path, &st), 0);
		CHECK_INT(st.st_mode & 07777, 0600);
		unlink(path);
	}
}

static const struct check_case cases[] = {
	CASE(records_round_trip_in_order_and_aligned),
	CASE(empty_recording_has_no_records),
	CASE(cut_file_gives_its_whole_records_then_einval),
	CASE(huge_length_field_is_corrupt_not_a_read_past_the_end),
	CASE(files_of_the_older_data_layout_are_read_widened),
	CASE(foreign_files_are_refused_with_a_reason),
	CASE(missing_file_names_the_error),
	CASE(writer_refuses_oversized_records_and_bad_paths),
	CASE(write_error_is_reported_not_lost),
	CASE(writer_never_follows_a_symlink),
	CASE(writer_refuses_an_existing_file_and_leaves_it_alone),
	CASE(recording_is_mode_0600_whatever_the_umask),
};

CHECK_MAIN("recfile", cases)
