# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The command line as a user meets it: help, version, clear one-line
errors with a non-zero exit, and the default console exporter."""
import os
import re
import subprocess
import time

from conftest import AGENT, Agent, free_port, scrape, start_py_server


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(AGENT), *args], capture_output=True, text=True, timeout=60,
                          env=e)


def test_help_lists_the_selectors_and_exits_0():
    r = run("--help")
    assert r.returncode == 0
    for flag in ("--pid", "--cgroup", "--comm", "--capture", "--exporter", "--endpoint"):
        assert flag in r.stdout


def test_version_prints_a_version():
    r = run("--version")
    assert r.returncode == 0
    assert re.fullmatch(r"wirespan \d+\.\d+\.\d+\n", r.stdout)


def test_missing_cgroup_is_one_clear_line_and_exit_1():
    r = run("--cgroup", "/no/such/cgroup-wirespan")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--cgroup" in lines[0] and "No such file" in lines[0], r.stderr


def test_bad_values_are_rejected_before_anything_loads():
    for args in (["--pid", "abc"], ["--capture", "magic"], ["--capture-bytes", "1"],
                 ["--exporter", "zipkin"], ["--bogus"]):
        r = run(*args)
        assert r.returncode == 2, args
        assert r.stderr.startswith("wirespan: ") and len(r.stderr.splitlines()) == 1, r.stderr
    r = run(env={"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4318"})
    assert r.returncode == 2 and "OTEL_EXPORTER_OTLP_ENDPOINT" in r.stderr


def test_not_root_is_refused_with_a_clear_line():
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        str(AGENT)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "root" in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr


def test_default_console_exporter_prints_spans(cgroup):
    agent = Agent(["--cgroup", str(cgroup.path)], stdout=subprocess.PIPE,
                  env={"OTEL_TRACES_EXPORTER": "", "OTEL_EXPORTER_OTLP_ENDPOINT": "",
                       "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ""})
    server, port = start_py_server(cgroup)
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/console"])
    assert res.returncode == 0
    time.sleep(1.0)
    agent.stop()
    out = agent.proc.stdout.read()
    lines = [l for l in out.splitlines() if "/console" in l]
    assert len(lines) == 2, out
    assert any(l.startswith("SERVER") for l in lines) and any(l.startswith("CLIENT") for l in lines)


def warnings_before_ready(agent):
    """The agent's stderr lines before its ready line, which must come."""
    lines = agent.lines[:next(i for i, l in enumerate(agent.lines)
                              if l.startswith("wirespan: ready"))]
    return [l for l in lines if l.startswith("wirespan: warning: ")]


def test_comm_naming_the_executable_instead_of_the_comm_gets_a_hint(tmp_path):
    # A process's comm is the name it was executed under, cut at 15 bytes:
    # `python3 -m http.server` runs as comm python3 while its executable (and
    # so its service.name) is python3.11. The process here gets a comm of
    # its own through a link, so no other process on the host can match.
    link = tmp_path / "ws-py3"
    link.symlink_to(os.path.realpath("/usr/bin/python3"))
    proc = subprocess.Popen([str(link), "-c", "import time; time.sleep(60)"])
    try:
        agent = Agent(["--comm", "ws-py3.11", "--exporter", "none"])
        warned = warnings_before_ready(agent)
        agent.stop()
    finally:
        proc.kill()
        proc.wait()
    assert len(warned) == 1, agent.lines
    assert "--comm ws-py3.11 matches no running process" in warned[0], warned
    assert "did you mean `ws-py3`?" in warned[0], warned


def test_comm_longer_than_15_bytes_gets_the_cut_name_as_hint():
    agent = Agent(["--comm", "wsdocs-nothing-runs-so", "--exporter", "none"])
    warned = warnings_before_ready(agent)
    agent.stop()
    assert len(warned) == 1, agent.lines
    assert "comm names are at most 15 bytes: did you mean `wsdocs-nothing-`?" in warned[0], warned


def test_comm_of_a_running_process_gets_no_warning(tmp_path):
    link = tmp_path / "ws-running"
    link.symlink_to(os.path.realpath("/usr/bin/python3"))
    proc = subprocess.Popen([str(link), "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.2)  # past the exec, so its comm is the link's name
        agent = Agent(["--comm", "ws-running", "--exporter", "none"])
        warned = warnings_before_ready(agent)
        agent.stop()
    finally:
        proc.kill()
        proc.wait()
    assert warned == [], warned


def test_empty_cgroup_gets_a_warning_and_the_agent_still_starts(cgroup):
    agent = Agent(["--cgroup", str(cgroup.path), "--exporter", "none"])
    warned = warnings_before_ready(agent)
    agent.stop()
    assert len(warned) == 1 and f"--cgroup {cgroup.path} holds no process" in warned[0], warned


def test_ready_line_names_the_selection_the_capture_and_the_export_target():
    agent = Agent(["--pid", str(os.getpid()), "--capture", "socket"],
                  env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT":
                       "http://user:s3cret@127.0.0.1:9/v1/traces?api_key=k",
                       "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_TRACES_EXPORTER": ""})
    ready = [l for l in agent.lines if l.startswith("wirespan: ready")]
    agent.stop()
    assert len(ready) == 1, agent.lines
    assert ready[0] == (f"wirespan: ready (selection: pid {os.getpid()}; capture: socket "
                        "tracepoints (sock_send_length/sock_recv_length), connection state: "
                        "inet_sock_set_state; export: OTLP http/json to "
                        "http://127.0.0.1:9/v1/traces)\n"), ready[0]


# Issue 20: --record followed a link planted at FILE (a root-owned 0600 file
# was overwritten) and truncated whatever was there.
def test_record_refuses_a_planted_symlink_and_an_existing_file(tmp_path):
    target = tmp_path / "shadow"
    target.write_text("root:secret\n")
    target.chmod(0o600)
    link = tmp_path / "rec.wsrec"
    link.symlink_to(target)
    existing = tmp_path / "old.wsrec"
    existing.write_bytes(b"an earlier recording")
    for path in (link, existing):
        r = run("--record", str(path), env={"OTEL_TRACES_EXPORTER": "none"})
        assert r.returncode == 1, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0] == (
            f"wirespan: --record {path}: exists; remove it or choose another name"), r.stderr
    assert target.read_text() == "root:secret\n"
    assert existing.read_bytes() == b"an earlier recording"
    assert link.is_symlink()


# Issue 20: a recording holds raw traffic, secrets included; it was created
# 0666 & ~umask (world-readable).
def test_record_file_is_0600_under_umask_000(cgroup, tmp_path):
    path = tmp_path / "run.wsrec"
    old = os.umask(0)
    try:
        agent = Agent(["--cgroup", str(cgroup.path), "--record", str(path)],
                      env={"OTEL_TRACES_EXPORTER": "none"})
    finally:
        os.umask(old)
    agent.stop()
    assert path.stat().st_mode & 0o7777 == 0o600, oct(path.stat().st_mode)


def listening_addresses(port):
    """The local addresses of TCP sockets listening on port, from /proc/net/tcp{,6}."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, _, hexport = local.partition(":")
                if state == "0A" and int(hexport, 16) == port:
                    out.append(addr)
    return out


# Issue 20: --metrics-address :PORT listened on every interface.
def test_metrics_port_alone_listens_on_loopback_only(cgroup):
    mport = free_port()
    agent = Agent(["--cgroup", str(cgroup.path), "--metrics-address", f":{mport}"],
                  env={"OTEL_TRACES_EXPORTER": "none"})
    try:
        assert listening_addresses(mport) == ["0100007F"], listening_addresses(mport)
        assert "wirespan_connections" in scrape(mport)
    finally:
        agent.stop()


# Issue 20: eight idle connections locked every scrape out for as long as they stayed.
def test_metrics_idle_clients_cannot_lock_scrapes_out(cgroup):
    import socket
    mport = free_port()
    agent = Agent(["--cgroup", str(cgroup.path), "--metrics-address", f"127.0.0.1:{mport}"],
                  env={"OTEL_TRACES_EXPORTER": "none"})
    try:
        idle = [socket.create_connection(("127.0.0.1", mport)) for _ in range(12)]
        time.sleep(0.3)  # accepted, holding their slots
        t0 = time.monotonic()
        assert "wirespan_connections" in scrape(mport)
        assert time.monotonic() - t0 < 2.0
        # Past their deadline (5 s from accept) the server has closed them all.
        time.sleep(6)
        for s in idle:
            s.settimeout(2)
            assert s.recv(1) == b""
            s.close()
    finally:
        agent.stop()


def test_metrics_all_interfaces_only_when_asked(cgroup):
    mport = free_port()
    agent = Agent(["--cgroup", str(cgroup.path), "--metrics-address", f"0.0.0.0:{mport}"],
                  env={"OTEL_TRACES_EXPORTER": "none"})
    try:
        assert listening_addresses(mport) == ["00000000"], listening_addresses(mport)
    finally:
        agent.stop()
    assert "127.0.0.1 only" in run("--help").stdout
