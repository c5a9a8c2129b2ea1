#!/usr/bin/env bash
# Transport benchmark: one Usher (batching off) answering the same tensors over REST JSON, REST
# binary (the binary tensor data extension) and gRPC raw, on mlp-large (4 KB in) and wide-input
# (1 MiB in), side by side in one run. Writes benchmarks/protocol-benchmarks.md, which run-load.sh
# appends to docs/benchmarks.md.
#
#   benchmarks/run-protocols.sh           # default: 1 round of 2 s warm-up + 6 s per point, about 2 minutes
#   benchmarks/run-protocols.sh --quick   # smoke run; section printed, benchmarks/ untouched
#   benchmarks/run-protocols.sh --output FILE
#
# Environment: BENCH_SECONDS (6), BENCH_WARMUP_SECONDS (2), BENCH_ROUNDS (1), BENCH_CONCURRENCY ("1 4"),
# BENCH_PORT (REST port, default 18090; gRPC on the next), BENCH_KEEP=1 (keep the temporary folder).
set -euo pipefail

arguments=("$@")
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
output=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --output) output="${2:?--output needs a file}"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-protocols.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$quick" = 1 ]; then
  seconds="${BENCH_SECONDS:-1}"; warmup="${BENCH_WARMUP_SECONDS:-0.5}"; rounds="${BENCH_ROUNDS:-1}"
else
  seconds="${BENCH_SECONDS:-6}"; warmup="${BENCH_WARMUP_SECONDS:-2}"; rounds="${BENCH_ROUNDS:-1}"
fi
concurrencies="${BENCH_CONCURRENCY:-1 4}"
port_http="${BENCH_PORT:-18090}"
port_grpc=$((port_http + 1))
command_line="benchmarks/run-protocols.sh$( [ ${#arguments[@]} -eq 0 ] || printf " %s" "${arguments[@]}")"
for setting in BENCH_CONCURRENCY BENCH_ROUNDS BENCH_WARMUP_SECONDS BENCH_SECONDS; do
  [ -z "${!setting:-}" ] || command_line="$setting=${!setting} $command_line"
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work="$(mktemp -d "${TMPDIR:-/tmp}/usher-protocols.XXXXXX")"
server=""

cleanup() {
  local rc=$?
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$work/usher.log" ]; then
    echo "--- last lines of usher.log" >&2
    tail -n 20 "$work/usher.log" >&2
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_status() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
    IFS=' ' read -r -t 5 _ status _ <&3 && printf '%s' "$status"
  ) 2>/dev/null || true
}

for port in "$port_http" "$port_grpc"; do
  if listening "$port"; then
    echo "run-protocols.sh: port $port is in use; set BENCH_PORT to the first of two free ports" >&2
    exit 2
  fi
done

step "Building Release"
projects=(src/Usher.Cli/Usher.Cli.csproj benchmarks/Usher.LoadGenerator/Usher.LoadGenerator.csproj)
for project in "${projects[@]}"; do
  if ! dotnet build "$root/$project" -c Release --nologo >"$work/build.txt" 2>&1; then
    cat "$work/build.txt" >&2
    exit 1
  fi
done
target() { dotnet msbuild "$root/$1" -nologo -getProperty:TargetPath -p:Configuration=Release; }
usher="$(target "${projects[0]}")"
load="$(target "${projects[1]}")"

step "Generating the models and the bodies"
dotnet "$usher" samples generate --output "$work/samples" >/dev/null
for model in mlp-large wide-input; do
  mkdir -p "$work/repo/$model"
  cp -R "$work/samples/$model"/[0-9]* "$work/repo/$model/"
  printf 'max_batch_size: 8\n' >"$work/repo/$model/config.yaml"
done
make_body() { # FILE INPUT-NAME WIDTH
  awk -v name="$2" -v n="$3" 'BEGIN {
    printf "{\"inputs\":[{\"name\":\"%s\",\"shape\":[1,%d],\"datatype\":\"FP32\",\"data\":[", name, n
    for (i = 0; i < n; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3)
    printf "]}]}\n"
  }' >"$1"
}
make_body "$work/mlp-large.json" input 1024
make_body "$work/wide-input.json" input 262144

step "Starting Usher"
( cd "$work" && USHER_SERVER__HOST=127.0.0.1 exec dotnet "$usher" serve --model-repository "$work/repo" \
    --http-port "$port_http" --grpc-port "$port_grpc" ) >"$work/usher.log" 2>&1 &
server=$!
for i in $(seq 1 240); do
  [ "$(http_status "$port_http" /v2/health/ready)" = 200 ] && break
  kill -0 "$server" 2>/dev/null || { echo "run-protocols.sh: usher exited before it was ready" >&2; exit 1; }
  [ "$i" = 240 ] && { echo "run-protocols.sh: not ready after 120 s" >&2; exit 1; }
  sleep 0.5
done

step "Measuring: ${rounds} round(s) of ${warmup} s warm-up + ${seconds} s per point, concurrency ${concurrencies}"
results="$work/results.jsonl"
: >"$results"
measure() { # MODEL PROTOCOL CONCURRENCY ROUND
  local url json
  if [ "$2" = grpc-raw ]; then url="http://127.0.0.1:$port_grpc"; else url="http://127.0.0.1:$port_http/v2/models/$1/infer"; fi
  json="$(dotnet "$load" --url "$url" --protocol "$2" --model "$1" --body-file "$work/$1.json" \
    --concurrency "$3" --warmup-seconds "$warmup" --duration-seconds "$seconds" --json)"
  printf '{"model":"%s","config":"%s","concurrency":%d,"round":%d,"result":%s}\n' "$1" "$2" "$3" "$4" "$json" >>"$results"
  printf 'round %s  %-10s %-11s c=%-3s %10s req/s  p50 %8s ms  p99 %8s ms  errors %s\n' "$4" "$1" "$2" "$3" \
    "$(sed -n 's/.*"requests_per_second":\([^,]*\).*/\1/p' <<<"$json" | awk '{printf "%.1f", $1}')" \
    "$(sed -n 's/.*"latency_ms":{[^}]*"p50":\([^,]*\).*/\1/p' <<<"$json" | awk '{printf "%.2f", $1}')" \
    "$(sed -n 's/.*"latency_ms":{[^}]*"p99":\([^,]*\).*/\1/p' <<<"$json" | awk '{printf "%.2f", $1}')" \
    "$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' <<<"$json")"
}
for round in $(seq 1 "$rounds"); do
  for model in mlp-large wide-input; do
    for c in $concurrencies; do
      for protocol in rest rest-binary grpc-raw; do
        measure "$model" "$protocol" "$c" "$round"
      done
    done
  done
done

step "Report"
if [ -z "$output" ]; then
  if [ "$quick" = 1 ]; then output="$work/protocol-benchmarks.md"; else output="$root/benchmarks/protocol-benchmarks.md"; fi
fi
report_args=(report-protocols --results "$results" --output "$output" --command "$command_line" --sdk "$(dotnet --version)")
[ "$quick" = 1 ] && report_args+=(--quick)
dotnet "$load" "${report_args[@]}"
cat "$output"
