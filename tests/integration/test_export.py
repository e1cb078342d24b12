# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""OTLP export options a collector relies on: gzip bodies and the user's
headers (an API key, a tenant), from the standard OTEL_* variables."""
from conftest import SERVER, spans_of, start_py_server


def test_gzip_and_headers_reach_the_collector(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path), env={
        "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
        "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=s3cr%65t,x-tenant = acme",
    })
    server, port = start_py_server(cgroup)
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/z"])
    assert res.returncode == 0
    spans = receiver.wait_for(lambda s: len(spans_of(s, SERVER)) >= 1, timeout=15)
    agent.stop()
    assert spans_of(spans, SERVER)[0]["attributes"]["url.path"] == "/z"
    log = [r for r in receiver.request_log() if r["spans"]]
    assert log, receiver.request_log()
    for r in log:
        h = r["headers"]
        assert h.get("content-encoding") == "gzip", h
        assert h.get("x-api-key") == "s3cret" and h.get("x-tenant") == "acme", h
        assert r["status"] == 200


def test_bad_export_settings_are_one_clear_line(tmp_path):
    import subprocess
    from conftest import AGENT
    for var, val, want in (
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "brotli", "gzip or none"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "k=a%0D%0AHost: evil", "OTLP headers")):
        r = subprocess.run([str(AGENT), "--version"], capture_output=True, text=True,
                           env={var: val, "PATH": "/usr/bin:/bin"}, timeout=30)
        assert r.returncode == 2, r
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and want in lines[0], r.stderr


def test_503_and_429_are_retried_and_nothing_is_lost(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    receiver.fail_next(503, count=1, retry_after=0)
    receiver.fail_next(429, count=1)  # no Retry-After: the backoff (0.5-1 s) applies
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/retry"])
    assert res.returncode == 0
    spans = receiver.wait_for(lambda s: len(s) >= 2, timeout=20)
    stats = agent.stop()
    assert [r["status"] for r in receiver.request_log()][:3] == [503, 429, 200]
    assert stats["export"]["export_failed"] == 0 and stats["export"]["exported"] == 2, stats
    assert len(spans_of(spans, SERVER)) == 1


def test_400_drops_the_batch_counts_it_and_logs_once(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    receiver.fail_next(400, count=1)
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/bad"])
    assert res.returncode == 0
    import time
    deadline = time.monotonic() + 15
    while not receiver.request_log() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    stats = agent.stop()
    assert [r["status"] for r in receiver.request_log()] == [400]
    assert stats["export"]["export_failed"] == 2, stats
    assert sum("HTTP status 400" in l for l in agent.lines) == 1, agent.lines
