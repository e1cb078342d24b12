# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Hostile and broken traffic: the agent never crashes, never emits a wrong
span, and counts what it could not use. Each test ends with a normal
request that must still be traced."""
import os
import socket
import time

from conftest import CLIENT, SERVER, spans_of, start_py_server


def client(cgroup, body):
    """Runs a Python socket client (body uses `port`) inside the cgroup."""
    res, pid = cgroup.run(["/usr/bin/python3", "-c", "import socket,time,sys,os\n" + body])
    assert res.returncode == 0, res.stderr.decode()
    return pid


def still_traced(cgroup, receiver, port):
    """A normal request after the bad one gives its two spans."""
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/after"])
    assert res.returncode == 0
    spans = receiver.wait_for(
        lambda s: len([x for x in s if x["attributes"].get("url.path") == "/after"]) == 1,
        timeout=15)
    return spans


def test_binary_garbage_gives_no_span(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    client(cgroup, f"port={port}\n"
           "s=socket.create_connection(('127.0.0.1',port))\n"
           "s.sendall(b'\\x00\\xff\\x13\\x37' + os.urandom(8192))\n"
           "s.settimeout(5)\n"
           "try:\n    s.recv(100)\nexcept OSError:\n    pass\n"
           "s.close()\n")
    spans = still_traced(cgroup, receiver, port)
    stats = agent.stop()
    assert len(spans_of(receiver.spans(), SERVER)) == 1
    # Classified as not HTTP in the kernel: nothing of it was copied.
    assert stats["kernel"]["not_http"] >= 1


def test_64k_header_is_counted_and_gives_no_span(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    client(cgroup, f"port={port}\n"
           "s=socket.create_connection(('127.0.0.1',port))\n"
           "s.sendall(b'GET /big HTTP/1.1\\r\\nHost: x\\r\\nX-Big: ' + b'a'*65536 + "
           "b'\\r\\nConnection: close\\r\\n\\r\\n')\n"
           "s.settimeout(5)\n"
           "while s.recv(65536): pass\n")
    still_traced(cgroup, receiver, port)
    stats = agent.stop()
    spans = receiver.spans()
    assert not [s for s in spans if s["attributes"].get("url.path") == "/big"]
    assert len(spans) == 2, spans
    u = stats["user"]
    assert u["http_head_too_big"] + u["gap_desync"] + u["http_parse_errors"] >= 1, stats


def test_request_written_one_byte_per_write_is_traced(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    pid = client(cgroup, f"port={port}\n"
                 "s=socket.create_connection(('127.0.0.1',port))\n"
                 "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n"
                 "for b in b'GET /bytewise HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n':\n"
                 "    s.send(bytes([b]))\n"
                 "    time.sleep(0.001)\n"
                 "data=b''\n"
                 "while True:\n"
                 "    d=s.recv(4096)\n"
                 "    if not d: break\n"
                 "    data+=d\n"
                 "assert data.startswith(b'HTTP/1.1 200'), data\n")
    spans = receiver.wait_for(lambda s: len(s) >= 2, timeout=15)
    agent.stop()
    srv = spans_of(spans, SERVER, path="/bytewise")
    cli = spans_of(spans, CLIENT, pid=pid)
    assert len(srv) == 1 and len(cli) == 1, spans
    assert cli[0]["attributes"]["url.full"].endswith("/bytewise")


def test_connection_closed_mid_request_gives_no_span(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)
    client(cgroup, f"port={port}\n"
           "s=socket.create_connection(('127.0.0.1',port))\n"
           "s.sendall(b'GET /half HTTP/1.1\\r\\nHost: x\\r\\nUser-Ag')\n"
           "time.sleep(0.2)\n"
           "s.close()\n")
    client(cgroup, f"port={port}\n"
           "s=socket.create_connection(('127.0.0.1',port))\n"
           "s.sendall(b'POST /body HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\nabc')\n"
           "time.sleep(0.2)\n"
           "s.close()\n")
    still_traced(cgroup, receiver, port)
    time.sleep(0.3)
    stats = agent.stop()
    spans = receiver.spans()
    paths = [s["attributes"].get("url.path") for s in spans]
    assert "/half" not in paths and "/body" not in paths, spans
    assert len(spans) == 2
    # The POST head was complete: its request is known and counted as never answered.
    assert stats["user"]["request_without_response"] >= 1, stats


def test_response_with_no_request_is_counted_and_gives_no_span(cgroup, receiver, start_agent):
    agent = start_agent("--cgroup", str(cgroup.path))
    # A "server" that answers before anything is asked, and a client that only reads.
    body = ("l=socket.socket(); l.bind(('127.0.0.1',0)); l.listen(1)\n"
            "port=l.getsockname()[1]\n"
            "c=socket.create_connection(('127.0.0.1',port)); a,_=l.accept()\n"
            "a.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok')\n"
            "assert c.recv(100).startswith(b'HTTP/1.1 200')\n"
            "a.close(); c.close()\n")
    client(cgroup, body)
    server, port = start_py_server(cgroup)
    still_traced(cgroup, receiver, port)
    time.sleep(0.3)
    stats = agent.stop()
    assert len(receiver.spans()) == 2
    assert stats["user"]["response_without_request"] >= 1, stats
