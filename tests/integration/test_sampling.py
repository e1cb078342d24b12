# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Head sampling end to end: the real agent with OTEL_TRACES_SAMPLER set,
real curl and Python server spans, checked as the OTLP receiver decoded
them and against the agent's own counters."""
import time

from conftest import CLIENT, SERVER, start_py_server

T_10 = 0xE6666666666666  # 2^56 - round(0.1 * 2^56), the specification's threshold for 10 %
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE}-00f067aa0ba902b7-01"
SAMPLED = ("sampled_kept_always", "sampled_kept_ratio", "sampled_kept_parent",
           "sampled_dropped_ratio", "sampled_dropped_parent", "sampled_dropped_off")


def run_ok(cgroup, cmd, n=1):
    res, pid = cgroup.run(cmd, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().count("CODE=200") == n, res.stdout[-500:]
    return pid


def test_traceidratio_keeps_about_a_tenth_of_traces_whole(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path),
                        env={"OTEL_TRACES_SAMPLER": "traceidratio",
                             "OTEL_TRACES_SAMPLER_ARG": "0.1"})
    server, port = start_py_server(cgroup)
    # One curl, 1,000 requests on its connection: 1,000 traces of a CLIENT and a SERVER span.
    curl_pid = run_ok(cgroup, ["curl", "-s", "-w", "\nCODE=%{http_code}\n",
                               f"http://127.0.0.1:{port}/s?i=[1-1000]"], 1000)
    time.sleep(1.0)
    stats = agent.stop()
    server.kill()
    spans = receiver.spans()

    ex, made = stats["export"], stats["user"]["spans"]
    assert made >= 1990, stats["user"]
    # Every span made was decided once, by the ratio, and what was kept went out.
    assert ex["sampled_kept_ratio"] + ex["sampled_dropped_ratio"] == made, ex
    assert sum(ex[k] for k in SAMPLED) == made, ex
    assert ex["queued"] == ex["exported"] == ex["sampled_kept_ratio"] == len(spans), ex

    traces = {}
    for s in spans:
        traces.setdefault(s["trace_id"], []).append(s)
        assert s["flags"] & 1, s
        assert s["trace_state"] == "ot=th:e6666666666666", s
        # The decision is the trace id's low 56 bits against the threshold.
        assert int(s["trace_id"][18:], 16) >= T_10, s["trace_id"]
    # 1,000 traces at p = 0.1: 100 +- 5 standard deviations (9.5).
    assert 52 <= len(traces) <= 148, len(traces)
    # A kept trace is kept whole: its SERVER span and the curl CLIENT span it is a child of.
    whole = 0
    for tid, ss in traces.items():
        srv = [s for s in ss if s["kind"] == SERVER]
        cli = [s for s in ss if s["kind"] == CLIENT and s["resource"]["process.pid"] == curl_pid]
        assert len(srv) == 1 and len(cli) == 1, ss
        assert srv[0]["parent_span_id"] == cli[0]["span_id"], ss
        whole += 1
    assert whole == len(traces)


def test_parentbased_always_off_keeps_what_the_wire_sampled_and_drops_the_rest(
        cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path),
                        env={"OTEL_TRACES_SAMPLER": "parentbased_always_off"})
    server, port = start_py_server(cgroup)
    # The server calls itself from the handling thread: curl -> SERVER -> CLIENT -> SERVER.
    url = f"http://127.0.0.1:{port}/call?port={port}&path=/inner"
    run_ok(cgroup, ["curl", "-s", "-w", "\nCODE=%{http_code}\n", "-H",
                    f"traceparent: {TRACEPARENT}", url + "&with=1"])
    run_ok(cgroup, ["curl", "-s", "-w", "\nCODE=%{http_code}\n", url + "&without=1"])
    receiver.wait_for(lambda s: len(s) >= 4, timeout=15)
    time.sleep(1.0)
    stats = agent.stop()
    server.kill()
    spans = receiver.spans()

    # The sampled request's four spans, every one in the wire's trace, sampled; no other.
    assert len(spans) == 4, spans
    assert {s["trace_id"] for s in spans} == {TRACE}, spans
    assert all(s["flags"] & 1 for s in spans), spans
    assert sorted(s["kind"] for s in spans) == [SERVER, SERVER, CLIENT, CLIENT]
    assert all(s["trace_state"] == "" for s in spans), spans
    ex = stats["export"]
    # Without a traceparent: curl's CLIENT span is a root (always_off), its three
    # descendants follow it. With one: all four follow the sampled parent.
    assert ex["sampled_kept_parent"] == 4, ex
    assert ex["sampled_dropped_off"] == 1, ex
    assert ex["sampled_dropped_parent"] == 3, ex
    assert ex["sampled_kept_always"] == ex["sampled_kept_ratio"] == 0, ex
    assert ex["sampled_dropped_ratio"] == 0 and ex["exported"] == 4, ex


def test_unknown_sampler_warns_and_keeps_everything(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path), env={"OTEL_TRACES_SAMPLER": "xray"})
    server, port = start_py_server(cgroup)
    run_ok(cgroup, ["curl", "-s", "-w", "\nCODE=%{http_code}\n", f"http://127.0.0.1:{port}/"])
    receiver.wait_for(lambda s: len(s) >= 2, timeout=15)
    stats = agent.stop()
    server.kill()
    assert any("unknown OTEL_TRACES_SAMPLER 'xray': using always_on" in l for l in agent.lines)
    assert stats["export"]["sampled_kept_always"] == stats["user"]["spans"] >= 2, stats
