# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A collector a production agent must survive: down when the agent starts,
killed and restarted, slow, or gone at shutdown. The real agent exports to
otlp_receiver.py running as its own process; every span the agent built
must arrive or be counted as lost."""
import signal
import subprocess
import time

from conftest import SERVER, free_port, scrape, spans_of, start_py_server, wait_until

# Short timeouts keep these tests fast; the behaviour does not depend on them.
FAST = {"OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_EXPORTER_OTLP_TIMEOUT": "1000"}


def get(cgroup, port, path, n=1):
    """n curl GETs from inside the cgroup: 2 spans each (curl's CLIENT, the server's SERVER)."""
    for _ in range(n):
        res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}{path}"])
        assert res.returncode == 0


def export_errors(stats):
    return {k[len("errors_"):]: v for k, v in stats["export"].items() if k.startswith("errors_")}


def accounted(stats):
    """Every span built is exported, refused, dropped or still waiting: nothing silent."""
    e = stats["export"]
    assert e["queued"] + e["dropped_queue_full"] == stats["user"]["spans"], stats
    assert e["queued"] == e["exported"] + e["export_failed"], stats


def test_collector_down_at_start_gets_everything_once_up(cgroup, start_agent, receiver_process):
    # Down for longer than the export timeout: the batch waits in the agent
    # instead of being dropped when its first export times out.
    port, mport = free_port(), free_port()
    agent = start_agent("--cgroup", str(cgroup.path), "--metrics-address", f"127.0.0.1:{mport}",
                        env={**FAST, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":
                             f"http://127.0.0.1:{port}/v1/traces"})
    _, sport = start_py_server(cgroup)
    get(cgroup, sport, "/early", n=3)
    assert wait_until(lambda: scrape(mport).get(
        'wirespan_export_errors_total{kind="connect"}', 0) >= 2, timeout=10)
    time.sleep(1.2)  # past the 1 s export timeout
    rx = receiver_process(port)
    spans = rx.wait_for(lambda s: len(s) >= 6, timeout=15)
    stats = agent.stop()
    assert len(spans_of(spans, SERVER)) == 3
    assert stats["export"]["exported"] == 6 and stats["export"]["export_failed"] == 0, stats
    assert export_errors(stats)["connect"] >= 2, stats
    accounted(stats)


def test_collector_killed_and_restarted(cgroup, start_agent, receiver_process):
    port, mport = free_port(), free_port()
    rx = receiver_process(port)
    agent = start_agent("--cgroup", str(cgroup.path), "--metrics-address", f"127.0.0.1:{mport}",
                        env={**FAST, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rx.endpoint})
    _, sport = start_py_server(cgroup)
    get(cgroup, sport, "/before", n=2)
    rx.wait_for(lambda s: len(s) >= 4)
    # Killed once the agent has the answer: a batch whose answer the kill cut
    # off is sent again (at least once), which this test does not look at.
    exported = 'wirespan_export_spans_total{outcome="exported"}'
    assert wait_until(lambda: scrape(mport)[exported] == 4)
    rx.kill()
    get(cgroup, sport, "/during", n=2)
    assert wait_until(lambda: sum(v for k, v in scrape(mport).items()
                                  if k.startswith("wirespan_export_errors_total")), timeout=10)
    time.sleep(1.2)  # down for longer than the export timeout
    rx2 = receiver_process(port)
    get(cgroup, sport, "/after", n=2)
    spans = rx2.wait_for(lambda s: len(s) >= 8, timeout=15)
    stats = agent.stop()
    paths = sorted(s["attributes"]["url.path"] for s in spans_of(spans, SERVER))
    assert paths == ["/after"] * 2 + ["/during"] * 2, paths
    assert stats["export"]["exported"] == 12, stats
    assert sum(export_errors(stats).values()) >= 1, stats
    accounted(stats)


def test_slow_collector_never_stalls_capture(cgroup, start_agent, receiver_process):
    # 5 s per export while requests keep coming: capture goes on, the ring
    # buffer loses nothing, the queue holds the spans until the collector
    # takes them.
    mport = free_port()
    rx = receiver_process(free_port(), "--delay", "5")
    agent = start_agent("--cgroup", str(cgroup.path), "--metrics-address", f"127.0.0.1:{mport}",
                        env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rx.endpoint,
                             "OTEL_BSP_SCHEDULE_DELAY": "100"})
    _, sport = start_py_server(cgroup)
    get(cgroup, sport, "/first")  # its export starts at once and takes 5 s
    load = cgroup.popen(["/usr/bin/python3", "-c", LOAD, str(sport), "50", "0.03"],
                        stdout=subprocess.PIPE, text=True)
    out, _ = load.communicate(timeout=30)
    assert out.split() == ["50", "ok"], out
    # Every request of the load became spans while the first export still waited.
    spans_built = 'wirespan_assembly_events_total{kind="spans"}'
    during = wait_until(lambda: (m := scrape(mport))[spans_built] == 2 + 100 and m, timeout=1)
    assert during and during['wirespan_export_spans_total{outcome="exported"}'] == 0, during
    spans = rx.wait_for(lambda s: len(s) >= 102, timeout=20)
    stats = agent.stop()
    assert len(spans_of(spans, SERVER)) == 51
    assert stats["kernel"]["ringbuf_full"] == 0, stats
    assert stats["export"]["dropped_queue_full"] == 0 and stats["export"]["exported"] == 102
    accounted(stats)


# Keep-alive GETs on one connection: N requests, one every GAP seconds.
LOAD = """
import http.client, sys, time
port, n, gap = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
ok = 0
for i in range(n):
    c.request("GET", f"/load/{i}")
    r = c.getresponse()
    r.read()
    ok += r.status == 200
    time.sleep(gap)
print(ok, "ok", flush=True)
"""


def test_sigterm_flushes_what_waits_for_the_schedule(cgroup, receiver, start_agent):
    mport = free_port()
    agent = start_agent("--cgroup", str(cgroup.path), "--metrics-address", f"127.0.0.1:{mport}",
                        env={"OTEL_BSP_SCHEDULE_DELAY": "60000"})
    _, sport = start_py_server(cgroup)
    get(cgroup, sport, "/pending", n=2)
    assert wait_until(lambda: scrape(mport)['wirespan_export_spans_total{outcome="queued"}'] == 4)
    assert receiver.spans() == []
    t0 = time.monotonic()
    stats = agent.stop()
    assert time.monotonic() - t0 < 5
    assert len(receiver.spans()) == 4
    assert stats["export"]["exported"] == 4
    accounted(stats)


def test_sigterm_with_the_collector_gone_exits_in_time_and_counts_the_loss(cgroup, start_agent):
    mport = free_port()
    agent = start_agent("--cgroup", str(cgroup.path), "--metrics-address", f"127.0.0.1:{mport}",
                        env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":
                             f"http://127.0.0.1:{free_port()}/v1/traces",
                             "OTEL_BSP_SCHEDULE_DELAY": "60000", "OTEL_BSP_EXPORT_TIMEOUT": "1000",
                             "OTEL_EXPORTER_OTLP_TIMEOUT": "500",
                             "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2"})
    _, sport = start_py_server(cgroup)
    get(cgroup, sport, "/lost", n=3)
    assert wait_until(lambda: scrape(mport)['wirespan_export_spans_total{outcome="queued"}'] >= 6)
    t0 = time.monotonic()
    stats = agent.stop()
    # The flush bound (1 s), then at most one export's own timeout (0.5 s).
    assert time.monotonic() - t0 < 3.5, time.monotonic() - t0
    assert stats["export"]["exported"] == 0
    assert stats["export"]["export_failed"] == 6, stats
    accounted(stats)


def test_sigusr1_logs_every_counter_the_metrics_serve(cgroup, receiver, start_agent):
    mport = free_port()
    agent = start_agent("--cgroup", str(cgroup.path), "--metrics-address", f"127.0.0.1:{mport}")
    _, sport = start_py_server(cgroup)
    get(cgroup, sport, "/usr1")
    receiver.wait_for(lambda s: len(s) >= 2)
    assert wait_until(lambda: scrape(mport)['wirespan_export_spans_total{outcome="exported"}'] == 2)
    agent.proc.send_signal(signal.SIGUSR1)
    assert wait_until(lambda: any(l.startswith("wirespan: stats") for l in agent.lines))
    live = agent.stats()
    metrics = scrape(mport)
    agent.stop()
    assert live["user"]["spans"] == 2 and live["export"]["exported"] == 2, live
    for name, v in live["kernel"].items():
        assert f'wirespan_kernel_events_total{{kind="{name}"}}' in metrics, name
    go_metric = {"processes": "wirespan_go_processes",
                 "probe_failures": "wirespan_go_probe_failures_total",
                 "not_followed": "wirespan_go_not_followed_total"}
    assert set(live["go"]) == set(go_metric), live["go"]
    for name, v in live["go"].items():
        assert metrics[go_metric[name]] == v, name
    for name, v in live["user"].items():
        if name != "conns":
            assert f'wirespan_assembly_events_total{{kind="{name}"}}' in metrics, name
    for kind in export_errors(live):
        assert f'wirespan_export_errors_total{{kind="{kind}"}}' in metrics, kind
    assert export_errors(live) and "retries" in live["export"] and "refused" in live["export"]
