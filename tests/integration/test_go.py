# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A Go net/http server (Debian's Go): its goroutines move between threads,
so a call it makes is never given a parent from the thread that sent it
(none rather than a wrong one); its spans and the cross-process links
around it are still right."""
import pytest

from conftest import (APPS, CLIENT, SERVER, build_app, concurrent_gets, spans_of,
                      start_py_server, start_server)


@pytest.fixture(scope="module")
def go_server_bin(tmp_path_factory):
    # Debian's golang-go is in packaging/install-deps.sh: a missing go is a failure.
    return build_app(tmp_path_factory, "go_server",
                     ["go", "build", "-o", "{out}", str(APPS / "go_server" / "main.go")])


def test_go_server_calls_get_no_thread_parent_and_links_stay_right(
        cgroup, receiver, start_agent, go_server_bin):
    agent = start_agent("--cgroup", str(cgroup.path))
    back, back_port = start_py_server(cgroup)
    go, go_port = start_server(cgroup, [str(go_server_bin)])
    n = 50
    client_pid = concurrent_gets(
        cgroup, f"http://127.0.0.1:{go_port}/call/%d?port={back_port}&path=/leaf%d", n)
    spans = receiver.wait_for(lambda s: len(s) >= 4 * n, timeout=30)
    stats = agent.stop()
    go_srv = spans_of(spans, SERVER, pid=go.pid)
    go_cli = spans_of(spans, CLIENT, pid=go.pid)
    back_srv = spans_of(spans, SERVER, pid=back.pid)
    py_cli = {s["span_id"]: s for s in spans_of(spans, CLIENT, pid=client_pid)}
    assert len(go_srv) == n and len(go_cli) == n and len(back_srv) == n, stats
    assert go_srv[0]["resource"]["process.executable.name"] == "go_server"
    # In the Go process: no parent inferred from threads, for any call.
    assert all(c["parent_span_id"] == "" for c in go_cli), go_cli
    # Across processes, never a wrong parent: the Go server span's parent is the
    # Python client span for the same path (/call/i; queries are redacted), the
    # backend's is the Go call for its path (/leafi).
    cli_by_id = {c["span_id"]: c for c in go_cli}
    paired = 0
    for s in go_srv:
        p = py_cli.get(s["parent_span_id"])
        if p:
            assert s["attributes"]["url.path"] + "?" in p["attributes"]["url.full"], (p, s)
            paired += 1
    for b in back_srv:
        c = cli_by_id.get(b["parent_span_id"])
        if c:
            assert c["attributes"]["url.full"].endswith(b["attributes"]["url.path"]), (c, b)
            paired += 1
    assert paired >= 2 * n * 0.9, f"only {paired} of {2 * n} cross-process parents found"
