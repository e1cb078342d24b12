# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""OTLP over its three protocols (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) with
the real agent tracing a real server: http/protobuf, http/json and grpc
carry the same spans, gzip really compresses each, gRPC statuses are
retried as the OTLP specification says, and a collector's partial success
is counted."""
import socket
import time
import urllib.request

from conftest import CLIENT, SERVER, spans_of, start_py_server

PROTOCOLS = ("http/protobuf", "http/json", "grpc")
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def agent_for(start_agent, receiver, cgroup, protocol, *args, env=None):
    e = {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": protocol,
         "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint_for(protocol)}
    e.update(env or {})
    return start_agent("--cgroup", str(cgroup.path), *args, env=e)


def curl(cgroup, port, path, *extra):
    """One GET with curl in the cgroup: a CLIENT span and the server's SERVER span.
    curl then lives a third of a second more (a local file:// transfer paced by
    --rate, no socket I/O): the agent reads a process's /proc entry when it first
    drains its records, up to a drain tick (50 ms) later, and a curl gone by then
    would have no process.executable.path in one protocol's run but not another's."""
    res, _ = cgroup.run([b"curl", b"-s", b"--rate", b"3/s", b"-o", b"/dev/null", *extra,
                         f"http://127.0.0.1:{port}{path}".encode(),
                         b"-o", b"/dev/null", b"file:///dev/null"])
    assert res.returncode == 0, res


def traffic(cgroup, port):
    """Four spans with what a span can hold: a remote parent with tracestate,
    a redacted query, a user agent that is not UTF-8 with quotes, a 404."""
    curl(cgroup, port, "/same?q=secret", b"-A", b'ua \xff "quoted" \\ end',
         b"-H", f"traceparent: {TRACEPARENT}".encode(), b"-H", b"tracestate: congo=t61rcWkgMzE")
    curl(cgroup, port, "/missing")


def canonical(spans):
    """The spans with what differs from one run to the next (fresh ids,
    times, curl's pid and port) replaced by what they point to."""
    label = {s["span_id"]: f'{s["kind"]}:{s["attributes"].get("url.path") or s["attributes"].get("url.full")}'
             for s in spans}
    traces = {}
    out = []
    for s in spans:
        assert 0 < s["start_ns"] <= s["end_ns"], s
        c = dict(s)
        c["span_id"] = label[s["span_id"]]
        c["parent_span_id"] = label.get(s["parent_span_id"], s["parent_span_id"])
        if s["trace_id"] != TRACEPARENT[3:35]:
            c["trace_id"] = traces.setdefault(s["trace_id"], f"trace{len(traces)}")
        del c["start_ns"], c["end_ns"]
        c["attributes"] = {k: v for k, v in s["attributes"].items()
                           if k not in ("network.peer.port", "client.port")}
        c["resource"] = {k: v for k, v in s["resource"].items() if k != "process.pid"}
        out.append(c)
    return sorted(out, key=lambda c: c["span_id"])


def test_every_protocol_carries_the_same_spans(cgroup, receiver, start_agent):
    server, port = start_py_server(cgroup)
    seen = {}
    for protocol in PROTOCOLS:
        receiver.clear()
        agent = agent_for(start_agent, receiver, cgroup, protocol)
        traffic(cgroup, port)
        spans = receiver.wait_for(lambda s: len(s) >= 4, timeout=15)
        stats = agent.stop()
        assert stats["export"]["exported"] == 4 and stats["export"]["export_failed"] == 0, stats
        seen[protocol] = canonical(spans)
        if protocol == "grpc":
            wire = receiver.grpc_wire()
            assert wire and all(w["compressed"] is False and not w["error"] for w in wire), wire
    # the spans are complete: every field the agent fills, in every protocol
    spans = seen["http/protobuf"]
    cli = [s for s in spans if s["span_id"] == f"{CLIENT}:http://127.0.0.1:{port}/same?q=REDACTED"]
    assert len(cli) == 1, spans
    cli = cli[0]
    assert cli["trace_id"] == TRACEPARENT[3:35] and cli["parent_span_id"] == "00f067aa0ba902b7"
    assert cli["trace_state"] == "congo=t61rcWkgMzE" and cli["flags"] == 1
    assert cli["attributes"]["http.response.status_code"] == 200
    srv = [s for s in spans if s["span_id"] == f"{SERVER}:/same"]
    assert len(srv) == 1, spans
    assert srv[0]["attributes"]["user_agent.original"] == 'ua \ufffd "quoted" \\ end'
    assert srv[0]["attributes"]["url.query"] == "q=REDACTED"
    # the wire's traceparent wins on both sides (README: trace context rules)
    assert srv[0]["parent_span_id"] == "00f067aa0ba902b7" and srv[0]["trace_state"] == cli["trace_state"]
    srv = [s for s in spans if s["span_id"] == f"{SERVER}:/missing"]
    assert len(srv) == 1 and srv[0]["status_code"] == 0 and srv[0]["name"] == "GET", spans
    assert srv[0]["resource"]["service.name"] and srv[0]["resource"]["telemetry.sdk.name"] == "wirespan"
    assert seen["http/json"] == seen["http/protobuf"]
    assert seen["grpc"] == seen["http/protobuf"]


def test_gzip_compresses_every_protocol(cgroup, receiver, start_agent):
    server, port = start_py_server(cgroup)
    for protocol in PROTOCOLS:
        receiver.clear()
        agent = agent_for(start_agent, receiver, cgroup, protocol, env={
            "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=acme"})
        curl(cgroup, port, "/z")
        spans = receiver.wait_for(lambda s: len(s) >= 2, timeout=15)
        agent.stop()
        assert spans_of(spans, SERVER)[0]["attributes"]["url.path"] == "/z"
        log = [r for r in receiver.request_log() if r["spans"]]
        assert log and all(r["headers"].get("x-tenant") == "acme" for r in log), log
        if protocol == "grpc":
            # gRPC compresses the message, announced by grpc-encoding, not the body
            wire = receiver.grpc_wire()
            assert wire and all(w["compressed"] and not w["error"] for w in wire), wire
            assert all(r["headers"].get("content-encoding") is None for r in log), log
        else:
            assert all(r["headers"].get("content-encoding") == "gzip" for r in log), log


def test_grpc_retryable_statuses_are_retried(cgroup, receiver, start_agent):
    agent = agent_for(start_agent, receiver, cgroup, "grpc")
    server, port = start_py_server(cgroup)
    receiver.fail_next_grpc(14)  # UNAVAILABLE: the backoff (0.5-1 s) applies
    receiver.fail_next_grpc(8, message="slow down", retry_info=0.2)  # RESOURCE_EXHAUSTED + RetryInfo
    curl(cgroup, port, "/retry")
    spans = receiver.wait_for(lambda s: len(s) >= 2, timeout=20)
    stats = agent.stop()
    assert [r["grpc_status"] for r in receiver.request_log()] == [14, 8, 0]
    assert stats["export"]["exported"] == 2 and stats["export"]["export_failed"] == 0, stats
    assert len(spans_of(spans, SERVER)) == 1
    logged = "".join(agent.lines)
    assert "gRPC status 14 UNAVAILABLE (forced failure), 1 time" in logged, logged
    assert "gRPC status 8 RESOURCE_EXHAUSTED (slow down), 1 time" in logged, logged


def test_grpc_other_statuses_drop_the_batch_at_once(cgroup, receiver, start_agent):
    agent = agent_for(start_agent, receiver, cgroup, "grpc")
    server, port = start_py_server(cgroup)
    receiver.fail_next_grpc(8, message="quota")  # RESOURCE_EXHAUSTED without RetryInfo
    curl(cgroup, port, "/no-retry")
    deadline = time.monotonic() + 15
    while not receiver.request_log() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    stats = agent.stop()
    assert [r["grpc_status"] for r in receiver.request_log()] == [8]
    assert stats["export"]["export_failed"] == 2 and stats["export"]["exported"] == 0, stats
    assert sum("gRPC status 8 RESOURCE_EXHAUSTED (quota)" in l for l in agent.lines) == 1


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_partial_success_is_counted_in_every_protocol(cgroup, receiver, start_agent):
    server, port = start_py_server(cgroup)
    for protocol in PROTOCOLS:
        receiver.clear()
        mport = free_port()
        agent = agent_for(start_agent, receiver, cgroup, protocol,
                          "--metrics-address", f"127.0.0.1:{mport}")
        # a control character in the collector's text must not reach the log as it is
        receiver.partial_success_next(1, 'span 1 has no "name"\n')
        curl(cgroup, port, "/partial")
        receiver.wait_for(lambda s: len(s) >= 2, timeout=15)
        # the count lands when export() returns, just after the receiver has the spans
        deadline, text = time.monotonic() + 5, ""
        while 'outcome="rejected"} 1' not in text and time.monotonic() < deadline:
            text = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics",
                                          timeout=5).read().decode()
        stats = agent.stop()
        assert stats["export"]["rejected"] == 1 and stats["export"]["exported"] == 1, (protocol, stats)
        assert 'wirespan_export_spans_total{outcome="rejected"} 1\n' in text, (protocol, text)
        lines = [l for l in agent.lines if "rejected" in l and "otlp export" in l]
        assert lines == ['wirespan: otlp export: the collector rejected 1 of 2 spans '
                         '(span 1 has no "name"?), 1 time\n'], (protocol, agent.lines)


def test_unknown_protocol_is_one_clear_line():
    import subprocess
    from conftest import AGENT
    for var in ("OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"):
        r = subprocess.run([str(AGENT), "--version"], capture_output=True, text=True,
                           env={var: "http", "PATH": "/usr/bin:/bin"}, timeout=30)
        assert r.returncode == 2, r
        assert r.stderr == (f"wirespan: invalid {var} 'http': "
                            "grpc, http/protobuf or http/json\n"), r.stderr
