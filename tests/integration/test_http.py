# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Plaintext HTTP/1.x of unmodified programs, end to end: real servers and
clients in a cgroup, the real agent selecting it, spans checked as the OTLP
receiver decoded them. The core scenarios run on both capture paths."""
import os
import socket
import subprocess
import time

import pytest

from conftest import (APPS, CLIENT, SERVER, STATUS_ERROR, STATUS_UNSET, spans_of,
                      start_nginx, start_py_server, stop_nginx)

CAPTURES = ["socket", "syscalls"]
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def curl(cgroup, *args):
    res, pid = cgroup.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *args])
    assert res.returncode == 0, res.stderr
    return res.stdout.decode(), pid


@pytest.mark.parametrize("capture", CAPTURES)
def test_curl_to_python_gives_server_and_client_spans(cgroup, receiver, start_agent, capture):
    agent = start_agent("--cgroup", str(cgroup.path), capture=capture)
    server, port = start_py_server(cgroup)
    t0 = time.time_ns()
    code, curl_pid = curl(cgroup, f"http://127.0.0.1:{port}/hello?name=bob&x=1")
    t1 = time.time_ns()
    assert code == "200"
    spans = receiver.wait_for(lambda s: len(s) >= 2, timeout=15)
    agent.stop()

    srv = spans_of(spans, SERVER, pid=server.pid)
    cli = spans_of(spans, CLIENT, pid=curl_pid)
    assert len(srv) == 1 and len(cli) == 1, spans
    srv, cli = srv[0], cli[0]
    for s in (srv, cli):
        assert s["name"] == "GET"
        assert t0 <= s["start_ns"] <= s["end_ns"] <= t1, (t0, s["start_ns"], s["end_ns"], t1)
        a = s["attributes"]
        assert a["http.request.method"] == "GET"
        assert a["http.response.status_code"] == 200
        assert a["network.protocol.version"] == "1.1"
        assert a["server.port"] == port
        assert "bob" not in repr(s), "query values must be redacted"
        assert s["status_code"] == STATUS_UNSET
        assert len(s["trace_id"]) == 32
    a = srv["attributes"]
    assert a["url.path"] == "/hello"
    assert a["url.scheme"] == "http"
    assert a["client.address"] == "127.0.0.1"
    assert a["network.peer.address"] == "127.0.0.1"
    assert a["user_agent.original"].startswith("curl/")
    assert "name=" in a["url.query"] and "x=" in a["url.query"]
    assert srv["resource"]["process.executable.name"].startswith("python3")
    a = cli["attributes"]
    assert a["url.full"].startswith(f"http://127.0.0.1:{port}/hello?")
    assert a["server.address"] == "127.0.0.1"
    assert a["network.peer.port"] == port
    assert cli["resource"]["service.name"] == "curl"
    # Both ends traced on one host, nothing on the wire: the server span is the
    # child of the client span, matched by connection.
    assert cli["parent_span_id"] == ""
    assert srv["trace_id"] == cli["trace_id"] and srv["parent_span_id"] == cli["span_id"]
    # Causality: the client sent before the server received, and received after it
    # sent. A send is stamped when its hook fires, after the kernel may already have
    # woken the peer, so the two sides may be a few microseconds out of order.
    skew = 1_000_000
    assert cli["start_ns"] <= srv["start_ns"] + skew and srv["end_ns"] <= cli["end_ns"] + skew


def test_keep_alive_connection_with_50_requests_gives_50_spans(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    script = ("import http.client,sys\n"
              f"c=http.client.HTTPConnection('127.0.0.1',{port})\n"
              "for i in range(50):\n"
              "    c.request('GET','/k%d'%i); r=c.getresponse(); r.read()\n"
              "    assert r.status==200\n")
    res, client_pid = cgroup.run(["/usr/bin/python3", "-c", script])
    assert res.returncode == 0, res.stderr
    spans = receiver.wait_for(lambda s: len(s) >= 100, timeout=20)
    stats = agent.stop()
    srv = spans_of(spans, SERVER, pid=server.pid)
    cli = spans_of(spans, CLIENT, pid=client_pid)
    assert [s["attributes"]["url.path"] for s in srv] == [f"/k{i}" for i in range(50)]
    assert len(cli) == 50
    assert stats["user"]["request_without_response"] == 0
    assert stats["kernel"]["ringbuf_full"] == 0


@pytest.mark.parametrize("capture", CAPTURES)
def test_long_bodies_are_skipped_in_the_kernel_and_spans_stay_whole(cgroup, receiver,
                                                                    start_agent, capture):
    """2 MiB answers written 64 KiB at a time: once the agent has read a head,
    the kernel stops copying the body (no record but a byteless last one),
    and every span, and the request after them, still comes out right."""
    agent = start_agent("--cgroup", str(cgroup.path), capture=capture)
    server, port = start_py_server(cgroup)
    size = 2 << 20
    script = ("import http.client\n"
              f"c=http.client.HTTPConnection('127.0.0.1',{port})\n"
              "for i in range(3):\n"
              f"    c.request('GET','/big?bytes={size}&pace_ms=10'); r=c.getresponse()\n"
              f"    assert r.status==200 and len(r.read())=={size}\n"
              "c.request('GET','/after'); r=c.getresponse(); r.read(); assert r.status==200\n")
    res, client_pid = cgroup.run(["/usr/bin/python3", "-c", script], timeout=60)
    assert res.returncode == 0, res.stderr
    spans = receiver.wait_for(lambda s: len(s) >= 8, timeout=20)
    stats = agent.stop()
    srv = spans_of(spans, SERVER, pid=server.pid)
    cli = spans_of(spans, CLIENT, pid=client_pid)
    assert [s["attributes"]["url.path"] for s in srv] == ["/big"] * 3 + ["/after"]
    assert [s["attributes"]["url.full"].split("?")[0].rsplit("/", 1)[1] for s in cli] == (
        ["big"] * 3 + ["after"])
    for s in srv[:3] + cli[:3]:
        assert s["attributes"]["http.response.status_code"] == 200
        # 32 writes 10 ms apart: the end is the last write's, not a later event's
        assert 0.3e9 <= s["end_ns"] - s["start_ns"] < 5e9, s
    # the server's 32 body writes per answer: most are never copied
    assert stats["kernel"]["body_skipped"] >= 3 * 16, stats
    assert stats["user"]["bodies_skipped"] >= 3, stats
    for k in ("stream_gaps", "gap_desync", "http_parse_errors", "response_without_request",
              "request_without_response"):
        assert stats["user"][k] == 0, (k, stats)
    assert stats["kernel"]["ringbuf_full"] == 0


@pytest.mark.parametrize("capture", CAPTURES)
def test_traceparent_sets_trace_and_parent(cgroup, receiver, start_agent, capture):
    agent = start_agent("--cgroup", str(cgroup.path), capture=capture)
    server, port = start_py_server(cgroup)
    code, _ = curl(cgroup, "-H", f"traceparent: {TRACEPARENT}", f"http://127.0.0.1:{port}/tp")
    assert code == "200"
    spans = receiver.wait_for(lambda s: len(spans_of(s, SERVER)) >= 1, timeout=15)
    agent.stop()
    srv = spans_of(spans, SERVER, pid=server.pid)
    assert len(srv) == 1
    assert srv[0]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert srv[0]["parent_span_id"] == "00f067aa0ba902b7"
    assert srv[0]["span_id"] not in ("", "00f067aa0ba902b7")


@pytest.mark.parametrize("capture", CAPTURES)
def test_404_and_500_status_per_conventions(cgroup, receiver, start_agent, capture):
    agent = start_agent("--cgroup", str(cgroup.path), capture=capture)
    server, port = start_py_server(cgroup)
    assert curl(cgroup, f"http://127.0.0.1:{port}/missing")[0] == "404"
    assert curl(cgroup, f"http://127.0.0.1:{port}/error")[0] == "500"
    spans = receiver.wait_for(lambda s: len(s) >= 4, timeout=15)
    agent.stop()
    by = {(s["kind"], s["attributes"]["http.response.status_code"]): s for s in spans}
    assert set(by) == {(SERVER, 404), (SERVER, 500), (CLIENT, 404), (CLIENT, 500)}, spans
    # Server: only 5xx is an error. Client: 4xx and 5xx.
    assert by[SERVER, 404]["status_code"] == STATUS_UNSET
    assert "error.type" not in by[SERVER, 404]["attributes"]
    assert by[SERVER, 500]["status_code"] == STATUS_ERROR
    assert by[SERVER, 500]["attributes"]["error.type"] == "500"
    assert by[CLIENT, 404]["status_code"] == STATUS_ERROR
    assert by[CLIENT, 404]["attributes"]["error.type"] == "404"
    assert by[CLIENT, 500]["status_code"] == STATUS_ERROR


@pytest.fixture
def nginx(cgroup):
    p, port = start_nginx(cgroup)
    yield p, port
    stop_nginx(p)


def wait_for_nginx_spans(receiver, n):
    return receiver.wait_for(
        lambda s: len([x for x in s if x["kind"] == SERVER]) >= n, timeout=30)


def test_nginx_serving_1000_requests_gives_1000_server_spans(cgroup, receiver, start_agent,
                                                              nginx):
    _, port = nginx
    agent = start_agent("--cgroup", str(cgroup.path))
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\\n",
                         f"http://127.0.0.1:{port}/n[1-1000]"], timeout=120)
    assert res.returncode == 0
    assert res.stdout.decode().split() == ["200"] * 1000
    spans = wait_for_nginx_spans(receiver, 1000)
    time.sleep(0.5)
    stats = agent.stop()
    spans = receiver.spans()
    srv = [s for s in spans if s["kind"] == SERVER]
    assert len(srv) == 1000, stats
    assert sorted(s["attributes"]["url.path"] for s in srv) == sorted(
        f"/n{i}" for i in range(1, 1001))
    assert all(s["resource"]["process.executable.name"] == "nginx" for s in srv)
    assert len([s for s in spans if s["kind"] == CLIENT]) == 1000


@pytest.mark.parametrize("capture", CAPTURES)
def test_ten_pipelined_requests_in_one_write_give_ten_spans_in_order(cgroup, receiver,
                                                                     start_agent, nginx,
                                                                     capture):
    _, port = nginx
    agent = start_agent("--cgroup", str(cgroup.path), capture=capture)
    script = ("import socket,sys\n"
              f"s=socket.create_connection(('127.0.0.1',{port}))\n"
              "reqs=b''.join(b'GET /p%d HTTP/1.1\\r\\nHost: x\\r\\n%s\\r\\n' % "
              "(i, b'Connection: close\\r\\n' if i==9 else b'') for i in range(10))\n"
              "s.sendall(reqs)\n"
              "data=b''\n"
              "while True:\n"
              "    d=s.recv(65536)\n"
              "    if not d: break\n"
              "    data+=d\n"
              "assert data.count(b'HTTP/1.1 200')==10, data\n")
    res, client_pid = cgroup.run(["/usr/bin/python3", "-c", script])
    assert res.returncode == 0, res.stderr
    spans = receiver.wait_for(lambda s: len(s) >= 20, timeout=15)
    agent.stop()
    srv = [s for s in spans if s["kind"] == SERVER]
    cli = spans_of(spans, CLIENT, pid=client_pid)
    assert [s["attributes"]["url.path"] for s in srv] == [f"/p{i}" for i in range(10)]
    assert [s["attributes"]["url.full"].rsplit("/", 1)[1] for s in cli] == [
        f"p{i}" for i in range(10)]


def test_process_outside_the_selected_cgroup_gets_no_spans(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    outside = subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/out"],
                             check=True)
    assert outside.returncode == 0
    inside, inside_pid = curl(cgroup, f"http://127.0.0.1:{port}/in")
    spans = receiver.wait_for(lambda s: len(s) >= 3, timeout=15)
    time.sleep(0.5)
    agent.stop()
    spans = receiver.spans()
    # The server is selected: both of its requests; of the clients only the one inside.
    assert sorted(s["attributes"]["url.path"] for s in spans_of(spans, SERVER)) == ["/in", "/out"]
    cli = spans_of(spans, CLIENT)
    assert len(cli) == 1 and cli[0]["resource"]["process.pid"] == inside_pid


def test_ipv6_server_span_has_ipv6_addresses(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup, "--ipv6")
    assert curl(cgroup, "-g", f"http://[::1]:{port}/six")[0] == "200"
    spans = receiver.wait_for(lambda s: len(s) >= 2, timeout=15)
    agent.stop()
    srv = spans_of(spans, SERVER)
    assert len(srv) == 1
    assert srv[0]["attributes"]["network.peer.address"] == "::1"
    assert srv[0]["attributes"]["url.path"] == "/six"


def test_connection_opened_before_the_agent_is_picked_up(cgroup, receiver, start_agent):
    server, port = start_py_server(cgroup)
    script = ("import http.client,sys\n"
              f"c=http.client.HTTPConnection('127.0.0.1',{port})\n"
              "c.request('GET','/before'); c.getresponse().read()\n"
              "print('FIRST', flush=True); sys.stdin.readline()\n"
              "for i in range(5):\n"
              "    c.request('GET','/after%d'%i); c.getresponse().read()\n")
    client = cgroup.popen(["/usr/bin/python3", "-c", script], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
    assert client.stdout.readline().strip() == "FIRST"
    agent = start_agent("--cgroup", str(cgroup.path))
    client.stdin.write("go\n")
    client.stdin.flush()
    assert client.wait(30) == 0
    spans = receiver.wait_for(lambda s: len(s) >= 10, timeout=15)
    agent.stop()
    srv = spans_of(spans, SERVER, pid=server.pid)
    assert [s["attributes"]["url.path"] for s in srv] == [f"/after{i}" for i in range(5)]
    assert len(spans_of(spans, CLIENT, pid=client.pid)) == 5


def test_traceparent_after_a_4k_cookie_is_still_read(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    cookie = "session=" + "c" * 4096
    code, _ = curl(cgroup, "-H", f"Cookie: {cookie}", "-H", f"traceparent: {TRACEPARENT}",
                   f"http://127.0.0.1:{port}/cookie")
    assert code == "200"
    spans = receiver.wait_for(lambda s: len(spans_of(s, SERVER)) >= 1, timeout=15)
    agent.stop()
    srv = spans_of(spans, SERVER, pid=server.pid)
    assert len(srv) == 1 and srv[0]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert "cookie" not in repr(srv[0]["attributes"]).lower().replace("/cookie", "")


def test_resource_names_the_process_by_its_own_otel_service_name(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    env = dict(os.environ, OTEL_SERVICE_NAME="checkout")
    p = cgroup.popen(["/usr/bin/python3", str(APPS / "py_server.py")], stdout=subprocess.PIPE,
                     text=True, env=env)
    line = p.stdout.readline()
    assert line.startswith("READY"), line
    port = int(line.split()[1])
    code, curl_pid = curl(cgroup, f"http://127.0.0.1:{port}/named")
    assert code == "200"
    spans = receiver.wait_for(lambda s: len(s) >= 2, timeout=15)
    agent.stop()
    srv = spans_of(spans, SERVER, pid=p.pid)
    cli = spans_of(spans, CLIENT, pid=curl_pid)
    assert len(srv) == 1 and len(cli) == 1, spans
    r = srv[0]["resource"]
    assert r["service.name"] == "checkout"
    assert r["process.executable.name"].startswith("python3")
    assert r["host.name"] == socket.gethostname()
    assert cli[0]["resource"]["service.name"] == "curl"


def test_bare_query_and_path_parameters_never_leave_the_host(cgroup, receiver, start_agent):
    """Issue 20: a bare query parameter, a ;jsessionid= path parameter, and a proxy
    request with userinfo, ASP.NET's cookieless session and a fragment, each sent to a
    real server: no exported span, attribute or resource holds the secret."""
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    code, curl_a = curl(cgroup, f"http://127.0.0.1:{port}/a?SECRETTOKEN")
    assert code == "200"
    code, curl_b = curl(cgroup, f"http://127.0.0.1:{port}/b;jsessionid=SECRET")
    assert code == "200"
    target = (f"http://u:SECRET@127.0.0.1:{port}/c;SECRET/(S(SECRET))/d;k=SECRET"
              "?x=SECRET&SECRET#SECRET")
    script = ("import socket\n"
              f"s = socket.create_connection(('127.0.0.1', {port}))\n"
              f"s.sendall(b'GET {target} HTTP/1.1\\r\\nHost: 127.0.0.1:{port}\\r\\n"
              "Connection: close\\r\\n\\r\\n')\n"
              "assert s.recv(100).startswith(b'HTTP/1.1 200')\n")
    res, raw = cgroup.run(["/usr/bin/python3", "-c", script])
    assert res.returncode == 0, res.stderr
    spans = receiver.wait_for(lambda s: len(s) >= 6, timeout=15)
    agent.stop()

    srv = {s["attributes"]["url.path"]: s for s in spans_of(spans, SERVER, pid=server.pid)}
    assert srv["/a"]["attributes"]["url.query"] == "REDACTED"
    assert "/b;jsessionid=REDACTED" in srv, sorted(srv)
    assert srv["/c;REDACTED/(S(REDACTED))/d;k=REDACTED"]["attributes"]["url.query"] == \
        "x=REDACTED&REDACTED"
    full = {pid: [s["attributes"].get("url.full") for s in spans_of(spans, CLIENT, pid=pid)]
            for pid in (curl_a, curl_b, raw)}
    assert full == {curl_a: [f"http://127.0.0.1:{port}/a?REDACTED"],
                    curl_b: [f"http://127.0.0.1:{port}/b;jsessionid=REDACTED"],
                    raw: [f"http://127.0.0.1:{port}/c;REDACTED/(S(REDACTED))/d;k=REDACTED"
                          "?x=REDACTED&REDACTED"]}, full
    assert "SECRET" not in repr(spans), [s for s in spans if "SECRET" in repr(s)]


def test_tracestate_with_level_2_keys_is_kept(cgroup, receiver, start_agent):
    """Keys the current W3C text allows and level 1 did not ('@' anywhere
    after the first char, a digit first) keep the list on the span."""
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    code, _ = curl(cgroup, "-H", f"traceparent: {TRACEPARENT}",
                   "-H", "tracestate: rojo=1, foo@bar@baz=1,0abc=2 ",
                   f"http://127.0.0.1:{port}/ts")
    assert code == "200"
    spans = receiver.wait_for(lambda s: len(spans_of(s, SERVER)) >= 1, timeout=15)
    agent.stop()
    srv = spans_of(spans, SERVER, pid=server.pid)
    assert len(srv) == 1 and srv[0]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert srv[0]["trace_state"] == "rojo=1,foo@bar@baz=1,0abc=2", srv[0]
