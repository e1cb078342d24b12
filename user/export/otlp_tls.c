// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The OTLP exporter's TLS files (see otlp_tls.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otlp_tls.h"
#include "readfd.h"

/* What is read to recognise a file: PEM markers come first, and a CA bundle's first certificate. */
#define HEAD_MAX (64 * 1024)

static const char cert_marker[] = "-----BEGIN CERTIFICATE-----";

static void from_env(struct ws_tls_file *f, const char *(*env)(const char *), const char *traces,
		     const char *generic)
{
	const char *v;

	if ((v = env(traces)) && *v) {
		f->path = v;
		f->from = traces;
	} else if ((v = env(generic)) && *v) {
		f->path = v;
		f->from = generic;
	}
}

void ws_otlp_tls_from_env(struct ws_otlp_tls *t, const char *(*env)(const char *name))
{
	from_env(&t->ca, env, "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
		 "OTEL_EXPORTER_OTLP_CERTIFICATE");
	from_env(&t->cert, env, "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
		 "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE");
	from_env(&t->key, env, "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
		 "OTEL_EXPORTER_OTLP_CLIENT_KEY");
}

int ws_otlp_tls_any(const struct ws_otlp_tls *t)
{
	return t->ca.path || t->cert.path || t->key.path;
}

/*
 * The first bytes of a regular file, NUL-terminated, in a malloc'd buffer.
 * O_NONBLOCK: a FIFO given by mistake must not hang the start.
 */
static char *read_head(const char *path, int *err)
{
	struct stat st;
	ssize_t got;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	if (fstat(fd, &st)) {
		*err = errno;
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		return NULL;
	}
	buf = malloc(HEAD_MAX + 1);
	if (!buf) {
		*err = ENOMEM;
		close(fd);
		return NULL;
	}
	got = ws_read_upto(fd, buf, HEAD_MAX);
	close(fd);
	if (got < 0) {
		*err = (int)-got;
		free(buf);
		return NULL;
	}
	/* PEM is text: a NUL inside ends the search early, which only refuses a broken file. */
	buf[got] = '\0';
	return buf;
}

/* A "-----BEGIN ...PRIVATE KEY-----" line: PKCS#8, or a traditional RSA, EC or DSA key. */
static const char *find_key(const char *pem)
{
	for (const char *p = strstr(pem, "-----BEGIN "); p; p = strstr(p + 1, "-----BEGIN ")) {
		const char *eol = strchr(p, '\n'), *k = strstr(p, "PRIVATE KEY-----");

		if (k && (!eol || k < eol))
			return p;
	}
	return NULL;
}

/* Why the key file cannot be used, or NULL when it can. */
static const char *key_problem(const char *pem)
{
	const char *k = find_key(pem);

	if (!k)
		return "no PEM private key in it";
	/* PKCS#8 "ENCRYPTED PRIVATE KEY", or a traditional key with "Proc-Type: 4,ENCRYPTED" */
	if (!strncmp(k, "-----BEGIN ENCRYPTED", 20) || strstr(k, "Proc-Type: 4,ENCRYPTED"))
		return "the key is encrypted and nothing can give its passphrase";
	return NULL;
}

static int check_file(const struct ws_tls_file *f, int is_key, const char *want, char *err,
		      size_t errsz)
{
	const char *problem = NULL;
	char *pem;
	int e = 0;

	if (!f->path)
		return 0;
	pem = read_head(f->path, &e);
	if (!pem)
		problem = e == EINVAL ? "not a regular file" : strerror(e);
	else if (is_key)
		problem = key_problem(pem);
	else if (!strstr(pem, cert_marker))
		problem = "no PEM certificate in it";
	free(pem);
	if (!problem)
		return 0;
	snprintf(err, errsz, "invalid %s '%s': %s (want %s)", f->from, f->path, problem, want);
	return -EINVAL;
}

int ws_otlp_tls_check(const struct ws_otlp_tls *t, char *err, size_t errsz)
{
	if (t->key.path && !t->cert.path) {
		snprintf(err, errsz,
			 "%s is set without a client certificate: mTLS needs both (set "
			 "OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE or --client-certificate)",
			 t->key.from);
		return -EINVAL;
	}
	if (t->cert.path && !t->key.path) {
		snprintf(err, errsz,
			 "%s is set without a client key: mTLS needs both (set "
			 "OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY or --client-key)",
			 t->cert.from);
		return -EINVAL;
	}
	if (check_file(&t->ca, 0, "a PEM file of CA certificates", err, errsz) ||
	    check_file(&t->cert, 0, "a PEM client certificate", err, errsz) ||
	    check_file(&t->key, 1, "an unencrypted PEM private key", err, errsz))
		return -EINVAL;
	return 0;
}
