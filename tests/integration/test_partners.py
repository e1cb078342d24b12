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
