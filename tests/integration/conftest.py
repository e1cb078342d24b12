# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Fixtures of the integration tests: a cgroup v2 per test that holds the
programs under test, the real agent selecting that cgroup, and a real OTLP
receiver decoding what the agent exports."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUILD = Path(os.environ.get("WS_BUILD_DIR", REPO / "build"))
AGENT = BUILD / "wirespan"
APPS = HERE / "apps"

sys.path.insert(0, str(HERE))
from otlp_receiver import OtlpReceiver  # noqa: E402


def cgroup2_mount():
    """The cgroup2 mount point, from mountinfo: never assumed."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split(" ")[0] == "cgroup2":
                return left.split(" ")[4]
    raise RuntimeError("no cgroup2 hierarchy mounted")


class Cgroup:
    """A fresh cgroup v2 directory; processes started through it run inside."""

    def __init__(self):
        self.path = Path(cgroup2_mount()) / f"wirespan-test-{uuid.uuid4().hex[:8]}"
        self.path.mkdir()
        self.procs = []

    def _enter(self):
        with open(self.path / "cgroup.procs", "w") as f:
            f.write(str(os.getpid()))

    def popen(self, cmd, **kw):
        p = subprocess.Popen(cmd, preexec_fn=self._enter, **kw)
        self.procs.append(p)
        return p

    def run(self, cmd, timeout=60, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        p = self.popen(cmd, **kw)
        out, err = p.communicate(timeout=timeout)
        return subprocess.CompletedProcess(cmd, p.returncode, out, err), p.pid

    def destroy(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


class Agent:
    """The real wirespan binary; stderr kept for the ready line and the stats."""

    def __init__(self, args, env=None, stdout=subprocess.DEVNULL):
        if not AGENT.exists():
            raise RuntimeError(f"{AGENT} is missing: run make first")
        self.args = [str(AGENT), *args]
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(self.args, stdout=stdout, stderr=subprocess.PIPE, env=e,
                                     text=True)
        self.lines = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if not self.ready.wait(60) or self.proc.poll() is not None:
            self.proc.kill()
            raise RuntimeError("agent did not become ready:\n" + "".join(self.lines))

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)
            if line.startswith("wirespan: ready"):
                self.ready.set()

    def stop(self):
        """SIGTERM: the agent flushes and must exit 0. Returns its final stats."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(60)
        self.reader.join(10)
        assert rc == 0, f"agent exited {rc}:\n" + "".join(self.lines)
        return self.stats()

    def stats(self):
        """The last stats line as {'kernel': {...}, 'go': {...}, 'user': {...}, 'export': {...}}."""
        line = [l for l in self.lines if l.startswith("wirespan: stats")][-1]
        out = {}
        for part in re.split(r" (?=(?:kernel|go|user|export):)", line.split("stats ", 1)[1]):
            name, _, rest = part.partition(":")
            out[name] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", rest)}
        return out


@pytest.fixture(scope="session")
def receiver():
    r = OtlpReceiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def cgroup():
    cg = Cgroup()
    yield cg
    cg.destroy()


@pytest.fixture
def start_agent(receiver):
    """start_agent(*args, capture=...) -> Agent exporting to the receiver."""
    agents = []
    receiver.clear()

    def start(*args, capture="socket", env=None):
        e = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
             "OTEL_BSP_SCHEDULE_DELAY": "100"}
        e.update(env or {})
        a = Agent(["--capture", capture, *args], env=e)
        agents.append(a)
        return a

    yield start
    for a in agents:
        if a.proc.poll() is None:
            a.proc.kill()
            a.proc.wait()


def free_port():
    """A TCP port nothing listens on now (the kernel's pick, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape(port):
    """GET /metrics of an agent started with --metrics-address 127.0.0.1:port,
    as {'name{labels}': value}."""
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {k: int(v) for k, v in (l.rsplit(" ", 1) for l in text.splitlines()
                                   if l and not l.startswith("#"))}


def wait_until(pred, timeout=10.0, step=0.05):
    """Polls pred() until it returns something true; returns that, or the
    last value after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


class ReceiverProcess:
    """otlp_receiver.py as its own process on a fixed port, so a test can
    kill it and start it again where the agent expects it."""

    def __init__(self, port, *args):
        self.port = port
        self.args = args
        self.endpoint = f"http://127.0.0.1:{port}/v1/traces"
        self._spans = []
        self._cond = threading.Condition()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", str(HERE / "otlp_receiver.py"), "--port", str(self.port),
             *self.args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        if "listening on" not in line:
            self.proc.kill()
            raise RuntimeError(f"receiver did not start: {line}{self.proc.stderr.read()}")
        if "https://" in line:
            self.endpoint = self.endpoint.replace("http://", "https://")
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        return self

    def _read(self, proc):
        for line in proc.stdout:
            with self._cond:
                self._spans.append(json.loads(line))
                self._cond.notify_all()

    def kill(self):
        """SIGKILL: no goodbye to open connections, as a crashed collector."""
        self.proc.kill()
        self.proc.wait(10)

    def spans(self):
        with self._cond:
            return list(self._spans)

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self._spans):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"receiver: {len(self._spans)} spans after {timeout}s")
                self._cond.wait(left)
            return list(self._spans)


@pytest.fixture
def receiver_process():
    """receiver_process(port, *args) -> a started ReceiverProcess; killed at the end."""
    procs = []

    def start(port, *args):
        r = ReceiverProcess(port, *args).start()
        procs.append(r)
        return r

    yield start
    for r in procs:
        if r.proc.poll() is None:
            r.kill()


def start_server(cgroup, cmd):
    """A test server (it prints "READY <port>") in the cgroup; returns (proc, port)."""
    p = cgroup.popen(cmd, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line.startswith("READY"), f"server did not start: {line!r}"
    return p, int(line.split()[1])


def start_py_server(cgroup, *args):
    """python3 apps/py_server.py in the cgroup; returns (proc, port)."""
    return start_server(cgroup, ["/usr/bin/python3", str(APPS / "py_server.py"), *args])


def concurrent_gets(cgroup, url_pattern, n, timeout=120):
    """n GETs at once from one Python process in the cgroup, url_pattern % i
    for i in 0..n-1, each asserted 200; returns the client's pid."""
    script = (
        "import concurrent.futures, urllib.request\n"
        "def get(i):\n"
        f"    r = urllib.request.urlopen({url_pattern!r} % ((i,) * {url_pattern.count('%d')}),"
        " timeout=30); r.read()\n"
        "    return r.status\n"
        f"with concurrent.futures.ThreadPoolExecutor({n}) as ex:\n"
        f"    assert list(ex.map(get, range({n}))) == [200] * {n}\n")
    res, pid = cgroup.run(["/usr/bin/python3", "-c", script], timeout=timeout)
    assert res.returncode == 0, res.stderr
    return pid


def build_app(tmp_path_factory, name, cmd):
    """Builds a test app: cmd with {out} for the binary's path; returns the path."""
    out = tmp_path_factory.mktemp(name) / name
    env = {**os.environ, "GOCACHE": str(out.parent / "gocache"), "GO111MODULE": "off",
           "HOME": str(out.parent)}
    p = subprocess.run([c.format(out=out) for c in cmd], env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return out


def spans_of(spans, kind=None, pid=None, path=None):
    out = []
    for s in spans:
        if kind is not None and s["kind"] != kind:
            continue
        if pid is not None and s["resource"].get("process.pid") != pid:
            continue
        if path is not None and s["attributes"].get("url.path") != path:
            continue
        out.append(s)
    return out


SERVER, CLIENT = 2, 3
STATUS_UNSET, STATUS_OK, STATUS_ERROR = 0, 1, 2


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    {http}
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}
}}
"""


def start_nginx(cgroup, http=""):
    """nginx (one worker answering 200 "ok") in the cgroup, with the http
    block's extra directives; returns (proc, port) once it accepts."""
    d = tempfile.mkdtemp(prefix="wirespan-nginx-")
    port = free_port()
    conf = Path(d) / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=d, port=port, http=http))
    p = cgroup.popen(["nginx", "-p", d, "-c", str(conf)], stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        pytest.fail("nginx did not start: " + p.stderr.read().decode())
    return p, port


def stop_nginx(p):
    p.terminate()
    p.wait(10)
