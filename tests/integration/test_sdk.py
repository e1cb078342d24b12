# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The OpenTelemetry Node SDK and the agent together: a client and two Node
services with the SDK (auto-instrumentations, OTLP/proto export) in front of
a plain Python service. Whatever the agent traces, the SDK's spans and the
agent's form one trace in the receiver, and every parent id is a span that
is there, in the shape README's rule 3 gives."""
import os
import shutil
import subprocess

import pytest

from conftest import APPS, CLIENT, SERVER, start_py_server

NODE_APP = APPS / "node"


def npm_ready():
    """node_modules as package-lock.json says (packaging/install-deps.sh runs
    npm ci; this catches a lock changed since)."""
    for tool in ("node", "npm"):
        assert shutil.which(tool), f"{tool} is missing: run packaging/install-deps.sh as root"
    stamp = NODE_APP / "node_modules" / ".package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= (NODE_APP / "package-lock.json").stat().st_mtime:
        return
    res = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_APP,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"npm ci in {NODE_APP} failed:\n{res.stderr[-2000:]}"


@pytest.fixture(scope="module")
def node_app():
    npm_ready()
    return NODE_APP


def node_env(receiver, name):
    e = dict(os.environ)
    e.update({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
              "OTEL_SERVICE_NAME": name, "OTEL_BSP_SCHEDULE_DELAY": "100",
              "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"})
    return e


def start_nodes(cgroup, receiver, py_port):
    """node-back calls the Python service, node-front calls node-back.
    Returns {name: (proc, port)}; both start at once (the SDK loads slowly)."""
    procs = {}
    back = cgroup.popen(["node", "--require", "./otel.js", "service.js", "--next",
                         f"http://127.0.0.1:{py_port}/leaf"], cwd=NODE_APP,
                        env=node_env(receiver, "node-back"), stdout=subprocess.PIPE, text=True)
    line = back.stdout.readline()
    assert line.startswith("READY"), line
    procs["node-back"] = (back, int(line.split()[1]))
    front = cgroup.popen(["node", "--require", "./otel.js", "service.js", "--next",
                          f"http://127.0.0.1:{procs['node-back'][1]}/back"], cwd=NODE_APP,
                         env=node_env(receiver, "node-front"), stdout=subprocess.PIPE, text=True)
    line = front.stdout.readline()
    assert line.startswith("READY"), line
    procs["node-front"] = (front, int(line.split()[1]))
    return procs


def run_client(cgroup, receiver, port):
    res, pid = cgroup.run(["node", "--require", "./otel.js", "client.js",
                           f"http://127.0.0.1:{port}/front"], cwd=NODE_APP,
                          env=node_env(receiver, "node-client"), timeout=60)
    out = res.stdout.decode().split()
    assert res.returncode == 0 and out[:2] == ["STATUS", "200"], res
    return out[3], pid


def is_export_call(s):
    """The agent's span of an SDK's own OTLP export: HTTP like any other call."""
    return (s["scope"]["name"] == "wirespan" and s["kind"] == CLIENT
            and s["attributes"].get("url.full", "").endswith("/v1/traces"))


def by_who(spans):
    """{(service, 'sdk'|'agent', kind): [span]} for the spans of one request."""
    out = {}
    for s in spans:
        who = "agent" if s["scope"]["name"] == "wirespan" else "sdk"
        out.setdefault((s["resource"].get("service.name"), who, s["kind"]), []).append(s)
    return out


def check_one_tree(spans, trace):
    ids = {s["span_id"] for s in spans}
    assert all(s["trace_id"] == trace for s in spans), [(s["name"], s["trace_id"]) for s in spans]
    roots = [s for s in spans if not s["parent_span_id"]]
    assert len(roots) == 1, roots
    for s in spans:
        assert not s["parent_span_id"] or s["parent_span_id"] in ids, s


def test_sdk_and_agent_spans_form_one_tree(cgroup, receiver, start_agent, node_app):
    py, py_port = start_py_server(cgroup)
    procs = start_nodes(cgroup, receiver, py_port)
    front_port = procs["node-front"][1]

    # 1. The agent traces every process: SDK processes get spans from both.
    agent = start_agent("--cgroup", str(cgroup.path))
    trace, _ = run_client(cgroup, receiver, front_port)
    want = 11  # 5 from the SDK (client, 2 per service), 6 from the agent
    spans = receiver.wait_for(
        lambda ss: len([s for s in ss if s["trace_id"] == trace]) >= want, timeout=20)
    stats = agent.stop()
    mine = [s for s in spans if not is_export_call(s)]
    assert len(mine) == want, ([(s["name"], s["scope"]["name"], s["resource"].get("service.name"))
                                for s in mine], stats)
    check_one_tree(mine, trace)
    w = by_who(mine)
    sid = {k: v[0]["span_id"] for k, v in w.items() if len(v) == 1}
    par = {k: v[0]["parent_span_id"] for k, v in w.items() if len(v) == 1}
    assert len(sid) == want, sorted(w)
    # The SDK's own tree, as the SDK alone would build it.
    assert par[("node-client", "sdk", CLIENT)] == ""
    assert par[("node-front", "sdk", SERVER)] == sid[("node-client", "sdk", CLIENT)]
    assert par[("node-front", "sdk", CLIENT)] == sid[("node-front", "sdk", SERVER)]
    assert par[("node-back", "sdk", SERVER)] == sid[("node-front", "sdk", CLIENT)]
    assert par[("node-back", "sdk", CLIENT)] == sid[("node-back", "sdk", SERVER)]
    # The agent's spans of what the SDK also sees hang under the SDK's span
    # that put its context on the wire: a CLIENT span is the child of the
    # SDK's CLIENT span; a SERVER span the sibling of the SDK's SERVER span.
    for svc in ("node-client", "node-front", "node-back"):
        assert par[(svc, "agent", CLIENT)] == sid[(svc, "sdk", CLIENT)], svc
    assert par[("node-front", "agent", SERVER)] == sid[("node-client", "sdk", CLIENT)]
    assert par[("node-back", "agent", SERVER)] == sid[("node-front", "sdk", CLIENT)]
    # What only the agent sees: the Python service, child of the last SDK call.
    py_srv = [s for s in mine if s["resource"].get("process.pid") == py.pid]
    assert len(py_srv) == 1 and py_srv[0]["kind"] == SERVER
    assert py_srv[0]["parent_span_id"] == sid[("node-back", "sdk", CLIENT)]

    # 2. No duplicates: the agent traces only what has no SDK. One tree still.
    receiver.clear()
    agent = start_agent("--pid", str(py.pid))
    trace, _ = run_client(cgroup, receiver, front_port)
    spans = receiver.wait_for(
        lambda ss: len([s for s in ss if s["trace_id"] == trace]) >= 6, timeout=20)
    agent.stop()
    assert len(spans) == 6 and not any(is_export_call(s) for s in spans), spans
    check_one_tree(spans, trace)
    w = by_who(spans)
    assert sorted(k for k in w if k[1] == "agent") == [(py_srv[0]["resource"]["service.name"],
                                                      "agent", SERVER)]
    assert w[(py_srv[0]["resource"]["service.name"], "agent", SERVER)][0]["parent_span_id"] == \
        w[("node-back", "sdk", CLIENT)][0]["span_id"]
