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
JSON_TEST_BIN = BUILD / "tests" / "test_otlp_json"

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
    assert post(rx.endpoint, sample, ctype="text/plain")[0] == 415
    assert post(rx.endpoint, sample, ctype="application/json")[0] == 400
    assert post(rx.endpoint, b"\xff\xff\xff garbage")[0] == 400
    assert post(rx.endpoint, b"not gzip", encoding="gzip")[0] == 400
    assert rx.spans() == []
    assert rx.counters() == {"requests": 5, "accepted": 0, "rejected": 5, "spans": 0}


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


@pytest.fixture
def json_sample(tmp_path):
    """full_span() and a second span of tests/unit/test_otlp_json.c, as the C encoder writes them."""
    if not os.access(JSON_TEST_BIN, os.X_OK):
        pytest.fail(f"{JSON_TEST_BIN} is missing: build the unit tests first")
    out = tmp_path / "sample.json"
    res = subprocess.run([JSON_TEST_BIN], env={**os.environ, "WS_OTLP_JSON_SAMPLE_OUT": str(out)},
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return out.read_bytes()


def test_json_sample_decodes_field_for_field(rx, json_sample):
    status, body = post(rx.endpoint, json_sample, ctype="application/json")
    assert status == 200, body
    assert json.loads(body) == {}  # an empty ExportTraceServiceResponse, in JSON
    full, other = rx.spans()
    assert full["trace_id"] == TRACE and full["span_id"] == "11" * 8
    assert full["parent_span_id"] == "01" * 8
    assert (full["name"], full["kind"], full["flags"], full["status_code"]) == ("POST", 3, 1, 2)
    assert (full["start_ns"], full["end_ns"]) == (T0, T0 + 2500000)
    assert full["trace_state"] == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
    assert full["attributes"] == {"url.full": "http://x/a?q=REDACTED",
                                  "http.response.status_code": 503, "big": -2**63, "empty": ""}
    assert full["dropped_attributes_count"] == 2
    assert full["events"] == [{"name": "exception", "time_ns": T0 + 1000000,
                               "dropped_attributes_count": 0,
                               "attributes": {"exception.type": "ConnectionRefusedError",
                                              "exception.message": "connect: connection refused"}}]
    assert full["links"] == [
        {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7",
         "flags": 1, "trace_state": "", "attributes": {}},
        {"trace_id": "00" * 15 + "01", "span_id": "00" * 7 + "02", "flags": 0,
         "trace_state": "", "attributes": {}},
    ]
    assert full["resource"]["container.id"] == "abc123"
    assert full["resource"]["process.pid"] == 4242
    assert full["scope"]["name"] == "wirespan"
    # the second span: another (unknown) process, a string repaired to UTF-8
    assert other["resource"]["service.name"] == "unknown_service"
    assert "process.pid" not in other["resource"]
    assert other["attributes"] == {"user_agent.original": "bad\ufffd\"ua\""}
    assert other["parent_span_id"] == "11" * 8 and other["status_code"] == 0


@pytest.mark.parametrize("old,new,why", [
    (b'"traceId":"a0a1', b'"trace_id":"a0a1', "lowerCamelCase"),
    (b'"kind":3', b'"kind":"SPAN_KIND_CLIENT"', "enums are integers"),
    (b'"startTimeUnixNano":"1700000000000000000"', b'"startTimeUnixNano":1700000000000000000',
     "64-bit integers are strings"),
    (b'"spanId":"1111111111111111"', b'"spanId":"ERERERERERE="', "in hex"),
    (b'"droppedAttributesCount"', b'"droppedAttributeCount"', "no field named"),
])
def test_json_rules_are_enforced(rx, json_sample, old, new, why):
    """What json_format alone would let through, or a misspelt field, is refused."""
    assert old in json_sample
    status, _ = post(rx.endpoint, json_sample.replace(old, new, 1), ctype="application/json")
    assert status == 400
    (entry,) = rx.request_log()
    assert why in entry["error"], entry["error"]
