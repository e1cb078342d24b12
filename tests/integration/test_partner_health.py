# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Degraded partners (issue 16, point 5): a traced client calls a partner that
starts failing; the agent says so once, /metrics shows it, and once the
failures have left the (short) window it says the partner recovered, once."""
import subprocess
import time

from conftest import free_port, scrape, start_py_server, wait_until

GAUGE = 'wirespan_partner_degraded{peer="acme"}'


def start_client(cgroup, port):
    """A Python client in the cgroup: each line it reads is "PATH N" (N GETs
    of PATH, a new connection each) or "PATH for S" (GETs for S seconds); it
    answers each line with "done"."""
    code = (
        "import sys,time,urllib.request\n"
        "for line in sys.stdin:\n"
        "    path, n, *secs = line.split()\n"
        "    end = time.monotonic() + float(secs[0]) if secs else None\n"
        "    i = 0\n"
        "    while (end and time.monotonic() < end) or (not end and i < int(n)):\n"
        "        try:\n"
        f"            urllib.request.urlopen('http://127.0.0.1:{port}' + path).read()\n"
        "        except Exception:\n"
        "            pass\n"
        "        i += 1\n"
        "        time.sleep(0.01)\n"
        "    print('done', flush=True)\n")
    return cgroup.popen(["/usr/bin/python3", "-c", code], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, text=True)


def ask(client, line):
    client.stdin.write(line + "\n")
    client.stdin.flush()
    assert client.stdout.readline().strip() == "done"


def lines_with(agent, words):
    return [l for l in agent.lines if words in l]


def gauge(mport):
    return scrape(mport).get(GAUGE)


def test_a_failing_partner_is_degraded_once_then_recovers_once(cgroup, start_agent):
    mport = free_port()
    agent = start_agent("--cgroup", str(cgroup.path), "--partner", "127.0.0.1=acme",
                        "--partner-window", "2", "--partner-min-calls", "10",
                        "--metrics-address", f"127.0.0.1:{mport}")
    server, port = start_py_server(cgroup)
    client = start_client(cgroup, port)
    t0 = time.monotonic()
    try:
        # Healthy: listed, not degraded.
        ask(client, "/ok 20")
        assert wait_until(lambda: gauge(mport) is not None), scrape(mport)
        assert gauge(mport) == 0
        assert lines_with(agent, "partner acme") == []
        # The partner answers 500: degraded, said once.
        ask(client, "/error 20")
        assert wait_until(lambda: lines_with(agent, "partner acme degraded")), agent.lines
        assert wait_until(lambda: gauge(mport) == 1), scrape(mport)
        line, = lines_with(agent, "partner acme degraded")
        assert line.startswith("wirespan: partner acme degraded: error rate "), line
        assert "(>= 10%) over 2 s, p99 " in line, line
        # Healthy again: once the failures leave the 2 s window it recovers, once.
        ask(client, "/ok for 3.5")
        assert wait_until(lambda: lines_with(agent, "partner acme recovered")), agent.lines
        assert wait_until(lambda: gauge(mport) == 0), scrape(mport)
        assert scrape(mport)["wirespan_partner_transitions_total"] == 2
        assert scrape(mport)["wirespan_partners_degraded"] == 0
    finally:
        client.stdin.close()
        client.wait(10)
    stats = agent.stop()
    assert len(lines_with(agent, "partner acme degraded")) == 1, agent.lines
    line, = lines_with(agent, "partner acme recovered")
    assert line.startswith("wirespan: partner acme recovered: error rate "), line
    assert stats["export"]["partner_transitions"] == 2, stats
    assert stats["export"]["partners_degraded"] == 0, stats
    assert time.monotonic() - t0 < 30
