# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The kernel's BPF statistics: run count and run time of every BPF program,
accounted only while turned on (the accounting itself costs two clock reads per
program run, so it is on only during dedicated runs), and read per program of
one agent."""
import ctypes
import os
import platform
from contextlib import contextmanager
from pathlib import Path

from wsbench.common import Fatal
from wsbench.procs import at_cleanup, bpf_progs, drop_cleanup, prog_ids_held

SYSCTL = Path("/proc/sys/kernel/bpf_stats_enabled")
# bpf(2): BPF_ENABLE_STATS (command 32) with BPF_STATS_RUN_TIME (0).
_NR_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280}
_BPF_ENABLE_STATS, _BPF_STATS_RUN_TIME = 32, 0


def _enable_stats_fd():
    """BPF_ENABLE_STATS: statistics on while the returned fd is open (the kernel
    counts holders, and closes the fd when this process exits however it exits,
    so neither a crash nor another user of the sysctl leaves them on or turns
    them off under us). None where the call is unknown or refused."""
    nr = _NR_BPF.get(platform.machine())
    if nr is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.c_uint32(_BPF_STATS_RUN_TIME)
    fd = libc.syscall(ctypes.c_long(nr), ctypes.c_long(_BPF_ENABLE_STATS), ctypes.byref(attr),
                      ctypes.c_uint(ctypes.sizeof(attr)))
    return fd if fd >= 0 else None


def _write_sysctl(value):
    try:
        SYSCTL.write_text(value)
    except OSError:
        pass


@contextmanager
def bpf_stats():
    """BPF run-time statistics on inside the block, as they were after it,
    whatever ends it. Through BPF_ENABLE_STATS where the kernel has it (5.8+);
    else kernel.bpf_stats_enabled is set to 1 and its previous value written
    back on leaving, and by the harness's cleanup on any other way out."""
    fd = _enable_stats_fd()
    if fd is not None:
        try:
            yield "BPF_ENABLE_STATS"
        finally:
            os.close(fd)
        return
    try:
        before = SYSCTL.read_text().strip()
        SYSCTL.write_text("1")
    except OSError as e:
        raise Fatal(f"cannot turn BPF statistics on ({SYSCTL}): {e}")

    def restore():
        _write_sysctl(before)

    at_cleanup(restore)
    try:
        yield "kernel.bpf_stats_enabled"
    finally:
        restore()
        drop_cleanup(restore)


def prog_stats(pid):
    """{program name: (run_cnt, run_time_ns)} of the BPF programs process pid
    holds, programs of one name summed. Who holds a program: bpftool's "pids"
    where its JSON has them, else /proc/PID/fdinfo; programs named ws_* if
    neither tells (the harness makes sure no other agent is loaded)."""
    progs = bpf_progs(strict=True)
    if any("pids" in pr for pr in progs):
        held = {pr["id"] for pr in progs if any(x.get("pid") == pid for x in pr.get("pids", []))}
    else:
        held = prog_ids_held(pid)
    out = {}
    for pr in progs:
        name = pr.get("name", "")
        if pr["id"] in held or (not held and name.startswith("ws_")):
            cnt, ns = out.get(name, (0, 0))
            out[name] = (cnt + pr.get("run_cnt", 0), ns + pr.get("run_time_ns", 0))
    return out


def per_request(before, after, requests):
    """The programs' work between two prog_stats() readings, per request: total
    µs/req and, per program, runs/req, ns/run and µs/req."""
    req = max(requests, 1)
    progs = {}
    for name, (cnt, ns) in after.items():
        c0, t0 = before.get(name, (0, 0))
        runs, spent = cnt - c0, ns - t0
        progs[name] = {"runs": runs, "ns": spent, "runs_per_req": runs / req,
                       "ns_per_run": spent / runs if runs else None,
                       "us_per_req": spent / req / 1000}
    return {"requests": requests, "us_per_req": sum(x["us_per_req"] for x in progs.values()),
            "runs_per_req": sum(x["runs_per_req"] for x in progs.values()), "progs": progs}


class Window:
    """The programs of one process read before and after a run (prog_window())."""

    def __init__(self):
        self.before = self.after = self.how = None

    def result(self, requests):
        """per_request() of the run, or None when nothing was read."""
        if self.before is None or self.after is None:
            return None
        r = per_request(self.before, self.after, requests)
        r["enabled_by"] = self.how
        return r


@contextmanager
def prog_window(pid):
    """with prog_window(pid) as win: statistics on for the block, the programs
    of process pid read at its start and end (win.result(requests) then). With
    pid None it does nothing: a run without an agent, or one not measured."""
    win = Window()
    if pid is None:
        yield win
        return
    with bpf_stats() as how:
        win.how = how
        win.before = prog_stats(pid)
        yield win
        win.after = prog_stats(pid)
