# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The cases (CASES, in report order, with their titles) and the Bench class
that runs them: one measured run, the interleaved comparison of variants, and
one case_<name> method per case; results go to Bench.results."""
import atexit
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from subprocess import DEVNULL, PIPE

from wsbench import paths
from wsbench.bpfstats import prog_window
from wsbench.common import Fatal, log
from wsbench.paths import BENCH, PY, REPO
from wsbench.perf import perf_top
from wsbench.procs import (CLK_TCK, Cgroup, cgroup2_mount, cpu_busy_s, end_process,
                           foreign_agents, reap, spawn, ticks_delta_s, ticks_of)
from wsbench.servers import Agent, Nginx, NodeServer, Receiver, agent_help, run_wrk, wrk_cmd
from wsbench.stats import log_loss, med, stat, summarize

CASES = ["nginx", "large", "heavy", "otel", "replay", "encode", "loss", "memory", "profile",
         "kcost"]
CASE_TITLES = {
    "nginx": "1. nginx, one worker, `return 200`",
    "large": "1b. Large answers: nginx sending a 4 MiB file in 64 KiB writes",
    "heavy": "2. Heavier service: Node.js, ~100 µs of CPU per request",
    "otel": "3. Node.js: OpenTelemetry SDK vs wirespan",
    "replay": "4. Replay: the user-space pipeline alone",
    "encode": "4b. Export encoding alone, per protocol",
    "loss": "5. Event loss vs request rate",
    "memory": "6. Agent memory with 10,000 keep-alive connections",
    "profile": "Where the cost goes (perf)",
    "kcost": "What the kernel path's operations cost on this kernel (BPF helpers)",
}
LARGE_MIB = 4  # case large: the file's size


class Bench:
    def __init__(self, args):
        self.a = args
        self.tmp = Path(tempfile.mkdtemp(prefix="wirespan-bench-"))
        atexit.register(shutil.rmtree, self.tmp, ignore_errors=True)
        self.results = {}
        self.notes = []
        self.commands = {}
        self.rx = None
        self.help = agent_help()
        self.has_floor = "--floor" in self.help
        self.has_floor_copy = "--floor-copy" in self.help
        self.has_replay = "--replay" in self.help and "--record" in self.help
        # Waiting for a quiet machine is bounded in total, so a busy machine cannot
        # stretch a full run past its half hour.
        self.quiet_budget = 30 if args.quick else 240
        self.quiet_spent = 0.0
        self.not_quiet = 0
        self.runs_total = 0
        self.retries = 0
        self.retry_budget = 4 if args.quick else 30

    # ---- helpers
    def receiver(self):
        if self.rx is None or self.rx.proc.poll() is not None:
            self.rx = Receiver(cpu=self.a.load_cpu)
        return self.rx

    def agent_env(self):
        return {"OTEL_EXPORTER_OTLP_ENDPOINT": self.receiver().endpoint}

    def variants(self, server_cg, empty_cg, with_floor=True, with_syscalls=True):
        v = [("none", None),
             ("traced", ["--capture", "socket", "--cgroup", str(server_cg.path)]),
             ("other", ["--capture", "socket", "--cgroup", str(empty_cg.path)])]
        if with_floor:
            if self.has_floor:
                v.append(("floor", ["--floor", "--capture", "socket", "--cgroup",
                                    str(server_cg.path)]))
            else:
                log("  floor: not available (build/wirespan --help does not list --floor)")
            if self.has_floor_copy:
                v.append(("floorcopy", ["--floor-copy", "--capture", "socket", "--cgroup",
                                        str(server_cg.path)]))
            else:
                log("  floor-copy: not available (build/wirespan --help does not list "
                    "--floor-copy)")
        if with_syscalls:
            v.append(("syscalls", ["--capture", "syscalls", "--cgroup", str(server_cg.path)]))
        return v

    def measure(self, server_cg, url, agent_args, threads, conns, duration, agent_cpu="load",
                settle=0.3, env=None, await_export=False, bpf_stats=False):
        """One wrk run against a server, with or without an agent. bpf_stats: the
        kernel's BPF statistics on during the wrk run, and the agent's programs'
        runs and run time per request in r["bpf"] (bpfstats.py)."""
        cpu = self.a.load_cpu if agent_cpu == "load" else agent_cpu
        quiet = self.wait_quiet()
        self.runs_total += 1
        agent = None
        rx = self.receiver()
        rx0 = rx.stats()
        if agent_args is not None:
            agent = Agent(agent_args, env=env or self.agent_env(), cpu=cpu)
        time.sleep(settle)
        pids = server_cg.pids()
        s0, c0 = ticks_of(pids), server_cg.cpu_usec()
        a0, x0, b0 = (agent.cpu_s() if agent else 0), rx.cpu_s(), cpu_busy_s()
        with prog_window(agent.pid if agent and bpf_stats else None) as progs:
            t0 = time.monotonic()
            w = run_wrk(url, threads, conns, duration, cpu=self.a.load_cpu)
            wall = time.monotonic() - t0
        s1, c1 = ticks_of(server_cg.pids()), server_cg.cpu_usec()
        a1, x1, b1 = (agent.cpu_s() if agent else 0), rx.cpu_s(), cpu_busy_s()
        r = dict(w)
        r["wall_s"] = wall
        r["threads"], r["conns"] = threads, conns
        req = max(w["requests"], 1)
        r["server_cpu_s"] = ticks_delta_s(s0, s1)
        r["server_us_per_req"] = r["server_cpu_s"] / req * 1e6
        bpf = progs.result(w["requests"])
        if bpf is not None:
            r["bpf"] = bpf
        if c0 is not None and c1 is not None:
            r["cgroup_us_per_req"] = (c1 - c0) / req
        # CPU the machine spent on anything but this run's processes, in cores.
        mine = r["server_cpu_s"] + (a1 - a0) + (x1 - x0) + w.get("wrk_cpu_s", 0)
        r["other_cores"] = max(0.0, (b1 - b0) - mine) / wall
        r["quiet"] = quiet
        fa = foreign_agents(mine=(agent.pid,) if agent else ())
        if fa:
            r["foreign_agents"] = fa
            self.note(f"another wirespan agent (pid {fa}) was loaded during a run: its "
                      "programs ran on this server's I/O too")
        if agent is not None:
            time.sleep(settle)
            res = agent.stop()
            r["agent"] = {k: v for k, v in res.items() if k != "tail"}
            if res["rc"] != 0:
                r["agent"]["tail"] = res["tail"]
                self.note(f"agent exited {res['rc']} ({' '.join(agent.cmd)}): {res['tail']}")
            if "cpu_s" in res and agent.ready_ticks is not None:
                r["agent_cpu_s"] = res["cpu_s"] - agent.ready_ticks / CLK_TCK
                r["agent_us_per_req"] = r["agent_cpu_s"] / req * 1e6
            r["agent_cmd"] = agent.cmd
        rx1 = self.settle_receiver() if await_export else rx.stats()
        r["rx_spans"] = rx1["spans"] - rx0["spans"]
        r["rx_rejected"] = rx1["rejected"] - rx0["rejected"]
        x2 = rx.cpu_s()
        if r["rx_spans"] and x2 is not None and x0 is not None:
            r["rx_us_per_span"] = (x2 - x0) / r["rx_spans"] * 1e6
        return r

    def settle_receiver(self):
        """An in-process SDK exports on its own schedule: waits until what it sent
        has arrived (the span count stops moving for 2.5 s), so the next run does
        not receive it. Returns the receiver's stats then."""
        rx = self.receiver()
        st = rx.stats()
        deadline, last, since = time.monotonic() + 15, st["spans"], time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < 2.5:
            time.sleep(0.25)
            st = rx.stats()
            if st["spans"] != last:
                last, since = st["spans"], time.monotonic()
        return st

    def wait_quiet(self):
        """Before a run: waits (up to --quiet-wait s) until no other wirespan agent is
        loaded and the machine is idle (< 0.15 cores busy over 0.5 s)."""
        t0 = time.monotonic()
        while True:
            fa = foreign_agents()
            b0 = cpu_busy_s()
            time.sleep(0.5)
            busy = (cpu_busy_s() - b0) / 0.5
            waited = time.monotonic() - t0
            limit = min(self.a.quiet_wait, max(0.0, self.quiet_budget - self.quiet_spent))
            if (not fa and busy < 0.15) or waited > limit:
                self.quiet_spent += waited
                q = {"waited_s": round(waited, 1), "busy_cores": round(busy, 2)}
                if fa:
                    q["foreign_agents"] = fa
                if fa or busy >= 0.15:
                    q["gave_up"] = True
                    self.not_quiet += 1
                    log(f"    machine not quiet after {waited:.0f} s (busy {busy:.2f} cores, "
                        f"other agents {fa or 'none'}): measuring anyway")
                return q
            time.sleep(1)

    def measure_clean(self, *a, **kw):
        """measure(), run again (at most twice, within a bounded total) when other
        processes took more than 0.3 of a core during it; the least disturbed run is
        kept, and how many were retried is reported."""
        best = self.measure(*a, **kw)
        tries = 0
        while (best["other_cores"] > 0.3 or best.get("foreign_agents")) and tries < 2 \
                and self.retries < self.retry_budget:
            tries += 1
            self.retries += 1
            log(f"    disturbed run (other processes used {best['other_cores']:.2f} cores): "
                "again")
            again = self.measure(*a, **kw)
            if again["other_cores"] < best["other_cores"]:
                best = again
        best["retried"] = tries
        return best

    def note(self, text):
        log(f"  NOTE: {text}")
        self.notes.append(text)

    def compare(self, name, server_cg, url, variants, threads, conns):
        """Rounds of A B C ...: the same server, each variant in turn."""
        rounds, dur = self.a.rounds, self.a.duration
        runs = {v: [] for v, _ in variants}
        for r in range(rounds):
            for v, args in variants:
                res = self.measure_clean(server_cg, url, args, threads, conns, dur)
                runs[v].append(res)
                log(f"  round {r + 1}/{rounds} {v:9s} {res['rps']:9.0f} rps  "
                    f"server {res['server_us_per_req']:7.2f} us/req  "
                    + (f"agent {res.get('agent_us_per_req', 0):6.2f} us/req  "
                       f"spans {stat(res, 'user', 'spans')}/{res['requests']}"
                       if 'agent' in res else ""))
                time.sleep(0.3)
        self.commands[name] = {
            "wrk": " ".join(["taskset", "-c", str(self.a.load_cpu)]
                            + wrk_cmd(url, threads, conns, dur)),
            "agent": {v: " ".join(["taskset", "-c", str(self.a.load_cpu), "build/wirespan"]
                                  + [a.replace(str(cgroup2_mount()) + "/", "$CG/") for a in args])
                      for v, args in variants if args},
        }
        s = summarize(runs)
        s["bpf"] = self.bpf_runs(server_cg, url, variants, threads, conns)
        return s

    def bpf_runs(self, server_cg, url, variants, threads, conns):
        """After the rounds, one more run of each variant with an agent, with the
        kernel's BPF statistics on: the agent's programs' runs and time per request.
        The statistics cost every program run two clock reads, so the rounds run
        without them and these runs stay out of their numbers."""
        out = {}
        for v, args in variants:
            if args is None:
                continue
            res = self.measure_clean(server_cg, url, args, threads, conns, self.a.duration,
                                     bpf_stats=True)
            b = res.get("bpf") or {}
            out[v] = {**b, "rps": res["rps"], "server_us_per_req": res["server_us_per_req"],
                      "agent_rc": (res.get("agent") or {}).get("rc")}
            log(f"  bpf stats {v:9s} programs {b.get('us_per_req', 0):6.3f} us/req: "
                + ", ".join(f"{n} {x['runs_per_req']:.2f} runs/req x {x['ns_per_run']:.0f} ns"
                            for n, x in b.get("progs", {}).items() if x["runs"]))
            time.sleep(0.3)
        return out

    # ---- the cases
    def case_nginx(self):
        scg, ecg = Cgroup("nginx"), Cgroup("empty")
        ng = Nginx(self.tmp, scg, cpu=self.a.server_cpu)
        try:
            run_wrk(ng.url, 1, 16, 1, cpu=self.a.load_cpu)  # warm-up
            s = self.compare("nginx", scg, ng.url, self.variants(scg, ecg), 1, 16)
            self.commands["nginx"]["server"] = (f"taskset -c {self.a.server_cpu} "
                                                + " ".join(ng.cmd) + "  (1 worker)")
            self.commands["nginx"]["nginx.conf"] = ng.conf.read_text()
        finally:
            ng.stop()
            scg.destroy()
            ecg.destroy()
        self.results["nginx"] = s

    def case_large(self):
        scg = Cgroup("large")
        ng = Nginx(self.tmp, scg, cpu=self.a.server_cpu, name="nginx-large", big_mib=LARGE_MIB)
        url = ng.url + "big.bin"
        try:
            run_wrk(url, 1, 2, 1, cpu=self.a.load_cpu)  # warm-up
            v = [("none", None), ("traced", ["--capture", "socket", "--cgroup", str(scg.path)])]
            s = self.compare("large", scg, url, v, 1, 2)
            self.commands["large"]["server"] = (f"taskset -c {self.a.server_cpu} "
                                                + " ".join(ng.cmd) + "  (1 worker)")
            self.commands["large"]["nginx.conf"] = ng.conf.read_text()
        finally:
            ng.stop()
            scg.destroy()
        if s["variants"]["none"]["errors"]:
            raise Fatal(f"nginx did not serve {url}: {s['variants']['none']['errors']} "
                        f"errors or non-2xx answers (see {ng.dir / 'error.log'})")
        t = [r for r in s["runs"]["traced"] if r.get("agent")]
        req = max(sum(r["requests"] for r in t), 1)
        s["large"] = {"mib": LARGE_MIB,
                      "records_per_req": sum(stat(r, "kernel", "records") or 0 for r in t) / req,
                      "skipped_per_req": sum(stat(r, "kernel", "body_skipped") or 0
                                             for r in t) / req}
        self.results["large"] = s

    def case_heavy(self):
        scg, ecg = Cgroup("node"), Cgroup("empty")
        srv = NodeServer(scg, cpu=self.a.server_cpu, work_us=100, name="node-heavy")
        try:
            run_wrk(srv.url, 1, 16, 1, cpu=self.a.load_cpu)
            s = self.compare("heavy", scg, srv.url,
                             self.variants(scg, ecg, with_floor=self.a.heavy_floor), 1, 16)
            self.commands["heavy"]["server"] = (f"taskset -c {self.a.server_cpu} "
                                                + " ".join(srv.cmd)
                                                + f"  (calibrated: {srv.iters} iterations)")
        finally:
            srv.stop()
            scg.destroy()
            ecg.destroy()
        self.results["heavy"] = s

    def case_otel(self):
        rx = self.receiver()
        otel_env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{rx.endpoint}/v1/traces",
                    "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
                    "OTEL_TRACES_SAMPLER": "always_on",
                    # The tail of a run reaches the receiver within 1 s (default 5 s), so
                    # the harness can wait for it before the next run starts.
                    "OTEL_BSP_SCHEDULE_DELAY": "1000"}
        work = self.a.otel_work_us
        cg_plain, cg_sdk = Cgroup("node-plain"), Cgroup("node-sdk")
        plain = NodeServer(cg_plain, cpu=self.a.server_cpu, work_us=work, name="node-plain")
        sdk = NodeServer(cg_sdk, cpu=self.a.server_cpu, work_us=work, otel_env=otel_env,
                         name="node-sdk")
        try:
            for srv in (plain, sdk):
                run_wrk(srv.url, 1, 16, 1, cpu=self.a.load_cpu)
            self.settle_receiver()
            rounds, dur = self.a.rounds, self.a.duration
            plan = [("alone", cg_plain, plain.url, None),
                    ("wirespan", cg_plain, plain.url,
                     ["--capture", "socket", "--cgroup", str(cg_plain.path)]),
                    ("otel-sdk", cg_sdk, sdk.url, None)]
            runs = {v: [] for v, *_ in plan}
            for r in range(rounds):
                for v, cg, url, args in plan:
                    res = self.measure_clean(cg, url, args, 1, 16, dur,
                                             await_export=(v == "otel-sdk"))
                    runs[v].append(res)
                    log(f"  round {r + 1}/{rounds} {v:9s} {res['rps']:9.0f} rps  "
                        f"server {res['server_us_per_req']:7.2f} us/req  "
                        f"agent {res.get('agent_us_per_req', 0):6.2f} us/req  "
                        f"receiver spans {res['rx_spans']}")
                    time.sleep(0.3)
            self.commands["otel"] = {
                "alone": f"taskset -c {self.a.server_cpu} " + " ".join(plain.cmd),
                "otel-sdk": f"taskset -c {self.a.server_cpu} " + " ".join(sdk.cmd),
                "wirespan": f"taskset -c {self.a.load_cpu} build/wirespan --capture socket "
                            "--cgroup $CG",
                "wrk": " ".join(["taskset", "-c", str(self.a.load_cpu)]
                                + wrk_cmd(plain.url, 1, 16, dur)),
                "work_us": work,
            }
            sdk_alive = sdk.proc.poll() is None
        finally:
            plain.stop()
            sdk.stop()
            cg_plain.destroy()
            cg_sdk.destroy()
        s = summarize(runs, base="alone")
        s["sdk_alive"] = sdk_alive
        self.results["otel"] = s

    def bench_tool(self, case, name):
        """build/bench/NAME, or None with the case marked skipped (not built)."""
        exe = paths.BUILD / "bench" / name
        if exe.exists():
            return exe
        log(f"  {case}: {exe} missing (make {exe.relative_to(REPO)})")
        self.results[case] = {"skipped": f"{exe.relative_to(REPO)} not built"}
        return None

    def case_encode(self):
        """bench/encode_bench.c: request bodies per protocol, against protobuf-c."""
        exe = self.bench_tool("encode", "encode_bench")
        if not exe:
            return
        secs = 0.5 if self.a.quick else 2.0
        cmd = ["taskset", "-c", str(self.a.server_cpu), str(exe), str(secs)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            self.results["encode"] = {"skipped": f"encode_bench exited {p.returncode}: "
                                                 f"{p.stderr.strip()[-300:]}"}
            return
        rows = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        for r in rows:
            log(f"  encode: {json.dumps(r)}")
        self.results["encode"] = {"rows": rows, "cpu_s_per_variant": secs,
                                  "cmd": f"taskset -c {self.a.server_cpu} "
                                         f"{exe.relative_to(REPO)} {secs}"}

    def case_kcost(self):
        """bench/kcost: what each operation of the per-I/O path costs per call, the
        driver pinned to the server's CPU, in a cgroup of its own (selection by
        cgroup is one of the operations)."""
        exe = self.bench_tool("kcost", "kcost")
        if not exe:
            return
        iters = 30_000 if self.a.quick else 100_000
        self.wait_quiet()
        cg = Cgroup("kcost")
        try:
            p = spawn([exe, "-n", iters, "-c", cg.path], cgroup=cg, cpu=self.a.server_cpu,
                      stdout=PIPE, stderr=PIPE)
            rc, _ = reap(p, 300)
            out, err = p.stdout.read(), p.stderr.read()
            end_process(p)
        finally:
            cg.destroy()
        if rc != 0:
            self.results["kcost"] = {"skipped": f"kcost exited {rc}: {err.strip()[-300:]}"}
            return
        rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        for r in rows:
            log(f"  kcost: {json.dumps(r)}")
            if r.get("failed"):
                self.note(f"kcost: {r['failed']} of the {r['op']} operations failed (a full ring, "
                          "a faulting read, the driver not in its cgroup): its cost is not the "
                          "cost of one that succeeds")
        self.results["kcost"] = {"rows": rows, "iters": iters,
                                 "cmd": f"taskset -c {self.a.server_cpu} "
                                        f"{exe.relative_to(REPO)} -n {iters} -c $CG"}

    def case_replay(self):
        self.help = agent_help()
        self.has_replay = "--replay" in self.help and "--record" in self.help
        if not self.has_replay:
            log("  replay: not available (build/wirespan --help does not list --record/--replay)")
            self.results["replay"] = {"skipped": "build/wirespan --help lists no --record/--replay"}
            return
        gen = BENCH / "apps" / "gen_records.py"
        recfile_h = REPO / "user" / "capture" / "recfile.h"
        path = self.tmp / "replay.wsrec"
        pairs = self.a.replay_pairs
        res = {"pairs": pairs}
        source = None
        if recfile_h.exists() and gen.exists():
            p = subprocess.run([PY, gen, "--recfile-h", recfile_h, "--pairs", str(pairs),
                                "--out", path], capture_output=True, text=True, timeout=900)
            if p.returncode == 0:
                source = f"synthesized by bench/apps/gen_records.py: {p.stdout.strip()}"
            else:
                self.note(f"gen_records.py failed ({p.stderr.strip()[-400:]}); "
                          "recording a real nginx run instead")
        else:
            self.note("user/capture/recfile.h missing: recording a real nginx run for the replay")
        if source is None:
            source = self.record_nginx(path)
        res["source"] = source
        res["file_bytes"] = path.stat().st_size
        cmd = ["--replay", str(path), "--exporter", "discard"]
        best = None
        for i in range(self.a.replay_runs):
            ag = Agent(cmd, cpu=self.a.server_cpu, wait_ready=False)
            out = ag.wait(timeout=600)
            rp = out.get("replay") or {}
            one = {"rc": out["rc"], "cpu_s": out.get("cpu_s"), "maxrss_kib": out.get("maxrss_kib"),
                   "replay": rp, "stats": out.get("stats")}
            if out["rc"] != 0 or not rp:
                one["tail"] = out["tail"]
                self.note(f"replay run exited {out['rc']}: {out['tail']}")
            elif one["cpu_s"]:
                one["spans_per_cpu_s"] = rp.get("spans", 0) / one["cpu_s"]
            log(f"  replay run {i + 1}: {json.dumps({k: v for k, v in one.items() if k != 'stats'})}")
            res.setdefault("runs", []).append(one)
            if one.get("spans_per_cpu_s") and (best is None or
                                               one["spans_per_cpu_s"] > best["spans_per_cpu_s"]):
                best = one
        ok = [r for r in res.get("runs", []) if r.get("spans_per_cpu_s")]
        if ok:
            res["spans_per_cpu_s"] = med([r["spans_per_cpu_s"] for r in ok])
            res["spans_per_wall_s"] = med([r["replay"].get("spans_per_sec") for r in ok])
            res["maxrss_kib"] = max(r["maxrss_kib"] for r in ok)
            res["spans"] = ok[0]["replay"].get("spans")
            res["records"] = ok[0]["replay"].get("records")
        res["cmd"] = f"taskset -c {self.a.server_cpu} build/wirespan " + " ".join(
            c.replace(str(self.tmp), "$TMP") for c in cmd)
        self.results["replay"] = res

    def record_nginx(self, path):
        scg = Cgroup("nginx-rec")
        ng = Nginx(self.tmp, scg, cpu=self.a.server_cpu, name="nginx-rec")
        Path(path).unlink(missing_ok=True)  # --record refuses an existing file
        try:
            ag = Agent(["--capture", "socket", "--cgroup", str(scg.path), "--record", str(path),
                        "--exporter", "none"], cpu=self.a.load_cpu)
            w = run_wrk(ng.url, 1, 16, max(3, self.a.duration), cpu=self.a.load_cpu)
            time.sleep(0.5)
            out = ag.stop()
        finally:
            ng.stop()
            scg.destroy()
        return (f"recorded: nginx under wrk -t1 -c16, {w['requests']} requests, agent stats "
                f"{(out.get('stats') or {}).get('kernel')}")

    def case_loss(self):
        steps = [(1, 1), (1, 4), (1, 16), (1, 64), (1, 256), (2, 1024)]
        if self.a.quick:
            steps = [(1, 1), (1, 16), (1, 256)]
        scg = Cgroup("nginx-loss")
        ng = Nginx(self.tmp, scg, cpu=self.a.server_cpu, worker_connections=8192)
        rows = []
        try:
            run_wrk(ng.url, 1, 16, 1, cpu=self.a.load_cpu)
            args = ["--capture", "socket", "--cgroup", str(scg.path)]
            for t, c in steps:
                res = self.measure(scg, ng.url, args, t, c, self.a.duration, agent_cpu=None)
                res["threads"], res["conns"], res["setup"] = t, c, "pinned"
                rows.append(res)
                log_loss(res)
        finally:
            ng.stop()
            scg.destroy()
        # Everything competing for both cores: nginx with two workers, nothing pinned.
        scg = Cgroup("nginx-loss2")
        ng = Nginx(self.tmp, scg, cpu=None, workers=2, worker_connections=8192, name="nginx2")
        try:
            run_wrk(ng.url, 2, 64, 1)
            args = ["--capture", "socket", "--cgroup", str(scg.path)]
            for t, c in ([(2, 64), (2, 512)] if not self.a.quick else [(2, 64)]):
                saved = self.a.load_cpu
                self.a.load_cpu = None
                try:
                    res = self.measure(scg, ng.url, args, t, c, self.a.duration, agent_cpu=None)
                finally:
                    self.a.load_cpu = saved
                res["threads"], res["conns"], res["setup"] = t, c, "unpinned, 2 workers"
                rows.append(res)
                log_loss(res)
            # The same load exporting to nginx answering 200 (no decoding): tells the
            # agent's export path from the Python receiver's speed.
            sink_cg = Cgroup("sink")
            sink = Nginx(self.tmp, sink_cg, cpu=None, name="nginx-sink", body="")
            saved = self.a.load_cpu
            self.a.load_cpu = None
            try:
                for t, c in ([(2, 64), (2, 256)] if not self.a.quick else [(2, 64)]):
                    res = self.measure(scg, ng.url, args, t, c, self.a.duration, agent_cpu=None,
                                       env={"OTEL_EXPORTER_OTLP_ENDPOINT":
                                            f"http://127.0.0.1:{sink.port}"})
                    res["setup"] = "unpinned, 2 workers, exporting to an nginx sink"
                    rows.append(res)
                    log_loss(res)
            finally:
                self.a.load_cpu = saved
                sink.stop()
                sink_cg.destroy()
        finally:
            ng.stop()
            scg.destroy()
        self.commands["loss"] = {"agent": "build/wirespan --capture socket --cgroup $CG "
                                          "(not pinned; defaults otherwise)"}
        self.results["loss"] = {"steps": rows}

    def case_memory(self):
        n = self.a.conns
        scg = Cgroup("nginx-mem")
        ng = Nginx(self.tmp, scg, cpu=self.a.server_cpu, worker_connections=n + 1024,
                   name="nginx-mem")
        res = {"connections": n}
        client = None
        try:
            ag = Agent(["--capture", "socket", "--cgroup", str(scg.path)], env=self.agent_env(),
                       cpu=self.a.load_cpu)
            time.sleep(0.5)
            res["idle"] = ag.mem()
            client = spawn([PY, BENCH / "apps" / "conns.py", "--port", str(ng.port), "--count",
                            str(n)], stdin=PIPE, stdout=PIPE, stderr=PIPE)

            def opened(what):
                line = client.stdout.readline()
                if not line.startswith("OPEN"):
                    raise Fatal(f"conns.py failed: {line!r} {client.stderr.read()[-500:]}")
                _, conns, ok, errs, secs = line.split()
                time.sleep(1.0)  # a few agent ticks
                st = ag.stats_now() or {}
                m = ag.mem()
                res[what] = {"open": int(conns), "ok": int(ok), "errors": int(errs),
                             "seconds": float(secs), **m,
                             "conns_tracked": st.get("user", {}).get("conns"),
                             "stats": st}
                log(f"  {what}: {json.dumps({k: v for k, v in res[what].items() if k != 'stats'})}")

            opened("after_first_request")
            client.stdin.write("AGAIN\n")
            client.stdin.flush()
            opened("after_second_request")
            client.stdin.close()
            client.wait(60)
            time.sleep(1.0)
            res["after_close"] = {**ag.mem(), "conns_tracked":
                                  (ag.stats_now() or {}).get("user", {}).get("conns")}
            out = ag.stop()
            res["final_stats"] = out.get("stats")
            res["maxrss_kib"] = out.get("maxrss_kib")
            res["rc"] = out["rc"]
            log(f"  after close: {res['after_close']}; exit rc={out['rc']} "
                f"maxrss={out.get('maxrss_kib')} KiB")
        finally:
            if client is not None:
                end_process(client)
            ng.stop()
            scg.destroy()
        self.results["memory"] = res

    def case_profile(self):
        perf = shutil.which("perf")
        if not perf:
            self.results["profile"] = {"skipped": "perf not found (apt-get install linux-perf)"}
            log("  profile: perf not found")
            return
        scg = Cgroup("nginx-prof")
        ng = Nginx(self.tmp, scg, cpu=self.a.server_cpu, name="nginx-prof")
        out = {}
        dur = max(3, self.a.duration)
        try:
            run_wrk(ng.url, 1, 16, 1, cpu=self.a.load_cpu)
            worker = ng.worker_pids()[0]
            for label, args in (("nginx, no agent", None),
                                ("nginx, traced", ["--capture", "socket", "--cgroup",
                                                   str(scg.path)]),
                                ("nginx, --capture syscalls", ["--capture", "syscalls",
                                                               "--cgroup", str(scg.path)])):
                self.wait_quiet()
                ag = Agent(args, env=self.agent_env(), cpu=self.a.load_cpu) if args else None
                wrk = spawn(wrk_cmd(ng.url, 1, 16, dur + 2), cpu=self.a.load_cpu, stdout=PIPE)
                time.sleep(1)
                targets = [("nginx worker", worker)]
                if ag and "syscalls" not in label:
                    targets.append(("agent", ag.pid))
                recs = []
                for what, pid in targets:
                    data = self.tmp / f"perf-{len(out)}-{pid}.data"
                    recs.append((what, data, spawn([perf, "record", "-e", "cpu-clock", "-g",
                                                    "-o", data, "-p", pid, "--", "sleep", dur],
                                                   stdout=DEVNULL, stderr=PIPE)))
                for what, data, p in recs:
                    reap(p, dur + 60)
                    out[f"{label}: {what}"] = perf_top(perf, data)
                reap(wrk, dur + 60)
                if ag:
                    ag.stop()
        finally:
            ng.stop()
            scg.destroy()
        # The user-side pipeline alone, from a replay (no network, no export).
        if self.has_replay or "--replay" in agent_help():
            path = self.tmp / "replay.wsrec"
            if not path.exists():
                subprocess.run([PY, BENCH / "apps" / "gen_records.py", "--pairs", "200000",
                                "--out", path], capture_output=True, timeout=300)
            if path.exists():
                data = self.tmp / "perf-replay.data"
                subprocess.run([perf, "record", "-e", "cpu-clock", "-g", "-o", data, "--",
                                paths.AGENT, "--replay", path, "--exporter", "discard"],
                               capture_output=True, timeout=600)
                out["replay --exporter discard: agent"] = perf_top(perf, data)
        self.results["profile"] = out
        self.commands["profile"] = {
            "perf": f"perf record -e cpu-clock -g -p PID -- sleep {dur}  (during wrk -t1 -c16)\n"
                    "perf record -e cpu-clock -g -- build/wirespan --replay FILE --exporter "
                    "discard\nperf report --stdio --no-children --sort sym -g none"}
