# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The bench/run.py harness, in modules by job:

    paths    where things are: the bench and repo directories, the agent binary
    common   log() and the Fatal / Skip exceptions
    procs    cgroups, spawning, reaping and cleanup, ports, /proc and BPF readings
    servers  wrk, the agent, the OTLP receiver, nginx, the Node server
    stats    medians, loss counters, the per-variant summary
    perf     flat perf profiles
    bpfstats the kernel's BPF statistics: on for a run, per program of an agent
    host     the machine: its description, busy processes, prerequisites
    cases    the Bench class: one method per case
    report   the Markdown report (RESULTS.md)
"""
