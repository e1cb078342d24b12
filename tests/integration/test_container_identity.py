# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Container identity of real processes (issue 20): a cgroup named like a
runtime's container scope gives a container.id only when root made it. A
user's cgroup of the same name (here: a slice handed to `nobody`, as
systemd's delegation does, holding docker-<id>.scope) gives none, while the
same layout made by root does: the rule, not the name, decides."""
import os
import pwd
import secrets
import shutil
import subprocess
import time

import pytest

from conftest import APPS, CLIENT, SERVER, spans_of


def enter_as(cgroup_dir, uid=None, gid=None):
    """A preexec_fn: join cgroup_dir (as root), then become uid:gid."""
    def enter():
        with open(os.path.join(cgroup_dir, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        if uid is not None:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
    return enter


def make_scope(parent, owner=None):
    """parent/docker-<64 hex>.scope, given (with parent and cgroup.procs) to owner."""
    cid = secrets.token_hex(32)
    scope = parent / f"docker-{cid}.scope"
    parent.mkdir()
    scope.mkdir()
    if owner:
        for p in (parent, scope, scope / "cgroup.procs"):
            os.chown(p, owner.pw_uid, owner.pw_gid)
    return cid, scope


def exchange(scope, user, procs):
    """A py_server.py and a curl call to it, both as user (None: root) in
    scope; returns (server pid, curl pid)."""
    ids = (user.pw_uid, user.pw_gid) if user else (None, None)
    srv = subprocess.Popen(["/usr/bin/python3", str(APPS / "py_server.py")],
                           stdout=subprocess.PIPE, text=True, cwd="/",
                           preexec_fn=enter_as(str(scope), *ids))
    procs.append(srv)
    line = srv.stdout.readline()
    assert line.startswith("READY"), line
    port = int(line.split()[1])
    cli = subprocess.Popen(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/id"],
                           cwd="/", preexec_fn=enter_as(str(scope), *ids))
    procs.append(cli)
    assert cli.wait(timeout=30) == 0
    return srv.pid, cli.pid


def remove_tree(*dirs):
    for d in dirs:
        for _ in range(50):
            try:
                d.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)


def test_a_users_cgroup_named_like_a_container_gives_no_container_id(cgroup, receiver,
                                                                     start_agent):
    nobody = pwd.getpwnam("nobody")
    forged_id, forged = make_scope(cgroup.path / "forge.slice", owner=nobody)
    real_id, real = make_scope(cgroup.path / "machine.slice")
    assert forged.stat().st_uid == nobody.pw_uid and real.stat().st_uid == 0
    procs = []
    try:
        agent = start_agent("--cgroup", str(cgroup.path))
        f_srv, f_cli = exchange(forged, nobody, procs)
        r_srv, r_cli = exchange(real, None, procs)
        spans = receiver.wait_for(lambda s: len(s) >= 4, timeout=15)
        agent.stop()
        mine = {p: spans_of(spans, pid=p) for p in (f_srv, f_cli, r_srv, r_cli)}
        assert all(len(v) == 1 for v in mine.values()), spans
        assert mine[f_srv][0]["kind"] == SERVER and mine[f_cli][0]["kind"] == CLIENT
        for p in (f_srv, f_cli):
            r = mine[p][0]["resource"]
            assert "container.id" not in r, (forged_id, r)
            assert "container.name" not in r, r
        # The same layout made by root is a container: the test can tell. (Only
        # the server: curl may be gone before the agent reads its /proc entry.)
        assert mine[r_srv][0]["resource"].get("container.id") == real_id, mine[r_srv][0]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        remove_tree(forged, forged.parent, real, real.parent)


def podman_rootfs(tmp_path):
    """A root filesystem of the host's /usr (bound read-only at run): no
    image to build or pull."""
    root = tmp_path / "rootfs"
    root.mkdir()
    for link, target in (("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64"),
                         ("sbin", "usr/sbin")):
        (root / link).symlink_to(target)
    for d in ("usr", "etc", "proc", "sys", "dev", "tmp", "run", "apps"):
        (root / d).mkdir()
    return root


@pytest.mark.skipif(not shutil.which("podman"), reason="podman is not installed")
def test_a_real_podman_container_keeps_its_container_id(cgroup, receiver, start_agent, tmp_path):
    # This host: hybrid cgroups, so runc (crun refuses them) and the cgroupfs
    # manager: the container lands in <parent>/libpod_parent/libpod-<id>.
    parent = cgroup.path / "libpod_parent"
    mount = str(cgroup.path.parent)
    run = subprocess.run(
        ["podman", "run", "-d", "--runtime", "runc", "--network", "host",
         "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096",
         "--cgroup-parent", str(parent)[len(mount):],
         "-v", "/usr:/usr:ro", "-v", f"{APPS}:/apps:ro",
         "--rootfs", str(podman_rootfs(tmp_path)),
         "/usr/bin/python3", "/apps/py_server.py"],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    cid = run.stdout.strip().splitlines()[-1]
    try:
        port = None
        for _ in range(100):
            logs = subprocess.run(["podman", "logs", cid], capture_output=True, text=True)
            if logs.stdout.startswith("READY"):
                port = int(logs.stdout.split()[1])
                break
            time.sleep(0.1)
        assert port, logs.stdout + logs.stderr
        pid = int(subprocess.run(["podman", "inspect", "-f", "{{.State.Pid}}", cid],
                                 capture_output=True, text=True, check=True).stdout)
        with open(f"/proc/{pid}/cgroup") as f:
            assert f"/libpod_parent/libpod-{cid}\n" in f.read()
        agent = start_agent("--cgroup", str(cgroup.path))
        res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/c"])
        assert res.returncode == 0
        spans = receiver.wait_for(lambda s: len(spans_of(s, SERVER, pid=pid)) >= 1, timeout=15)
        agent.stop()
        (srv,) = spans_of(spans, SERVER, pid=pid)
        assert srv["resource"].get("container.id") == cid, srv["resource"]
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", cid], capture_output=True, timeout=60)
        remove_tree(parent)
