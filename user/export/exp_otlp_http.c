/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The OTLP exporter: each batch becomes one ExportTraceServiceRequest
 * (otlp_body.c: protobuf or JSON, or a gRPC message) POSTed with one libcurl
 * easy handle, kept for the exporter's life so the connection is reused.
 * http/protobuf and http/json go to the /v1/traces URL and a batch is
 * delivered when the receiver answers 2xx; 429, 502, 503 and 504 are
 * retried. grpc calls TraceService/Export over HTTP/2 (h2c with prior
 * knowledge for http://, ALPN for https://) and a batch is delivered when
 * grpc-status, from the trailers, is OK; the OTLP specification's retryable
 * codes are retried (RESOURCE_EXHAUSTED only with RetryInfo). Failures to
 * connect or send are retried too, with exponential backoff and jitter
 * (honouring Retry-After and RetryInfo) while the batch's time budget lasts;
 * anything else fails the batch at once. A delivered batch's answer is read
 * (at most WS_OTLP_ANSWER_MAX bytes kept) for spans the collector rejected
 * (partial success), which are counted. Failures and rejections are
 * reported on stderr, one line per kind: the first of a failure streak,
 * then at most one a minute, with the likely cause when the failure says
 * it (otlp_resp.h: gRPC and OTLP/HTTP ports mixed up, nothing listening, a
 * path without /v1/traces); the counters carry the numbers. The first
 * success after failures is logged once.
 *
 * Past 800 lines on purpose: the transport, the retry policy and the
 * failure reports all read the one curl handle and the answer of the
 * attempt at hand; apart, each would need the exporter's private state.
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

#include "exporter.h"
#include "grpc.h"
#include "otlp_body.h"
#include "otlp_pb.h"
#include "otlp_resp.h"
#include "tracectx.h"

#ifndef WS_VERSION
#define WS_VERSION "0.0.0-dev"
#endif

#define DEFAULT_TIMEOUT_MS 10000L
/* Connecting is part of the request timeout, but a dead host should not eat all of it. */
#define MAX_CONNECT_TIMEOUT_MS 5000L
/* A repeated answer (rejections, warnings) is logged the first time, then every LOG_EVERY times. */
#define LOG_EVERY 100
/*
 * A failure kind is logged at the start of a streak, then at most once per
 * LOG_INTERVAL_MS: an outage of hours is a few lines, each with its count.
 */
#define LOG_INTERVAL_MS 60000L
#define LOG_KINDS 8
/* Backoff: first wait, cap, as the OTLP exporter specification suggests. */
#define RETRY_FIRST_MS 1000L
#define RETRY_MAX_MS 32000L

/* A gRPC text kept for the log: grpc-message, a partial success's error_message. */
#define MSG_MAX 256

/*
 * A kind of failure: an encoding errno, else a curl error, else a gRPC
 * status (grpc only, -1 otherwise), else an HTTP status.
 */
struct fail_kind {
	int enc_err;
	CURLcode curl;
	int grpc;
	long http;
	unsigned long count;	/* in this failure streak */
	unsigned long last_use; /* for evicting the stalest kind when the table is full */
	long logged_ms;		/* when this kind was last logged */
};

/* What the headers and trailers of the last answer said. */
struct answer {
	long retry_after_ms; /* Retry-After, or RetryInfo's delay; -1 when absent */
	int grpc_status;     /* -1 when absent */
	bool retry_info;     /* grpc-status-details-bin held a RetryInfo */
	char grpc_message[MSG_MAX];
	struct ws_otlp_answer_info info;
	bool grpc_content;  /* Content-Type: application/grpc (a gRPC server's answer) */
	struct ws_buf body; /* at most WS_OTLP_ANSWER_MAX bytes of it */
	bool body_cut;	    /* there was more, not kept */
};

struct otlp_http {
	struct ws_exporter exp;
	enum ws_otlp_protocol proto;
	CURL *curl;
	struct curl_slist *headers;
	struct ws_otlp_body *body;
	char errbuf[CURL_ERROR_SIZE];
	long timeout_ms;
	struct answer ans;
	unsigned long retries; /* attempts after the first, over the exporter's life */
	struct fail_kind kinds[LOG_KINDS];
	unsigned long uses;
	uint64_t rejected; /* spans rejected in partial successes, since take_rejected */
	struct ws_export_counters *counters; /* may be NULL */
	/* Logged the first time and every LOG_EVERY: rejections, warnings, unreadable answers. */
	unsigned long partial_logs, warning_logs, unreadable_logs;
	unsigned long failed_batches; /* since the last delivered one: the streak a recovery ends */
	/* The endpoint for log lines, without credentials or query: scheme://host:port/path */
	char where[256];
	char host_port[192];
	char path[128];
	unsigned int port;
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

/* Counts one more; true when this one should be logged. */
static bool log_due(unsigned long *count)
{
	++*count;
	return *count == 1 || *count % LOG_EVERY == 0;
}

static long now_ms(void);

/* Counts one failure of its kind; true when this one should be logged. */
static bool fail_count(struct otlp_http *h, int enc_err, CURLcode curl, int grpc, long http,
		       unsigned long *count)
{
	long now = now_ms();
	struct fail_kind *k = NULL, *stalest = &h->kinds[0];
	bool due;
	int i;

	h->uses++;
	for (i = 0; i < LOG_KINDS; i++) {
		struct fail_kind *f = &h->kinds[i];

		if (f->count && f->enc_err == enc_err && f->curl == curl && f->grpc == grpc &&
		    f->http == http) {
			k = f;
			break;
		}
		if (f->last_use < stalest->last_use)
			stalest = f;
	}
	if (!k) {
		k = stalest;
		*k = (struct fail_kind){
			.enc_err = enc_err, .curl = curl, .grpc = grpc, .http = http
		};
	}
	k->last_use = h->uses;
	due = ++k->count == 1 || now - k->logged_ms >= LOG_INTERVAL_MS;
	if (due)
		k->logged_ms = now;
	*count = k->count;
	return due;
}

/* A collector's text for a log line: control characters (a terminal's escapes) made '?'. */
static void printable(const char *in, size_t len, char *out, size_t outsz)
{
	size_t n = len < outsz - 1 ? len : outsz - 1;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[n] = '\0';
}

/*
 * The kind of a failed attempt, for the counters. again: whether the
 * protocol's rules retry an answer that came (rc CURLE_OK).
 */
static enum ws_export_err classify(const struct otlp_http *h, int enc_err, CURLcode rc, bool again)
{
	if (enc_err)
		return WS_EXPORT_ERR_ENCODING;
	switch (rc) {
	case CURLE_OK:
		return again ? WS_EXPORT_ERR_HTTP_RETRYABLE : WS_EXPORT_ERR_HTTP_REJECTED;
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
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
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

/* What the attempt met, in otlp_resp.h's terms, from libcurl's code and words. */
static enum ws_otlp_seen seen_of(const struct otlp_http *h, CURLcode rc)
{
	long oserr = 0;

	switch (rc) {
	case CURLE_OK:
		return WS_OTLP_SEEN_ANSWER;
	case CURLE_COULDNT_CONNECT:
		/* Also an unreachable host or network: only a refusal means nothing listens. */
		curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &oserr);
		return oserr == ECONNREFUSED ? WS_OTLP_SEEN_REFUSED : WS_OTLP_SEEN_OTHER;
	case CURLE_COULDNT_RESOLVE_HOST:
		return WS_OTLP_SEEN_NO_HOST;
	case CURLE_UNSUPPORTED_PROTOCOL:
		/* "Received HTTP/0.9 when not allowed": binary where a status line belongs. */
		return strstr(h->errbuf, "HTTP/0.9") ? WS_OTLP_SEEN_NOT_HTTP1 : WS_OTLP_SEEN_OTHER;
	case CURLE_WEIRD_SERVER_REPLY:
		return WS_OTLP_SEEN_NOT_HTTP1;
	case CURLE_HTTP2:
		return WS_OTLP_SEEN_NOT_HTTP2;
	case CURLE_GOT_NOTHING:
		return WS_OTLP_SEEN_EMPTY;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		/* A TLS alert is not a hang-up (classify() makes it a tls failure). */
		return strstr(h->errbuf, " alert ") ? WS_OTLP_SEEN_OTHER : WS_OTLP_SEEN_HUNG_UP;
	case CURLE_SSL_CONNECT_ERROR:
		/* OpenSSL's words for a plain-text answer to the ClientHello. */
		return strstr(h->errbuf, "wrong version number") ? WS_OTLP_SEEN_NOT_TLS
								 : WS_OTLP_SEEN_OTHER;
	default:
		return WS_OTLP_SEEN_OTHER;
	}
}

/* "; likely cause: ..." for the failure's log line, or "" when there is nothing to say. */
static void likely_cause(const struct otlp_http *h, CURLcode rc, long http, char *out, size_t outsz)
{
	static const char lead[] = "; likely cause: ";
	struct ws_otlp_fault f = {
		.grpc = h->proto == WS_OTLP_GRPC,
		.seen = seen_of(h, rc),
		.http = http,
		.grpc_status = h->ans.grpc_status >= 0,
		.grpc_content = h->ans.grpc_content,
		.host_port = h->host_port,
		.port = h->port,
		.path = h->path,
	};

	out[0] = '\0';
	if (!h->host_port[0] || outsz <= sizeof(lead))
		return;
	if (ws_otlp_hint(&f, out + sizeof(lead) - 1, outsz - sizeof(lead) + 1))
		memcpy(out, lead, sizeof(lead) - 1);
	else
		out[0] = '\0';
}

/*
 * Counts one failed attempt by kind and logs it: one line per failure kind,
 * rate limited; never the body, never the URL (it may hold credentials). A
 * gRPC status comes with its grpc-message, which the collector wrote to be
 * read. A failure whose cause can be guessed says it.
 */
static enum ws_export_err log_failure(struct otlp_http *h, int enc_err, CURLcode rc, int grpc,
				      long http, bool again)
{
	enum ws_export_err kind = classify(h, enc_err, rc, again);
	char msg[MSG_MAX], cause[512];
	unsigned long count;

	if (h->counters)
		ws_export_count(&h->counters->errors[kind], 1);
	if (!fail_count(h, enc_err, rc, grpc, http, &count))
		return kind;
	if (!enc_err)
		likely_cause(h, rc, http, cause, sizeof(cause));
	if (enc_err)
		fprintf(stderr, "wirespan: otlp export failed: encoding: %s, %lu time%s\n",
			strerror(enc_err), count, count == 1 ? "" : "s");
	else if (rc != CURLE_OK)
		fprintf(stderr, "wirespan: otlp export failed: %s (curl %d), %lu time%s%s\n",
			h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc), (int)rc, count,
			count == 1 ? "" : "s", cause);
	else if (grpc >= 0) {
		printable(h->ans.grpc_message, strlen(h->ans.grpc_message), msg, sizeof(msg));
		fprintf(stderr,
			"wirespan: otlp export failed: gRPC status %d %s%s%s%s, %lu time%s%s\n",
			grpc, ws_grpc_code_name(grpc), msg[0] ? " (" : "", msg, msg[0] ? ")" : "",
			count, count == 1 ? "" : "s", cause);
	} else
		fprintf(stderr, "wirespan: otlp export failed: HTTP status %ld, %lu time%s%s\n",
			http, count, count == 1 ? "" : "s", cause);
	return kind;
}

/*
 * A delivered batch's answer: spans the collector rejected are counted and
 * logged; a warning (nothing rejected, something said) is logged. The
 * batch stays delivered whatever the answer holds.
 */
static void read_answer(struct otlp_http *h, size_t n)
{
	struct ws_otlp_partial ps;
	char msg[MSG_MAX];
	uint64_t rejected;

	if (h->ans.body_cut ||
	    ws_otlp_body_answer(h->body, h->ans.body.data, h->ans.body.len, &h->ans.info, &ps)) {
		if (log_due(&h->unreadable_logs))
			fprintf(stderr,
				"wirespan: otlp export: the collector's answer could not be read "
				"(%s), rejected spans unknown, %lu time%s\n",
				h->ans.body_cut ? "over 64 KiB" : "malformed", h->unreadable_logs,
				h->unreadable_logs == 1 ? "" : "s");
		return;
	}
	printable(ps.message, ps.message_len, msg, sizeof(msg));
	if (ps.rejected > 0) {
		/* A collector cannot reject more than it was sent: the count is capped. */
		rejected = (uint64_t)ps.rejected < n ? (uint64_t)ps.rejected : n;
		h->rejected += rejected;
		if (log_due(&h->partial_logs))
			fprintf(stderr,
				"wirespan: otlp export: the collector rejected %llu of %zu "
				"spans%s%s%s, %lu time%s\n",
				(unsigned long long)ps.rejected, n, msg[0] ? " (" : "", msg,
				msg[0] ? ")" : "", h->partial_logs,
				h->partial_logs == 1 ? "" : "s");
	} else if (msg[0] && log_due(&h->warning_logs)) {
		fprintf(stderr, "wirespan: otlp export: the collector warns: %s, %lu time%s\n", msg,
			h->warning_logs, h->warning_logs == 1 ? "" : "s");
	}
}

static uint64_t otlp_http_take_rejected(struct ws_exporter *e)
{
	struct otlp_http *h = (struct otlp_http *)e;
	uint64_t r = h->rejected;

	h->rejected = 0;
	return r;
}

/* The value of header line "Name: value\r\n" when it is name's; NULL otherwise. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *v, *end = line + len;

	if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl))
		return NULL;
	v = line + nl + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*vlen = (size_t)(end - v);
	return v;
}

/* Retry-After: delay-seconds (an HTTP-date is left to the backoff). */
static void retry_after(struct otlp_http *h, const char *v, size_t vlen)
{
	char buf[32];
	size_t n = vlen < sizeof(buf) - 1 ? vlen : sizeof(buf) - 1;
	char *end;
	long sec;

	memcpy(buf, v, n);
	buf[n] = '\0';
	sec = strtol(buf, &end, 10);
	if (end != buf && !*end && sec >= 0 && sec < 86400)
		h->ans.retry_after_ms = sec * 1000;
}

/* grpc-status: decimal digits only, as the protocol writes it. */
static void grpc_status(struct otlp_http *h, const char *v, size_t vlen)
{
	int code = 0;

	if (!vlen || vlen > 3)
		return;
	for (size_t i = 0; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9')
			return;
		code = code * 10 + (v[i] - '0');
	}
	h->ans.grpc_status = code;
}

/*
 * Every header line of the answer, the trailers too (libcurl passes HTTP/2
 * trailers here after the body): Retry-After, Content-Type, and gRPC's
 * grpc-status, grpc-message, grpc-status-details-bin and grpc-encoding.
 */
static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
	struct otlp_http *h = ud;
	size_t len = size * nmemb, vlen;
	const char *v;
	long delay;

	if (len > 5 && !strncmp(line, "HTTP/", 5)) {
		/* A new answer (after a 1xx): forget what the last one said. */
		h->ans.retry_after_ms = -1;
		h->ans.grpc_status = -1;
		h->ans.retry_info = false;
		h->ans.grpc_message[0] = '\0';
		h->ans.info = (struct ws_otlp_answer_info){ 0 };
		h->ans.grpc_content = false;
	} else if ((v = header_value(line, len, "Retry-After", &vlen))) {
		retry_after(h, v, vlen);
	} else if ((v = header_value(line, len, "Content-Type", &vlen))) {
		h->ans.info.json = vlen >= 16 && !strncasecmp(v, "application/json", 16);
		h->ans.info.protobuf = vlen >= 22 && !strncasecmp(v, "application/x-protobuf", 22);
		h->ans.grpc_content = vlen >= 16 && !strncasecmp(v, "application/grpc", 16);
	} else if (h->proto != WS_OTLP_GRPC) {
		return len;
	} else if ((v = header_value(line, len, "grpc-status", &vlen))) {
		grpc_status(h, v, vlen);
	} else if ((v = header_value(line, len, "grpc-message", &vlen))) {
		ws_grpc_pct_decode(v, vlen, h->ans.grpc_message, sizeof(h->ans.grpc_message));
	} else if ((v = header_value(line, len, "grpc-status-details-bin", &vlen))) {
		if (ws_grpc_retry_info(v, vlen, &delay) == 1) {
			h->ans.retry_info = true;
			/* The server's wait; with none, the backoff's. */
			if (delay > 0)
				h->ans.retry_after_ms = delay;
		}
	} else if ((v = header_value(line, len, "grpc-encoding", &vlen))) {
		h->ans.info.grpc_gzip = vlen == 4 && !strncasecmp(v, "gzip", 4);
	}
	return len;
}

/* Keeps the first WS_OTLP_ANSWER_MAX bytes of the answer's body; the rest is read and dropped. */
static size_t keep_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct otlp_http *h = ud;
	size_t len = size * nmemb, room = WS_OTLP_ANSWER_MAX - h->ans.body.len;

	if (len > room) {
		h->ans.body_cut = true;
		len = room;
	}
	if (len && !ws_buf_reserve(&h->ans.body, h->ans.body.len + len)) {
		memcpy(h->ans.body.data + h->ans.body.len, ptr, len);
		h->ans.body.len += len;
	} else if (len) {
		h->ans.body_cut = true; /* no memory: as good as cut */
	}
	return size * nmemb;
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

/*
 * Failing to reach the collector, or losing the connection before an
 * answer, is retried; so is an HTTP/2 stream the server refused before
 * working on it (REFUSED_STREAM, UNAVAILABLE in gRPC's mapping). Other
 * stream resets (gRPC: INTERNAL) are not.
 */
static bool retryable_curl(const struct otlp_http *h, CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
	       rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_HTTP2 ||
	       (rc == CURLE_HTTP2_STREAM && strstr(h->errbuf, "REFUSED_STREAM"));
}

/* What the OTLP specification calls retryable for OTLP/HTTP. */
static bool retryable(const struct otlp_http *h, CURLcode rc, long http)
{
	if (rc != CURLE_OK)
		return retryable_curl(h, rc);
	return http == 429 || http == 502 || http == 503 || http == 504;
}

/*
 * The status of a gRPC call that got an answer: grpc-status when there is
 * one (whatever the HTTP status), else gRPC's mapping of the HTTP status.
 */
static int grpc_outcome(const struct otlp_http *h, long http)
{
	return h->ans.grpc_status >= 0 ? h->ans.grpc_status : ws_grpc_code_from_http(http);
}

/* One POST within budget_ms. */
static CURLcode post_once(struct otlp_http *h, long budget_ms, long *http)
{
	CURLcode rc;

	*http = 0;
	h->errbuf[0] = '\0';
	h->ans.retry_after_ms = -1;
	h->ans.grpc_status = -1;
	h->ans.retry_info = false;
	h->ans.grpc_message[0] = '\0';
	h->ans.info = (struct ws_otlp_answer_info){ 0 };
	h->ans.grpc_content = false;
	h->ans.body.len = 0;
	h->ans.body_cut = false;
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, budget_ms > 1 ? budget_ms : 1L);
	rc = curl_easy_perform(h->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, http);
	return rc;
}

/*
 * A delivered batch after failed ones: said once, and the failure kinds
 * start over, so the next streak's first failure is logged again.
 */
static void recovered(struct otlp_http *h)
{
	if (!h->failed_batches)
		return;
	fprintf(stderr, "wirespan: otlp export to %s recovered after %lu failed batch%s\n",
		h->where, h->failed_batches, h->failed_batches == 1 ? "" : "es");
	h->failed_batches = 0;
	for (int i = 0; i < LOG_KINDS; i++)
		h->kinds[i].count = 0;
}

static int export_batch(struct otlp_http *h, struct ws_span *const *spans, size_t n);

static int otlp_http_export(struct ws_exporter *e, struct ws_span *const *spans, size_t n)
{
	struct otlp_http *h = (struct otlp_http *)e;
	int err = export_batch(h, spans, n);

	if (err)
		h->failed_batches++;
	else if (n)
		recovered(h);
	return err;
}

/* One batch, retried within the export timeout: 0 when delivered, or -errno. */
static int export_batch(struct otlp_http *h, struct ws_span *const *spans, size_t n)
{
	long deadline, backoff_ms = RETRY_FIRST_MS;
	const uint8_t *body;
	size_t body_len;
	long http = 0;
	int err, grpc = -1;
	bool ok, again;
	CURLcode rc;

	if (!n)
		return 0;
	err = ws_otlp_body_request(h->body, spans, n, &body, &body_len);
	if (err) {
		log_failure(h, -err, CURLE_OK, -1, 0, false);
		return err;
	}
	/* The buffer may have moved since the last batch. */
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	deadline = now_ms() + h->timeout_ms;
	for (;;) {
		long left = deadline - now_ms(), wait;

		rc = post_once(h, left, &http);
		if (rc != CURLE_OK) {
			ok = false;
			again = retryable_curl(h, rc);
		} else if (h->proto == WS_OTLP_GRPC) {
			grpc = grpc_outcome(h, http);
			ok = grpc == WS_GRPC_OK;
			again = ws_grpc_retryable(grpc, h->ans.retry_info);
		} else {
			ok = http >= 200 && http < 300;
			again = retryable(h, rc, http);
		}
		if (ok) {
			read_answer(h, n);
			return 0;
		}
		if (log_failure(h, 0, rc, rc == CURLE_OK ? grpc : -1, http, again) ==
		    WS_EXPORT_ERR_TLS)
			again = false;
		if (!again) {
			if (rc == CURLE_OK && h->counters)
				ws_export_count(&h->counters->refused, n);
			return -EIO;
		}
		/* Jitter: a fleet of agents must not come back in step. */
		wait = h->ans.retry_after_ms >= 0
			       ? h->ans.retry_after_ms
			       : backoff_ms / 2 + (long)(jitter() % (backoff_ms / 2 + 1));
		left = deadline - now_ms();
		if (wait >= left)
			return -ETIMEDOUT; /* time is up: the batch processor holds the batch, offers it again */
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
	ws_otlp_body_free(h->body);
	ws_buf_release(&h->ans.body);
	free(h);
}

/* The headers of each protocol: its content type and how a gzip body is announced. */
static const char *const *protocol_headers(enum ws_otlp_protocol proto, bool gzip)
{
	static const char *const pb[] = { "Content-Type: application/x-protobuf", NULL };
	static const char *const pb_gz[] = { "Content-Type: application/x-protobuf",
					     "Content-Encoding: gzip", NULL };
	static const char *const json[] = { "Content-Type: application/json", NULL };
	static const char *const json_gz[] = { "Content-Type: application/json",
					       "Content-Encoding: gzip", NULL };
	/* gRPC compresses the message, not the body; te: trailers is required. */
	static const char *const grpc[] = { "Content-Type: application/grpc", "TE: trailers",
					    NULL };
	static const char *const grpc_gz[] = { "Content-Type: application/grpc", "TE: trailers",
					       "grpc-encoding: gzip", NULL };

	switch (proto) {
	case WS_OTLP_HTTP_JSON:
		return gzip ? json_gz : json;
	case WS_OTLP_GRPC:
		return gzip ? grpc_gz : grpc;
	default:
		return gzip ? pb_gz : pb;
	}
}

static int set_headers(struct otlp_http *h, const struct ws_otlp_http_opts *o)
{
	static const char *const hdrs[] = {
		/*
		 * curl would ask for 100-continue on bigger bodies and wait up to a
		 * second for it: receivers seldom answer it, and we send anyway.
		 */
		"Expect:",
	};
	const char *const *ph;
	struct curl_slist *l;

	char line[1024];

	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		l = curl_slist_append(h->headers, hdrs[i]);
		if (!l)
			return -ENOMEM;
		h->headers = l;
	}
	for (ph = protocol_headers(o->protocol, o->gzip); *ph; ph++) {
		l = curl_slist_append(h->headers, *ph);
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
 * gRPC: the collector's scheme and authority with the method's path (a
 * path in the endpoint is dropped, as gRPC clients do), over HTTP/2: h2c
 * with prior knowledge for http://, ALPN for https://.
 */
static int set_grpc(struct otlp_http *h, const char *endpoint)
{
	const char *auth = strstr(endpoint, "://");
	size_t origin;
	char *url;
	int err = 0;

	if (!auth)
		return -EINVAL;
	auth += 3;
	origin = (size_t)(auth - endpoint) + strcspn(auth, "/?#");
	url = malloc(origin + sizeof(WS_GRPC_TRACE_EXPORT_PATH));
	if (!url)
		return -ENOMEM;
	memcpy(url, endpoint, origin);
	memcpy(url + origin, WS_GRPC_TRACE_EXPORT_PATH, sizeof(WS_GRPC_TRACE_EXPORT_PATH));
	/* libcurl copies the URL. */
	if (curl_easy_setopt(h->curl, CURLOPT_URL, url) ||
	    curl_easy_setopt(h->curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE))
		err = -EINVAL;
	/*
	 * libcurl before 8.0 fails every request after the first on a reused
	 * h2c connection (curl issue 10634): one connection per export then.
	 */
	if (!err && !strncmp(endpoint, "http://", 7) &&
	    curl_version_info(CURLVERSION_NOW)->version_num < 0x080000 &&
	    curl_easy_setopt(h->curl, CURLOPT_FORBID_REUSE, 1L))
		err = -EINVAL;
	free(url);
	return err;
}

/*
 * The endpoint as log lines name it: scheme, host, port and (OTLP/HTTP)
 * path, never the user, password or query, which may hold credentials.
 * Left empty when libcurl cannot parse it (the POST then says why).
 */
static void set_where(struct otlp_http *h, const char *endpoint)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	CURLU *u = curl_url();

	if (!u || curl_url_set(u, CURLUPART_URL, endpoint, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0))
		goto out;
	if (h->proto == WS_OTLP_GRPC)
		path[0] = '\0'; /* the method's path replaces it */
	printable(path, strlen(path), h->path, sizeof(h->path));
	snprintf(h->host_port, sizeof(h->host_port), "%s:%s", host, port);
	printable(h->host_port, strlen(h->host_port), h->host_port, sizeof(h->host_port));
	snprintf(h->where, sizeof(h->where), "%s://%s%s", scheme, h->host_port, h->path);
	h->port = (unsigned int)strtoul(port, NULL, 10);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
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
	h->exp.take_rejected = otlp_http_take_rejected;
	h->exp.name = "otlp";
	h->proto = opts->protocol;
	h->curl = curl_easy_init();
	if (!h->curl)
		goto fail;
	h->body = ws_otlp_body_new(opts->protocol, opts->gzip);
	if (!h->body) {
		err = -errno;
		goto fail;
	}
	h->timeout_ms = timeout_ms;
	h->counters = opts->counters;
	set_where(h, opts->endpoint);
	err = set_headers(h, opts);
	if (err)
		goto fail;

	if (opts->protocol == WS_OTLP_GRPC) {
		err = set_grpc(h, opts->endpoint);
		if (err)
			goto fail;
	} else if (curl_easy_setopt(h->curl, CURLOPT_URL, opts->endpoint) != CURLE_OK) {
		err = -EINVAL;
		goto fail;
	}
	err = -EINVAL;
	if (set_tls(h, opts))
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
	    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, keep_body) ||
	    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h) ||
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
