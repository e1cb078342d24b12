/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Incremental HTTP/1.x parser for one direction of one connection, shaped
 * like picohttpparser: pure, no I/O, no globals. A head that comes whole in
 * one feed is parsed where it lies; one split over feeds is gathered in the
 * parser's own buffer. That buffer (and the header table) is allocated while
 * a head is gathered and freed once the head has been handed out, so an idle
 * keep-alive connection holds no buffer. Bodies are only counted, never kept; a caller that asks for
 * the first bytes of one body (http1_want_body()) gets them pointing into
 * its own buffer.
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
/*
 * Longest head kept; longer: -E2BIG, counted, resync. As long as the kernel
 * copies of a request head (WS_HEAD_MAX): a traceparent behind a large
 * cookie is still read. Held only while a head is gathered.
 */
#define HTTP1_HEAD_MAX 65536

enum http1_kind {
	HTTP1_AUTO = 0, /* decided by the first head parsed: "HTTP/" -> responses, else requests */
	HTTP1_REQUESTS = 1, /* this stream carries requests */
	HTTP1_RESPONSES = 2,
};

struct http1_header {
	const char *name;
	size_t name_len;
	const char *value; /* leading and trailing whitespace trimmed */
	size_t value_len;
};

/*
 * Headers callers read on every message, indexed while the head is parsed:
 * http1_get() finds them without comparing names.
 */
enum http1_known {
	HTTP1_H_HOST,
	HTTP1_H_USER_AGENT,
	HTTP1_H_TRACEPARENT,
	HTTP1_H_TRACESTATE,
	HTTP1_H_BAGGAGE,
	HTTP1_H_WIRESPAN_AGENT, /* the agent's own exports carry it (ws_assembler_opts) */
	HTTP1_H__COUNT
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
	struct http1_header *headers; /* nheaders entries; lives with the head buffer */
	int64_t content_length;	      /* -1 when absent */
	unsigned chunked : 1;	      /* Transfer-Encoding ends in chunked */
	unsigned conn_close : 1;      /* Connection: close, or HTTP/1.0 without keep-alive */
	unsigned upgrade : 1;	      /* Connection: upgrade */
	/*
	 * The head's end was never seen (bytes of it were not copied or were
	 * lost): it holds the start line and the whole fields before the cut,
	 * and the message ends, inferred, at the next message start.
	 */
	unsigned cut : 1;
	/*
	 * Index + 1 in headers of the first such; 0: none. The table's last
	 * HTTP1_H__COUNT slots are kept for these: after many other fields
	 * the first of each is still in the table.
	 */
	uint8_t known_first[HTTP1_H__COUNT];
	uint8_t known_n
		[HTTP1_H__COUNT]; /* how many fields have that name (255: that many or more) */
	/*
	 * Fields left out because their value holds a byte RFC 9110 forbids
	 * (a control byte such as ESC or NUL, or DEL): servers often answer
	 * such a request all the same, so the head stands without them.
	 */
	uint16_t fields_dropped;
};

enum http1_ev_type {
	HTTP1_EV_NONE = 0,
	HTTP1_EV_HEAD,	/* ev.head is valid until the next call on this parser, and while the
			  buffer of this feed is (a head that came whole in one feed points into it) */
	HTTP1_EV_END,	/* the message that last had a HEAD is complete */
	HTTP1_EV_ERROR, /* ev.error: -EPROTO or -E2BIG; the parser is now resyncing */
	HTTP1_EV_BODY	/* ev.body, ev.body_len: body bytes asked for with http1_want_body() */
};

struct http1_event {
	enum http1_ev_type type;
	const struct http1_head *head;
	int error;
	int inferred;	  /* EV_END only: end deduced from the next message start after lost sync */
	const char *body; /* EV_BODY only: inside the buffer given to this feed */
	size_t body_len;  /* EV_BODY only: > 0 */
};

enum http1_body_mode {
	HTTP1_BODY_NONE,
	HTTP1_BODY_LENGTH,
	HTTP1_BODY_CHUNKED,
	HTTP1_BODY_UNTIL_CLOSE
};

struct http1_parser {
	enum http1_kind kind;
	int state;	/* internal state machine */
	int in_message; /* a HEAD was emitted and its END not yet */
	enum http1_body_mode body_mode;
	uint64_t remaining; /* LENGTH: body bytes left; CHUNKED: bytes left in chunk data */
	int chunk_state;    /* internal */
	uint64_t chunk_acc; /* chunk-size being read */
	uint64_t body_want; /* body bytes still to hand out as EV_BODY */
	size_t head_len;    /* bytes gathered in head_buf */
	size_t head_cap;    /* bytes allocated at head_buf (<= HTTP1_HEAD_MAX) */
	char *head_mem;	    /* header table, then head_buf: one block, NULL when idle */
	char *head_buf;
	struct http1_head head;
};

/* Initializes p (any memory); pair with http1_release(). */
void http1_init(struct http1_parser *p, enum http1_kind kind);
/* Frees the head buffer, if any. Safe on a zeroed or released parser; re-init after. */
void http1_release(struct http1_parser *p);

/*
 * Feeds captured bytes. Returns bytes consumed (>= 0) and fills *ev with at
 * most one event; call again with the rest while bytes remain. Returns 0 with
 * HTTP1_EV_NONE only when len is 0 and no event is pending; 0 with an event
 * is possible (an END due before any byte), so loop on the bytes left, not
 * on the return value. A malformed message gives HTTP1_EV_ERROR (never a
 * crash); the parser then skips bytes until a message start.
 *
 * A HEAD of a message without body (1xx, 204, 304, Content-Length: 0, a
 * request without body, http1_no_body()) leaves its END pending: it is
 * handed out, consuming nothing, by the next feed, gap or close. To get it
 * at once, call http1_feed(p, NULL, 0, &ev) after each HEAD (and after
 * http1_no_body()): 0 with HTTP1_EV_END, or 0 with HTTP1_EV_NONE when the
 * message has a body. buf may be NULL when len is 0.
 *
 * After lost sync (an error or a gap), message starts are looked for at line
 * starts and where a feed begins after a previous one was fully consumed (a
 * capture boundary). If the lost message had a HEAD, the next start found
 * first gives HTTP1_EV_END with inferred set, then that message's HEAD.
 */
long http1_feed(struct http1_parser *p, const char *buf, size_t len, struct http1_event *ev);

/*
 * n bytes of the stream were not captured. Same return/event contract as
 * feed, in gap bytes: loop while some remain. Inside a Content-Length body
 * they are counted (END when it completes, the rest of the gap then loses
 * sync); inside chunk data that holds them, counted; in a body until close,
 * ignored; anywhere else the parser loses sync (see http1_lost_sync()).
 * Inside a head whose start line came whole, what came of the head is
 * handed out first (HEAD with cut set), then sync is lost.
 */
long http1_gap(struct http1_parser *p, uint64_t n, struct http1_event *ev);

/*
 * The peer's next message says this one is over: a message whose sync was
 * lost (a cut head, a gap) ends now, inferred (EV_END); nothing otherwise.
 * For a client that waits for an answer before its next request, the next
 * request ends the answer whose end was not seen.
 */
void http1_end_lost(struct http1_parser *p, struct http1_event *ev);

/*
 * The connection closed: a pending END or a body running until close ends
 * (EV_END); a message whose sync was lost ends with inferred set; a
 * Content-Length or chunked body cut short gives nothing. The parser is then
 * reset for a new connection (the kind, once decided, is kept). A head cut
 * by the close after its start line (a client that stopped reading) is
 * handed out first, as at a gap (HEAD, cut), and the parser is not reset
 * yet: call again for its END (inferred).
 */
void http1_close(struct http1_parser *p, struct http1_event *ev);

/*
 * After a response HEAD: the request was HEAD (or the caller otherwise knows
 * there is no body): the message ends now. Emits nothing itself: its END is
 * left pending (see http1_feed()). For responses the parser already applies
 * 1xx, 204 and 304 rules itself.
 */
void http1_no_body(struct http1_parser *p);

/*
 * Right after a HEAD: hand out the first n bytes of this message's body (for
 * chunked bodies the chunk data, framing removed) as HTTP1_EV_BODY events,
 * in order, each pointing into the buffer of the feed that carried them;
 * nothing is copied or kept. Delivery stops after n bytes, at the body's end,
 * and for good at a gap (bytes after it would not follow those before), an
 * error or a close. The END of a body whose last bytes came as EV_BODY is
 * left pending (see http1_feed()). No effect on a message without body.
 */
void http1_want_body(struct http1_parser *p, uint64_t n);

/*
 * Bytes of a Content-Length body still to come that nobody asked to see
 * (http1_want_body): they will only be counted. 0 anywhere else, in chunked
 * bodies too (their framing is in the bytes).
 */
uint64_t http1_body_left(const struct http1_parser *p);

/* 1 while the parser is skipping bytes to find a message start (after an error or a gap). */
int http1_lost_sync(const struct http1_parser *p);

/* Case-insensitive header lookup in a parsed head; NULL when absent. */
const struct http1_header *http1_find(const struct http1_head *h, const char *name);

/* The first header of a known name (as http1_find() would find it); NULL when absent. */
static inline const struct http1_header *http1_get(const struct http1_head *h, enum http1_known k)
{
	return h->known_first[k] ? &h->headers[h->known_first[k] - 1] : NULL;
}

/*
 * 1 when buf starts like an HTTP/1.x request line ("GET ", "POST ", ... of
 * the common methods) or status line ("HTTP/1."); 0 otherwise, also when len
 * is too short to tell.
 */
int http1_looks_like_start(const char *buf, size_t len);

#endif /* WS_HTTP1_H */
