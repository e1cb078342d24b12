# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Calls to partners: the CLIENT span names the partner, keeps its request id
and the failure; baggage keys reach attributes only when allowed."""
from conftest import CLIENT, SERVER, spans_of, start_py_server


def test_partner_call_is_named_with_its_request_id_and_error(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path), "--partner", "127.0.0.1=fakepay",
                        "--baggage-keys", "partnerId")
    server, port = start_py_server(cgroup)
    res, curl_pid = cgroup.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                "-H", "baggage: partnerId=acme,email=bob%40example.com",
                                f"http://127.0.0.1:{port}/charge"])
    assert res.stdout == b"402"
    spans = receiver.wait_for(lambda s: len(s) >= 2, timeout=15)
    agent.stop()
    cli, = spans_of(spans, CLIENT, pid=curl_pid)
    srv, = spans_of(spans, SERVER, pid=server.pid)
    a = cli["attributes"]
    assert a["peer.service"] == "fakepay"
    assert a["http.response.header.request-id"] == "req_8f2a"
    assert a["error.type"] == "402" and cli["status_code"] == 2
    # Baggage: the allowed key only; personal data in other keys never leaves.
    assert srv["attributes"]["partnerId"] == "acme"
    assert "email" not in repr(srv) and "bob" not in repr(srv)
    assert "peer.service" not in srv["attributes"]


def hangup_server(cgroup, how):
    """A server that reads one request and hangs up without answering: by a
    reset (SO_LINGER 0) or a plain close. Returns (proc, port)."""
    import subprocess
    code = ("import socket,struct,sys\n"
            "l=socket.socket(); l.bind(('127.0.0.1',0)); l.listen(4)\n"
            "print('READY',l.getsockname()[1],flush=True)\n"
            "c,_=l.accept(); c.recv(4096)\n"
            + ("c.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0))\n"
               if how == "reset" else "") +
            "c.close()\n")
    p = cgroup.popen(["/usr/bin/python3", "-c", code], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line.startswith("READY"), line
    return p, int(line.split()[1])


def test_partner_that_resets_or_hangs_up_gives_an_error_span(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path), "--partner", "127.0.0.1=fakepay")
    want = {}
    for how, error in (("reset", "connection_reset"), ("close", "connection_closed")):
        server, port = hangup_server(cgroup, how)
        res, pid = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/pay"])
        assert res.returncode in (52, 56), res  # empty reply / recv failure
        want[pid] = error
    spans = receiver.wait_for(lambda s: len(spans_of(s, CLIENT)) >= 2, timeout=15)
    stats = agent.stop()
    for pid, error in want.items():
        cli, = spans_of(spans, CLIENT, pid=pid)
        assert cli["status_code"] == 2, cli
        assert cli["attributes"]["error.type"] == error, (cli, stats)
        assert cli["attributes"]["peer.service"] == "fakepay"
        assert "http.response.status_code" not in cli["attributes"]


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_partner_refusing_connections_gives_an_error_span(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path), "--partner", "127.0.0.1=fakepay")
    server, port = start_py_server(cgroup)
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/ok"])
    assert res.returncode == 0, res
    server.kill()
    server.wait()
    # The partner is down: its port, known to speak HTTP, refuses the connection.
    res, refused_pid = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/pay"])
    assert res.returncode == 7, res  # couldn't connect
    # A port never seen speaking HTTP refuses too: not known to be an HTTP call.
    res, other_pid = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{free_port()}/"])
    assert res.returncode == 7, res
    spans = receiver.wait_for(lambda s: len(spans_of(s, CLIENT, pid=refused_pid)) >= 1, timeout=15)
    stats = agent.stop()
    cli, = spans_of(spans, CLIENT, pid=refused_pid)
    a = cli["attributes"]
    assert cli["name"] == "HTTP" and cli["status_code"] == 2, cli
    assert a["error.type"] == "connection_refused", cli
    assert a["server.address"] == "127.0.0.1" and a["server.port"] == port, cli
    assert a["peer.service"] == "fakepay"
    assert cli["end_ns"] >= cli["start_ns"] > 0
    assert spans_of(spans, CLIENT, pid=other_pid) == []
    assert stats["kernel"]["connect_failures"] == 2, stats
    assert stats["user"]["connect_failures_not_http"] == 1, stats
