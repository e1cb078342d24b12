# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Webhooks: a partner's call back (no traceparent on the wire) is linked to
the trace an earlier outgoing call stored in the partner's metadata, read
from the first bytes of the body on configured routes only.

The partner (the test itself) is not traced: it runs outside the selected
cgroup, as Stripe would. Links are read from the console exporter's lines
(the OTLP encoder does not carry them yet)."""
import http.client
import json
import re
import tempfile
import time

from conftest import Agent, start_py_server

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
TP = f"00-{TRACE}-{PARENT}-01"


def stripe_event(trace_parent, pad=0):
    """A payment_intent.succeeded delivery shaped like Stripe's (ids made up)."""
    meta = {"order_id": "6735"}
    if trace_parent is not None:
        meta["trace_parent"] = trace_parent
    return json.dumps({
        "id": "evt_3Nq0aXJ2eZvKYlo21x5b1WvQ", "object": "event", "api_version": "2023-08-16",
        "data": {"object": {
            "id": "pi_3Nq0aXJ2eZvKYlo21Lr4hWq5", "object": "payment_intent", "amount": 2000,
            "charges": {"data": [{"id": "ch_1", "metadata": {"trace_parent": "not this one"}}]},
            "description": "x" * pad,
            "metadata": meta, "status": "succeeded"}},
        "type": "payment_intent.succeeded"}).encode()


def post(port, path, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def server_lines(out, n, timeout=15):
    """The SERVER lines of the console output once n are there, as dicts."""
    deadline = time.monotonic() + timeout
    while True:
        with open(out) as f:
            lines = [l for l in f if l.startswith("SERVER ")]
        if len(lines) >= n or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    spans = []
    for l in lines:
        fields = l.split()
        d = {"path": fields[2], "links": re.findall(r" link=(\w+)-(\w+)", l)}
        d.update(kv.split("=", 1) for kv in fields[5:] if "=" in kv and not kv.startswith("link="))
        spans.append(d)
    return spans


def test_webhook_is_linked_to_the_trace_in_its_metadata(cgroup):
    server, port = start_py_server(cgroup)
    with tempfile.NamedTemporaryFile("r", suffix=".out") as out, open(out.name, "w") as sink:
        agent = Agent(["--capture", "socket", "--cgroup", str(cgroup.path), "--exporter", "console",
                       "--webhook", "POST /webhooks/stripe=data.object.metadata.trace_parent",
                       "--webhook", "POST /webhooks/joined=data.object.metadata.trace_parent,parent"],
                      stdout=sink)
        try:
            sent = [
                # (path, body, what the span should get)
                ("/webhooks/stripe", stripe_event(TP), "link"),
                # Over the 2920 bytes Python sends with the head: the body comes in its own reads.
                ("/webhooks/stripe?attempt=2", stripe_event(TP, pad=4000), "link"),
                ("/webhooks/joined", stripe_event(TP), "parent"),
                # Not a configured route: never read past the head, even with the same body.
                ("/webhooks/other", stripe_event(TP), None),
                ("/webhooks/stripe", stripe_event(f"00-{TRACE}-{PARENT}-0x"), None),
                ("/webhooks/stripe", stripe_event(None), None),
                ("/webhooks/stripe", b'{"data":{"object":{"metadata":{"trace_parent":"' + TP[:30].encode(), None),
                ("/webhooks/stripe", b'{"data":' + b"[" * 100000, None),
                # Past the first 8 KiB of the body: not read, so not found.
                ("/webhooks/stripe", stripe_event(TP, pad=9000), None),
            ]
            for path, body, _ in sent:
                assert post(port, path, body) == 201
            spans = server_lines(out.name, len(sent))
        finally:
            stats = agent.stop()
    assert len(spans) == len(sent), (spans, agent.lines)
    for (path, _, want), s in zip(sent, spans):
        assert s["path"] == path.split("?")[0] + ("?attempt=REDACTED" if "?" in path else ""), s
        if want == "link":
            assert s["links"] == [(TRACE, PARENT)], (path, s)
            assert s["trace"] != TRACE and s["parent"] == "-", s
        elif want == "parent":
            assert s["links"] == [] and s["trace"] == TRACE and s["parent"] == PARENT, s
        else:
            assert s["links"] == [] and s["trace"] != TRACE and s["parent"] == "-", (path, s)
    u = stats["user"]
    assert (u["webhook_linked"], u["webhook_no_context"], u["webhook_busy"]) == (3, 5, 0), u
    assert server.poll() is None
