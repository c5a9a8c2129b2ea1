#!/usr/bin/env bash
# Whole-server load benchmark: builds Release once, then measures, side by side in one run,
# bare Kestrel (the HTTP limit), Usher with dynamic batching off, and Usher with it on, on the
# fraud and mlp-large samples at several concurrencies, and writes docs/benchmarks.md.
#
#   benchmarks/run-load.sh            # default: 2 rounds of 3 s warm-up + 10 s per point, about 8 minutes
#   benchmarks/run-load.sh --quick    # smoke run of a few seconds per point; report printed, docs/ untouched
#   benchmarks/run-load.sh --output FILE
#
# Environment: BENCH_SECONDS (measured seconds per point, default 10), BENCH_WARMUP_SECONDS (3),
# BENCH_ROUNDS (passes over every point, default 2; the report takes medians), BENCH_CONCURRENCY ("1 8 64"), BENCH_PORT (first of three ports, default 18080), BENCH_KEEP=1
# (keep the temporary folder with the repositories, bodies, results and server logs).
# Needs only the .NET SDK (and bash, awk, mktemp).
set -euo pipefail

arguments=("$@")
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0
output=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --output) output="${2:?--output needs a file}"; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-load.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$quick" = 1 ]; then
  seconds="${BENCH_SECONDS:-1}"; warmup="${BENCH_WARMUP_SECONDS:-0.5}"; rounds="${BENCH_ROUNDS:-1}"
else
  seconds="${BENCH_SECONDS:-10}"; warmup="${BENCH_WARMUP_SECONDS:-3}"; rounds="${BENCH_ROUNDS:-2}"
fi
concurrencies="${BENCH_CONCURRENCY:-1 8 64}"
port_bare="${BENCH_PORT:-18080}"
port_off=$((port_bare + 1))
port_on=$((port_bare + 2))

command_line="benchmarks/run-load.sh$( [ ${#arguments[@]} -eq 0 ] || printf " %s" "${arguments[@]}")"
for setting in BENCH_CONCURRENCY BENCH_ROUNDS BENCH_WARMUP_SECONDS BENCH_SECONDS; do
  [ -z "${!setting:-}" ] || command_line="$setting=${!setting} $command_line"
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work="$(mktemp -d "${TMPDIR:-/tmp}/usher-bench.XXXXXX")"
pids=()

cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    # Usher drains in-flight requests on SIGTERM; give every server 10 s, then stop it hard.
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ]; then
    for log in "$work"/*.log; do
      [ -f "$log" ] || continue
      echo "--- last lines of $(basename "$log")" >&2
      tail -n 20 "$log" >&2
    done
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }

# 0 when something answers on 127.0.0.1:$1.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The HTTP status of GET $2 on 127.0.0.1:$1, or nothing; bash's /dev/tcp, so no curl is needed.
http_status() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
    IFS=' ' read -r -t 5 _ status _ <&3 && printf '%s' "$status"
  ) 2>/dev/null || true
}

for port in "$port_bare" "$port_off" "$port_on"; do
  if listening "$port"; then
    echo "run-load.sh: port $port is in use; set BENCH_PORT to the first of three free ports" >&2
    exit 2
  fi
done

step "Building Release"
projects=(src/Usher.Cli/Usher.Cli.csproj benchmarks/BareKestrel/BareKestrel.csproj benchmarks/Usher.LoadGenerator/Usher.LoadGenerator.csproj)
for project in "${projects[@]}"; do
  if ! dotnet build "$root/$project" -c Release --nologo >"$work/build.txt" 2>&1; then
    cat "$work/build.txt" >&2
    exit 1
  fi
done
target() { dotnet msbuild "$root/$1" -nologo -getProperty:TargetPath -p:Configuration=Release; }
usher="$(target "${projects[0]}")"
bare="$(target "${projects[1]}")"
load="$(target "${projects[2]}")"

step "Generating the sample models and the repositories"
dotnet "$usher" samples generate --output "$work/samples" >/dev/null
make_repository() { # DIR CONFIG-YAML
  for model in fraud mlp-large; do
    mkdir -p "$1/$model"
    cp -R "$work/samples/$model"/[0-9]* "$1/$model/"
    printf '%s' "$2" >"$1/$model/config.yaml"
  done
}
make_repository "$work/batching-off" $'max_batch_size: 64\n'
batching_on='dynamic_batching: { max_queue_delay_microseconds: 1000 }'
make_repository "$work/batching-on" $'max_batch_size: 64\n'"$batching_on"$'\n'

# One row of deterministic floats in [-1, 1].
make_body() { # FILE INPUT-NAME WIDTH
  awk -v name="$2" -v n="$3" 'BEGIN {
    printf "{\"inputs\":[{\"name\":\"%s\",\"shape\":[1,%d],\"datatype\":\"FP32\",\"data\":[", name, n
    for (i = 0; i < n; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3)
    printf "]}]}\n"
  }' >"$1"
}
make_body "$work/fraud.json" features 30
make_body "$work/mlp-large.json" input 1024

step "Starting the servers"
# Each server runs in the temporary folder, so no usher.yaml of the caller's is picked up.
start() { # NAME COMMAND...
  local name="$1"; shift
  ( cd "$work" && exec "$@" ) >"$work/$name.log" 2>&1 &
  pids+=($!)
}
export USHER_SERVER__HOST=127.0.0.1
# Only REST is measured here (run-protocols.sh compares transports); no gRPC port, so the two servers do not fight over 8001.
export USHER_SERVER__GRPC_PORT=-1
start bare-kestrel dotnet "$bare" --port "$port_bare"
start usher-batching-off dotnet "$usher" serve --model-repository "$work/batching-off" --http-port "$port_off"
start usher-batching-on dotnet "$usher" serve --model-repository "$work/batching-on" --http-port "$port_on"

for port in "$port_bare" "$port_off" "$port_on"; do
  for i in $(seq 1 240); do
    [ "$(http_status "$port" /v2/health/ready)" = 200 ] && break
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "run-load.sh: a server exited before it was ready" >&2; exit 1; }
    done
    [ "$i" = 240 ] && { echo "run-load.sh: 127.0.0.1:$port not ready after 120 s" >&2; exit 1; }
    sleep 0.5
  done
done
echo "ready: bare Kestrel :$port_bare, Usher batching off :$port_off, batching on :$port_on"

step "Measuring: ${rounds} round(s) of ${warmup} s warm-up + ${seconds} s per point, concurrency ${concurrencies}"
results="$work/results.jsonl"
: >"$results"
measure() { # MODEL CONFIG PORT CONCURRENCY ROUND
  local json
  json="$(dotnet "$load" --url "http://127.0.0.1:$3/v2/models/$1/infer" --body-file "$work/$1.json" \
    --concurrency "$4" --warmup-seconds "$warmup" --duration-seconds "$seconds" --json)"
  printf '{"model":"%s","config":"%s","concurrency":%d,"round":%d,"result":%s}\n' "$1" "$2" "$4" "$5" "$json" >>"$results"
  local errors
  errors="$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' <<<"$json")"
  printf 'round %s  %-10s %-5s c=%-3s %10s req/s  p50 %8s ms  p99 %8s ms  errors %s\n' "$5" "$1" "$2" "$4" \
    "$(sed -n 's/.*"requests_per_second":\([^,]*\).*/\1/p' <<<"$json" | awk '{printf "%.1f", $1}')" \
    "$(sed -n 's/.*"latency_ms":{[^}]*"p50":\([^,]*\).*/\1/p' <<<"$json" | awk '{printf "%.2f", $1}')" \
    "$(sed -n 's/.*"latency_ms":{[^}]*"p99":\([^,]*\).*/\1/p' <<<"$json" | awk '{printf "%.2f", $1}')" \
    "$errors"
  if [ "$errors" != 0 ]; then
    echo "  WARNING: $errors failed requests: $(sed -n 's/.*"errors_by_status":\({[^}]*}\).*/\1/p' <<<"$json")" >&2
  fi
}
# Configurations are interleaved per concurrency, so that a slow stretch of a noisy machine
# lands on all of them rather than on one.
for round in $(seq 1 "$rounds"); do
  for c in $concurrencies; do
    measure fraud bare "$port_bare" "$c" "$round"
    measure fraud off "$port_off" "$c" "$round"
    measure fraud on "$port_on" "$c" "$round"
  done
  for c in $concurrencies; do
    measure mlp-large off "$port_off" "$c" "$round"
    measure mlp-large on "$port_on" "$c" "$round"
  done
done

step "Report"
if [ -z "$output" ]; then
  if [ "$quick" = 1 ]; then output="$work/benchmarks.md"; else output="$root/docs/benchmarks.md"; fi
fi
report_args=(report --results "$results" --output "$output" --command "$command_line" --sdk "$(dotnet --version)"
  --batching-on "$batching_on" --appendix "$root/benchmarks/engine-benchmarks.md" --appendix "$root/benchmarks/protocol-benchmarks.md")
[ "$quick" = 1 ] && report_args+=(--quick)
dotnet "$load" "${report_args[@]}"
cat "$output"
[ "$output" = "$work/benchmarks.md" ] || echo "wrote $output"
