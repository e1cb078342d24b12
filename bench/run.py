#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""wirespan benchmarks: what tracing costs the traced service, the rest of the
host and the agent itself. Measures and reports; asserts nothing.

    bench/run.py                  every case, 5 interleaved rounds, 5 s runs
    bench/run.py --quick          1 round, 2 s runs (development)
    bench/run.py --only nginx     one case (comma-separated list: see --list)

Writes bench/RESULTS.md (full run of every case) or bench/out/RESULTS-*.md
(quick or partial runs), and the raw numbers to bench/out/results.json.
Needs root, a built build/wirespan, nginx, wrk, node (+ bench/node/node_modules
for the SDK case), perf for the profile. Every process it starts runs in a
cgroup of its own or is tracked, and is ended on exit or Ctrl-C.

The command line and the run are here; the harness's parts are modules of
bench/wsbench/ (listed in its __init__.py).
"""
import argparse
import atexit
import datetime
import json
import signal
import sys
import time
from pathlib import Path

from wsbench.cases import CASE_TITLES, CASES, Bench
from wsbench.common import Fatal, Skip, log
from wsbench.host import busy_processes, check_prereqs, machine_info
from wsbench.paths import BENCH, OUT, snapshot_agent
from wsbench.procs import cleanup
from wsbench.report import Report


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    ap = argparse.ArgumentParser(description="wirespan benchmarks (writes RESULTS.md)")
    ap.add_argument("--quick", action="store_true", help="1 round, 2 s runs, smaller inputs")
    ap.add_argument("--only", default=",".join(CASES),
                    help=f"comma-separated cases (default: all): {','.join(CASES)}")
    ap.add_argument("--rounds", type=int, help="interleaved rounds (default 5; quick 1)")
    ap.add_argument("--duration", type=int, help="seconds per wrk run (default 5; quick 2)")
    ap.add_argument("--server-cpu", type=int, default=1, help="CPU the server is pinned to")
    ap.add_argument("--load-cpu", type=int, default=0,
                    help="CPU of wrk, the agent and the receiver")
    ap.add_argument("--conns", type=int, default=10000, help="connections of the memory case")
    ap.add_argument("--replay-pairs", type=int,
                    help="request/response pairs synthesized for replay (default 1000000; "
                         "quick 100000)")
    ap.add_argument("--otel-work-us", type=int, default=0,
                    help="CPU work per request of the SDK-comparison server (default 0)")
    ap.add_argument("--out", help="report path (default: bench/RESULTS.md for a full run of "
                                  "every case, else bench/out/RESULTS-partial.md)")
    ap.add_argument("--quiet-wait", type=float,
                    help="seconds to wait before each run for the machine to be idle and free "
                         "of other wirespan agents (default 10; quick 5; at most 240 s in all, quick 30)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    args = ap.parse_args()
    if args.list:
        for c in CASES:
            print(f"{c:8s} {CASE_TITLES[c]}")
        return 0
    args.only = [c.strip() for c in args.only.split(",") if c.strip()]
    bad = [c for c in args.only if c not in CASES]
    if bad:
        ap.error(f"unknown case(s) {bad}; known: {CASES}")
    args.rounds = args.rounds or (1 if args.quick else 5)
    args.duration = args.duration or (2 if args.quick else 5)
    args.replay_pairs = args.replay_pairs or (100_000 if args.quick else 1_000_000)
    args.quiet_wait = args.quiet_wait if args.quiet_wait is not None else (5 if args.quick else 10)
    args.replay_runs = 1 if args.quick else 3
    args.heavy_floor = not args.quick
    full = not args.quick and args.only == CASES and args.rounds >= 5 and args.duration >= 5
    out_path = Path(args.out) if args.out else (
        BENCH / "RESULTS.md" if full else OUT / f"RESULTS-{'quick' if args.quick else 'partial'}.md")

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    atexit.register(cleanup)
    try:
        check_prereqs(args)
        OUT.mkdir(exist_ok=True)
        info = machine_info()
        snapshot_agent()
        busy_before = busy_processes()
        started = info["date"]
        t0 = time.monotonic()
        log(f"wirespan bench: cases {','.join(args.only)}; {args.rounds} round(s) of "
            f"{args.duration} s; server on CPU {args.server_cpu}, load on CPU {args.load_cpu}")
        if busy_before:
            log(f"  busy processes before the run: {', '.join(busy_before)}")
        b = Bench(args)
        for c in args.only:
            log(f"== {CASE_TITLES[c]}")
            tc = time.monotonic()
            try:
                getattr(b, f"case_{c}")()
            except Skip as e:
                log(f"  skipped: {e}")
                b.results[c] = {"skipped": str(e)}
            log(f"   ({time.monotonic() - tc:.0f} s)")
        if b.rx:
            b.rx.stop()
        finished = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M UTC")
        busy_after = busy_processes()
        rep = Report(b, args, info, busy_before, busy_after, started, finished)
        text = rep.render()
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(text + "\n")
        (OUT / "results.json").write_text(json.dumps(
            {"args": vars(args), "machine": info, "results": b.results, "notes": b.notes,
             "commands": b.commands, "busy_before": busy_before, "busy_after": busy_after},
            indent=1, default=str))
        log(f"\nwrote {out_path} ({time.monotonic() - t0:.0f} s)")
        log("\n".join(f"  {t}: {m} -> {v}" for t, m, v in rep.targets))
        return 0
    except Fatal as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
