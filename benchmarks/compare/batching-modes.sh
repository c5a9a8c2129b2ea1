#!/usr/bin/env bash
# fraud over REST JSON with batching off and with batching on in the adaptive mode (dynamic_batching
# without a delay), at concurrency 1 and 64, measured by two clients: wrk (a C client, cheap, so the
# server's own cost shows) and usher bench. Prints one markdown table of req/s and p50 side by side.
#
#   benchmarks/compare/batching-modes.sh                  # 5 s per point after 2 s of warm-up
#   BENCH_SECONDS=10 benchmarks/compare/batching-modes.sh
#
# Needs the .NET SDK and wrk (Debian: apt-get install wrk). Every process it starts is stopped when it exits.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${BENCH_SECONDS:-5}"
warmup="${BENCH_WARMUP_SECONDS:-2}"
port_off="${BENCH_PORT:-18280}"; port_on=$((port_off + 1))
command -v wrk >/dev/null || { echo "batching-modes.sh: wrk is required (Debian: apt-get install wrk)" >&2; exit 1; }
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

dotnet build "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
usher="$(dotnet msbuild "$root/src/Usher.Cli/Usher.Cli.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)"
dotnet "$usher" samples generate --output "$work/samples" >/dev/null
for mode in off on; do
  mkdir -p "$work/$mode/fraud"
  cp -R "$work/samples/fraud"/[0-9]* "$work/$mode/fraud/"
done
printf 'max_batch_size: 64\n' >"$work/off/fraud/config.yaml"
printf 'max_batch_size: 64\ndynamic_batching: {}\n' >"$work/on/fraud/config.yaml"
awk 'BEGIN { printf "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":["
  for (i = 0; i < 30; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3); printf "]}]}" }' >"$work/fraud.json"
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/fraud.json", "rb"); wrk.body = f:read("*a"); f:close()
LUA

export USHER_SERVER__HOST=127.0.0.1
for mode in off on; do
  port=$port_off; [ "$mode" = on ] && port=$port_on
  ( cd "$work" && exec dotnet "$usher" serve --model-repository "$work/$mode" --http-port "$port" --grpc-port $((port + 10)) ) >"$work/$mode.log" 2>&1 &
  pids+=($!)
done
for port in "$port_off" "$port_on"; do
  for i in $(seq 1 240); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/health/ready")" = 200 ] && break
    [ "$i" = 240 ] && { echo "batching-modes.sh: 127.0.0.1:$port not ready" >&2; exit 1; }
    sleep 0.5
  done
done

wrk_point() { # PORT CONCURRENCY -> "req/s p50-ms"
  local threads=$(( $2 < 2 ? 1 : 2 ))
  wrk -t"$threads" -c"$2" -d"${warmup}s" -s "$work/post.lua" "http://127.0.0.1:$1/v2/models/fraud/infer" >/dev/null
  wrk -t"$threads" -c"$2" -d"${seconds}s" --latency -s "$work/post.lua" "http://127.0.0.1:$1/v2/models/fraud/infer" >"$work/wrk.txt"
  awk '/Requests\/sec/ { rps = $2 } /^ +50%/ { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u)
    ms = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v } END { printf "%.0f %.3f", rps, ms }' "$work/wrk.txt"
}
bench_point() { # PORT CONCURRENCY -> "req/s p50-ms"
  dotnet "$usher" bench fraud --server "http://127.0.0.1:$1" --protocol rest --input "$work/fraud.json" \
    --concurrency "$2" --warmup "${warmup}s" --duration "${seconds}s" --output json >"$work/point.json" || true
  awk '/"throughput"/ { gsub(/[",]/, ""); t = $2 } /"p50"/ && !p { gsub(/[",]/, ""); p = $2 } END { printf "%.0f %.3f", t, p }' "$work/point.json"
}

echo "Load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; ${seconds} s per point after ${warmup} s warm-up"
echo
echo "| Client | Concurrency | Off req/s | On req/s | On / off | Off p50 ms | On p50 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for client in wrk bench; do
  for c in 1 64; do
    # Alternate which configuration goes first, so that a machine getting busier does not always favour one.
    if [ $(( (c + ${#client}) % 2 )) -eq 0 ]; then
      read -r off_rps off_p50 <<<"$(${client}_point "$port_off" "$c")"
      read -r on_rps on_p50 <<<"$(${client}_point "$port_on" "$c")"
    else
      read -r on_rps on_p50 <<<"$(${client}_point "$port_on" "$c")"
      read -r off_rps off_p50 <<<"$(${client}_point "$port_off" "$c")"
    fi
    awk -v cl="$client" -v c="$c" -v a="$off_rps" -v b="$on_rps" -v pa="$off_p50" -v pb="$on_p50" \
      'BEGIN { printf "| %s | %d | %d | %d | %.2fx | %.3f | %.3f |\n", (cl == "bench" ? "usher bench" : cl), c, a, b, (a > 0 ? b / a : 0), pa, pb }'
  done
done
echo
echo "Load after: $(cut -d' ' -f1-3 /proc/loadavg)"
