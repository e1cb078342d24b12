#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Writes a wirespan record file (user/capture/recfile.h) holding N synthetic HTTP/1.1
request/response pairs, as the socket tracepoints would have captured them on
a server: for `build/wirespan --replay FILE`.

    gen_records.py --recfile-h user/capture/recfile.h --pairs 1000000 --out FILE

The traffic: --conns keep-alive connections in flight at once, each carrying
--per-conn requests before it closes (close record) and a new one takes its
place; requests of the connections interleave as on a busy server. A request
is one ingress record, its response (head and 30-byte body) one egress record.
Paths, query strings, user agents and a traceparent on every 10th request
vary. Prints "<pairs> pairs, <records> records, <bytes> bytes" on stdout.
"""
import argparse
import re
import struct
import sys
import time
from pathlib import Path

# bpf/wirespan.h
WS_REC_DATA, WS_REC_CLOSE = 1, 2
WS_DIR_EGRESS, WS_DIR_INGRESS = 0, 1
WS_ROLE_SERVER = 2
WS_SRC_SOCK_TP = 1
AF_INET = 2
HDR = struct.Struct("<HHIQIIQ")        # struct ws_rec_hdr, 32 bytes
TUPLE = struct.Struct("<16s16sHHHH")   # struct ws_tuple, 40 bytes
DATA_TAIL = struct.Struct("<IIBBB5x16sQ")  # io_len .. goroutine: rest of struct ws_data_rec
FILE_HDR = struct.Struct("<8sIIIIqQ")  # struct ws_recfile_hdr, 40 bytes
KNOWN_VERSION = 1

PATHS = ["/", "/index.html", "/api/v1/items", "/api/v1/items/{n}", "/api/v1/users/{n}/orders",
         "/static/app.{n}.js", "/healthz", "/search", "/cart/{n}", "/api/v2/graph"]
QUERIES = ["", "", "", "?page={n}", "?q=shoes&sort=price", "?id={n}&token=secret{n}"]
AGENTS = ["wrk", "curl/7.88.1", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 "
          "Firefox/120.0", "python-requests/2.31.0", "Go-http-client/1.1"]
BODY = b"hello from the wirespan bench\n!"[:30]


def check_header(path):
    """The record file version and the record sizes this generator writes."""
    text = Path(path).read_text()
    m = re.search(r"#define\s+WS_RECFILE_VERSION\s+(\d+)", text)
    if not m:
        sys.exit(f"gen_records: no WS_RECFILE_VERSION in {path}")
    if int(m.group(1)) != KNOWN_VERSION:
        sys.exit(f"gen_records: {path} is version {m.group(1)}; this generator writes "
                 f"version {KNOWN_VERSION}")
    wh = Path(path).resolve().parents[1] / "bpf" / "wirespan.h"
    if wh.exists():
        sizes = dict(re.findall(r"sizeof\(struct (\w+)\) == (\d+)", wh.read_text()))
        want = {"ws_rec_hdr": "32", "ws_tuple": "40", "ws_close_rec": "72",
                "ws_data_rec": str(HDR.size + TUPLE.size + DATA_TAIL.size)}
        for k, v in want.items():
            if sizes.get(k, v) != v:
                sys.exit(f"gen_records: {wh} says sizeof(struct {k}) == {sizes[k]}, "
                         f"this generator writes {v}")


def main():
    ap = argparse.ArgumentParser(description="synthesize a wirespan record file")
    ap.add_argument("--recfile-h", default=str(Path(__file__).resolve().parents[2] / "user"
                                               / "recfile.h"))
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--conns", type=int, default=256, help="connections open at once")
    ap.add_argument("--per-conn", type=int, default=100, help="requests per connection")
    ap.add_argument("--pid", type=int, default=4242)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    check_header(args.recfile_h)

    mono_to_unix = time.time_ns() - time.monotonic_ns()
    comm = b"nginx".ljust(16, b"\0")
    lo = bytes([127, 0, 0, 1]) + bytes(12)
    out = open(args.out, "wb", buffering=4 << 20)
    out.write(FILE_HDR.pack(b"WSRECORD", KNOWN_VERSION, FILE_HDR.size, HDR.size,
                            HDR.size + TUPLE.size + DATA_TAIL.size,
                            mono_to_unix, 0))
    nrec = 0

    def put(rec):
        nonlocal nrec
        out.write(struct.pack("<II", len(rec), 0))
        out.write(rec)
        pad = -len(rec) % 8
        if pad:
            out.write(b"\0" * pad)
        nrec += 1

    # Connections: [sock_id, client port, requests done, tuple bytes]
    next_sock = 0xffff888000000000
    next_port = 32768

    def new_conn():
        nonlocal next_sock, next_port
        next_sock += 0x800
        next_port = 32768 + (next_port - 32768 + 1) % 28000
        return [next_sock, next_port, 0, TUPLE.pack(lo, lo, 8080, next_port, AF_INET, 0)]

    conns = [new_conn() for _ in range(args.conns)]
    ts = time.monotonic_ns()
    tid = args.pid
    for i in range(args.pairs):
        c = conns[i % args.conns]
        n = i * 7919 % 100000
        path = PATHS[i % len(PATHS)].format(n=n) + QUERIES[i % len(QUERIES)].format(n=n)
        head = (f"GET {path} HTTP/1.1\r\nHost: shop.example:8080\r\n"
                f"User-Agent: {AGENTS[i % len(AGENTS)]}\r\nAccept: */*\r\n")
        if i % 10 == 0:
            head += f"traceparent: 00-{i + 1:032x}-{i + 7:016x}-01\r\n"
        req = (head + "\r\n").encode()
        status = b"200 OK" if i % 50 else b"404 Not Found"
        resp = (b"HTTP/1.1 " + status + b"\r\nServer: nginx/1.22.1\r\nDate: Tue, 25 Nov 2025 "
                b"15:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 30\r\n"
                b"Connection: keep-alive\r\n\r\n" + BODY)
        for payload, direction, dt in ((req, WS_DIR_INGRESS, 3000), (resp, WS_DIR_EGRESS, 45000)):
            ts += dt
            body = c[3] + DATA_TAIL.pack(len(payload), len(payload), direction, WS_ROLE_SERVER,
                                         WS_SRC_SOCK_TP, comm, 0) + payload
            put(HDR.pack(WS_REC_DATA, 0, len(body), ts, args.pid, tid, c[0]) + body)
        c[2] += 1
        if c[2] == args.per_conn:
            ts += 1000
            put(HDR.pack(WS_REC_CLOSE, 0, TUPLE.size, ts, 0, 0, c[0]) + c[3])
            conns[i % args.conns] = new_conn()
    out.close()
    print(f"{args.pairs} pairs over {args.conns} concurrent keep-alive connections "
          f"({args.per_conn} requests each), {nrec} records, {Path(args.out).stat().st_size} bytes")


if __name__ == "__main__":
    main()
