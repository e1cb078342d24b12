# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Resources of real processes: each traced process's own
OTEL_RESOURCE_ATTRIBUTES merged over the agent's, what the agent measures
kept out of their reach, and a process in a systemd-style service cgroup
named after its unit."""
import os
import subprocess
import time

from conftest import APPS, CLIENT, SERVER, spans_of


def start_server(cgroup_dir, env, procs):
    """py_server.py with env, started inside cgroup_dir; returns (proc, port)."""
    def enter():
        with open(os.path.join(cgroup_dir, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    p = subprocess.Popen(["/usr/bin/python3", str(APPS / "py_server.py")],
                         stdout=subprocess.PIPE, text=True, env=env, preexec_fn=enter)
    procs.append(p)
    line = p.stdout.readline()
    assert line.startswith("READY"), line
    return p, int(line.split()[1])


def test_process_resource_attributes_merge_over_the_agents(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path), env={
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=staging,team=platform,"
                                    "service.name=not-a-service,host.name=node-7"})
    env = dict(os.environ, OTEL_RESOURCE_ATTRIBUTES=(
        "team=checkout%20squad, k8s.pod.name=web-1,process.pid=1,telemetry.sdk.name=x,bad"))
    p, port = start_server(str(cgroup.path), env, cgroup.procs)
    res, curl_pid = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/r"])
    assert res.returncode == 0
    spans = receiver.wait_for(lambda s: len(s) >= 2, timeout=15)
    stats = agent.stop()
    (srv,) = spans_of(spans, SERVER, pid=p.pid)
    (cli,) = spans_of(spans, CLIENT, pid=curl_pid)
    r = srv["resource"]
    assert r["team"] == "checkout squad" and r["k8s.pod.name"] == "web-1", r
    assert r["deployment.environment"] == "staging"
    # measured by the agent, whatever the variables say
    assert r["process.pid"] == p.pid and r["telemetry.sdk.name"] == "wirespan"
    assert r["service.name"].startswith("python3") and r["host.name"] == "node-7"
    assert srv["scope"]["name"] == "wirespan" and srv["scope"]["version"]
    # curl has no variable of its own: the agent's alone
    c = cli["resource"]
    assert c["team"] == "platform" and "k8s.pod.name" not in c and c["service.name"] == "curl"
    assert stats["user"]["resource_attrs_dropped"] == 1, stats


def test_a_process_in_a_service_cgroup_is_named_after_its_unit(cgroup, receiver, start_agent):
    unit = cgroup.path / "billing.service"
    unit.mkdir()
    procs = []
    try:
        agent = start_agent("--cgroup", str(cgroup.path))
        p, port = start_server(str(unit), dict(os.environ), procs)
        res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/u"])
        assert res.returncode == 0
        spans = receiver.wait_for(lambda s: len(spans_of(s, SERVER)) >= 1, timeout=15)
        agent.stop()
        (srv,) = spans_of(spans, SERVER, pid=p.pid)
        assert srv["resource"]["service.name"] == "billing", srv["resource"]
    finally:
        for p in procs:
            p.kill()
            p.wait()
        for _ in range(50):
            try:
                unit.rmdir()
                break
            except OSError:
                time.sleep(0.1)
