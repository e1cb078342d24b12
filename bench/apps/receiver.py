#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The integration tests' OTLP/HTTP receiver (tests/integration/otlp_receiver.py),
run for the benchmarks: every POST is decoded with the real OTLP schema and
answered as the tests' receiver answers it, but spans are only counted, not
turned into dicts and kept (at 50,000 spans/s that would cost a core and
gigabytes). The first span received is kept whole, as evidence.

    receiver.py --port 0        prints "READY <port>" on stdout, then serves
    GET /stats                  {"requests", "accepted", "rejected", "spans", "sample"}
"""
import argparse
import json
import signal
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
import otlp_receiver  # noqa: E402

_full_request_to_spans = otlp_receiver.request_to_spans


class CountingReceiver(otlp_receiver.OtlpReceiver):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.span_count = 0
        self.sample = None

    def _record(self, handler, status, nbytes, nspans, spans=None):
        super()._record(handler, status, nbytes, nspans, None)
        with self._cond:
            self.span_count += nspans
            del self._log[:]  # one dict per POST would grow for hours

    def stats(self):
        with self._cond:
            return {"requests": self.requests, "accepted": self.accepted,
                    "rejected": self.rejected, "spans": self.span_count, "sample": self.sample}


RX = None


def counting_request_to_spans(req):
    """What the receiver's POST handler uses: the span count, as a sequence
    of that length; the first span of all is decoded in full."""
    n = sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
    if RX is not None and RX.sample is None and n:
        RX.sample = otlp_receiver._jsonable(_full_request_to_spans(req)[0])
    return range(n)


def _do_get(self):
    if self.path.split("?")[0] != "/stats":
        self._reply(405, b"POST only\n", "text/plain")
        return
    self._reply(200, json.dumps(RX.stats()).encode(), "application/json")


def main():
    global RX
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    otlp_receiver.request_to_spans = counting_request_to_spans
    otlp_receiver._Handler.do_GET = _do_get
    RX = CountingReceiver(args.host, args.port).start()
    print(f"READY {RX.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    RX.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
