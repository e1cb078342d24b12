# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""What runs during a measurement: wrk (run and parsed), the agent (the real
binary, its ready and stats lines), the OTLP receiver, and the servers under
test (nginx, the Node server)."""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from subprocess import DEVNULL, PIPE

from wsbench import paths
from wsbench.common import Fatal, Skip
from wsbench.paths import BENCH, PY
from wsbench.procs import (CLK_TCK, _procs, end_process, free_port, proc_mem_kib, proc_ticks,
                           reap, spawn, ticks_of, wait_http)

# --------------------------------------------------------------------------
# wrk, the agent and the receiver

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def parse_wrk(out):
    r = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out)
    if m:
        r["requests"] = int(m.group(1))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        r["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            r[f"p{pct}_ms"] = _ms(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    return r


def wrk_cmd(url, threads, conns, duration):
    return ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--timeout", "5s", "--latency",
            url]


def run_wrk(url, threads, conns, duration, cpu=None):
    cmd = wrk_cmd(url, threads, conns, duration)
    p = spawn(cmd, cpu=cpu, stdout=PIPE, stderr=PIPE)
    try:
        _, ru = reap(p, duration + 60)
        out, err = p.stdout.read(), p.stderr.read()  # a few hundred bytes: no pipe stall
    finally:
        end_process(p)
    r = parse_wrk(out)
    if "requests" not in r or "rps" not in r:
        raise Fatal(f"could not read wrk's output ({' '.join(cmd)}):\n{out}\n{err}")
    if ru is not None:
        r["wrk_cpu_s"] = ru.ru_utime + ru.ru_stime
    return r


STATS_RE = re.compile(r" (?=(?:kernel|go|user|export):)")


def parse_stats(line):
    out = {}
    for part in STATS_RE.split(line.split("stats ", 1)[1]):
        name, _, rest = part.partition(":")
        out[name.strip()] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", rest)}
    return out


def agent_help():
    try:
        return subprocess.run([str(paths.AGENT), "--help"], capture_output=True, text=True,
                              timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


class Agent:
    """The real wirespan binary; stderr read for the ready line and stats."""

    def __init__(self, args, env=None, cpu=None, ready_timeout=90, wait_ready=True):
        e = dict(os.environ)
        e.update(env or {})
        self.cmd = [str(paths.AGENT), *args]
        self.cpu = cpu
        self.lines = []
        self.ready = threading.Event()
        self._stats_cv = threading.Condition()
        self.proc = spawn(self.cmd, cpu=cpu, stdout=DEVNULL, stderr=PIPE, env=e)
        self.pid = self.proc.pid
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.ready_ticks = None
        if wait_ready:
            if not self.ready.wait(ready_timeout) or self.proc.poll() is not None:
                self.kill()
                raise Fatal(f"agent did not become ready ({' '.join(self.cmd)}):\n"
                            + "".join(self.lines[-20:]))
            self.ready_ticks = proc_ticks(self.pid)

    def _read(self):
        for line in self.proc.stderr:
            with self._stats_cv:
                self.lines.append(line)
                self._stats_cv.notify_all()
            if line.startswith("wirespan: ready"):
                self.ready.set()

    def cpu_s(self):
        t = proc_ticks(self.pid)
        return None if t is None else t / CLK_TCK

    def mem(self):
        return proc_mem_kib(self.pid)

    def stats_now(self, timeout=5):
        """SIGUSR1, then the stats line it prints."""
        with self._stats_cv:
            n = len(self.lines)
        os.kill(self.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        with self._stats_cv:
            while True:
                for line in self.lines[n:]:
                    if line.startswith("wirespan: stats"):
                        return parse_stats(line)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._stats_cv.wait(left)

    def kill(self):
        end_process(self.proc, signal.SIGKILL)

    def wait(self, timeout=120, sig=None):
        """Sends sig (if any), reaps the agent with wait4 and returns a dict:
        rc, cpu_s (whole life, from rusage), maxrss_kib, stats, replay."""
        if sig is not None and self.proc.returncode is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
        rc, ru = reap(self.proc, timeout)
        self.reader.join(10)
        if self.proc in _procs:
            _procs.remove(self.proc)
        res = {"rc": rc, "stats": None, "replay": None, "tail": "".join(self.lines[-8:])}
        if ru is not None:
            res["cpu_s"] = ru.ru_utime + ru.ru_stime
            res["maxrss_kib"] = ru.ru_maxrss
        for line in self.lines:
            if line.startswith("wirespan: stats"):
                res["stats"] = parse_stats(line)
            elif line.startswith("wirespan: replay:"):
                res["replay"] = {k: float(v) for k, v in
                                 re.findall(r"(\w+)=([\d.]+)", line.split("replay:", 1)[1])}
        return res

    def stop(self, timeout=120):
        return self.wait(timeout, signal.SIGTERM)


class Receiver:
    """bench/apps/receiver.py: the tests' OTLP receiver, counting spans."""

    def __init__(self, cpu=None):
        self.proc = spawn([PY, BENCH / "apps" / "receiver.py", "--port", "0"], cpu=cpu,
                          stdout=PIPE, stderr=PIPE)
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise Fatal(f"OTLP receiver did not start: {line!r} {err}")
        self.port = int(line.split()[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def stats(self):
        with urllib.request.urlopen(f"{self.endpoint}/stats", timeout=10) as r:
            return json.loads(r.read())

    def cpu_s(self):
        t = proc_ticks(self.proc.pid)
        return None if t is None else t / CLK_TCK

    def stop(self):
        end_process(self.proc)


# --------------------------------------------------------------------------
# Servers under test

class Nginx:
    def __init__(self, tmp, cgroup, cpu=None, workers=1, worker_connections=4096, name="nginx",
                 body="hello from the wirespan bench\\n", big_mib=0):
        """big_mib: also serve /big.bin, a file of that many MiB, from user memory
        (sendfile off: 64 KiB writes whose bytes a tracer could copy)."""
        self.dir = Path(tmp) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        big = ""
        if big_mib:
            (self.dir / "www").mkdir(exist_ok=True)
            (self.dir / "www" / "big.bin").write_bytes(b"x" * (big_mib << 20))
            # nginx's workers run as nobody: the path must be open to them.
            for p in (self.dir.parent, self.dir, self.dir / "www"):
                os.chmod(p, 0o755)
            big = f"""
        location = /big.bin {{
            root {self.dir / "www"};
            sendfile off;
            output_buffers 2 64k;
        }}"""
        self.port = free_port()
        self.cgroup = cgroup
        self.conf = self.dir / "nginx.conf"
        d = self.dir
        self.conf.write_text(f"""\
daemon off;
master_process on;
worker_processes {workers};
worker_rlimit_nofile {worker_connections * 2 + 100};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{
    worker_connections {worker_connections};
}}
http {{
    access_log off;
    keepalive_timeout 600s;
    keepalive_requests 100000000;
    client_body_temp_path {d}/body;
    client_max_body_size 64m;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{self.port} backlog=4096;
        location / {{
            default_type text/plain;
            return 200 "{body}";
        }}{big}
    }}
}}
""")
        self.cmd = ["nginx", "-p", str(d), "-c", str(self.conf), "-e", str(d / "error.log")]
        self.proc = spawn(self.cmd, cgroup=cgroup, cpu=cpu, stderr=PIPE)
        try:
            wait_http(self.port)
        except Fatal:
            end_process(self.proc)
            err = (d / "error.log").read_text() if (d / "error.log").exists() else ""
            raise Fatal(f"nginx did not start ({' '.join(self.cmd)}):\n{err}")
        self.url = f"http://127.0.0.1:{self.port}/"

    def worker_pids(self):
        return [p for p in self.cgroup.pids() if p != self.proc.pid]

    def cpu_s(self):
        pids = self.cgroup.pids() if self.cgroup else [self.proc.pid]
        return sum(ticks_of(pids).values()) / CLK_TCK

    def stop(self):
        end_process(self.proc, signal.SIGQUIT)


class NodeServer:
    def __init__(self, cgroup, cpu=None, work_us=100, otel_env=None, name="node"):
        node = shutil.which("node")
        if not node:
            raise Skip("node not found: run bench/install-deps.sh (Debian's nodejs)")
        cmd = [node]
        env = dict(os.environ)
        env["OTEL_SERVICE_NAME"] = name
        if otel_env is not None:
            if not (BENCH / "node" / "node_modules" / "@opentelemetry" / "sdk-node").exists():
                raise Skip("bench/node/node_modules is missing: run `npm ci` in bench/node "
                           "(bench/run.sh does)")
            cmd += ["--require", str(BENCH / "node" / "otel.js")]
            env.update(otel_env)
        cmd += [str(BENCH / "node" / "server.js"), "--port", "0", "--work-us", str(work_us)]
        self.cmd = cmd
        self.cgroup = cgroup
        self.proc = spawn(cmd, cgroup=cgroup, cpu=cpu, stdout=PIPE, stderr=PIPE, env=env,
                          cwd=BENCH / "node")
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            end_process(self.proc)
            raise Fatal(f"node server did not start: {line!r} {self.proc.stderr.read()}")
        _, port, iters = line.split()
        self.port, self.iters = int(port), int(iters)
        self.url = f"http://127.0.0.1:{self.port}/"
        # Its stdout/stderr must not fill up and block it.
        for f in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=lambda f=f: [None for _ in f], daemon=True).start()
        wait_http(self.port)

    def stop(self):
        end_process(self.proc)
