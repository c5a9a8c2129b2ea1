#!/usr/bin/env bash
# Cost per answer on `fraud` (batching off; COST_MODEL=mlp-large for the 1,024-float MLP), read from /proc rather than from wall-clock throughput, so
# that a loaded machine moves the figures less: server CPU µs per answer, and thread switches per answer
# (voluntary: a thread blocked and was woken, i.e. a hand-off; involuntary: it was preempted), summed over
# the server's threads. Concurrency 1 is a sequential Python http.client loop (it also reports the
# Server-Timing split: overhead = total - queue - compute); higher concurrency is wrk. Of the CPU, the share
# of the thread pool's workers and of the JIT's tiering thread, and, where perf may count them, the server's
# sched_yield calls per answer (idle threads spinning). Builds to compare are given as usher.dll paths and
# measured interleaved, ROUNDS times each.
#
#   benchmarks/profile/cost.sh                                   # this checkout's Release build, c=1 and c=64
#   benchmarks/profile/cost.sh --usher before=/tmp/a/usher.dll --usher after=/tmp/b/usher.dll
#   COST_SECONDS=10 COST_ROUNDS=3 COST_CONCURRENCY="1 8 64" benchmarks/profile/cost.sh
#   benchmarks/profile/cost.sh --usher one=/tmp/a/usher.dll --config 'one=onnxruntime: { intra_op_threads: 1 }' \
#                              --usher two=/tmp/a/usher.dll --config 'two=onnxruntime: { intra_op_threads: 2 }'
#   COST_MODEL=mlp-large COST_CONCURRENCY=64 benchmarks/profile/cost.sh --usher before=… --config 'before=dynamic_batching: {}' \
#                              --usher after=… --config 'after=dynamic_batching: {}'
#
# --config LABEL=YAML appends YAML (one line) to the model's config.yaml while that label's build runs, so that
# one build may be measured under several settings. A build of an older commit for --usher: `git worktree add /tmp/before <commit>` and
# `dotnet build /tmp/before/src/Usher.Cli -c Release`. Environment: COST_SECONDS (measured seconds per
# point, default 8, after 3 s of warm-up load), COST_ROUNDS (2), COST_CONCURRENCY ("1 64"), COST_PORT (18480),
# COST_MODEL (fraud, or mlp-large: the sample MLP 3x1024, one row of 1,024 floats in and out per request),
# COST_WRK_THREADS (wrk threads, default 2),
# COST_PERF (1; 0 skips counting sched_yield with perf).
# Needs the .NET SDK, curl, python3 and wrk (for concurrency above 1). Threads that exit during a point are
# missing from the switch counts (their CPU time is not: /proc/PID/stat keeps it).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/cost.sh
. "$root/benchmarks/lib/cost.sh"
# shellcheck source=../lib/fraud.sh
. "$root/benchmarks/lib/fraud.sh"
# --config LABEL=YAML is this script's; the rest goes to cost_parse_args (lib/cost.sh).
declare -A configs=()
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --config) value="${2:?--config needs LABEL=YAML}"; configs["${value%%=*}"]="${value#*=}"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
cost_parse_args ${args[@]+"${args[@]}"}
seconds="${COST_SECONDS:-8}"
rounds="${COST_ROUNDS:-2}"
concurrency="${COST_CONCURRENCY:-1 64}"
port="${COST_PORT:-18480}"
command -v python3 >/dev/null || { echo "cost.sh: python3 is required" >&2; exit 1; }

fraud_init usher-cost
cost_default_build
first="${builds[0]#*=}"
model="${COST_MODEL:-fraud}"
case "$model" in
  fraud)
    fraud_repository "$first" "$work/repository" 'max_batch_size: 64'
    fraud_body "$work/body.json" ;;
  mlp-large)
    dotnet "$first" samples generate --output "$work/samples" >/dev/null
    mkdir -p "$work/repository/mlp-large"
    cp -R "$work/samples/mlp-large"/[0-9]* "$work/repository/mlp-large/"
    # One row of deterministic floats in [-1, 1], as compare/run.sh posts it.
    awk 'BEGIN {
      printf "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,1024],\"datatype\":\"FP32\",\"data\":["
      for (i = 0; i < 1024; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3)
      printf "]}]}\n"
    }' >"$work/body.json" ;;
  *) echo "cost.sh: COST_MODEL must be fraud or mlp-large, got '$model'" >&2; exit 2 ;;
esac

# CPU ticks, switches, and the pool workers' and JIT tiering thread's ticks: cost_snapshot (lib/cost.sh).
snapshot() { cost_snapshot "$1"; }

# sched_yield calls of the server while FILE's load runs, when perf may count them (root, or
# perf_event_paranoid <= 1); COST_PERF=0 skips it. Spinning threads yield; a blocked one does not.
yields_start() { # PID OUTPUT
  if [ "${COST_PERF:-1}" = 1 ] && command -v perf >/dev/null; then
    perf stat -x, -e syscalls:sys_enter_sched_yield -p "$1" -o "$2" >/dev/null 2>&1 &
    echo $!
  fi
}
yields_stop() { # PERF-PID OUTPUT -> count or -
  if [ -n "$1" ]; then
    kill -INT "$1" 2>/dev/null || true
    # Started in a command substitution, so not this shell's child: wait for it to write its count.
    for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
    awk -F, '/sched_yield/ && $1 ~ /^[0-9]+$/ {print $1; found=1} END {if (!found) print "-"}' "$2" 2>/dev/null || echo "-"
  else
    echo "-"
  fi
}

load() { # PORT CONCURRENCY SECONDS -> JSON line {"requests":N, ...}
  if [ "$2" = 1 ]; then
    python3 - "$1" "$3" "$work/body.json" "$model" <<'PY'
import http.client, json, re, sys, time
port, seconds, body, model = int(sys.argv[1]), float(sys.argv[2]), open(sys.argv[3], "rb").read(), sys.argv[4]
timing = re.compile(r"(queue|compute|total);dur=([0-9.]+)")
connection = http.client.HTTPConnection("127.0.0.1", port)
# skip_accept_encoding: http.client sends "Accept-Encoding: identity" otherwise, and a request that
# names any coding goes through the response-compression middleware (wrk and usher bench send none).
overhead, compute = [], []
stop = time.monotonic() + seconds
while time.monotonic() < stop:
    connection.putrequest("POST", f"/v2/models/{model}/infer", skip_accept_encoding=True)
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    response.read()
    parts = dict((k, float(v)) for k, v in timing.findall(response.getheader("Server-Timing") or ""))
    overhead.append((parts["total"] - parts["queue"] - parts["compute"]) * 1000)
    compute.append(parts["compute"] * 1000)
p50 = lambda values: sorted(values)[len(values) // 2]
print(json.dumps({"requests": len(overhead), "seconds": seconds, "overhead_p50_us": p50(overhead), "compute_p50_us": p50(compute)}))
PY
  else
    command -v wrk >/dev/null || { echo "cost.sh: wrk is required for concurrency $2" >&2; exit 1; }
    WRK_BODY="$work/body.json" wrk -t"${COST_WRK_THREADS:-2}" -c"$2" -d"${3}s" -s "$root/benchmarks/compare/post.lua" "http://127.0.0.1:$1/v2/models/$model/infer" | tail -n 1
  fi
}

results="$work/results.txt"
: >"$results"
hz="$(getconf CLK_TCK)"
for round in $(seq 1 "$rounds"); do
  for build in "${builds[@]}"; do
    label="${build%%=*}"; dll="${build#*=}"
    printf 'max_batch_size: 64\n%s\n' "${configs[$label]:-}" >"$work/repository/$model/config.yaml"
    fraud_serve "$work/$label" "$port" dotnet "$dll" serve --model-repository "$work/repository" --http-port "$port" --grpc-port $((port + 1))
    for c in $concurrency; do
      load "$port" "$c" 3 >/dev/null
      read -r t0 v0 n0 p0 j0 < <(snapshot "$server")
      perf_pid="$(yields_start "$server" "$work/yields.txt")"
      point="$(load "$port" "$c" "$seconds")"
      yields="$(yields_stop "$perf_pid" "$work/yields.txt")"
      read -r t1 v1 n1 p1 j1 < <(snapshot "$server")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$c" "$((t1 - t0))" "$((v1 - v0))" "$((n1 - n0))" "$((p1 - p0))" "$((j1 - j0))" "$yields" "$hz" "$point" >>"$results"
    done
    fraud_stop "$server"
  done
done

printf '\n%s, REST JSON; %s s per point, %s round(s); load average %s\n\n' "$model" "$seconds" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" <<'PY'
import json, sys
print("| Build | Round | Concurrency | Requests/s | Server CPU µs/answer | of it: pool workers | of it: JIT tiering | Voluntary switches/answer | Involuntary switches/answer | sched_yield/answer | Overhead p50 µs | Compute p50 µs |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for line in open(sys.argv[1]):
    label, rnd, c, ticks, vol, invol, pool, jit, yields, hz, point = line.rstrip("\n").split("\t", 10)
    p = json.loads(point)
    n = max(1, p["requests"])
    rate = n / p["seconds"]
    cpu = int(ticks) / int(hz) * 1e6 / n
    extra = (f"{p['overhead_p50_us']:.0f} | {p['compute_p50_us']:.0f}") if "overhead_p50_us" in p else "- | -"
    per = lambda t: int(t) / int(hz) * 1e6 / n
    spins = f"{int(yields) / n:.2f}" if yields.isdigit() else "-"
    print(f"| {label} | {rnd} | {c} | {rate:.0f} | {cpu:.0f} | {per(pool):.0f} | {per(jit):.0f} | {int(vol) / n:.2f} | {int(invol) / n:.2f} | {spins} | {extra} |")
PY
