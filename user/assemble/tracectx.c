// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * W3C Trace Context: the traceparent parser (levels 1 and 2: version 00 and
 * the forward-compatible reading of later versions), the tracestate checker
 * (level 2 keys; values and list rules are level 1's, unchanged), the hex
 * encoder, and the generator of trace and span ids: one xoshiro256** state
 * per thread, seeded from getrandom(), so the capture loop never takes a lock
 * or a syscall for an id.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "httpchars.h"
#include "tracectx.h"

/* version "-" trace-id "-" parent-id "-" trace-flags */
#define TP_LEN 55
#define TP_TRACE_OFF 3
#define TP_PARENT_OFF 36
#define TP_FLAGS_OFF 53

/* HEXDIGLC only: upper-case hex is invalid by the spec, not a variant. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes 2n lower-case hex chars into n bytes; false on any other char. */
static bool unhex(const char *in, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = hi << 4 | lo;
	}
	return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int ws_traceparent_parse(const char *val, size_t len, struct ws_traceparent *out)
{
	struct ws_traceparent tp;

	if (!val || !out)
		return -EINVAL;
	/* OWS around a field value is not part of it (RFC 9110 5.5). */
	while (len && ws_is_ows(*val)) {
		val++;
		len--;
	}
	while (len && ws_is_ows(val[len - 1]))
		len--;

	if (len < TP_LEN)
		return -EINVAL;
	if (!unhex(val, 1, &tp.version) || val[2] != '-')
		return -EINVAL;
	if (tp.version == 0xff)
		return -EINVAL;
	/*
	 * Version 00 is exactly 55 chars. A later version may append fields,
	 * but only after a dash: its first four fields are read as 00's.
	 */
	if (tp.version == 0x00 ? len != TP_LEN : len > TP_LEN && val[TP_LEN] != '-')
		return -EINVAL;
	if (!unhex(val + TP_TRACE_OFF, sizeof(tp.trace_id), tp.trace_id) ||
	    val[TP_PARENT_OFF - 1] != '-')
		return -EINVAL;
	if (!unhex(val + TP_PARENT_OFF, sizeof(tp.parent_id), tp.parent_id) ||
	    val[TP_FLAGS_OFF - 1] != '-')
		return -EINVAL;
	if (!unhex(val + TP_FLAGS_OFF, 1, &tp.flags))
		return -EINVAL;
	if (all_zero(tp.trace_id, sizeof(tp.trace_id)) ||
	    all_zero(tp.parent_id, sizeof(tp.parent_id)))
		return -EINVAL;
	*out = tp;
	return 0;
}

/*
 * tracestate (Trace Context Level 2, 3.3). A key is
 *   key = ( lcalpha / DIGIT ) 0*255 ( keychar )
 *   keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
 * Level 1's multi-tenant key, tenant "@" system with its own limits, is one
 * case of it: "@" is a keychar anywhere after the first, as often as it comes.
 */
#define TS_KEY_MAX 256
#define TS_VALUE_MAX 256

struct ts_member {
	const char *p; /* "key=value", OWS already trimmed */
	size_t len;
	size_t klen;
};

static bool is_lcalpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_keychar(char c)
{
	return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/' ||
	       c == '@';
}

static bool ts_key_ok(const char *p, size_t n)
{
	if (n == 0 || n > TS_KEY_MAX || !(is_lcalpha(p[0]) || is_digit(p[0])))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_keychar(p[i]))
			return false;
	return true;
}

/* 1..256 chars of 0x20-0x7e but ',' and '=', not ending in a space. */
static bool ts_value_ok(const char *p, size_t n)
{
	if (n == 0 || n > TS_VALUE_MAX || p[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e || p[i] == ',' || p[i] == '=')
			return false;
	return true;
}

static bool ts_member_ok(const char *p, size_t n, struct ts_member *m)
{
	const char *eq = memchr(p, '=', n);

	if (!eq || !ts_key_ok(p, eq - p) || !ts_value_ok(eq + 1, n - (eq - p) - 1))
		return false;
	m->p = p;
	m->len = n;
	m->klen = eq - p;
	return true;
}

/* Only one entry per key: it stands for the vendor's last position in the trace. */
static bool ts_has_key(const struct ts_member *m, size_t n, const struct ts_member *k)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].klen == k->klen && !memcmp(m[i].p, k->p, k->klen))
			return true;
	return false;
}

/* Splits at ',' (never part of a key or value), trims OWS, validates: count or -EINVAL. */
static int ts_split(const char *val, size_t len, struct ts_member *m)
{
	size_t n = 0, pos = 0;

	while (pos <= len) {
		const char *c = memchr(val + pos, ',', len - pos);
		size_t end = c ? (size_t)(c - val) : len, b = pos, e = end;
		struct ts_member cur;

		pos = end + 1;
		while (b < e && ws_is_ows(val[b]))
			b++;
		while (e > b && ws_is_ows(val[e - 1]))
			e--;
		if (b == e)
			continue; /* empty members come from joined or empty header lines */
		if (n == WS_TRACESTATE_MAX_MEMBERS || !ts_member_ok(val + b, e - b, &cur) ||
		    ts_has_key(m, n, &cur))
			return -EINVAL;
		m[n++] = cur;
	}
	return (int)n;
}

int ws_tracestate_check(const char *val, size_t len, char *out, size_t outsz)
{
	struct ts_member m[WS_TRACESTATE_MAX_MEMBERS];
	size_t total = 0, o = 0;
	int n;

	if ((!val && len) || (!out && outsz))
		return -EINVAL;
	n = ts_split(val ? val : "", len, m);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		total += m[i].len + (i > 0);
	if (!out)
		return (int)total;
	if (total >= outsz)
		return -ENOSPC;
	for (int i = 0; i < n; i++) {
		if (i)
			out[o++] = ',';
		memcpy(out + o, m[i].p, m[i].len);
		o += m[i].len;
	}
	out[o] = '\0';
	return (int)o;
}

void ws_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/*
 * Id generation. Ids need to be unique, not secret (they travel in clear
 * headers), so a fast PRNG is enough; what matters is that two threads or two
 * agent processes never share a sequence, hence per-thread state seeded from
 * the kernel's entropy. A fork() would copy the state: the child handler
 * bumps a generation so every thread of the child reseeds before its next id.
 */
struct rng {
	uint64_t s[4];
	unsigned int gen;
	bool seeded;
};

static __thread struct rng tls_rng;
static unsigned int fork_gen;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
	__atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

/* splitmix64: spreads a poor seed over the whole state, as xoshiro's authors advise. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r)
{
	uint64_t seed[4];
	ssize_t n;

	pthread_once(&atfork_once, register_atfork);
	n = getrandom(seed, sizeof(seed), GRND_NONBLOCK);
	if (n != (ssize_t)sizeof(seed)) {
		/*
		 * No entropy yet (early boot) or no getrandom: mix what tells
		 * this thread and moment apart. Uniqueness, not secrecy.
		 */
		struct timespec ts;
		uint64_t x;

		clock_gettime(CLOCK_REALTIME, &ts);
		x = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
		x ^= (uint64_t)getpid() << 32 ^ (uint64_t)gettid();
		x ^= (uint64_t)(uintptr_t)r;
		for (int i = 0; i < 4; i++)
			seed[i] = splitmix64(&x);
	}
	memcpy(r->s, seed, sizeof(r->s));
	/* xoshiro's one forbidden state. */
	if (all_zero((const uint8_t *)r->s, sizeof(r->s)))
		r->s[0] = 1;
	r->gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
	r->seeded = true;
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna). */
static uint64_t rng_next(void)
{
	struct rng *r = &tls_rng;
	uint64_t *s = r->s, result, t;

	if (!r->seeded || r->gen != __atomic_load_n(&fork_gen, __ATOMIC_RELAXED))
		rng_seed(r);
	result = rotl(s[1] * 5, 7) * 9;
	t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

void ws_ids_trace(uint8_t out[16])
{
	uint64_t a, b;

	/* An all-zero id is invalid; with 128 random bits this loop never runs twice. */
	do {
		a = rng_next();
		b = rng_next();
	} while (!a && !b);
	memcpy(out, &a, 8);
	memcpy(out + 8, &b, 8);
}

void ws_ids_span(uint8_t out[8])
{
	uint64_t a;

	do
		a = rng_next();
	while (!a);
	memcpy(out, &a, 8);
}
