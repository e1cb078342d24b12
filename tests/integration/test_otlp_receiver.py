# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The C OTLP encoder and exporter against the Python receiver.

The unit test binary build/tests/test_otlp_pb writes its sample batch
(WS_OTLP_SAMPLE_OUT) or exports it with the real exporter
(WS_OTLP_EXPORT_TO); here the bytes are decoded by protobuf's own Python
implementation, which also rejects what protobuf-c would let through
(invalid UTF-8). The expected spans mirror sample_make() in
tests/unit/test_otlp_pb.c. WS_BUILD_DIR overrides <repo>/build.

Run with Debian's Python: /usr/bin/python3 -m pytest tests/integration/test_otlp_receiver.py
"""

import gzip
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from otlp_receiver import REPO, OtlpReceiver, load_pb  # noqa: E402

BUILD = Path(os.environ.get("WS_BUILD_DIR", REPO / "build"))
TEST_BIN = BUILD / "tests" / "test_otlp_pb"

T0 = 1700000000000000000
TRACE = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
RES_A = {
    "service.name": "checkout",
    "process.pid": 4242,
    "process.executable.name": "python3.11",
    "process.executable.path": "/usr/bin/python3.11",
    "host.name": "node-1",
    "telemetry.sdk.name": "wirespan",
}
RES_B = {
    "service.name": "nginx",
    "process.pid": 77,
    "process.executable.name": "nginx",
    "host.name": "node-1",
    "telemetry.sdk.name": "wirespan",
}
EXPECTED = [
    {
        "trace_id": TRACE,
        "span_id": "11" * 8,
        "parent_span_id": "01" * 8,
        "name": "GET",
        "kind": 2,
        "start_ns": T0 + 0x11 * 1000,
        "end_ns": T0 + 0x11 * 1000 + 2500000,
        "status_code": 0,
        "flags": 1,
        "trace_state": "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
        "attributes": {
            "http.request.method": "GET",
            "url.path": "/api/cart",
            "http.response.status_code": 200,
            "server.port": 8080,
        },
        "resource": RES_A,
    },
    {
        "trace_id": TRACE,
        "span_id": "33" * 8,
        "parent_span_id": "11" * 8,
        "name": "HTTP",
        "kind": 3,
        "start_ns": T0 + 0x33 * 1000,
        "end_ns": T0 + 0x33 * 1000 + 2500000,
        "status_code": 0,
        "flags": 1,
        "trace_state": "",
        "attributes": {"url.full": "http://x/été"},
        "resource": RES_A,
    },
    {
        "trace_id": TRACE,
        "span_id": "22" * 8,
        "parent_span_id": "",
        "name": "POST",
        "kind": 3,
        "start_ns": T0 + 0x22 * 1000,
        "end_ns": T0 + 0x22 * 1000 + 2500000,
        "status_code": 2,
        "flags": 0,
        "trace_state": "",
        "attributes": {
            "http.request.method": "POST",
            "server.address": "backend.internal",
            "http.response.status_code": 503,
            "big": -9000000000,
        },
        "resource": RES_B,
    },
]


@pytest.fixture
def rx():
    r = OtlpReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def test_bin():
    if not os.access(TEST_BIN, os.X_OK):
        pytest.fail(
            f"{TEST_BIN} is missing: build the unit tests first (make, or "
            "make OUT=<dir> with WS_BUILD_DIR=<dir>)"
        )
    return TEST_BIN


@pytest.fixture
def sample(test_bin, tmp_path):
    out = tmp_path / "sample.pb"
    res = subprocess.run(
        [test_bin], env={**os.environ, "WS_OTLP_SAMPLE_OUT": str(out)}, capture_output=True,
        text=True, timeout=60,
    )
    assert res.returncode == 0, res.stderr
    return out.read_bytes()


def post(url, body, ctype="application/x-protobuf", encoding=None):
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", ctype)
    if encoding:
        req.add_header("Content-Encoding", encoding)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def check_spans(got):
    assert len(got) == len(EXPECTED)
    # The C encoder groups by resource in order of first appearance, keeping
    # batch order within a group: checkout's two spans, then nginx's one.
    for g, want in zip(got, EXPECTED):
        for key, val in want.items():
            if key == "resource":
                for rk, rv in val.items():
                    assert g["resource"].get(rk) == rv, (g["span_id"], rk)
            else:
                assert g[key] == val, (g["span_id"], key)
        assert "telemetry.sdk.language" not in g["resource"]
        assert g["resource"]["telemetry.sdk.version"]
        assert g["scope"] == {
            "name": "wirespan",
            "version": g["resource"]["telemetry.sdk.version"],
        }
    assert "process.executable.path" not in got[2]["resource"]


def test_encoded_sample_decodes(rx, sample):
    status, body = post(rx.endpoint, sample)
    assert status == 200
    resp = load_pb().ExportTraceServiceResponse()
    resp.ParseFromString(body)
    assert not resp.HasField("partial_success")
    check_spans(rx.spans())
    assert rx.counters() == {"requests": 1, "accepted": 1, "rejected": 0, "spans": 3}


def test_encoded_sample_gzip(rx, sample):
    status, _ = post(rx.endpoint, gzip.compress(sample), encoding="gzip")
    assert status == 200
    check_spans(rx.spans())


def test_exporter_end_to_end(rx, test_bin):
    res = subprocess.run(
        [test_bin], env={**os.environ, "WS_OTLP_EXPORT_TO": rx.endpoint},
        capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    check_spans(rx.wait_for(lambda s: len(s) >= 3, timeout=5))
    (req,) = rx.request_log()
    assert req["path"] == "/v1/traces"
    assert req["headers"]["content-type"] == "application/x-protobuf"
    assert req["headers"]["user-agent"].startswith("wirespan/")
    assert "expect" not in req["headers"]


def test_exporter_reports_failure(rx, test_bin):
    rx.fail_next(400)
    res = subprocess.run(
        [test_bin], env={**os.environ, "WS_OTLP_EXPORT_TO": rx.endpoint},
        capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 1
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and "HTTP status 400" in lines[0], res.stderr
    assert rx.spans() == []
    assert rx.counters()["rejected"] == 1


def test_bad_requests(rx, sample):
    assert post(rx.endpoint.replace("/v1/traces", "/v1/metrics"), sample)[0] == 404
    assert post(rx.endpoint, sample, ctype="application/json")[0] == 415
    assert post(rx.endpoint, b"\xff\xff\xff garbage")[0] == 400
    assert post(rx.endpoint, b"not gzip", encoding="gzip")[0] == 400
    assert rx.spans() == []
    assert rx.counters() == {"requests": 4, "accepted": 0, "rejected": 4, "spans": 0}


def test_wait_for_and_clear(rx, sample):
    with pytest.raises(TimeoutError):
        rx.wait_for(lambda s: len(s) > 0, timeout=0.2)
    post(rx.endpoint, sample)
    assert len(rx.wait_for(lambda s: any(x["name"] == "POST" for x in s), timeout=5)) == 3
    rx.clear()
    assert rx.spans() == [] and rx.counters()["requests"] == 0


def test_script_mode(sample):
    script = Path(__file__).resolve().parent / "otlp_receiver.py"
    p = subprocess.Popen(
        [sys.executable, str(script), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = p.stderr.readline()
        assert "listening on http://127.0.0.1:" in first, first
        url = first.split("listening on ", 1)[1].strip()
        assert post(url, sample)[0] == 200
        lines = [json.loads(p.stdout.readline()) for _ in range(3)]
        assert [s["span_id"] for s in lines] == [e["span_id"] for e in EXPECTED]
        assert lines[0]["resource"]["service.name"] == "checkout"
    finally:
        p.terminate()
        p.wait(timeout=10)
