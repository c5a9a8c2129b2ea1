"""The density benchmark's client (benchmarks/density/run.sh): sequential requests to every copy,
the server's RSS sampled beside them, cold starts read from the server's log."""
import http.client
import json
import random
import re
import statistics
import sys
import threading
import time

port, pid, copies, rounds, budget, hold, file_bytes, log_path = sys.argv[1:9]
port, pid, copies, rounds, budget, hold, file_bytes = int(port), int(pid), int(copies), int(rounds), int(budget), int(hold), int(file_bytes)
MiB = 1024 * 1024


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
conn.request("GET", "/v2/models/mlp-large-0")
meta = json.loads(conn.getresponse().read())
spec = meta["inputs"][0] if meta["inputs"] else None
if spec is None:
    # Not loaded yet under the budget: its metadata has no tensors until its first request; mlp-large takes [N, 1024] FP32.
    spec = {"name": "input", "datatype": "FP32", "shape": [-1, 1024]}
shape = [1 if d < 0 else d for d in spec["shape"]]
n = 1
for d in shape:
    n *= d
body = json.dumps({"inputs": [{"name": spec["name"], "shape": shape, "datatype": spec["datatype"], "data": [0.5] * n}]})

# usher_serve starts `dotnet usher.dll` in a subshell that execs it: the pid is the server's.
server_pid = pid
base = rss(server_pid)
peak = [base]
stop = threading.Event()


def sample():
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], rss(server_pid))
        except OSError:
            return
        stop.wait(0.05)


sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
order = [m for _ in range(rounds) for m in random.Random(7).sample(range(copies), copies)]
latencies, failures = [], []
started = time.perf_counter()
for m in order:
    t0 = time.perf_counter()
    conn.request("POST", f"/v2/models/mlp-large-{m}/infer", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    text = response.read()
    latencies.append((time.perf_counter() - t0) * 1000)
    if response.status != 200:
        failures.append((m, response.status, text[:200]))
elapsed = time.perf_counter() - started
stop.set()
sampler.join()

conn.request("GET", "/v2/models")
listed = json.loads(conn.getresponse().read())["models"]
loaded = sum(1 for e in listed for v in e["versions"] if v.get("loaded"))
end = rss(server_pid)
answered = {m for m in range(copies)} - {f[0] for f in failures}

with open(log_path) as f:
    cold = [float(x) for x in re.findall(r"loaded on demand in (\d+) ms", f.read())]

print(f"copies={copies} budget={budget / MiB:.1f} MiB (holds {hold} at {2 * file_bytes / MiB:.1f} MiB each: file {file_bytes / MiB:.1f} MiB x 2)")
print(f"requests={len(order)} in {elapsed:.1f} s, answered 200: {len(order) - len(failures)}, failed: {len(failures)}; copies that answered: {len(answered)} of {copies}")
print(f"loaded at the end: {loaded} versions; RSS then {end / MiB:.0f} MiB, {(end - base) / MiB / max(loaded, 1):.0f} MiB above the base per loaded version (an upper bound: freed memory the allocator kept counts too)")
print(f"RSS: base {base / MiB:.0f} MiB, peak {peak[0] / MiB:.0f} MiB, budget + base {(budget + base) / MiB:.0f} MiB -> {'within' if peak[0] <= budget + base else 'OVER'} (peak - base = {(peak[0] - base) / MiB:.0f} MiB)")
if cold:
    print(f"cold start (load on demand, server log): n={len(cold)} p50 {pct(cold, 50):.0f} ms, p99 {pct(cold, 99):.0f} ms, max {max(cold):.0f} ms")
print(f"client latency, every request: p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms")
for f in failures[:5]:
    print("failed:", f)
sys.exit(1 if failures else 0)
