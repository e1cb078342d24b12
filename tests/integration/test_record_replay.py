# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""--record stores the ring buffer records of a live run; --replay feeds them
through the same pipeline with no BPF and must give the same spans. --floor
attaches the hooks with programs that return at once: no records, no spans."""
import os
import subprocess
import tempfile
import time

from conftest import AGENT, CLIENT, SERVER, spans_of, start_py_server


def replay(path, *args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([str(AGENT), "--replay", str(path), *args], capture_output=True,
                          text=True, timeout=120, env=e)


def shape(spans):
    """What must survive a replay: everything but the random ids and the resource."""
    return sorted((s["kind"], s["name"], s["start_ns"], s["end_ns"], s["status_code"],
                   tuple(sorted(s["attributes"].items()))) for s in spans)


def test_replay_of_a_recording_gives_the_same_spans(cgroup, receiver, start_agent, tmp_path):
    rec = tmp_path / "run.wsrec"
    agent = start_agent("--cgroup", str(cgroup.path), "--record", str(rec))
    server, port = start_py_server(cgroup)
    for path in ("/a?x=1", "/missing", "/error"):
        res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}{path}"])
        assert res.returncode == 0
    live = receiver.wait_for(lambda s: len(s) >= 6, timeout=15)
    stats = agent.stop()
    assert any(l.startswith(f"wirespan: recorded {stats['user']['records']} records")
               for l in agent.lines), agent.lines

    receiver.clear()
    r = replay(rec, env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint})
    assert r.returncode == 0, r.stderr
    assert "wirespan: replay: records=%d spans=6 " % stats["user"]["records"] in r.stderr, r.stderr
    replayed = receiver.wait_for(lambda s: len(s) >= 6, timeout=15)
    assert len(replayed) == 6
    assert shape(replayed) == shape(live)
    # Replay never reads this host's /proc: the recorded comm names the process.
    assert {s["resource"]["service.name"] for s in spans_of(replayed, CLIENT)} == {"curl"}


def test_replay_to_discard_reports_a_rate_and_needs_no_root(cgroup, start_agent, tmp_path):
    rec = tmp_path / "run.wsrec"
    agent = start_agent("--cgroup", str(cgroup.path), "--record", str(rec))
    server, port = start_py_server(cgroup)
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/d"])
    assert res.returncode == 0
    time.sleep(0.5)
    agent.stop()
    # pytest's tmp_path is private to root: give the unprivileged user its own copy.
    with tempfile.NamedTemporaryFile(suffix=".wsrec") as public:
        public.write(rec.read_bytes())
        public.flush()
        os.chmod(public.name, 0o644)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            str(AGENT), "--replay", public.name, "--exporter", "discard"],
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "spans=2 " in r.stderr and "spans_per_cpu_sec=" in r.stderr, r.stderr
    assert "export_failed=0" in r.stderr and "exported=2" in r.stderr, r.stderr


def test_replay_refuses_what_is_not_a_record_file(tmp_path):
    bad = tmp_path / "not.wsrec"
    bad.write_bytes(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 4)
    r = replay(bad)
    assert r.returncode == 1
    assert r.stderr.strip() == "wirespan: --replay: not a wirespan record file (bad magic)"
    r = replay(tmp_path / "absent.wsrec")
    assert r.returncode == 1 and "No such file" in r.stderr


def test_replay_of_a_cut_recording_replays_what_is_whole(cgroup, start_agent, tmp_path):
    rec = tmp_path / "run.wsrec"
    agent = start_agent("--cgroup", str(cgroup.path), "--record", str(rec))
    server, port = start_py_server(cgroup)
    for i in range(3):
        res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/c{i}"])
        assert res.returncode == 0
    time.sleep(0.5)
    agent.stop()
    data = rec.read_bytes()
    rec.write_bytes(data[:-5])
    r = replay(rec, "--exporter", "none")
    assert r.returncode == 0, r.stderr
    assert "is cut or corrupt after" in r.stderr, r.stderr


def one_exchange_stats(cgroup, start_agent, mode):
    """The agent's exit stats after one curl request to a server, both selected, in mode."""
    agent = start_agent("--cgroup", str(cgroup.path), mode)
    server, port = start_py_server(cgroup)
    res, _ = cgroup.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/f"])
    assert res.returncode == 0
    time.sleep(0.5)
    return agent.stop()


def test_floor_attaches_every_hook_and_captures_nothing(cgroup, receiver, start_agent):
    stats = one_exchange_stats(cgroup, start_agent, "--floor")
    assert stats["kernel"]["records"] == 0 and stats["kernel"]["closes"] == 0, stats
    assert stats["user"]["spans"] == 0
    assert receiver.spans() == []


def test_floor_copy_copies_each_io_and_builds_nothing(cgroup, receiver, start_agent):
    stats = one_exchange_stats(cgroup, start_agent, "--floor-copy")
    # curl's request and answer, the server's read and write: four I/Os at least
    assert stats["kernel"]["records"] >= 4, stats
    assert stats["kernel"]["ringbuf_full"] == 0 and stats["user"]["bad_records"] == 0, stats
    assert stats["kernel"]["closes"] == 0 and stats["user"]["spans"] == 0, stats
    assert receiver.spans() == []
