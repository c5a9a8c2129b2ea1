#!/usr/bin/env bash
# Where a server's CPU goes on fraud over REST JSON: starts `usher serve` (batching off, or with
# BATCHING=on the adaptive mode) from the given build, loads it with wrk at concurrency 64, samples
# its CPU with dotnet-trace for the middle seconds of the load, and prints the top frames by
# exclusive and by inclusive samples (all threads together).
#
#   benchmarks/compare/trace-fraud.sh [PATH-TO-Usher.Cli.dll]   # default: this checkout's Release build
#
# Needs wrk and dotnet-trace (dotnet tool install -g dotnet-trace), and python3 for the summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${BENCH_SECONDS:-8}"
port="${BENCH_PORT:-18290}"
usher="${1:-}"
if [ -z "$usher" ]; then
  dotnet build "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo >/dev/null
  usher="$(dotnet msbuild "$root/src/Usher.Cli/Usher.Cli.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)"
fi
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
dotnet "$usher" samples generate --output "$work/samples" >/dev/null
mkdir -p "$work/repo/fraud" && cp -R "$work/samples/fraud"/[0-9]* "$work/repo/fraud/"
config=$'max_batch_size: 64\n'; [ "${BATCHING:-off}" = on ] && config+=$'dynamic_batching: {}\n'
printf '%s' "$config" >"$work/repo/fraud/config.yaml"
awk 'BEGIN { printf "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":["
  for (i = 0; i < 30; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3); printf "]}]}" }' >"$work/fraud.json"
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nlocal f = io.open("%s", "rb"); wrk.body = f:read("*a"); f:close()\n' "$work/fraud.json" >"$work/post.lua"
( cd "$work" && USHER_SERVER__HOST=127.0.0.1 exec dotnet "$usher" serve --model-repository "$work/repo" --http-port "$port" --grpc-port $((port + 1)) ) >"$work/server.log" 2>&1 &
pid=$!
for i in $(seq 1 240); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/health/ready")" = 200 ] && break
  sleep 0.5
done
url="http://127.0.0.1:$port/v2/models/fraud/infer"
wrk -t2 -c64 -d3s -s "$work/post.lua" "$url" >/dev/null
wrk -t2 -c64 -d$((seconds + 4))s -s "$work/post.lua" "$url" >"$work/wrk.txt" &
sleep 2
dotnet-trace collect -p "$pid" --profile cpu-sampling --duration "00:00:00:$(printf '%02d' "$seconds")" --format speedscope -o "$work/trace.nettrace" >/dev/null 2>&1
wait %1 2>/dev/null || true
grep "Requests/sec" "$work/wrk.txt"
python3 - "$work"/trace*.speedscope.json <<'PY'
import json, sys, collections
data = json.load(open(sys.argv[1]))
frames = [f["name"] for f in data["shared"]["frames"]]
excl, incl, total = collections.Counter(), collections.Counter(), 0
for p in data["profiles"]:
    if p.get("type") != "sampled":
        continue
    for stack, w in zip(p["samples"], p["weights"]):
        if not stack:
            continue
        total += w
        excl[frames[stack[-1]]] += w
        for f in set(stack):
            incl[frames[f]] += w
idle = ("WaitHandle", "Monitor.Wait", "LowLevelLifoSemaphore", "Thread.Sleep", "epoll_wait", "UNMANAGED_CODE_TIME", "SpinWait", "WaitOne", "PortableThreadPool+WorkerThread", "Sleep")
def top(counter, n=15):
    for name, w in counter.most_common(200):
        if any(k in name for k in idle):
            continue
        print(f"| {100.0 * w / total:5.1f}% | `{name[:110]}` |")
        n -= 1
        if n == 0:
            break
print("Exclusive (self) time, top frames:\n\n| Share | Frame |\n|---:|---|")
top(excl)
print("\nInclusive time, top frames:\n\n| Share | Frame |\n|---:|---|")
top(incl)
PY
