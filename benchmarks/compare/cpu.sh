#!/usr/bin/env bash
# Server CPU per answer on `fraud` or `mlp-large` (REST JSON, batching off unless --config says otherwise, wrk
# with benchmarks/compare/post.lua), for
# usher serve (one or more builds), the naive server (benchmarks/NaiveServer) and bare Kestrel
# (benchmarks/BareKestrel), each started once as benchmarks/compare/run.sh starts it and then loaded in
# interleaved rounds (usher builds..., naive, bare, usher builds..., ...). CPU is the server process's
# utime+stime from /proc/PID/stat over the measured seconds, divided by the answers wrk counted; it moves
# less with the machine's load than requests/s do. Prints one row per round and point, the medians, and
# the load average at the end.
#
#   benchmarks/compare/cpu.sh                                         # this checkout's Release build, 5 rounds at c=64
#   benchmarks/compare/cpu.sh --usher before=/tmp/a/usher.dll --usher after=/tmp/b/usher.dll
#   CPU_SERVERS="" benchmarks/compare/cpu.sh --usher before=… --usher after=…   # usher builds only (no naive, no bare)
#   benchmarks/compare/cpu.sh --usher plain=… --usher inline=… --env inline=DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
#   CPU_MODEL=mlp-large CPU_SERVERS="" benchmarks/compare/cpu.sh --usher on=… --usher off=… \
#     --config on=$'max_batch_size: 64\ndynamic_batching: {}'          # batching on against off, one build
#
# --env LABEL=NAME=VALUE sets an environment variable for that label's server only (repeatable), so that one
# build may be measured under several runtime settings. --config LABEL=YAML replaces that label's config.yaml
# (default `max_batch_size: 64`, batching off), so that one build may be measured with batching on and off.
# Environment: CPU_MODEL (fraud, default, 30 floats in; or mlp-large, 1,024 floats in and out), CPU_SECONDS
# (measured seconds per point, default 5, after CPU_WARMUP_SECONDS, default 5, of load on each server once at start), CPU_ROUNDS (5), CPU_CONCURRENCY (64), CPU_SERVERS ("naive bare"), CPU_PORT (18680,
# the first of as many ports as servers). Needs the .NET SDK, curl and wrk.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/cost.sh
. "$root/benchmarks/lib/cost.sh"
# shellcheck source=../lib/fraud.sh
. "$root/benchmarks/lib/fraud.sh"
# --env LABEL=NAME=VALUE is this script's; the rest goes to cost_parse_args (lib/cost.sh).
declare -A envs=() configs=()
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --env) value="${2:?--env needs LABEL=NAME=VALUE}"; envs["${value%%=*}"]+=" ${value#*=}"; shift 2 ;;
    --config) value="${2:?--config needs LABEL=YAML}"; configs["${value%%=*}"]="${value#*=}"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
cost_parse_args ${args[@]+"${args[@]}"}
seconds="${CPU_SECONDS:-5}"
warmup="${CPU_WARMUP_SECONDS:-5}"
rounds="${CPU_ROUNDS:-5}"
concurrency="${CPU_CONCURRENCY:-64}"
others="${CPU_SERVERS-naive bare}"
port="${CPU_PORT:-18680}"
model="${CPU_MODEL:-fraud}"
command -v wrk >/dev/null || { echo "cpu.sh: wrk is required" >&2; exit 1; }

fraud_init usher-cpu
cost_default_build
target() { dotnet msbuild "$root/$1" -nologo -getProperty:TargetPath -p:Configuration=Release; }
for other in $others; do
  case "$other" in
    naive) project=benchmarks/NaiveServer/NaiveServer.csproj ;;
    bare) project=benchmarks/BareKestrel/BareKestrel.csproj ;;
    *) echo "cpu.sh: CPU_SERVERS takes naive and bare, got '$other'" >&2; exit 2 ;;
  esac
  dotnet build "$root/$project" -c Release --nologo >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
  builds+=("$other=$(target "$project")")
done

# batching off: max_batch_size without dynamic_batching, as compare/run.sh's usher-off repository.
fraud_model "$model" "${builds[0]#*=}" "$work/repository" 'max_batch_size: 64' "$work/body.json"
mkdir -p "$work/naive/$model"
cp -R "$work/repository/$model"/[0-9]* "$work/naive/$model/"

declare -A pid_of=() port_of=()
p=$port
for build in "${builds[@]}"; do
  label="${build%%=*}"; dll="${build#*=}"
  case "$label" in
    naive) fraud_serve "$work/$label" "$p" dotnet "$dll" --repository "$work/naive" --port "$p" ;;
    bare) fraud_serve "$work/$label" "$p" dotnet "$dll" --port "$p" ;;
    # shellcheck disable=SC2086 # NAME=VALUE words, split on purpose
    *) # A repository each: two servers may not share one's state file.
      mkdir -p "$work/$label/repository/$model"
      cp -R "$work/repository/$model"/. "$work/$label/repository/$model/"
      [ -z "${configs[$label]+set}" ] || printf '%s\n' "${configs[$label]}" >"$work/$label/repository/$model/config.yaml"
      fraud_serve "$work/$label" "$p" env ${envs[$label]:-} dotnet "$dll" serve --model-repository "$work/$label/repository" --http-port "$p" --grpc-port $((p + 100)) ;;
  esac
  pid_of[$label]=$server; port_of[$label]=$p
  p=$((p + 1))
done

load() { # PORT SECONDS -> wrk's JSON line
  WRK_BODY="$work/body.json" wrk -t"$(( concurrency < 2 ? 1 : 2 ))" -c"$concurrency" -d"${2}s" -s "$root/benchmarks/compare/post.lua" "http://127.0.0.1:$1/v2/models/$model/infer" | tail -n 1
}

for build in "${builds[@]}"; do load "${port_of[${build%%=*}]}" "$warmup" >/dev/null; done

hz="$(getconf CLK_TCK)"
results="$work/results.txt"
: >"$results"
: >"$work/batches.txt"
for round in $(seq 1 "$rounds"); do
  for build in "${builds[@]}"; do
    label="${build%%=*}"
    read -r t0 v0 _ < <(cost_snapshot "${pid_of[$label]}")
    point="$(load "${port_of[$label]}" "$seconds")"
    read -r t1 v1 _ < <(cost_snapshot "${pid_of[$label]}")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$((t1 - t0))" "$((v1 - v0))" "$hz" "$point" >>"$results"
  done
done

# Each usher build's batch sizes over every round (and the warm-up): its usher_batch_size histogram.
for build in "${builds[@]}"; do
  label="${build%%=*}"
  case "$label" in naive|bare) continue ;; esac
  curl -sf "http://127.0.0.1:${port_of[$label]}/metrics" | grep '^usher_batch_size' | sed "s/^/$label /" >>"$work/batches.txt" || true
done

printf '\n%s, REST JSON, c=%s; %s s per point, %s round(s); load average %s\n\n' "$model" "$concurrency" "$seconds" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$work/batches.txt" <<'PY'
import json, statistics, sys
rows = {}
print("| Server | Round | Requests/s | p50 ms | p99 ms | Server CPU µs/answer | Voluntary switches/answer | Errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for line in open(sys.argv[1]):
    label, rnd, ticks, vol, hz, point = line.rstrip("\n").split("\t", 5)
    p = json.loads(point)
    n = max(1, p["requests"])
    cpu = int(ticks) / int(hz) * 1e6 / n
    rows.setdefault(label, []).append((p["throughput"], cpu, p["p50_ms"], p["p99_ms"]))
    print(f"| {label} | {rnd} | {p['throughput']:.0f} | {p['p50_ms']:.3f} | {p['p99_ms']:.3f} | {cpu:.1f} | {int(vol) / n:.2f} | {p['errors']} |")
print()
print("| Server | Median requests/s | Median p50 ms | Median p99 ms | Median CPU µs/answer | Every round's CPU µs/answer |")
print("|---|---:|---:|---:|---:|---|")
for label, values in rows.items():
    print(f"| {label} | {statistics.median(v[0] for v in values):.0f} | {statistics.median(v[2] for v in values):.3f} | {statistics.median(v[3] for v in values):.3f} | {statistics.median(v[1] for v in values):.1f} | {', '.join(f'{v[1]:.1f}' for v in values)} |")
batches = {}
for line in open(sys.argv[2]):
    label, metric = line.split(" ", 1)
    name, _, value = metric.rpartition(" ")
    batches.setdefault(label, {})[name] = float(value)
if batches:
    print()
    print("| Server | Batches | of them size 1 | Rows | Rows run at batch 1 | Mean rows per batch |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, m in batches.items():
        count = sum(v for k, v in m.items() if k.startswith("usher_batch_size_count"))
        rows = sum(v for k, v in m.items() if k.startswith("usher_batch_size_sum"))
        ones = sum(v for k, v in m.items() if k.startswith("usher_batch_size_bucket") and 'le="1"' in k)
        if count:
            print(f"| {label} | {count:,.0f} | {ones:,.0f} ({ones / count:.0%}) | {rows:,.0f} | {ones / max(1, rows):.1%} | {rows / count:.1f} |")
PY
