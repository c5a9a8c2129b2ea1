#!/usr/bin/env python3
"""A plain sequential client for the cold-start measurement: one keep-alive http.client connection,
one request at a time, reading the server's own split from each answer's Server-Timing header
(queue, compute, total in ms; overhead = total - queue - compute).

  client.py --port P --model fraud --body fraud.json --cold 3000 --burst-seconds 5 --warm 3000

Prints one JSON object: the cold phase (the first --cold requests a fresh server answers), then,
after a burst of load (--burst-threads connections for --burst-seconds), the warm phase. With
--server-pid (Linux), each phase also reports the server's CPU per answer from /proc, and the part of
it spent by the JIT's background tiering thread (re-compiling methods as they get hot) and by the
thread pool's workers (the request path, and their idle spin); and the server's context switches per
answer (voluntary: a thread blocked and was woken, a hand-off between threads; involuntary: it was
preempted), by thread group. Voluntary switches per answer count the wake-ups on the request path and
do not depend on how loaded the machine is. With --jit-log (the file the server's runtime writes with
DOTNET_JitDisasmSummary=1 and DOTNET_JitStdOutFile), each phase also reports how many methods the JIT
compiled during it, by tier (Tier0, Instrumented Tier0, Tier1, FullOpts, ...): a count that does not
depend on the machine's load either. Needs only the Python standard library.
"""
import os
import argparse
import http.client
import json
import re
import sys
import threading
import time

TIMING = re.compile(r"(queue|compute|total);dur=([0-9.]+)")
# The overhead's stages, present when the server runs with server.timing_stages on
# (USHER_SERVER__TIMING_STAGES=true): read, decode, run (docs/metrics.md); builds before 2026-12-05
# wrote read, decode, route, version, respond. Whatever the server writes is reported, in its order.
STAGE = re.compile(r"([a-z]+);dur=([0-9.]+)")


def split(header):
    parts = dict((name, float(value)) for name, value in TIMING.findall(header or ""))
    if not {"queue", "compute", "total"} <= parts.keys():
        raise ValueError(f"no queue/compute/total in Server-Timing '{header}'")
    stages = dict((name, float(value)) for name, value in STAGE.findall(header) if name not in parts)
    return (parts["total"] - parts["queue"] - parts["compute"], parts["compute"], parts["queue"], parts["total"],
            stages or None)


def post(connection, path, body):
    # Without "Accept-Encoding: identity", which http.client adds by default: a request that names any
    # coding goes through the server's response-compression middleware, and wrk and usher bench send none.
    connection.putrequest("POST", path, skip_accept_encoding=True)
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)


def sequential(port, path, body, count, pause=0.0):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    rows = []
    for _ in range(count):
        if pause > 0:
            time.sleep(pause)  # think time between requests: the server's threads park, its caches cool
        post(connection, path, body)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status} from {path}")
        rows.append(split(response.getheader("Server-Timing")))
    connection.close()
    return rows


def burst(port, path, body, threads, seconds):
    stop = time.monotonic() + seconds
    counts = [0] * threads
    failures = []

    def loop(index):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while time.monotonic() < stop:
                post(connection, path, body)
                response = connection.getresponse()
                response.read()
                counts[index] += 1
            connection.close()
        except Exception as exception:  # noqa: BLE001 - reported below, the run fails
            failures.append(exception)

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise RuntimeError(f"burst failed: {failures[0]}")
    return sum(counts)


def cpu_ticks(pid):
    """Total CPU ticks of the server, and of its JIT tiering thread and its thread-pool workers, by thread name."""
    if pid is None:
        return None
    with open(f"/proc/{pid}/stat", encoding="utf-8") as file:
        fields = file.read().rsplit(") ", 1)[1].split()
    total, tiering, pool = int(fields[11]) + int(fields[12]), 0, 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm", encoding="utf-8") as file:
                name = file.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat", encoding="utf-8") as file:
                fields = file.read().rsplit(") ", 1)[1].split()
        except OSError:
            continue  # the thread exited meanwhile
        ticks = int(fields[11]) + int(fields[12])
        if name.startswith(".NET Tiered Com"):
            tiering += ticks
        elif name.startswith(".NET TP Worker"):
            pool += ticks
    return total, tiering, pool


def thread_group(name):
    """The server's threads by what they do, from their names (/proc/PID/task/TID/comm, 15 characters)."""
    for prefix, group in ((".NET TP Worker", "pool_workers"), (".NET Sockets", "socket_engine"),
                          (".NET Tiered Com", "jit_tiering"), ("usher executor", "executors")):
        if name.startswith(prefix):
            return group
    return "other"


def switches(pid):
    """Voluntary and involuntary context switches of the server's live threads, summed by thread group."""
    if pid is None:
        return None
    counts = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm", encoding="utf-8") as file:
                name = file.read().strip()
            with open(f"/proc/{pid}/task/{tid}/status", encoding="utf-8") as file:
                status = dict(line.split(":", 1) for line in file if ":" in line)
        except OSError:
            continue  # the thread exited meanwhile (its switches leave the count with it)
        group = counts.setdefault(thread_group(name), [0, 0])
        group[0] += int(status["voluntary_ctxt_switches"])
        group[1] += int(status["nonvoluntary_ctxt_switches"])
    return counts


def switches_per_answer(before, after, answers):
    if before is None or after is None:
        return None
    result = {"voluntary": 0.0, "involuntary": 0.0, "voluntary_by_group": {}}
    for group, (voluntary, involuntary) in after.items():
        v0, i0 = before.get(group, (0, 0))
        v, i = (voluntary - v0) / max(1, answers), (involuntary - i0) / max(1, answers)
        result["voluntary"] += v
        result["involuntary"] += i
        result["voluntary_by_group"][group] = round(v, 3)
    return result


def cpu_per_answer(before, after, answers):
    if before is None or after is None:
        return None
    hz = os.sysconf("SC_CLK_TCK")
    total, tiering, pool = ((a - b) / hz * 1e6 / max(1, answers) for a, b in zip(after, before))
    return {"total": total, "jit_tiering": tiering, "pool_workers": pool}


JITTED = re.compile(r"JIT compiled .* \[([^,\]]+)")


def jitted(path):
    """Methods the JIT compiled so far, by tier, from the runtime's JitDisasmSummary lines
    ("   12: JIT compiled Ns.Type:Method(args) [Tier0, IL size=.., code size=..]")."""
    if path is None:
        return None
    counts = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            for line in file:
                match = JITTED.search(line)
                if match:
                    tier = match.group(1).strip()
                    counts[tier] = counts.get(tier, 0) + 1
    except FileNotFoundError:
        pass
    return counts


def jitted_during(before, after):
    if before is None or after is None:
        return None
    by_tier = {tier: after.get(tier, 0) - before.get(tier, 0) for tier in after}
    by_tier = {tier: count for tier, count in by_tier.items() if count}
    return {"total": sum(by_tier.values()), "by_tier": by_tier}


def percentile(values, p):
    ordered = sorted(values)
    # Nearest rank: the smallest value with at least p% of the values at or below it.
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summary(rows):
    if not rows:
        return {"requests": 0}  # a phase of 0 requests (--warm 0): nothing to summarize
    overhead = [r[0] * 1000 for r in rows]
    compute = [r[1] * 1000 for r in rows]
    staged = [r[4] for r in rows if r[4] is not None]
    stages = {name: percentile([s[name] * 1000 for s in staged if name in s], 50) for name in staged[0]} if staged else None
    return {
        "stages_p50_us": stages,
        "requests": len(rows),
        "overhead_us": {"p50": percentile(overhead, 50), "p99": percentile(overhead, 99)},
        "compute_us": {"p50": percentile(compute, 50), "p99": percentile(compute, 99)},
        # The cold phase in thirds, to see how fast it warms on its own.
        "overhead_p50_by_third_us": [percentile(overhead[i * len(rows) // 3:(i + 1) * len(rows) // 3], 50) for i in range(3)]
        if len(rows) >= 3 else [],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", default="fraud")
    parser.add_argument("--body", required=True, help="a file with the JSON request body")
    parser.add_argument("--cold", type=int, default=3000, help="sequential requests measured on the fresh server")
    parser.add_argument("--burst-seconds", type=float, default=5)
    parser.add_argument("--burst-threads", type=int, default=4)
    parser.add_argument("--warm", type=int, default=3000, help="sequential requests measured after the burst")
    parser.add_argument("--pause-ms", type=float, default=0, help="think time before each sequential request (default 0: back to back)")
    parser.add_argument("--server-pid", type=int, help="the server's process id: report its CPU per answer in each phase (Linux /proc)")
    parser.add_argument("--jit-log", help="the server's DOTNET_JitStdOutFile (with DOTNET_JitDisasmSummary=1): report methods jitted per phase")
    arguments = parser.parse_args()
    with open(arguments.body, "rb") as file:
        body = file.read()
    path = f"/v2/models/{arguments.model}/infer"
    pid = arguments.server_pid
    log = arguments.jit_log
    at_ready = jitted(log)
    before, switched = cpu_ticks(pid), switches(pid)
    pause = arguments.pause_ms / 1000
    cold = sequential(arguments.port, path, body, arguments.cold, pause)
    cold_cpu = cpu_per_answer(before, cpu_ticks(pid), len(cold))
    cold_switches = switches_per_answer(switched, switches(pid), len(cold))
    after_cold = jitted(log)
    burst_requests = burst(arguments.port, path, body, arguments.burst_threads, arguments.burst_seconds) if arguments.burst_seconds > 0 else 0
    before, switched, before_warm = cpu_ticks(pid), switches(pid), jitted(log)
    warm = sequential(arguments.port, path, body, arguments.warm, pause) if arguments.warm > 0 else []
    warm_cpu = cpu_per_answer(before, cpu_ticks(pid), len(warm))
    warm_switches = switches_per_answer(switched, switches(pid), len(warm))
    json.dump({"jitted_at_ready": jitted_during({}, at_ready),
               "cold": dict(summary(cold), cpu_us_per_answer=cold_cpu, switches_per_answer=cold_switches,
                            jitted=jitted_during(at_ready, after_cold)),
               "burst_requests": burst_requests,
               "burst_jitted": jitted_during(after_cold, before_warm),
               "warm": dict(summary(warm), cpu_us_per_answer=warm_cpu, switches_per_answer=warm_switches,
                            jitted=jitted_during(before_warm, jitted(log)))}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
