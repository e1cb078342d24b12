# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Tail rules end to end: the real agent at traceidratio 0.1 over two traced
tiers (curl -> server A -> server B), where one request in twenty fails in
the back tier and the front tier hides it (answers 200). Every failing trace
is exported whole, from curl's CLIENT span to B's SERVER span, about a tenth
of the others, and the counters add up."""
import time

from conftest import CLIENT, SERVER, start_py_server

T_10 = 0xE6666666666666  # 2^56 - round(0.1 * 2^56): the threshold for 10 %
N, FAIL_EVERY = 300, 20
TAIL = ("sampled_kept_error", "sampled_kept_slow", "sampled_kept_decided",
        "sampled_dropped_waited", "sampled_dropped_decided", "sampled_dropped_overflow")


def test_failing_traces_are_kept_whole_and_about_a_tenth_of_the_rest(
        cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path),
                        env={"OTEL_TRACES_SAMPLER": "traceidratio",
                             "OTEL_TRACES_SAMPLER_ARG": "0.1",
                             "WIRESPAN_SAMPLING_DECISION_WAIT": "1000"})
    back, bport = start_py_server(cgroup)
    front, fport = start_py_server(cgroup)
    urls = [f"http://127.0.0.1:{fport}/call?port={bport}&status=200&path="
            + ("/error" if i % FAIL_EVERY == 7 else "/ok") for i in range(N)]
    res, curl_pid = cgroup.run(["curl", "-s", "-w", "\nCODE=%{http_code}\n", *urls],
                               timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().count("CODE=200") == N, res.stdout[-500:]
    time.sleep(2.5)  # past the decision wait: the clean traces' waits end on ticks
    stats = agent.stop()
    back.kill()
    front.kill()
    spans = receiver.spans()

    traces = {}
    for s in spans:
        traces.setdefault(s["trace_id"], []).append(s)
        assert s["flags"] & 1, s
    failing = {t: ss for t, ss in traces.items()
               if any(s["attributes"].get("url.path") == "/error" for s in ss)}
    clean = {t: ss for t, ss in traces.items() if t not in failing}

    # Every failing request's trace, whole: curl -> A's SERVER -> A's CLIENT -> B's SERVER.
    assert len(failing) == N // FAIL_EVERY, sorted(failing)
    for tid, ss in list(failing.items()) + list(clean.items()):
        kinds = sorted(s["kind"] for s in ss)
        assert kinds == [SERVER, SERVER, CLIENT, CLIENT], ss
        assert any(s["kind"] == CLIENT and s["resource"]["process.pid"] == curl_pid
                   for s in ss), ss
        kept_by_ratio = int(tid[18:], 16) >= T_10
        # The ratio's keep says so with th; the tail rule's is not a probability: no th.
        want_ts = "ot=th:e6666666666666" if kept_by_ratio else ""
        assert all(s["trace_state"] == want_ts for s in ss), ss
        if tid in clean:
            assert kept_by_ratio, ss
    by_tail = [t for t in failing if int(t[18:], 16) < T_10]
    assert by_tail, "no failing trace was dropped by the head: nothing tested"
    # The rest: 285 traces at p = 0.1, 28.5 +- 5 standard deviations (5.06).
    assert 3 <= len(clean) <= 54, len(clean)

    ex, made = stats["export"], stats["user"]["spans"]
    assert made == 4 * N, stats["user"]
    assert ex["sampled_kept_ratio"] + ex["sampled_dropped_ratio"] == made, ex
    # The tail rules split the head's drops; nothing waits after the stop.
    assert sum(ex[k] for k in TAIL) == ex["sampled_dropped_ratio"], ex
    assert ex["sampled_held"] == 0 and ex["sampled_dropped_overflow"] == 0, ex
    assert ex["sampled_kept_error"] + ex["sampled_kept_decided"] == 4 * len(by_tail), ex
    assert ex["sampled_kept_slow"] == 0, ex
    assert ex["sampled_dropped_waited"] + ex["sampled_dropped_decided"] == \
        4 * (N - N // FAIL_EVERY - len(clean)), ex
    assert ex["exported"] == len(spans) == \
        ex["sampled_kept_ratio"] + ex["sampled_kept_error"] + ex["sampled_kept_decided"], ex
