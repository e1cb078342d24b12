# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Statistics of the runs: medians, the agent's stats counters and losses, and
the per-variant summary with paired differences against the no-agent runs."""
import statistics

from wsbench.common import log


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def stat(res, part, key):
    return ((res.get("agent") or {}).get("stats") or {}).get(part, {}).get(key)


LOSS_KEYS = [("kernel", "ringbuf_full"), ("kernel", "conn_table_full"), ("kernel", "recursion_misses"),
             ("kernel", "syscalls_untracked"), ("kernel", "read_failed"), ("user", "bad_records"), ("user", "pipeline_full"),
             ("user", "conns_evicted"), ("user", "gap_desync"), ("user", "stream_gaps"),
             ("user", "http_parse_errors"),
             ("user", "http_head_too_big"), ("user", "response_without_request"),
             ("user", "request_without_response"), ("export", "dropped_queue_full"),
             ("export", "export_failed")]


def losses(res):
    """Loss counters that are not zero. request_without_response is left out when
    it is at most wrk's connection count: wrk closes its connections with a
    request in flight when its time is up, and those never get an answer."""
    out = {}
    for part, key in LOSS_KEYS:
        v = stat(res, part, key)
        if v:
            if key == "request_without_response" and v <= res.get("conns", 16):
                continue
            out[key] = v
    return out


def spans_short(res):
    """Requests wrk completed that have no span (spans can exceed requests: wrk
    does not count the requests in flight when it stops)."""
    sp = stat(res, "user", "spans")
    return 0 if sp is None else max(0, res["requests"] - sp)


def log_loss(res):
    log(f"  wrk -t{res['threads']} -c{res['conns']:<5} ({res['setup']}): {res['rps']:8.0f} rps, "
        f"requests {res['requests']}, spans {stat(res, 'user', 'spans')}, "
        f"records {stat(res, 'kernel', 'records')}, losses {losses(res) or 'none'}, "
        f"agent {res.get('agent_us_per_req', 0):.2f} us/req")


def summarize(runs, base="none"):
    """Medians per variant, and per-round paired differences against base."""
    out = {"variants": {}, "base": base, "runs": runs}
    b = runs.get(base, [])
    for v, rs in runs.items():
        s = {
            "rounds": len(rs),
            "rps": med([r["rps"] for r in rs]),
            "requests": med([r["requests"] for r in rs]),
            "server_us": med([r["server_us_per_req"] for r in rs]),
            "server_us_min": min(r["server_us_per_req"] for r in rs),
            "server_us_max": max(r["server_us_per_req"] for r in rs),
            "cgroup_us": med([r.get("cgroup_us_per_req") for r in rs]),
            "p50_ms": med([r.get("p50_ms") for r in rs]),
            "p99_ms": med([r.get("p99_ms") for r in rs]),
            "agent_us": med([r.get("agent_us_per_req") for r in rs]),
            "rx_us_per_span": med([r.get("rx_us_per_span") for r in rs]),
            "other_cores": med([r.get("other_cores") for r in rs]),
            "rps_min": min(r["rps"] for r in rs),
            "rps_max": max(r["rps"] for r in rs),
            "wrk_us": med([r.get("wrk_cpu_s", 0) / max(r["requests"], 1) * 1e6 for r in rs]),
            "errors": sum(r["socket_errors"] + r["non2xx"] for r in rs),
            "rx_spans": sum(r["rx_spans"] for r in rs),
            "req_total": sum(r["requests"] for r in rs),
        }
        if any("agent" in r for r in rs):
            s["spans"] = sum(stat(r, "user", "spans") or 0 for r in rs)
            s["exported"] = sum(stat(r, "export", "exported") or 0 for r in rs)
            s["records"] = sum(stat(r, "kernel", "records") or 0 for r in rs)
            s["records_per_req"] = s["records"] / max(s["req_total"], 1)
            tot = {}
            for r in rs:
                for k, x in losses(r).items():
                    tot[k] = tot.get(k, 0) + x
            short = sum(spans_short(r) for r in rs) if s["spans"] else 0
            if short:
                tot["requests_without_span"] = short
            s["losses"] = tot
            s["agent_rc"] = sorted({(r.get("agent") or {}).get("rc") for r in rs},
                                   key=lambda x: (x is None, x))
        if b and len(b) == len(rs):
            s["d_server_us"] = med([r["server_us_per_req"] - x["server_us_per_req"]
                                    for r, x in zip(rs, b)])
            s["rps_ratio"] = med([r["rps"] / x["rps"] for r, x in zip(rs, b)])
            if rs[0].get("cgroup_us_per_req") is not None:
                s["d_cgroup_us"] = med([r["cgroup_us_per_req"] - x["cgroup_us_per_req"]
                                        for r, x in zip(rs, b)])
        out["variants"][v] = s
    return out
