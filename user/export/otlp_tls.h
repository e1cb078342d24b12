/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The OTLP exporter's TLS files: the CA certificates to trust and the client
 * certificate and key for mTLS, from OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE,
 * _CLIENT_CERTIFICATE and _CLIENT_KEY (or flags), and the checks that turn a
 * file that cannot work into one clear line at start instead of a failed
 * export later.
 */
#ifndef WS_OTLP_TLS_H
#define WS_OTLP_TLS_H

#include <stddef.h>

struct ws_tls_file {
	const char *path; /* NULL: not set */
	const char *from; /* the variable or flag that set it, for messages */
};

struct ws_otlp_tls {
	struct ws_tls_file ca;	 /* PEM CA certificates; replaces the system's trust store */
	struct ws_tls_file cert; /* PEM client certificate (chain) */
	struct ws_tls_file key;	 /* PEM private key of cert, not encrypted */
};

/*
 * Fills t from the environment (env returns NULL when a variable is unset).
 * Per file, the traces-specific variable wins over the generic one, as the
 * OTLP exporter specification says. Paths point into the environment.
 */
void ws_otlp_tls_from_env(struct ws_otlp_tls *t, const char *(*env)(const char *name));

/*
 * Whether t can work: a client key and certificate come together, and each
 * file set is a readable regular file holding what it should in PEM. 0, or
 * -EINVAL with one line (no newline) naming the variable or flag in err.
 */
int ws_otlp_tls_check(const struct ws_otlp_tls *t, char *err, size_t errsz);

/* True when any of the files is set. */
int ws_otlp_tls_any(const struct ws_otlp_tls *t);

#endif /* WS_OTLP_TLS_H */
