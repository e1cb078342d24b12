/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The OTLP/HTTP exporter: each batch is encoded as one protobuf
 * ExportTraceServiceRequest and POSTed to the configured /v1/traces URL with
 * one libcurl easy handle, kept for the exporter's life so the connection is
 * reused. A batch is delivered when the receiver answers 2xx. 429, 502,
 * 503, 504 and failures to connect or send are retried with exponential
 * backoff and jitter (honouring Retry-After) while the batch's time budget
 * lasts; anything else fails the batch at once. Failures are reported on
 * stderr, one line per kind, rate limited.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <zlib.h>

#include "exporter.h"
#include "otlp_pb.h"
#include "tracectx.h"

#ifndef WS_VERSION
#define WS_VERSION "0.0.0-dev"
#endif

#define DEFAULT_TIMEOUT_MS 10000L
/* Connecting is part of the request timeout, but a dead host should not eat all of it. */
#define MAX_CONNECT_TIMEOUT_MS 5000L
/* A repeated failure is logged the first time, then every LOG_EVERY times. */
#define LOG_EVERY 100
#define LOG_KINDS 8
/* Backoff: first wait, cap, as the OTLP exporter specification suggests. */
#define RETRY_FIRST_MS 1000L
#define RETRY_MAX_MS 32000L

/* A kind of failure: an encoding errno, else a curl error, else an HTTP status. */
struct fail_kind {
	int enc_err;
	CURLcode curl;
	long http;
	unsigned long count;
	unsigned long last_use; /* for evicting the stalest kind when the table is full */
};

struct otlp_http {
	struct ws_exporter exp;
	CURL *curl;
	struct curl_slist *headers;
	struct ws_buf buf;
	int gzip;
	z_stream z;	  /* kept between batches: deflateReset, no reallocation */
	bool z_ready;
	struct ws_buf zbuf; /* the compressed body */
	char errbuf[CURL_ERROR_SIZE];
	long timeout_ms;
	long retry_after_ms; /* from the last response, -1 when absent */
	unsigned long retries; /* attempts after the first, over the exporter's life */
	struct fail_kind kinds[LOG_KINDS];
	unsigned long uses;
	struct ws_export_counters *counters; /* may be NULL */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/*
 * curl_global_init is not thread-safe and must run once per process; the
 * exporter may be created on any thread. It is never undone: other code in
 * the process may use libcurl too.
 */
static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Counts one failure of its kind; true when this one should be logged. */
static bool fail_count(struct otlp_http *h, int enc_err, CURLcode curl, long http,
		       unsigned long *count)
{
	struct fail_kind *k = NULL, *stalest = &h->kinds[0];
	int i;

	h->uses++;
	for (i = 0; i < LOG_KINDS; i++) {
		struct fail_kind *f = &h->kinds[i];

		if (f->count && f->enc_err == enc_err && f->curl == curl && f->http == http) {
			k = f;
			break;
		}
		if (f->last_use < stalest->last_use)
			stalest = f;
	}
	if (!k) {
		k = stalest;
		*k = (struct fail_kind){ .enc_err = enc_err, .curl = curl, .http = http };
	}
	k->last_use = h->uses;
	*count = ++k->count;
	return *count == 1 || *count % LOG_EVERY == 0;
}

/* What the OTLP specification calls retryable, plus failing to reach the collector. */
static bool retryable(CURLcode rc, long http)
{
	if (rc != CURLE_OK)
		return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
		       rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
		       rc == CURLE_GOT_NOTHING || rc == CURLE_OPERATION_TIMEDOUT;
	return http == 429 || http == 502 || http == 503 || http == 504;
}

/* The kind of a failed attempt, for the counters (and whether to try again). */
static enum ws_export_err classify(const struct otlp_http *h, int enc_err, CURLcode rc, long http)
{
	if (enc_err)
		return WS_EXPORT_ERR_ENCODING;
	switch (rc) {
	case CURLE_OK:
		return retryable(rc, http) ? WS_EXPORT_ERR_HTTP_RETRYABLE : WS_EXPORT_ERR_HTTP_REJECTED;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return WS_EXPORT_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return WS_EXPORT_ERR_TIMEOUT;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		/*
		 * With TLS 1.3 a server refuses a client certificate (or its
		 * absence) after the handshake: the client meets its alert on
		 * the first read. Not a broken connection, not worth a retry.
		 */
		if (strstr(h->errbuf, " alert "))
			return WS_EXPORT_ERR_TLS;
		return WS_EXPORT_ERR_NETWORK;
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return WS_EXPORT_ERR_NETWORK;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
		return WS_EXPORT_ERR_TLS;
	default:
		return WS_EXPORT_ERR_OTHER;
	}
}

/*
 * Counts one failed attempt by kind and logs it: one line per failure kind,
 * rate limited; never the body, never the URL (it may hold credentials).
 */
static enum ws_export_err log_failure(struct otlp_http *h, int enc_err, CURLcode rc, long http)
{
	enum ws_export_err kind = classify(h, enc_err, rc, http);
	unsigned long count;

	if (h->counters)
		ws_export_count(&h->counters->errors[kind], 1);
	if (!fail_count(h, enc_err, rc, http, &count))
		return kind;
	if (enc_err)
		fprintf(stderr, "wirespan: otlp export failed: encoding: %s, %lu time%s\n",
			strerror(enc_err), count, count == 1 ? "" : "s");
	else if (rc != CURLE_OK)
		fprintf(stderr, "wirespan: otlp export failed: %s (curl %d), %lu time%s\n",
			h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc), (int)rc, count,
			count == 1 ? "" : "s");
	else
		fprintf(stderr, "wirespan: otlp export failed: HTTP status %ld, %lu time%s\n", http,
			count, count == 1 ? "" : "s");
	return kind;
}

/* Retry-After: delay-seconds (an HTTP-date is left to the backoff). */
static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
	struct otlp_http *h = ud;
	size_t len = size * nmemb;

	if (len > 12 && !strncasecmp(line, "Retry-After:", 12)) {
		char buf[32];
		size_t n = len - 12 < sizeof(buf) - 1 ? len - 12 : sizeof(buf) - 1;
		char *end;
		long v;

		memcpy(buf, line + 12, n);
		buf[n] = '\0';
		v = strtol(buf, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (end != buf && !*end && v >= 0 && v < 86400)
			h->retry_after_ms = v * 1000;
	}
	return len;
}

/* Random bits from the per-thread generator the span ids come from (seeded, unlike rand()). */
static uint64_t jitter(void)
{
	uint8_t b[8];
	uint64_t v;

	ws_ids_span(b);
	memcpy(&v, b, sizeof(v));
	return v;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* One POST within budget_ms. */
static CURLcode post_once(struct otlp_http *h, long budget_ms, long *http)
{
	CURLcode rc;

	*http = 0;
	h->errbuf[0] = '\0';
	h->retry_after_ms = -1;
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, budget_ms > 1 ? budget_ms : 1L);
	rc = curl_easy_perform(h->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, http);
	return rc;
}

/* The response body is not read (partial success is not acted on yet): drop it. */
static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
}

/*
 * gzip of h->buf into h->zbuf. Level 1: most of the size gain for a fraction
 * of the CPU, which is what an agent on a busy host should spend.
 */
static int compress_body(struct otlp_http *h)
{
	uLong bound;

	if (!h->z_ready) {
		if (deflateInit2(&h->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		h->z_ready = true;
	} else if (deflateReset(&h->z) != Z_OK) {
		return -EIO;
	}
	bound = deflateBound(&h->z, h->buf.len);
	if (ws_buf_reserve(&h->zbuf, bound))
		return -ENOMEM;
	h->z.next_in = h->buf.data;
	h->z.avail_in = h->buf.len;
	h->z.next_out = h->zbuf.data;
	h->z.avail_out = bound;
	if (deflate(&h->z, Z_FINISH) != Z_STREAM_END)
		return -EIO;
	h->zbuf.len = bound - h->z.avail_out;
	return 0;
}

static int otlp_http_export(struct ws_exporter *e, struct ws_span *const *spans, size_t n)
{
	const struct ws_buf *body;
	long deadline, backoff_ms = RETRY_FIRST_MS;
	struct otlp_http *h = (struct otlp_http *)e;
	long http = 0;
	CURLcode rc;
	int err;

	if (!n)
		return 0;
	err = ws_otlp_encode(spans, n, &h->buf);
	if (err) {
		log_failure(h, -err, CURLE_OK, 0);
		return err;
	}
	body = &h->buf;
	if (h->gzip) {
		err = compress_body(h);
		if (err) {
			log_failure(h, -err, CURLE_OK, 0);
			return err;
		}
		body = &h->zbuf;
	}
	/* The buffer may have moved since the last batch. */
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body->data);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	deadline = now_ms() + h->timeout_ms;
	for (;;) {
		long left = deadline - now_ms(), wait;

		rc = post_once(h, left, &http);
		if (rc == CURLE_OK && http >= 200 && http < 300)
			return 0;
		if (log_failure(h, 0, rc, http) == WS_EXPORT_ERR_TLS || !retryable(rc, http)) {
			if (rc == CURLE_OK && h->counters)
				ws_export_count(&h->counters->rejected, n);
			return -EIO;
		}
		/* Jitter: a fleet of agents must not come back in step. */
		wait = h->retry_after_ms >= 0 ? h->retry_after_ms
					      : backoff_ms / 2 + (long)(jitter() % (backoff_ms / 2 + 1));
		left = deadline - now_ms();
		if (wait >= left)
			return -ETIMEDOUT; /* the batch's time is up: dropped, counted */
		nanosleep(&(struct timespec){ wait / 1000, (wait % 1000) * 1000000L }, NULL);
		h->retries++;
		if (h->counters)
			ws_export_count(&h->counters->retries, 1);
		if (backoff_ms < RETRY_MAX_MS)
			backoff_ms *= 2;
	}
}

static void otlp_http_shutdown(struct ws_exporter *e)
{
	struct otlp_http *h = (struct otlp_http *)e;

	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	ws_buf_release(&h->buf);
	ws_buf_release(&h->zbuf);
	if (h->z_ready)
		deflateEnd(&h->z);
	free(h);
}

static int set_headers(struct otlp_http *h, const struct ws_otlp_http_opts *o)
{
	static const char *const hdrs[] = {
		"Content-Type: application/x-protobuf",
		/*
		 * curl would ask for 100-continue on bigger bodies and wait up to a
		 * second for it: receivers seldom answer it, and we send anyway.
		 */
		"Expect:",
	};
	struct curl_slist *l;

	char line[1024];

	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		l = curl_slist_append(h->headers, hdrs[i]);
		if (!l)
			return -ENOMEM;
		h->headers = l;
	}
	if (o->gzip) {
		l = curl_slist_append(h->headers, "Content-Encoding: gzip");
		if (!l)
			return -ENOMEM;
		h->headers = l;
	}
	/* The user's headers (an API key, a tenant), one per line, checked by config. */
	for (const char *s = o->headers; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		if (len >= sizeof(line))
			return -EINVAL;
		memcpy(line, s, len);
		line[len] = '\0';
		l = curl_slist_append(h->headers, line);
		if (!l)
			return -ENOMEM;
		h->headers = l;
		s += len + (nl ? 1 : 0);
	}
	return 0;
}

/*
 * The CA file replaces the system's trust store (CAPATH cleared: Debian's
 * libcurl has a default one), as the OpenTelemetry SDKs do with it.
 */
static int set_tls(struct otlp_http *h, const struct ws_otlp_http_opts *o)
{
	if (o->ca_file && (curl_easy_setopt(h->curl, CURLOPT_CAINFO, o->ca_file) ||
			   curl_easy_setopt(h->curl, CURLOPT_CAPATH, NULL)))
		return -EINVAL;
	if (o->client_cert && curl_easy_setopt(h->curl, CURLOPT_SSLCERT, o->client_cert))
		return -EINVAL;
	if (o->client_key && curl_easy_setopt(h->curl, CURLOPT_SSLKEY, o->client_key))
		return -EINVAL;
	return 0;
}

struct ws_exporter *ws_otlp_http_exporter_new(const struct ws_otlp_http_opts *opts)
{
	long timeout_ms, connect_ms;
	struct otlp_http *h;
	int err = -ENOMEM;

	if (!opts || !opts->endpoint || !opts->endpoint[0]) {
		errno = EINVAL;
		return NULL;
	}
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		errno = EIO;
		return NULL;
	}
	timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	connect_ms = timeout_ms < MAX_CONNECT_TIMEOUT_MS ? timeout_ms : MAX_CONNECT_TIMEOUT_MS;

	h = calloc(1, sizeof(*h));
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	h->exp.export = otlp_http_export;
	h->exp.shutdown = otlp_http_shutdown;
	h->exp.name = "otlp";
	h->curl = curl_easy_init();
	if (!h->curl)
		goto fail;
	h->gzip = opts->gzip;
	h->timeout_ms = timeout_ms;
	h->counters = opts->counters;
	err = set_headers(h, opts);
	if (err)
		goto fail;

	err = -EINVAL;
	if (curl_easy_setopt(h->curl, CURLOPT_URL, opts->endpoint) != CURLE_OK || set_tls(h, opts))
		goto fail;
	/* Any of these failing means a libcurl without what we rely on. */
	if (curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers) ||
	    curl_easy_setopt(h->curl, CURLOPT_POST, 1L) ||
	    curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "wirespan/" WS_VERSION) ||
	    /* Timeouts by signal would hit whichever thread; this is not the main one. */
	    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, timeout_ms) ||
	    curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) ||
	    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, discard_body) ||
	    curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h) ||
	    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf) ||
	    curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L))
		goto fail;
	return &h->exp;

fail:
	otlp_http_shutdown(&h->exp);
	errno = -err;
	return NULL;
}
