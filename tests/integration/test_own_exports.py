# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The agent's own exports never become spans, whoever is traced: a
collector on the same host, in the traced cgroup, receives the agent's
exports without each of them turning into a SERVER span that is exported
in turn (spans about exporting spans, forever, with no traffic at all)."""
import json
import subprocess
import threading
import time

from conftest import HERE, SERVER, Agent, free_port, spans_of, start_py_server


class TracedReceiver:
    """otlp_receiver.py as a process inside the traced cgroup."""

    def __init__(self, cgroup):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/v1/traces"
        self.spans = []
        self.lock = threading.Lock()
        self.proc = cgroup.popen(
            ["/usr/bin/python3", str(HERE / "otlp_receiver.py"), "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        assert "listening on" in line, line
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.spans.append(json.loads(line))

    def received(self):
        with self.lock:
            return list(self.spans)


def test_a_traced_local_collector_receiving_the_exports_makes_no_spans_of_them(cgroup):
    # Bug: every export became a SERVER span of the collector, exported in
    # turn: a loop that never ended once one span had been made.
    rx = TracedReceiver(cgroup)
    agent = Agent(["--capture", "socket", "--cgroup", str(cgroup.path)],
                  env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rx.endpoint,
                       "OTEL_BSP_SCHEDULE_DELAY": "100"})
    try:
        _, port = start_py_server(cgroup)
        res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/work"])
        assert res.returncode == 0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(spans_of(rx.received(), path="/work")) < 1:
            time.sleep(0.1)
        # Time for a loop to show: a dozen export rounds.
        time.sleep(1.5)
        stats = agent.stop()
    finally:
        if agent.proc.poll() is None:
            agent.proc.kill()
        rx.proc.kill()
    spans = rx.received()
    assert len(spans_of(spans, SERVER, path="/work")) == 1, spans
    assert spans_of(spans, path="/v1/traces") == [], stats
    assert stats["user"]["own_exports"] >= 1, stats
