# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The machine: its description for the report, the busy processes seen
before and after, and the prerequisites checked before anything runs."""
import datetime
import os
import platform
import shutil
import subprocess
from pathlib import Path

from wsbench import paths
from wsbench.common import Fatal
from wsbench.paths import REPO
from wsbench.procs import cgroup2_mount


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20,
                              shell=isinstance(cmd, str)).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def mitigations():
    """The CPU vulnerability mitigations that make calls and returns costly (return
    thunks for SRSO, retpolines): what the kernel says of them."""
    d = Path("/sys/devices/system/cpu/vulnerabilities")
    out = []
    for k in ("spec_rstack_overflow", "spectre_v2"):
        try:
            out.append(f"{k}: {(d / k).read_text().strip()}")
        except OSError:
            pass
    return "; ".join(out)


def machine_info():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "host_cpu": f"{cpu} x {os.cpu_count()}",
        "memory": mem,
        "kernel": platform.release(),
        "os": "Debian " + sh("cat /etc/debian_version"),
        "agent": sh([str(paths.AGENT), "--version"]) + " (build/wirespan of "
        + datetime.datetime.fromtimestamp(paths.AGENT.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        + ", sha256 " + sh(["sha256sum", str(paths.AGENT)])[:12] + ")",
        "commit": sh(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
        + (" (with uncommitted changes)" if sh(["git", "-C", str(REPO), "status",
                                                "--porcelain", "--untracked-files=no"]) else ""),
        "nginx": sh("nginx -v 2>&1").replace("nginx version: ", ""),
        "node": sh(["node", "--version"]),
        "wrk": sh("wrk --version 2>&1 | head -1").split(" [")[0],
        "loadavg": open("/proc/loadavg").read().strip(),
        "mitigations": mitigations(),
        # 1: someone left the BPF statistics on; every program run then pays for them.
        "bpf_stats_enabled": sh("cat /proc/sys/kernel/bpf_stats_enabled"),
    }


def busy_processes(threshold=10.0):
    """Processes over threshold % CPU in a top snapshot, other than ours."""
    out = []
    text = sh(["top", "-bn1", "-w", "200"])
    past_header = False
    for line in text.splitlines():
        if line.strip().startswith("PID"):
            past_header = True
            continue
        if not past_header:
            continue
        f = line.split(None, 11)
        if len(f) < 12:
            continue
        try:
            pct = float(f[8])
        except ValueError:
            continue
        if pct >= threshold and f[11] not in ("top",):
            out.append(f"{f[11]} (pid {f[0]}, {pct:.0f}%)")
    return out


def check_prereqs(args):
    if os.geteuid() != 0:
        raise Fatal("run as root (the agent loads BPF programs; cgroups are created)")
    if not paths.AGENT.exists():
        raise Fatal(f"{paths.AGENT} is missing: run `make -j2 build/wirespan` (or `make bench`)")
    need = {"nginx": "nginx-light", "wrk": "wrk", "taskset": "util-linux", "top": "procps"}
    for tool, pkg in need.items():
        if not shutil.which(tool):
            raise Fatal(f"{tool} not found: apt-get install {pkg} (or run bench/install-deps.sh)")
    try:
        subprocess.run(["protoc", "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        raise Fatal("protoc not found (the OTLP receiver compiles proto/): apt-get install "
                    "protobuf-compiler")
    if os.cpu_count() < 2:
        raise Fatal("needs at least 2 CPUs (server and load generator are pinned apart)")
    cgroup2_mount()
