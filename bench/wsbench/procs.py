# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Processes and cgroups: every process and cgroup made here is tracked and
undone by cleanup(); spawning, reaping, ports, CPU and memory from /proc, and
the wirespan BPF programs loaded on the host."""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from subprocess import DEVNULL

from wsbench.common import Fatal

CLK_TCK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------------
# Bookkeeping: every process and cgroup made here is undone on exit.

_procs = []
_cgroups = []
_undo = []  # functions that put back a setting of the host (bpfstats' sysctl)
_cleanup_lock = threading.Lock()


def cgroup2_mount():
    """The cgroup2 mount point, from mountinfo: never assumed."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split(" ")[0] == "cgroup2":
                return Path(left.split(" ")[4])
    raise Fatal("no cgroup2 hierarchy mounted (see /proc/self/mountinfo)")


class Cgroup:
    """A fresh cgroup v2 directory; processes spawned into it run inside."""

    def __init__(self, tag):
        self.path = cgroup2_mount() / f"wirespan-bench-{tag}-{uuid.uuid4().hex[:6]}"
        self.path.mkdir()
        _cgroups.append(self)

    def pids(self):
        try:
            return [int(x) for x in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def cpu_usec(self):
        """usage_usec of cpu.stat (present with or without the cpu controller)."""
        try:
            for line in (self.path / "cpu.stat").read_text().splitlines():
                k, v = line.split()
                if k == "usage_usec":
                    return int(v)
        except (OSError, ValueError):
            pass
        return None

    def destroy(self):
        kill = self.path / "cgroup.kill"
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            if kill.exists():
                try:
                    kill.write_text("1")
                except OSError:
                    pass
            else:
                for p in pids:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.1)
        for _ in range(50):
            try:
                self.path.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)
        if self in _cgroups:
            _cgroups.remove(self)


def spawn(cmd, cgroup=None, cpu=None, stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL, env=None,
          cwd=None):
    """Starts cmd, optionally inside cgroup (entered before exec, so every
    child and every socket it makes is there) and pinned to cpu."""
    full = [str(c) for c in cmd]
    if cpu is not None:
        full = ["taskset", "-c", str(cpu)] + full
    if cgroup is not None:
        full = ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(cgroup.path)] + full
    p = subprocess.Popen(full, stdin=stdin, stdout=stdout, stderr=stderr, env=env, cwd=cwd,
                         text=True)
    _procs.append(p)
    return p


def end_process(p, sig=signal.SIGTERM, timeout=10):
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        except ProcessLookupError:
            pass
    if p in _procs:
        _procs.remove(p)


def cleanup():
    with _cleanup_lock:
        for p in list(_procs):
            try:
                end_process(p, timeout=5)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        for cg in list(_cgroups):
            cg.destroy()
        for fn in list(_undo):
            try:
                fn()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
            drop_cleanup(fn)


def at_cleanup(fn):
    """fn() puts back something changed on the host: cleanup() calls it if it
    is still registered (drop_cleanup) when the run ends, however it ends."""
    _undo.append(fn)


def drop_cleanup(fn):
    if fn in _undo:
        _undo.remove(fn)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, timeout=20, path="/"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                r.read()
                return
        except OSError as e:
            last = e
            time.sleep(0.1)
    raise Fatal(f"nothing answers on 127.0.0.1:{port}: {last}")


# --------------------------------------------------------------------------
# Measuring

def proc_ticks(pid):
    """utime + stime of a whole process (all its threads), in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def ticks_of(pids):
    out = {}
    for p in pids:
        t = proc_ticks(p)
        if t is not None:
            out[p] = t
    return out


def ticks_delta_s(before, after):
    return sum(t - before.get(p, 0) for p, t in after.items()) / CLK_TCK


def proc_mem_kib(pid):
    """VmRSS, VmHWM, RssAnon, RssFile, RssShmem from /proc/PID/status, and
    BpfMaps: the resident part of the process's BPF map mappings (the ring
    buffer: the agent maps its data pages once, user/capture/ringbuf.c; libbpf's
    consumer mapped them twice, so an 8 MiB ring counted 16 MiB)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                    out[k] = int(v.split()[0])
        bpf, cur = 0, False
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    cur = line.rstrip().endswith("anon_inode:bpf-map")
                elif cur and line.startswith("Rss:"):
                    bpf += int(line.split()[1])
        out["BpfMaps"] = bpf
    except OSError:
        pass
    return out


def reap(p, timeout):
    """Waits for p with wait4: (exit code, rusage). SIGKILL after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        except ChildProcessError:
            return p.returncode, None
        if pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            if p in _procs:
                _procs.remove(p)
            return p.returncode, ru
        if time.monotonic() > deadline:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline += 10
        time.sleep(0.02)


def cpu_busy_s():
    """Seconds of CPU time the whole machine spent busy, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK


def bpf_progs(strict=False):
    """Every BPF program loaded on the host, as `bpftool -j prog show` lists them
    (with run_cnt and run_time_ns while the statistics are on). [] when bpftool
    fails or says nothing readable; with strict, Fatal instead."""
    try:
        p = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True,
                           timeout=30)
        return json.loads(p.stdout or "[]")
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        if strict:
            raise Fatal(f"bpftool -j prog show failed: {e}")
        return []


def ws_programs():
    """wirespan BPF programs loaded on the host: {prog id: name}."""
    return {pr["id"]: pr.get("name", "") for pr in bpf_progs()
            if pr.get("name", "").startswith("ws_")}


def prog_ids_held(pid):
    """Ids of the BPF programs process pid holds a file descriptor of (program or
    link), from /proc/PID/fdinfo."""
    d, ids = Path(f"/proc/{pid}"), set()
    try:
        fds = list((d / "fd").iterdir())
    except OSError:
        return ids
    for fd in fds:
        try:
            if not os.readlink(fd).startswith("anon_inode:bpf"):
                continue
            info = (d / "fdinfo" / fd.name).read_text()
        except OSError:
            continue
        m = re.search(r"^prog_id:\s+(\d+)", info, re.M)
        if m:
            ids.add(int(m.group(1)))
    return ids


def bpf_owners(prog_ids):
    """Pids holding a file descriptor (program or link) of one of prog_ids."""
    want = set(prog_ids)
    return {int(d.name) for d in Path("/proc").iterdir()
            if d.name.isdigit() and prog_ids_held(d.name) & want}


def foreign_agents(mine=()):
    """Pids of other processes with wirespan programs loaded (someone else's agent or
    tests)."""
    progs = ws_programs()
    if not progs:
        return []
    # Programs no process holds are detached and being freed: they run on nothing.
    return sorted(bpf_owners(set(progs)) - set(mine))
