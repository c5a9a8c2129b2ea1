#!/usr/bin/env bash
# Soak: one `usher serve` for MINUTES at 80% of its measured capacity while a canary rollout, a shadow
# and an A/B experiment run on three endpoints (fraud, fraud-shadow, fraud-ab: copies of the sample
# fraud model, deployed from samples/deployments and samples/experiments). Capacity is measured
# first with the rollouts running (a closed `usher bench` loop on each endpoint at once, summed); then
# each endpoint gets an open loop of a third of 80% of it, one `usher bench --rate` per endpoint per minute. Each minute it
# samples the server's RSS and every endpoint's p99 and errors. At the end it prints three checks
# and exits non-zero when one fails:
#   errors      0 failed requests over the whole soak
#   rss growth  RSS at the end within 5% of RSS after the warm-up
#   p99 stable  the worst minute's p99 at most 2x the best minute's (per endpoint)
# Not run in CI. docs/benchmarks.md ("Soak") has its results.
#   benchmarks/soak.sh [--minutes N]        (default 10)
# Settings: SOAK_LOAD (share of capacity, default 0.8), SOAK_WARMUP_SECONDS (60), SOAK_CAPACITY_SECONDS
# (15), SOAK_CAPACITY_CONCURRENCY (8), SOAK_PORT (18095), SOAK_KEEP=1 keeps the work folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
minutes=10
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --minutes=*) minutes="${1#*=}"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument '$1' (expected --minutes N)" >&2; exit 2 ;;
  esac
done
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: --minutes: expected a positive whole number, got '$minutes'" >&2; exit 2; }
load="${SOAK_LOAD:-0.8}"
warmup="${SOAK_WARMUP_SECONDS:-60}"
capacity_seconds="${SOAK_CAPACITY_SECONDS:-15}"
capacity_concurrency="${SOAK_CAPACITY_CONCURRENCY:-8}"
port="${SOAK_PORT:-18095}"
endpoints=(fraud fraud-shadow fraud-ab)
# shellcheck source=lib/server.sh
. "$root/benchmarks/lib/server.sh"
usher_bench_init usher-soak SOAK_KEEP
usher_bench_build

# Three endpoints, each its own copy of fraud (versions 1 and 2).
dotnet "$usher" samples generate --output "$work/samples" >/dev/null
# Version 2 is version 1's file: a candidate that predicts as the stable version does, so that the
# canary and the A/B test run on through the soak (the sample's own version 2 predicts differently:
# their drift checks stop both within the first minute).
for e in "${endpoints[@]}"; do
  mkdir -p "$work/repo/$e" && cp -R "$work/samples/fraud/." "$work/repo/$e/"
  cp "$work/repo/$e/1/model.onnx" "$work/repo/$e/2/model.onnx"
done
awk 'BEGIN { printf "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":["
  for (i = 0; i < 30; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3)
  printf "]}]}\n" }' >"$work/fraud.json"
usher_serve "$port" "$work/repo"
url="http://127.0.0.1:$port"
rss_kib() { ps -o rss= -p "$server" | tr -d ' '; }
bench() { # ENDPOINT ARGS... -> usher bench's CSV data row
  dotnet "$usher" bench "$1" --server "$url" --input "$work/fraud.json" "${@:2}" --output csv | sed -n 2p
}

# Each endpoint serves version 1 (its newest, 2, is the candidate of the rollouts below).
for e in "${endpoints[@]}"; do
  curl -sf -X POST -H 'Content-Type: application/json' "$url/admin/deployments" -d '{"endpoint":"'"$e"'","version":1,"strategy":"direct"}' >/dev/null
done

# The rollouts. The canary's steps are spread over the soak so that it is still moving at the end.
step="$(( minutes * 60 / 4 < 30 ? 30 : minutes * 60 / 4 ))"
sed -e "s/^  interval: 30s.*/  interval: ${step}s/" "$root/samples/deployments/fraud-canary.yaml" >"$work/canary.yaml"
# The shadow without its gate: it mirrors for the whole soak instead of turning into a canary.
sed -e 's/^endpoint: fraud$/endpoint: fraud-shadow/' -e '/^  gate:/,/^    max_latency_p99_ratio/d' "$root/samples/deployments/fraud-shadow.yaml" >"$work/shadow.yaml"
sed -e 's/^endpoint: fraud$/endpoint: fraud-ab/' "$root/samples/experiments/fraud-ab.yaml" >"$work/ab.yaml"
for pair in fraud:canary fraud-shadow:shadow fraud-ab:ab; do
  e="${pair%%:*}" spec="${pair#*:}"
  dotnet "$usher" deploy "$e" "$work/$spec.yaml" --server "$url" >"$work/deploy-$spec.txt" 2>&1 \
    || { echo "deploying $spec on $e failed:" >&2; cat "$work/deploy-$spec.txt" >&2; exit 1; }
done
echo "   deployed: canary on fraud (steps every ${step}s), shadow on fraud-shadow, A/B on fraud-ab" >&2

# Capacity is measured in the soak's own shape: the rollouts running, one closed loop per endpoint,
# all at once (each client on the same cores as the server, as in the soak). Measured on fraud alone,
# before the rollouts, it left out the shadow's second inference and two of the three clients: 80%
# of that figure overloaded the server within the first minute.
echo "== Capacity: a closed loop of concurrency $capacity_concurrency on each endpoint at once, ${capacity_seconds}s, rollouts running" >&2
pids=()
for e in "${endpoints[@]}"; do
  bench "$e" --concurrency "$capacity_concurrency" --warmup 3s --duration "${capacity_seconds}s" >"$work/capacity-$e.csv" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
capacity="$(for e in "${endpoints[@]}"; do cut -d, -f9 "$work/capacity-$e.csv"; done | awk '{ s += $1 } END { printf "%.1f", s }')"
rate="$(awk -v c="$capacity" -v l="$load" -v n="${#endpoints[@]}" 'BEGIN { printf "%.1f", c * l / n }')"
echo "   capacity $capacity requests/s in all; soak at $load of it: $rate requests/s on each of ${#endpoints[@]} endpoints" >&2

load_for() { # SECONDS TAG: one open loop per endpoint, in parallel; rows in $work/TAG-ENDPOINT.csv
  local pids=() e
  for e in "${endpoints[@]}"; do
    bench "$e" --rate "$rate" --duration "${1}s" --warmup 0 >"$work/$2-$e.csv" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
}

echo "== Warm-up: ${warmup}s at the soak rate" >&2
load_for "$warmup" warmup
rss_start="$(rss_kib)"
echo "   RSS after warm-up: $((rss_start / 1024)) MiB" >&2

printf 'minute endpoint requests errors throughput p99_ms rss_mib\n' >"$work/minutes.txt"
for m in $(seq 1 "$minutes"); do
  load_for 60 "m$m"
  rss="$(rss_kib)"
  for e in "${endpoints[@]}"; do
    row="$(cat "$work/m$m-$e.csv")"
    printf '%s %s %s %s %s %s %s\n' "$m" "$e" "$(cut -d, -f7 <<<"$row")" "$(cut -d, -f8 <<<"$row")" \
      "$(cut -d, -f9 <<<"$row")" "$(cut -d, -f13 <<<"$row")" "$((rss / 1024))" >>"$work/minutes.txt"
  done
  echo "   minute $m: $(awk -v m="$m" '$1 == m { printf "%s p99 %s ms, %s errors; ", $2, $6, $4 }' "$work/minutes.txt")RSS $((rss / 1024)) MiB" >&2
done
rss_end="$(rss_kib)"
phases=""
for e in "${endpoints[@]}"; do
  phases+="$e $(curl -sf "$url/admin/endpoints/$e/rollout" | grep -o '"strategy":"[^"]*"\|"phase":"[^"]*"' | head -2 | cut -d'"' -f4 | paste -sd' ' - || echo none); "
done

echo
echo "Soak: $minutes min at $load of capacity ($capacity requests/s measured; $rate requests/s per endpoint), $(nproc) cores"
echo
echo '| Minute | Endpoint | Requests | Errors | Requests/s | p99 ms | RSS MiB |'
echo '|---:|---|---:|---:|---:|---:|---:|'
awk 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$work/minutes.txt"
echo
echo "Rollouts at the end: $phases"
for e in "${endpoints[@]}"; do
  echo "  $e, last event: $(curl -sf "$url/admin/endpoints/$e/history" | grep -o '"message":"[^"]*"' | tail -1 | cut -d'"' -f4 || echo none)"
done
failed=0
errors="$(awk 'NR > 1 { s += $4 } END { print s + 0 }' "$work/minutes.txt")"
if [ "$errors" -eq 0 ]; then echo "PASS errors: 0"; else echo "FAIL errors: $errors failed requests"; failed=1; fi
growth="$(awk -v a="$rss_start" -v b="$rss_end" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')"
if awk -v g="$growth" 'BEGIN { exit !(g < 5) }'; then echo "PASS rss growth: ${growth}% ($((rss_start / 1024)) -> $((rss_end / 1024)) MiB after warm-up)"; else echo "FAIL rss growth: ${growth}% ($((rss_start / 1024)) -> $((rss_end / 1024)) MiB), limit 5%"; failed=1; fi
for e in "${endpoints[@]}"; do
  read -r best worst <<<"$(awk -v e="$e" 'NR > 1 && $2 == e { if (min == "" || $6 < min) min = $6; if ($6 > max) max = $6 } END { print min, max }' "$work/minutes.txt")"
  if awk -v b="$best" -v w="$worst" 'BEGIN { exit !(w <= 2 * b) }'; then
    echo "PASS p99 stable on $e: ${best}-${worst} ms over the minutes"
  else
    echo "FAIL p99 stable on $e: ${best}-${worst} ms (worst over 2x best)"; failed=1
  fi
done
exit "$failed"
