#!/usr/bin/env bash
# Where a server's time goes: one `usher serve` (Release) under closed-loop REST JSON load from
# `usher bench`, a sampled trace of it taken with dotnet-trace (thread stacks at ~100 Hz), and its top frames.
#
#   benchmarks/profile/run.sh                       # fraud (batching off) and mlp-large (adaptive batching), c=64
#   benchmarks/profile/run.sh --models fraud        # one model
#   benchmarks/profile/run.sh --smoke               # fraud only, 3 s trace: checks the harness
#
# dotnet-trace is installed from NuGet (`dotnet tool install dotnet-trace --tool-path`) into the
# temporary folder, never into the repository or the user's tools. The trace is converted to
# speedscope JSON (`dotnet-trace convert --format speedscope`) and summarized by
# benchmarks/profile/top_frames.py: self and inclusive share of sampled time per frame, idle waits
# left out. Environment: PROFILE_SECONDS (traced seconds, default 10), PROFILE_CONCURRENCY (64),
# PROFILE_TOP (25 frames), PROFILE_PORT (18380), PROFILE_KEEP=1 (keep the folder with the traces;
# open a .speedscope.json at https://www.speedscope.app). Needs the .NET SDK and python3.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
models="fraud mlp-large"
seconds="${PROFILE_SECONDS:-10}"
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="${2:?--models needs a list}"; shift ;;
    --smoke) models=fraud; seconds="${PROFILE_SECONDS:-3}" ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
concurrency="${PROFILE_CONCURRENCY:-64}"
top="${PROFILE_TOP:-25}"
port="${PROFILE_PORT:-18380}"
command -v python3 >/dev/null || { echo "run.sh: python3 is required (the summarizer)" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work="$(mktemp -d "${TMPDIR:-/tmp}/usher-profile.XXXXXX")"
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ "$rc" -ne 0 ] && [ -f "$work/server.log" ]; then echo "--- last lines of the server log" >&2; tail -n 20 "$work/server.log" >&2; fi
  if [ "${PROFILE_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { printf '\n== %s\n' "$*" >&2; }

step "Installing dotnet-trace into $work/tools"
dotnet tool install dotnet-trace --tool-path "$work/tools" >"$work/tool.txt" 2>&1 || { cat "$work/tool.txt" >&2; exit 1; }
trace_tool="$work/tools/dotnet-trace"

step "Building Release"
dotnet build "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
usher="$(dotnet msbuild "$root/src/Usher.Cli/Usher.Cli.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)"
dotnet "$usher" samples generate --output "$work/samples" >/dev/null
make_body() { # FILE INPUT-NAME WIDTH
  awk -v name="$2" -v n="$3" 'BEGIN {
    printf "{\"inputs\":[{\"name\":\"%s\",\"shape\":[1,%d],\"datatype\":\"FP32\",\"data\":[", name, n
    for (i = 0; i < n; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3)
    printf "]}]}\n"
  }' >"$1"
}
http_status() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
    IFS=' ' read -r -t 5 _ status _ <&3 && printf '%s' "$status"
  ) 2>/dev/null || true
}

for model in $models; do
  case "$model" in
    fraud) config=$'max_batch_size: 64\n'; input=features; width=30 ;;
    mlp-large) config=$'max_batch_size: 64\ndynamic_batching: {}\n'; input=input; width=1024 ;;
    *) echo "run.sh: unknown model '$model' (fraud or mlp-large)" >&2; exit 2 ;;
  esac
  mkdir -p "$work/repo-$model/$model"
  cp -R "$work/samples/$model"/[0-9]* "$work/repo-$model/$model/"
  printf '%s' "$config" >"$work/repo-$model/$model/config.yaml"
  make_body "$work/$model.json" "$input" "$width"

  step "$model: usher serve, usher bench at concurrency $concurrency, a ${seconds} s sampled trace"
  USHER_SERVER__HOST=127.0.0.1 dotnet "$usher" serve --model-repository "$work/repo-$model" --http-port "$port" --grpc-port $((port + 1)) >"$work/server.log" 2>&1 &
  server=$!; pids+=("$server")
  for i in $(seq 1 600); do
    [ "$(http_status "$port" /v2/health/ready)" = 200 ] && break
    kill -0 "$server" 2>/dev/null || { echo "run.sh: the server exited before it was ready" >&2; exit 1; }
    [ "$i" = 600 ] && { echo "run.sh: the server was not ready after 60 s" >&2; exit 1; }
    sleep 0.1
  done
  # Load for the warm-up (2 s), the trace and a margin; the trace starts once the server is warm.
  dotnet "$usher" bench "$model" --server "http://127.0.0.1:$port" --input "$work/$model.json" --concurrency "$concurrency" \
    --warmup 2s --duration "$((seconds + 4))s" --output json >"$work/bench-$model.json" 2>"$work/bench-$model.err" &
  bench=$!; pids+=("$bench")
  sleep 3
  "$trace_tool" collect -p "$server" --profile dotnet-common,dotnet-sampled-thread-time --duration "00:00:$(printf '%02d' "$seconds")" \
    -o "$work/$model.nettrace" >"$work/trace-$model.txt" 2>&1 || { cat "$work/trace-$model.txt" >&2; exit 1; }
  wait "$bench" || true
  kill -TERM "$server"; wait "$server" 2>/dev/null || true
  "$trace_tool" convert --format speedscope -o "$work/$model.speedscope.json" "$work/$model.nettrace" >"$work/convert-$model.txt" 2>&1 \
    || { cat "$work/convert-$model.txt" >&2; exit 1; }
  throughput="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]; print(f"{r[\"throughput\"]:.0f} req/s, p50 {r[\"latency_ms\"][\"p50\"]:.2f} ms")' "$work/bench-$model.json" 2>/dev/null || echo unknown)"
  printf '\n### %s (concurrency %s; usher bench: %s; load average %s)\n\n' "$model" "$concurrency" "$throughput" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
  speedscope="$(ls "$work"/"$model".speedscope.json 2>/dev/null || ls "$work"/"$model"*.speedscope.json | head -n 1)"
  python3 "$root/benchmarks/profile/top_frames.py" "$speedscope" --top "$top" --skip-idle
done
