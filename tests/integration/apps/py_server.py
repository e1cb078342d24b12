# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A thread-per-request HTTP/1.1 server for the integration tests.

Routes: /error -> 500, /missing -> 404, /slow?ms=N sleeps N ms,
/big?bytes=N&pace_ms=M answers N bytes in 64 KiB writes M ms apart,
/call?port=P&path=X makes a GET to 127.0.0.1:P X from the handling thread
and answers with its status (or S with &status=S: a front tier that hides
a back tier's failure), /charge -> 402 with a Request-Id header (a
payment partner saying no), anything else -> 200 "ok". Binds 127.0.0.1 (or ::1 with --ipv6, or --bind ADDR) on an ephemeral port
and prints "READY <port>" once listening.
"""
import argparse
import http.client
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self, code, body=b"ok", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/error":
            self._reply(500, b"boom")
        elif url.path == "/missing":
            self._reply(404, b"no such thing")
        elif url.path == "/charge":
            self._reply(402, b"declined", [("Request-Id", "req_8f2a")])
        elif url.path == "/call":
            q = parse_qs(url.query)
            c = http.client.HTTPConnection("127.0.0.1", int(q["port"][0]), timeout=10)
            c.request("GET", q.get("path", ["/"])[0])
            r = c.getresponse()
            r.read()
            c.close()
            self._reply(int(q.get("status", [r.status])[0]))
        elif url.path == "/big":
            self._big(parse_qs(url.query))
        elif url.path == "/slow":
            ms = int(parse_qs(url.query).get("ms", ["100"])[0])
            time.sleep(ms / 1000)
            self._reply(200)
        else:
            self._reply(200)

    def _big(self, q):
        """bytes=N of body in 64 KiB writes, pace_ms=M between them."""
        n, pace = int(q["bytes"][0]), float(q.get("pace_ms", ["0"])[0]) / 1000
        chunk = b"x" * 65536
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        while n:
            k = min(n, len(chunk))
            self.wfile.write(chunk[:k])
            n -= k
            time.sleep(pace)

    do_HEAD = do_GET

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        self._reply(201, b"created")

    def log_message(self, *args):
        pass


class Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ipv6", action="store_true")
    ap.add_argument("--bind", help="address to listen on (default 127.0.0.1, or ::1)")
    args = ap.parse_args()
    cls = Server6 if args.ipv6 else ThreadingHTTPServer
    srv = cls((args.bind or ("::1" if args.ipv6 else "127.0.0.1"), 0), Handler)
    srv.daemon_threads = True
    print("READY", srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
