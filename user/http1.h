/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Incremental HTTP/1.x parser for one direction of one connection, shaped
 * like picohttpparser: pure, no I/O, no globals, no allocation after init.
 * The message head is gathered in the parser's own buffer across feeds (a
 * head may be split over many reads); bodies are only counted, never kept.
 *
 * Bytes the kernel did not copy (the tail of a large I/O) are announced with
 * http1_gap(): inside a counted body they are just subtracted; anywhere else
 * the parser loses sync and waits for the next message start (RESYNC).
 */
#ifndef WS_HTTP1_H
#define WS_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#define HTTP1_MAX_HEADERS 64
#define HTTP1_HEAD_MAX 16384 /* longest head kept; longer: -E2BIG, counted, resync */

enum http1_kind {
	HTTP1_AUTO = 0,	    /* decide from the first bytes: "HTTP/" -> responses, else requests */
	HTTP1_REQUESTS = 1, /* this stream carries requests */
	HTTP1_RESPONSES = 2,
};

struct http1_header {
	const char *name;
	size_t name_len;
	const char *value; /* leading and trailing whitespace trimmed */
	size_t value_len;
};

struct http1_head {
	int is_request;
	const char *method; /* requests */
	size_t method_len;
	const char *target; /* requests: request-target as sent */
	size_t target_len;
	int status;	   /* responses: 100..999 */
	int version_minor; /* HTTP/1.<minor>: 0 or 1 */
	size_t nheaders;
	struct http1_header headers[HTTP1_MAX_HEADERS];
	int64_t content_length; /* -1 when absent */
	unsigned chunked : 1;	/* Transfer-Encoding ends in chunked */
	unsigned conn_close : 1; /* Connection: close, or HTTP/1.0 without keep-alive */
	unsigned upgrade : 1;	/* Connection: upgrade */
};

enum http1_ev_type {
	HTTP1_EV_NONE = 0,
	HTTP1_EV_HEAD, /* ev.head is valid until the next call on this parser */
	HTTP1_EV_END,  /* the message that last had a HEAD is complete */
	HTTP1_EV_ERROR /* ev.error: -EPROTO or -E2BIG; the parser is now resyncing */
};

struct http1_event {
	enum http1_ev_type type;
	const struct http1_head *head;
	int error;
	int inferred; /* EV_END only: end deduced from the next message start after lost sync */
};

enum http1_body_mode { HTTP1_BODY_NONE, HTTP1_BODY_LENGTH, HTTP1_BODY_CHUNKED, HTTP1_BODY_UNTIL_CLOSE };

struct http1_parser {
	enum http1_kind kind;
	int state;	   /* internal state machine */
	int in_message;	   /* a HEAD was emitted and its END not yet */
	enum http1_body_mode body_mode;
	uint64_t remaining; /* LENGTH: body bytes left; CHUNKED: bytes left in chunk data */
	int chunk_state;    /* internal */
	uint64_t chunk_acc; /* chunk-size being read */
	size_t head_len;    /* bytes gathered in head_buf */
	struct http1_head head;
	char head_buf[HTTP1_HEAD_MAX];
};

void http1_init(struct http1_parser *p, enum http1_kind kind);

/*
 * Feeds captured bytes. Returns bytes consumed (>= 0) and fills *ev with at
 * most one event; call again with the rest while bytes remain. Returns 0 with
 * HTTP1_EV_NONE only when len is 0. A malformed message gives HTTP1_EV_ERROR
 * (never a crash); the parser then skips bytes until a message start.
 */
long http1_feed(struct http1_parser *p, const char *buf, size_t len, struct http1_event *ev);

/* n bytes of the stream were not captured. Same return/event contract as feed. */
long http1_gap(struct http1_parser *p, uint64_t n, struct http1_event *ev);

/* The connection closed: a body running until close ends (EV_END); 0 or an event. */
void http1_close(struct http1_parser *p, struct http1_event *ev);

/*
 * After a response HEAD: the request was HEAD (or the caller otherwise knows
 * there is no body): the message ends now. Emits nothing; the next feed
 * starts a new message. For responses the parser already applies 1xx, 204
 * and 304 rules itself.
 */
void http1_no_body(struct http1_parser *p);

/* Case-insensitive header lookup in a parsed head; NULL when absent. */
const struct http1_header *http1_find(const struct http1_head *h, const char *name);

/* 1 when buf starts like an HTTP/1.x request line or status line (enough bytes to tell). */
int http1_looks_like_start(const char *buf, size_t len);

#endif /* WS_HTTP1_H */
