# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""perf profiles: a flat `perf report`, the share of the BPF programs and the
agent's user-side time by symbol family."""
import re
import subprocess


BPF_SYM = re.compile(r"^(bpf_prog_|bpf_ringbuf|bpf_probe_read|bpf_trace_run|__bpf_|bpf_map_|"
                     r"bpf_get_|bpf_task_pt_regs|bpf_current_task|bpf_lru|bpf_percpu|__htab|"
                     r"htab_|pcpu_freelist|bpf_ktime)|_nofault")


def perf_top(perf, data, n=15):
    """Flat profile: {"top": [(pct, kind, symbol)], "bpf_pct": share of the BPF
    programs and the helpers they call, "samples": N}."""
    p = subprocess.run([perf, "report", "-i", str(data), "--stdio", "--no-children", "--sort",
                        "sym", "-g", "none", "--percent-limit", "0"],
                       capture_output=True, text=True, timeout=300)
    rows = []
    for line in p.stdout.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+\[(.)\]\s+(.*)", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3).strip()))
    m = re.search(r"^# Samples: (\S+)", p.stdout, re.M)
    bpf = [r for r in rows if r[1] == "k" and BPF_SYM.search(r[2])]
    groups = {}
    for pct, kind, sym in rows:
        for g, rx in USER_GROUPS:
            if kind == "." and rx.search(sym):
                groups[g] = groups.get(g, 0) + pct
                break
        else:
            if kind == "k":
                groups["kernel"] = groups.get("kernel", 0) + pct
    return {"top": rows[:n], "top80": rows[:80], "bpf_pct": sum(r[0] for r in bpf),
            "bpf_syms": bpf[:10],
            "groups": groups, "samples": m.group(1) if m else None}


# User-side symbol families of the agent, for "where the agent's time goes".
USER_GROUPS = [
    ("OTLP encoding (protobuf-c, ws_otlp_*)", re.compile(r"protobuf_c|otlp|pb_")),
    ("HTTP parsing (http1_*, memchr, header matching)",
     re.compile(r"http1|parse_|memchr|strchr|ieq|find_|header")),
    ("span building (span, url, redaction, trace context, strings)",
     re.compile(r"span|url|redact|trace|tp_|strlen|memmove|memcpy|arena|str")),
    ("allocation (malloc/free)", re.compile(r"malloc|free|_int_|calloc|realloc|cfree")),
    ("assembly (connection table, records)", re.compile(r"assembl|conn|record|on_")),
]
