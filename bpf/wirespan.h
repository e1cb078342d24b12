/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The record contract between bpf/ and user/: every record the kernel puts in
 * the ring buffer, the stat ids of the per-CPU counters, and the limits both
 * sides agree on. Fixed-width types only; this header is the source of truth.
 */
#ifndef WIRESPAN_H
#define WIRESPAN_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Upper bound of payload bytes copied per I/O; the runtime knob is <= this. */
#define WS_CAP_MAX 16384
/* Default payload copied per I/O: a request with a 4 KiB cookie keeps its traceparent. */
#define WS_CAP_DEFAULT 8192
/* Most cgroups selectable with --cgroup (one bpf_current_task_under_cgroup each). */
#define WS_MAX_CGROUPS 8
/* Messages of a connection first seen mid-stream tried before it is declared not HTTP. */
#define WS_CLASSIFY_TRIES 32
/* iovec entries walked for readv/writev/sendmsg/recvmsg. */
#define WS_MAX_IOV 4
/*
 * Smallest I/O that looks up whether user space asked not to copy it (map
 * skips): smaller ones are copied without asking, so small requests pay
 * nothing for large bodies.
 */
#define WS_SKIP_MIN_IO 4096
/*
 * A CPU wakes the consumer at once for an I/O of WS_SKIP_MIN_IO bytes or
 * more that was not copied whole (it may start a long body the agent would
 * have skipped), at most once per this many ns.
 */
#define WS_PROMPT_WAKE_NS 1000000
/*
 * Longest request head an I/O is copied for (WS_F_PART): past the capture,
 * a head is copied on in records of WS_CAP_MAX bytes up to this many bytes
 * from the I/O's start, so a traceparent behind a large cookie is seen.
 */
#define WS_HEAD_MAX 65536

enum ws_rec_type {
	WS_REC_DATA = 1,  /* struct ws_data_rec + payload */
	WS_REC_CLOSE = 2, /* struct ws_close_rec: connection of a streamed socket closed */
	/* struct ws_connect_fail_rec: a connect() failed before any byte */
	WS_REC_CONNECT_FAIL = 3,
	WS_REC_GO = 4, /* struct ws_go_rec: a Go program's HTTP client at work (uprobes) */
	/* --floor-copy: a struct ws_data_rec's header, lengths and dir, and the bytes */
	WS_REC_FLOOR = 5,
};

enum ws_dir {
	WS_DIR_EGRESS = 0,  /* the traced process sent these bytes */
	WS_DIR_INGRESS = 1, /* the traced process received these bytes */
};

enum ws_role {
	WS_ROLE_UNKNOWN = 0,
	WS_ROLE_CLIENT = 1, /* the process connect()ed this socket (active open seen) */
	WS_ROLE_SERVER = 2,
};

enum ws_source {
	WS_SRC_SOCK_TP = 1, /* raw_tp sock_send_length / sock_recv_length */
	WS_SRC_SYSCALL = 2, /* syscalls/sys_exit_* fallback */
};

/* ws_rec_hdr.flags */
#define WS_F_TRUNCATED 0x1   /* cap_len < io_len: the rest of the I/O was not copied */
#define WS_F_NO_BUFFER 0x2   /* the I/O came from a syscall whose buffer we cannot read */
#define WS_F_READ_FAILED 0x4 /* bpf_probe_read_user failed: cap_len is 0 */
/* The I/O ends a stretch of a body user space asked not to copy (map skips): cap_len is 0 */
#define WS_F_SKIPPED 0x8
/* seq is set (records of older agents, in old record files, leave it 0) */
#define WS_F_SEQ 0x400
/*
 * One part of an I/O that starts a request head longer than the capture:
 * the record stands for io_len bytes of it from seq on (the last part for
 * the rest of the I/O), and the next part, if any, follows it in the ring.
 * To user space the parts read as consecutive I/O.
 */
#define WS_F_PART 0x800
/* ws_close_rec flags: how the connection ended, when the kernel says */
#define WS_F_CLOSED_BY_PEER 0x10 /* the peer closed first (FIN received: via CLOSE_WAIT) */
#define WS_F_RESET 0x20		 /* a reset was received (sk_err ECONNRESET) */
#define WS_F_TIMED_OUT 0x40	 /* retransmissions or keepalives timed out (ETIMEDOUT) */
/* ws_connect_fail_rec flags (with WS_F_TIMED_OUT: no answer to the SYN) */
#define WS_F_REFUSED 0x80	/* the SYN was answered by a reset (ECONNREFUSED) */
#define WS_F_HOST_UNREACH 0x100 /* an ICMP error: host unreachable (EHOSTUNREACH) */
#define WS_F_NET_UNREACH 0x200	/* an ICMP error: network unreachable (ENETUNREACH) */

struct ws_rec_hdr {
	__u16 type;    /* enum ws_rec_type */
	__u16 flags;   /* WS_F_* */
	__u32 len;     /* bytes following this header in the record */
	__u64 ts_ns;   /* CLOCK_MONOTONIC, bpf_ktime_get_ns() */
	__u32 tgid;    /* process id */
	__u32 tid;     /* thread id */
	__u64 sock_id; /* kernel address of the struct sock: the connection's identity */
};
_Static_assert(sizeof(struct ws_rec_hdr) == 32, "ring buffer ABI");

struct ws_tuple {
	__u8 saddr[16]; /* local address, network byte order; IPv4 in the first 4 bytes */
	__u8 daddr[16]; /* remote address, same encoding */
	__u16 sport;	/* local port, host byte order */
	__u16 dport;	/* remote port, host byte order */
	__u16 family;	/* AF_INET (2) or AF_INET6 (10) */
	__u16 pad;
};
_Static_assert(sizeof(struct ws_tuple) == 40, "ring buffer ABI");

struct ws_data_rec {
	struct ws_rec_hdr hdr;
	struct ws_tuple tuple;
	__u32 io_len;  /* bytes the I/O moved (the syscall's return value); WS_F_PART: see there */
	__u32 cap_len; /* bytes of it copied after this struct, from the start of the I/O */
	__u8 dir;      /* enum ws_dir */
	__u8 role;     /* enum ws_role, as far as the kernel knows it */
	__u8 source;   /* enum ws_source */
	__u8 pad;
	/*
	 * With WS_F_SEQ: where the I/O's first byte is in its direction's
	 * stream (bytes the connection moved that way since the kernel first
	 * saw it, mod 2^32). Bytes between two records that no record carried
	 * were skipped (map skips) or lost.
	 */
	__u32 seq;
	char comm[16]; /* the process's (thread group leader's) comm, NUL-padded */
	/*
	 * In a Go program user space asked about (map go_procs): the goroutine
	 * that made the I/O (its runtime g, from the register Go keeps it in).
	 * 0 otherwise. A thread id says nothing there: goroutines move.
	 */
	__u64 goroutine;
	/* __u8 payload[cap_len] follows */
};
_Static_assert(sizeof(struct ws_data_rec) == 112, "ring buffer ABI");

struct ws_close_rec {
	struct ws_rec_hdr hdr;
	struct ws_tuple tuple;
};
_Static_assert(sizeof(struct ws_close_rec) == 72, "ring buffer ABI");

/*
 * A connect() of a selected process that failed (SYN_SENT -> CLOSE with an
 * error): the call never carried a byte, so no data record tells of it.
 */
struct ws_connect_fail_rec {
	struct ws_rec_hdr hdr; /* tgid, tid: who called connect(); ts_ns: the failure */
	struct ws_tuple tuple; /* the local port may be 0: released before the close is seen */
	__u64 start_ns;	       /* when the connect began (SYN_SENT), CLOCK_MONOTONIC */
	char comm[16];	       /* the process's comm, NUL-padded */
};
_Static_assert(sizeof(struct ws_connect_fail_rec) == 96, "ring buffer ABI");

/*
 * Go's net/http client hands a request to the connection's writer goroutine:
 * the goroutine whose handler made the call is not the one that writes it.
 * Two uprobes tell user space who wrote for whom.
 */
enum ws_go_event {
	WS_GO_ROUNDTRIP = 1, /* net/http.(*Transport).roundTrip: goroutine asks for req */
	WS_GO_REQ_WRITE = 2, /* net/http.(*Request).write: goroutine writes req */
};

struct ws_go_rec {
	struct ws_rec_hdr hdr; /* sock_id 0 */
	__u64 goroutine;       /* the running goroutine (runtime g) */
	__u64 req;	       /* the *http.Request */
	__u32 event;	       /* enum ws_go_event */
	__u32 pad;
};
_Static_assert(sizeof(struct ws_go_rec) == 56, "ring buffer ABI");

/* Per-CPU counters, index of the `stats` map. Names are in WS_STAT_NAMES. */
enum ws_stat {
	WS_STAT_RECORDS = 0,	 /* data records submitted */
	WS_STAT_RB_FULL,	 /* records lost: ring buffer full */
	WS_STAT_TRUNCATED,	 /* I/O larger than the capture size: tail not copied */
	WS_STAT_READ_FAILED,	 /* user buffer could not be read */
	WS_STAT_NO_BUFFER,	 /* I/O from a syscall we cannot take the buffer of */
	WS_STAT_NOT_HTTP,	 /* I/O skipped on a connection classified as not HTTP */
	WS_STAT_CONN_TABLE_FULL, /* connection could not be tracked (no memory for its state) */
	WS_STAT_CLOSES,		 /* close records submitted */
	WS_STAT_CONNECT_FAILS,	 /* failed-connect records submitted */
	WS_STAT_GO_EVENTS,	 /* Go client records submitted */
	/*
	 * Program runs the kernel skipped because the same program was already
	 * running on that CPU (an interrupt came in the middle of it, e.g. a
	 * softirq's TCP state change during a close()): that I/O or state
	 * change is lost. Filled by user space from the programs' info
	 * (recursion_misses), never by the programs.
	 */
	WS_STAT_RECURSION_MISSES,
	/*
	 * Syscall fallback: socket syscalls of selected processes not followed,
	 * because the table of syscalls in flight (one entry per thread inside
	 * one) was full: their I/O is lost.
	 */
	WS_STAT_SYSCALLS_UNTRACKED,
	/* I/O inside a body user space asked not to copy (map skips): not copied */
	WS_STAT_BODY_SKIPPED,
	/* Records carrying a request head past the capture (WS_F_PART), beyond the I/O's first */
	WS_STAT_HEAD_PARTS,
	WS_STAT__COUNT,
};

/* Stat names, in enum order: one name in BPF stats, logs and self-metrics. */
#define WS_STAT_NAMES                                                                              \
	{                                                                                          \
		"records", "ringbuf_full", "truncated", "read_failed", "no_buffer", "not_http",    \
			"conn_table_full", "closes", "connect_failures", "go_events",              \
			"recursion_misses", "syscalls_untracked", "body_skipped", "head_parts"     \
	}

/* Kernel-side state of a socket of a selected process (maps `sk_conns`, `conns`). */
enum ws_conn_class {
	WS_CLASS_UNKNOWN = 0, /* still looking at its first messages */
	WS_CLASS_HTTP = 1,    /* looks like HTTP/1.x: streamed */
	WS_CLASS_OTHER = 2,   /* not HTTP: nothing more copied */
};

struct ws_conn {
	__u8 class;  /* enum ws_conn_class */
	__u8 role;   /* enum ws_role */
	__u8 opened; /* 1 when the open was seen (first bytes are a message start) */
	__u8 tries;  /* messages classified so far */
	/*
	 * The endpoints and the process name, read once per connection instead
	 * of once per I/O (six kernel reads and a string read: a quarter of a
	 * record's cost). The socket's ports, re-read per I/O, tell when the
	 * cache no longer describes the socket.
	 */
	__u32 portpair; /* skc_portpair when tuple was filled; 0: not filled */
	struct ws_tuple tuple;
	char comm[16];
	/* Who connect()ed it and when: a failed connect is reported from softirq context. */
	__u32 open_tgid; /* 0: not opened by a selected process's connect() */
	__u32 open_tid;
	__u64 open_ns;
	__u32 seq[2];  /* bytes moved per direction (enum ws_dir) since first seen, mod 2^32 */
	__u64 born_ns; /* timestamp of its first record; 0: none yet */
};

/*
 * Map `skips`, by sock_id, written by user space: per direction (enum
 * ws_dir), the stretch [from, until) of the stream (ws_data_rec.seq
 * positions, mod 2^32) inside a Content-Length body whose bytes the agent
 * has no use for. An I/O of at least WS_SKIP_MIN_IO bytes wholly inside it
 * is not copied and sends no record, unless it ends the stretch: that one
 * sends a record without bytes (WS_F_SKIPPED), whose timestamp ends the
 * message. ts: the timestamp of the record the hint was derived from; a
 * connection first seen after it (a new one at the same address) ignores it.
 */
struct ws_skip {
	__u64 ts[2];
	__u32 from[2];
	__u32 until[2];
};
_Static_assert(sizeof(struct ws_skip) == 32, "map ABI");

#endif /* WIRESPAN_H */
