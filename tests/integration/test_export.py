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
    assert stats["export"]["errors_http_retryable"] == 2 and stats["export"]["retries"] == 2
    assert stats["export"]["refused"] == 0 and stats["export"]["rejected"] == 0
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
    assert stats["export"]["errors_http_rejected"] == 1 and stats["export"]["refused"] == 2
    assert stats["export"]["retries"] == 0, stats
    assert sum("HTTP status 400" in l for l in agent.lines) == 1, agent.lines


def test_metrics_endpoint_serves_the_counters(cgroup, receiver, start_agent):
    import socket
    import urllib.error
    import urllib.request
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    mport = s.getsockname()[1]
    s.close()
    agent = start_agent("--cgroup", str(cgroup.path), "--metrics-address", f"127.0.0.1:{mport}")
    server, port = start_py_server(cgroup)
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/m"])
    assert res.returncode == 0
    receiver.wait_for(lambda s: len(s) >= 2, timeout=15)
    text = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5).read().decode()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{mport}/", timeout=5)
        assert False, "/ must be 404"
    except urllib.error.HTTPError as e:
        assert e.code == 404
    stats = agent.stop()
    samples = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))
    assert int(samples['wirespan_assembly_events_total{kind="spans"}']) == 2
    assert int(samples['wirespan_kernel_events_total{kind="records"}']) >= 4
    assert samples['wirespan_kernel_events_total{kind="ringbuf_full"}'] == "0"
    assert stats["user"]["spans"] == 2


def test_metrics_address_in_use_is_one_clear_line(cgroup):
    import socket
    import subprocess
    from conftest import AGENT
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        r = subprocess.run([str(AGENT), "--cgroup", str(cgroup.path), "--metrics-address",
                            f"127.0.0.1:{s.getsockname()[1]}"], capture_output=True, text=True,
                           timeout=60)
    finally:
        s.close()
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1].startswith("wirespan: --metrics-address"), r.stderr
    assert "Address already in use" in r.stderr
