# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The OTLP/gRPC half of the test receiver (otlp_receiver.py).

A real gRPC server, Debian's python3-grpcio, serves
opentelemetry.proto.collector.trace.v1.TraceService/Export with the
project's own generated messages, so a request it accepts is one any gRPC
collector would. grpcio decompresses messages before the handler sees
them and keeps grpc-encoding to itself, so a relay in front of it reads the
client's HTTP/2 frames on their way (RFC 9113 framing: no HPACK needed to
find DATA frames) and records each gRPC message as it was on the wire:
its compressed flag and its bytes. Tests use that to check that gzip was
really used.
"""

import gzip
import socket
import threading
from concurrent import futures

SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
FRAME_DATA, FLAG_END_STREAM, FLAG_PADDED = 0, 0x1, 0x8


class H2RequestReader:
    """Reads the client side of an HTTP/2 connection and calls
    on_message(dict) for each request body, one gRPC message each."""

    def __init__(self, on_message):
        self.on_message = on_message
        self.buf = b""
        self.preface_seen = False
        self.broken = False
        self.bodies = {}

    def feed(self, data):
        if self.broken:
            return
        self.buf += data
        if not self.preface_seen:
            if len(self.buf) < len(PREFACE):
                return
            if not self.buf.startswith(PREFACE):
                self.broken = True  # not HTTP/2 with prior knowledge: nothing to read
                return
            self.buf = self.buf[len(PREFACE):]
            self.preface_seen = True
        while len(self.buf) >= 9:
            length = int.from_bytes(self.buf[:3], "big")
            ftype, flags = self.buf[3], self.buf[4]
            stream = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
            if len(self.buf) < 9 + length:
                return
            payload, self.buf = self.buf[9:9 + length], self.buf[9 + length:]
            if ftype != FRAME_DATA:
                continue
            if flags & FLAG_PADDED:
                payload = payload[1:len(payload) - payload[0]]
            self.bodies[stream] = self.bodies.get(stream, b"") + payload
            if flags & FLAG_END_STREAM:
                self._message(self.bodies.pop(stream))

    def _message(self, body):
        info = {"wire_bytes": len(body), "compressed": None, "message": None, "error": None}
        try:
            if len(body) < 5:
                raise ValueError(f"{len(body)} bytes: no gRPC message prefix")
            n = int.from_bytes(body[1:5], "big")
            if body[0] not in (0, 1) or len(body) != 5 + n:
                raise ValueError(f"flag {body[0]}, length {n} for {len(body) - 5} bytes")
            info["compressed"] = body[0] == 1
            info["message"] = gzip.decompress(body[5:]) if body[0] else body[5:]
        except Exception as e:  # noqa: BLE001 - reported to the test, which decides
            info["error"] = str(e)
        self.on_message(info)


class Relay:
    """127.0.0.1:0 -> 127.0.0.1:backend_port, reading the client's frames."""

    def __init__(self, backend_port, on_message):
        self.backend_port = backend_port
        self.on_message = on_message
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, name="otlp-grpc-relay", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopping = True
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self.thread.join(5)
        self.lsock.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.lsock.accept()
            except OSError:
                return
            if self.stopping:
                client.close()
                return
            try:
                backend = socket.create_connection(("127.0.0.1", self.backend_port), timeout=5)
                backend.settimeout(None)
            except OSError:
                client.close()
                continue
            reader = H2RequestReader(self.on_message)
            for src, dst, rd in ((client, backend, reader), (backend, client, None)):
                threading.Thread(target=self._pump, args=(src, dst, rd), daemon=True).start()

    @staticmethod
    def _pump(src, dst, reader):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if reader:
                    reader.feed(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, payload):
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def rpc_status_with_retry_info(code, message, delay_s):
    """google.rpc.Status{code, message, details: [Any(google.rpc.RetryInfo{retry_delay})]},
    the grpc-status-details-bin value of a server saying when to come back.
    Written by hand from google/rpc/status.proto and error_details.proto."""
    secs, nanos = int(delay_s), int(round((delay_s - int(delay_s)) * 1e9))
    duration = b"\x08" + _varint(secs) + (b"\x10" + _varint(nanos) if nanos else b"")
    retry_info = _field(1, duration)
    any_msg = _field(1, b"type.googleapis.com/google.rpc.RetryInfo") + _field(2, retry_info)
    return b"\x08" + _varint(code) + _field(2, message.encode()) + _field(3, any_msg)


class GrpcTraceServer:
    """grpcio serving TraceService/Export with handler(request, context) -> response,
    behind a Relay; endpoint is what the agent should be given."""

    def __init__(self, pb, handler, on_wire, tls=None):
        """tls: (cert PEM path, key PEM path) to also serve gRPC over TLS, on
        tls_port, straight from grpcio (the relay reads cleartext only)."""
        import grpc  # Debian: python3-grpcio (packaging/install-deps.sh)

        self.grpc = grpc
        rpc = grpc.unary_unary_rpc_method_handler(
            handler,
            request_deserializer=pb.ExportTraceServiceRequest.FromString,
            response_serializer=pb.ExportTraceServiceResponse.SerializeToString,
        )
        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="otlp-grpc"),
            handlers=[grpc.method_handlers_generic_handler(SERVICE, {"Export": rpc})],
        )
        self.backend_port = self.server.add_insecure_port("127.0.0.1:0")
        self.relay = Relay(self.backend_port, on_wire)
        self.tls_port = None
        if tls:
            with open(tls[0], "rb") as c, open(tls[1], "rb") as k:
                creds = grpc.ssl_server_credentials([(k.read(), c.read())])
            self.tls_port = self.server.add_secure_port("127.0.0.1:0", creds)

    def start(self):
        self.server.start()
        self.relay.start()
        return self

    def stop(self):
        self.relay.stop()
        self.server.stop(grace=None).wait(5)

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.relay.port}"

    @property
    def tls_endpoint(self):
        return f"https://127.0.0.1:{self.tls_port}" if self.tls_port else None

    def status_code(self, code):
        """grpc.StatusCode for its number."""
        for sc in self.grpc.StatusCode:
            if sc.value[0] == code:
                return sc
        raise ValueError(f"no gRPC status code {code}")
