#!/usr/bin/env bash
# Where an answer's CPU goes: `perf record -g` on `usher serve` while wrk posts the JSON body of `fraud`
# (or PERF_MODEL's; batching off unless PERF_CONFIG turns it on) at concurrency 64, then the shares of the frames that matter on the REST path
# (a frame's share counts every sample with it on the stack). JIT-compiled frames are named through
# the runtime's perf map; every method runs its optimized code from the first request
# (TieredCompilation and ReadyToRun off), so a loaded machine that would not finish tiering up within
# a run still profiles the steady state. Then the samples split by stage, each counted once
# (perf_frames.py --stages). Needs perf (root or perf_event_paranoid <= 1), wrk, curl, python3.
#
#   benchmarks/profile/perf.sh                                  # this checkout's Release build
#   benchmarks/profile/perf.sh --usher before=/tmp/a/usher.dll --usher after=/tmp/b/usher.dll
#   PERF_SECONDS=8 PERF_TOP=40 PERF_KEEP=/tmp/profiles benchmarks/profile/perf.sh
#   PERF_MODEL=mlp-large PERF_CONFIG=$'max_batch_size: 64\ndynamic_batching: {}' benchmarks/profile/perf.sh   # batching on
#
# Environment: PERF_MODEL (fraud, default; or mlp-large), PERF_CONFIG (its config.yaml; default
# `max_batch_size: 64`, batching off), PERF_SECONDS (recorded seconds, default 8, after 5 s of warm-up load), PERF_PORT (18580),
# PERF_TOP (0: the self-time table's length; 0 prints none), PERF_KEEP (a folder that keeps perf.data and
# the `perf script` text of each build).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/cost.sh
. "$root/benchmarks/lib/cost.sh"
# shellcheck source=../lib/fraud.sh
. "$root/benchmarks/lib/fraud.sh"
cost_parse_args "$@"
seconds="${PERF_SECONDS:-8}"
port="${PERF_PORT:-18580}"
for tool in perf wrk python3; do
  command -v "$tool" >/dev/null || { echo "perf.sh: $tool is required" >&2; exit 1; }
done

fraud_init usher-perf
cost_default_build
first="${builds[0]#*=}"
model="${PERF_MODEL:-fraud}"
fraud_model "$model" "$first" "$work/repository" "${PERF_CONFIG:-max_batch_size: 64}" "$work/body.json"
url="http://127.0.0.1:$port/v2/models/$model/infer"

for build in "${builds[@]}"; do
  label="${build%%=*}"; dll="${build#*=}"
  fraud_serve "$work/$label" "$port" env DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_TieredCompilation=0 DOTNET_ReadyToRun=0 \
    dotnet "$dll" serve --model-repository "$work/repository" --http-port "$port" --grpc-port $((port + 1))
  WRK_BODY="$work/body.json" wrk -t2 -c64 -d5s -s "$root/benchmarks/compare/post.lua" "$url" >/dev/null
  WRK_BODY="$work/body.json" wrk -t2 -c64 -d$((seconds + 3))s -s "$root/benchmarks/compare/post.lua" "$url" >"$work/wrk.txt" &
  load=$!
  sleep 1
  perf record -F 999 -g -p "$server" -o "$work/$label.data" -- sleep "$seconds" >/dev/null 2>&1
  wait "$load"
  fraud_stop "$server"
  perf script -i "$work/$label.data" 2>/dev/null >"$work/$label.script"
  printf '\n%s: %s\n' "$label" "$(tail -n 1 "$work/wrk.txt")"
  python3 "$root/benchmarks/profile/perf_frames.py" "$work/$label.script" --stages --top "${PERF_TOP:-0}"
  if [ -n "${PERF_KEEP:-}" ]; then mkdir -p "$PERF_KEEP"; cp "$work/$label.data" "$work/$label.script" "$PERF_KEEP/"; fi
done
