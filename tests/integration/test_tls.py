# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""OTLP over TLS: the agent trusts the CA it is given (and only that one),
presents a client certificate to a collector that requires one, and refuses
TLS files that cannot work before it starts. Certificates come from the
openssl command line, made once per session: a test CA with a server and a
client certificate, and a second CA the agent does not trust."""
import os
import subprocess
import time

import pytest

from conftest import AGENT, SERVER, spans_of, start_py_server, wait_until
from otlp_receiver import OtlpReceiver, tls_context


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
            "-subj", f"/CN=wirespan test {name}", cwd=d)


def make_cert(d, ca, name, ext):
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
    (d / f"{name}.ext").write_text(ext)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
            cwd=d)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    server_ext = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
    make_ca(d, "ca")
    make_cert(d, "ca", "server", server_ext)
    make_cert(d, "ca", "client", "extendedKeyUsage=clientAuth\n")
    make_ca(d, "rogue")
    make_cert(d, "rogue", "rogue-server", server_ext)
    make_cert(d, "rogue", "rogue-client", "extendedKeyUsage=clientAuth\n")
    return d


@pytest.fixture
def tls_receiver(pki):
    """tls_receiver(cert, client_ca=None) -> a started HTTPS OtlpReceiver."""
    started = []

    def start(cert="server", client_ca=None):
        ctx = tls_context(pki / f"{cert}.pem", pki / f"{cert}.key",
                          client_ca and pki / f"{client_ca}.pem")
        r = OtlpReceiver(ssl_context=ctx).start()
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


def one_request(cgroup, start_agent, rx, *args, env=None):
    """An agent exporting to rx, one GET traced; returns the agent."""
    agent = start_agent("--cgroup", str(cgroup.path), *args,
                        env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rx.endpoint,
                             "OTEL_EXPORTER_OTLP_TIMEOUT": "2000", **(env or {})})
    _, port = start_py_server(cgroup)
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/tls"])
    assert res.returncode == 0
    return agent


def test_spans_arrive_over_tls_with_the_ca_configured(cgroup, start_agent, tls_receiver, pki):
    rx = tls_receiver()
    assert rx.endpoint.startswith("https://127.0.0.1:")
    agent = one_request(cgroup, start_agent, rx,
                        env={"OTEL_EXPORTER_OTLP_CERTIFICATE": str(pki / "ca.pem")})
    spans = rx.wait_for(lambda s: len(s) >= 2, timeout=15)
    stats = agent.stop()
    assert spans_of(spans, SERVER)[0]["attributes"]["url.path"] == "/tls"
    assert stats["export"]["exported"] == 2 and stats["export"]["errors_tls"] == 0, stats
    assert rx.tls_failures == 0


def test_an_untrusted_server_certificate_is_refused(cgroup, start_agent, tls_receiver, pki):
    rx = tls_receiver("rogue-server")
    agent = one_request(cgroup, start_agent, rx, "--certificate", str(pki / "ca.pem"))
    assert wait_until(lambda: rx.tls_failures >= 1, timeout=15)
    time.sleep(0.3)
    stats = agent.stop()
    assert rx.spans() == [] and rx.requests == 0
    # Not retried: a certificate does not become trusted by waiting.
    assert stats["export"]["errors_tls"] == 1 and stats["export"]["retries"] == 0, stats
    assert stats["export"]["export_failed"] == 2, stats
    failures = [l for l in agent.lines if "otlp export failed" in l]
    assert len(failures) == 1 and "certificate" in failures[0], failures


def test_mtls_collector_takes_spans_only_with_the_client_certificate(cgroup, start_agent,
                                                                     tls_receiver, pki):
    rx = tls_receiver(client_ca="ca")
    ca = {"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": str(pki / "ca.pem")}
    agent = one_request(cgroup, start_agent, rx, env={**ca, "OTEL_BSP_EXPORT_TIMEOUT": "1000"})
    assert wait_until(lambda: rx.tls_failures >= 1, timeout=15)
    time.sleep(0.3)
    stats = agent.stop()
    assert rx.spans() == [] and rx.requests == 0
    # TLS 1.3 refuses the missing certificate after the handshake: the agent
    # sees the server's alert (not retried), or, when the server's close
    # overtakes it, a broken connection (retried, then lost at exit): counted
    # either way.
    e = stats["export"]
    assert e["errors_tls"] + e["errors_network"] >= 1 and e["export_failed"] == 2, stats

    # The traces-specific pair wins over a generic one the collector does not trust.
    agent = one_request(cgroup, start_agent, rx, env={
        **ca,
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": str(pki / "rogue-client.pem"),
        "OTEL_EXPORTER_OTLP_CLIENT_KEY": str(pki / "rogue-client.key"),
        "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": str(pki / "client.pem"),
        "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": str(pki / "client.key"),
    })
    spans = rx.wait_for(lambda s: len(spans_of(s, SERVER)) >= 1, timeout=15)
    stats = agent.stop()
    assert stats["export"]["export_failed"] == 0 and stats["export"]["errors_tls"] == 0, stats
    assert spans_of(spans, SERVER)[0]["attributes"]["url.path"] == "/tls"


def test_tls_files_that_cannot_work_are_one_clear_line(pki, tmp_path):
    enc = tmp_path / "enc.key"
    openssl("pkey", "-in", str(pki / "client.key"), "-aes256", "-passout", "pass:x",
            "-out", str(enc), cwd=tmp_path)
    rows = [
        ({"OTEL_EXPORTER_OTLP_CERTIFICATE": "/no/such/ca.pem"}, [],
         "OTEL_EXPORTER_OTLP_CERTIFICATE", "No such file"),
        ({"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": str(pki)}, [],
         "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "Is a directory"),
        ({}, ["--certificate", str(pki / "ca.key")], "--certificate", "no PEM certificate"),
        ({"OTEL_EXPORTER_OTLP_CLIENT_KEY": str(pki / "client.key")}, [],
         "OTEL_EXPORTER_OTLP_CLIENT_KEY", "without a client certificate"),
        ({}, ["--client-certificate", str(pki / "client.pem")], "--client-certificate",
         "without a client key"),
        ({"OTEL_EXPORTER_OTLP_CLIENT_KEY": str(pki / "client.pem"),
          "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": str(pki / "client.pem")}, [],
         "OTEL_EXPORTER_OTLP_CLIENT_KEY", "no PEM private key"),
        ({"OTEL_EXPORTER_OTLP_CLIENT_KEY": str(enc),
          "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": str(pki / "client.pem")}, [],
         "OTEL_EXPORTER_OTLP_CLIENT_KEY", "encrypted"),
    ]
    for env, args, name, why in rows:
        r = subprocess.run([str(AGENT), "--endpoint", "https://127.0.0.1:1/v1/traces", *args],
                           capture_output=True, text=True, timeout=30,
                           env={"PATH": os.environ["PATH"], **env})
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2, (env, args, r.stderr)
        assert len(lines) == 1 and name in lines[0] and why in lines[0], (env, args, r.stderr)


def test_grpc_over_tls_with_the_ca_configured(cgroup, start_agent, pki):
    # ALPN h2 over TLS to grpcio's secure port; an untrusted CA is refused.
    rx = OtlpReceiver(grpc_tls=(pki / "server.pem", pki / "server.key")).start()
    try:
        env = {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
               "OTEL_EXPORTER_OTLP_CERTIFICATE": str(pki / "ca.pem")}
        agent = start_agent("--cgroup", str(cgroup.path),
                            env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rx.grpc_tls_endpoint,
                                 "OTEL_EXPORTER_OTLP_TIMEOUT": "2000", **env})
        _, port = start_py_server(cgroup)
        for i in range(2):  # twice: the second export reuses the TLS connection
            res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null",
                                 f"http://127.0.0.1:{port}/grpc-tls{i}"])
            assert res.returncode == 0
            rx.wait_for(lambda s: len(s) >= 2 * (i + 1), timeout=15)
        stats = agent.stop()
        paths = sorted(s["attributes"]["url.path"] for s in spans_of(rx.spans(), SERVER))
        assert paths == ["/grpc-tls0", "/grpc-tls1"]
        assert stats["export"]["exported"] == 4 and stats["export"]["errors_tls"] == 0, stats

        agent = start_agent("--cgroup", str(cgroup.path),
                            env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rx.grpc_tls_endpoint,
                                 "OTEL_EXPORTER_OTLP_TIMEOUT": "2000", **env,
                                 "OTEL_EXPORTER_OTLP_CERTIFICATE": str(pki / "rogue.pem")})
        res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/x"])
        assert res.returncode == 0
        time.sleep(1.5)
        stats = agent.stop()
        assert stats["export"]["errors_tls"] >= 1 and stats["export"]["exported"] == 0, stats
        assert len(rx.spans()) == 4
    finally:
        rx.stop()
