// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The OTLP TLS settings: which variable wins, and the one-line refusals of
 * files that cannot work (missing, a directory, the wrong PEM, an encrypted
 * key, a key without its certificate). PEM files are written to a temporary
 * directory; only their markers matter here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmptree.h"
#include "otlp_tls.h"

static char dir[] = "/tmp/ws-test-tls-XXXXXX";
static char path_ca[256], path_key[256], path_enc[256], path_legacy_enc[256], path_rsa[256],
	path_empty[256];

static const char *const *fake_env;

static const char *env(const char *name)
{
	for (const char *const *e = fake_env; e && *e; e += 2)
		if (!strcmp(e[0], name))
			return e[1];
	return NULL;
}

static void write_file(char *path, const char *name, const char *text)
{
	FILE *f;

	snprintf(path, 256, "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(traces_variables_win_per_file)
{
	const char *e[] = { "OTEL_EXPORTER_OTLP_CERTIFICATE", "/generic/ca",
			    "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/traces/ca",
			    "OTEL_EXPORTER_OTLP_CLIENT_KEY", "/generic/key",
			    "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "/traces/cert",
			    /* empty: as if unset, the generic one applies */
			    "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "", NULL };
	struct ws_otlp_tls t = { 0 };

	fake_env = e;
	ws_otlp_tls_from_env(&t, env);
	CHECK_STR(t.ca.path, "/traces/ca");
	CHECK_STR(t.ca.from, "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE");
	CHECK_STR(t.cert.path, "/traces/cert");
	CHECK_STR(t.key.path, "/generic/key");
	CHECK_STR(t.key.from, "OTEL_EXPORTER_OTLP_CLIENT_KEY");
	CHECK(ws_otlp_tls_any(&t));
	fake_env = NULL;
	t = (struct ws_otlp_tls){ 0 };
	ws_otlp_tls_from_env(&t, env);
	CHECK(!ws_otlp_tls_any(&t));
	CHECK_INT(ws_otlp_tls_check(&t, NULL, 0), 0);
}

TEST(good_files_pass)
{
	struct ws_otlp_tls t = { .ca = { path_ca, "CA" },
				 .cert = { path_ca, "CERT" },
				 .key = { path_key, "KEY" } };
	char err[512] = "";

	CHECK_INT(ws_otlp_tls_check(&t, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	/* a traditional "RSA PRIVATE KEY" is a key too */
	t.key.path = path_rsa;
	CHECK_INT(ws_otlp_tls_check(&t, err, sizeof(err)), 0);
}

TEST(files_that_cannot_work_are_one_line_naming_the_setting)
{
	static const struct {
		int which; /* 0 ca, 1 cert, 2 key */
		const char *path, *needle;
	} rows[] = {
		{ 0, "/no/such/file.pem", "No such file or directory" },
		{ 0, "/tmp", "Is a directory" },
		{ 0, "/dev/null", "not a regular file" },
		{ 0, path_key, "no PEM certificate" },
		{ 0, path_empty, "no PEM certificate" },
		{ 1, path_key, "no PEM certificate" },
		{ 2, path_ca, "no PEM private key" },
		{ 2, path_enc, "encrypted" },
		{ 2, path_legacy_enc, "encrypted" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_otlp_tls t = { .ca = { path_ca, "CA_VAR" },
					 .cert = { path_ca, "CERT_VAR" },
					 .key = { path_key, "KEY_VAR" } };
		struct ws_tls_file *f = rows[i].which == 0   ? &t.ca
					: rows[i].which == 1 ? &t.cert
							     : &t.key;
		char err[512] = "";

		f->path = rows[i].path;
		CHECK_INT(ws_otlp_tls_check(&t, err, sizeof(err)), -EINVAL);
		if (!strstr(err, rows[i].needle) || !strstr(err, f->from) ||
		    !strstr(err, rows[i].path) || strchr(err, '\n'))
			fprintf(stderr, "    row %zu: %s\n", i, err);
		CHECK(strstr(err, rows[i].needle) != NULL);
		CHECK(strstr(err, f->from) != NULL);
		CHECK(strstr(err, rows[i].path) != NULL);
		CHECK(strchr(err, '\n') == NULL);
	}
}

TEST(key_and_certificate_come_together)
{
	struct ws_otlp_tls t = { .key = { path_key, "--client-key" } };
	char err[512];

	CHECK_INT(ws_otlp_tls_check(&t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "--client-key is set without a client certificate") != NULL);
	t = (struct ws_otlp_tls){ .cert = { path_ca, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE" } };
	CHECK_INT(ws_otlp_tls_check(&t, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is set without a client key") !=
	      NULL);
	/* a CA alone is fine: TLS without a client certificate */
	t = (struct ws_otlp_tls){ .ca = { path_ca, "CA" } };
	CHECK_INT(ws_otlp_tls_check(&t, err, sizeof(err)), 0);
}

static const struct check_case cases[] = {
	CASE(traces_variables_win_per_file),
	CASE(good_files_pass),
	CASE(files_that_cannot_work_are_one_line_naming_the_setting),
	CASE(key_and_certificate_come_together),
};

int main(void)
{
	int rc;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	write_file(path_ca, "ca.pem",
		   "# a comment some bundles carry\n-----BEGIN CERTIFICATE-----\nMIIB\n"
		   "-----END CERTIFICATE-----\n");
	write_file(path_key, "client.key",
		   "-----BEGIN PRIVATE KEY-----\nMIGH\n"
		   "-----END PRIVATE KEY-----\n");
	write_file(path_rsa, "rsa.key",
		   "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n"
		   "-----END RSA PRIVATE KEY-----\n");
	write_file(path_enc, "enc.key",
		   "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIHs\n"
		   "-----END ENCRYPTED PRIVATE KEY-----\n");
	write_file(path_legacy_enc, "legacy.key",
		   "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
		   "DEK-Info: AES-128-CBC,00\n\nMIIE\n-----END RSA PRIVATE KEY-----\n");
	write_file(path_empty, "empty.pem", "");
	rc = check_run("otlp_tls", cases, sizeof(cases) / sizeof(cases[0]));
	tmptree_remove(dir);
	return rc;
}
