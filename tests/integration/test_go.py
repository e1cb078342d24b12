# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A Go net/http server (Debian's Go). Its goroutines move between threads,
so the agent follows goroutines instead: the kernel reads the goroutine at
each socket I/O, and two uprobes on net/http tell which handler goroutine a
request written by a connection's writer goroutine belongs to.

100 concurrent requests, each making a call: every call's parent must be the
Go SERVER span of the request that made it, through http.Transport with a
fresh connection per call, through a keep-alive pool, and written directly
on a net.Conn. With --no-goroutines there is no parent at all (none rather
than a wrong one); the cross-process links around the Go process hold
either way."""
import pytest

from conftest import (APPS, CLIENT, SERVER, build_app, concurrent_gets, spans_of,
                      start_py_server, start_server)

N = 100


@pytest.fixture(scope="module")
def go_server_bin(tmp_path_factory):
    # Debian's golang-go is in packaging/install-deps.sh: a missing go is a failure.
    return build_app(tmp_path_factory, "go_server",
                     ["go", "build", "-o", "{out}", str(APPS / "go_server" / "main.go")])


def run_calls(cgroup, receiver, start_agent, go_server_bin, route, query, *agent_args):
    """N concurrent GETs of /<route>/i?port=B&path=/leafi<query> on the Go server, each
    making its call to a Python backend B. Returns (spans by group, agent stats)."""
    agent = start_agent("--cgroup", str(cgroup.path), *agent_args)
    back, back_port = start_py_server(cgroup)
    go, go_port = start_server(cgroup, [str(go_server_bin)])
    # The agent learns that the process is Go from its first record: requests
    # before that carry no goroutine. One request first, then the real ones.
    concurrent_gets(cgroup, f"http://127.0.0.1:{go_port}/warmup%d", 1)
    receiver.wait_for(lambda s: spans_of(s, SERVER, pid=go.pid), timeout=30)
    client_pid = concurrent_gets(
        cgroup, f"http://127.0.0.1:{go_port}/{route}/%d?port={back_port}&path=/leaf%d{query}", N)
    receiver.wait_for(lambda s: len(spans_of(s, CLIENT, pid=go.pid)) >= N
                      and len(spans_of(s, SERVER, pid=back.pid)) >= N, timeout=30)
    stats = agent.stop()
    spans = receiver.spans()
    groups = {
        "go_srv": [s for s in spans_of(spans, SERVER, pid=go.pid)
                   if s["attributes"]["url.path"].startswith(f"/{route}/")],
        "go_cli": spans_of(spans, CLIENT, pid=go.pid),
        "back_srv": spans_of(spans, SERVER, pid=back.pid),
        "py_cli": spans_of(spans, CLIENT, pid=client_pid),
    }
    assert [len(groups[k]) for k in ("go_srv", "go_cli", "back_srv")] == [N, N, N], stats
    assert groups["go_srv"][0]["resource"]["process.executable.name"] == "go_server"
    return groups, stats


def check_cross_process(g):
    """The Go server span's parent is the Python client span of the same path (/x/i;
    queries are redacted), the backend's is the Go call for its path (/leafi)."""
    py_cli = {s["span_id"]: s for s in g["py_cli"]}
    go_cli = {s["span_id"]: s for s in g["go_cli"]}
    paired = 0
    for s in g["go_srv"]:
        p = py_cli.get(s["parent_span_id"])
        if p:
            assert s["attributes"]["url.path"] + "?" in p["attributes"]["url.full"], (p, s)
            paired += 1
    for b in g["back_srv"]:
        c = go_cli.get(b["parent_span_id"])
        if c:
            assert c["attributes"]["url.full"].endswith(b["attributes"]["url.path"]), (c, b)
            paired += 1
    assert paired >= 2 * N * 0.9, f"only {paired} of {2 * N} cross-process parents found"


@pytest.mark.parametrize("route,query", [("call", ""), ("call", "&ka=1"), ("raw", "")],
                         ids=["transport-fresh-conns", "transport-keepalive-pool",
                              "handler-writes-itself"])
def test_every_go_call_is_the_child_of_the_request_whose_goroutine_made_it(
        cgroup, receiver, start_agent, go_server_bin, route, query):
    g, stats = run_calls(cgroup, receiver, start_agent, go_server_bin, route, query)
    srv_by_id = {s["span_id"]: s for s in g["go_srv"]}
    for c in g["go_cli"]:
        parent = srv_by_id.get(c["parent_span_id"])
        assert parent, f"call without its parent ({stats}): {c}"
        i = parent["attributes"]["url.path"].rsplit("/", 1)[1]
        assert c["attributes"]["url.full"].endswith(f"/leaf{i}"), (parent, c)
        assert c["trace_id"] == parent["trace_id"]
    check_cross_process(g)
    assert stats["go"]["processes"] == 1, stats  # the Go server, and only it
    if route == "call":
        # Both probes fired: each call was asked for and written.
        assert stats["kernel"]["go_events"] >= 2 * N, stats
        assert stats["go"]["probe_failures"] == 0, stats


def test_without_goroutines_go_calls_get_no_parent_and_links_stay_right(
        cgroup, receiver, start_agent, go_server_bin):
    g, stats = run_calls(cgroup, receiver, start_agent, go_server_bin, "call", "",
                         "--no-goroutines")
    assert all(c["parent_span_id"] == "" for c in g["go_cli"]), g["go_cli"]
    assert stats["kernel"]["go_events"] == 0 and stats["go"]["processes"] == 0, stats
    check_cross_process(g)
