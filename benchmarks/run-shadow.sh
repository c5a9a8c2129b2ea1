#!/usr/bin/env bash
# The cost of a shadow to the primary: one `usher serve` on fraud, closed-loop REST load on the
# endpoint with no shadow and with a shadow of version 2 mirroring 10% and 100% of requests (each
# request without a routing key, so chance picks the mirrored share), interleaved per concurrency and round. Prints a markdown table and the p99 ratio per concurrency
# (median over rounds); docs/benchmarks.md's "Shadow overhead" section is its output.
#   benchmarks/run-shadow.sh
# Settings: BENCH_SECONDS (measured seconds per point, default 8), BENCH_WARMUP_SECONDS (2),
# BENCH_ROUNDS (3), BENCH_CONCURRENCY ("1 4"), BENCH_PERCENTS ("10 100"), BENCH_PORT (18090), BENCH_KEEP=1 keeps the work folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${BENCH_SECONDS:-8}"
warmup="${BENCH_WARMUP_SECONDS:-2}"
rounds="${BENCH_ROUNDS:-3}"
concurrencies="${BENCH_CONCURRENCY:-1 4}"
percents="${BENCH_PERCENTS:-10 100}"
port="${BENCH_PORT:-18090}"
# shellcheck source=lib/server.sh
. "$root/benchmarks/lib/server.sh"
usher_bench_init usher-shadow-bench BENCH_KEEP
usher_bench_build

dotnet "$usher" samples generate --output "$work/samples" >/dev/null
mkdir -p "$work/repo" && cp -R "$work/samples/fraud" "$work/repo/"
awk 'BEGIN { printf "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":["
  for (i = 0; i < 30; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3)
  printf "]}]}\n" }' >"$work/fraud.json"
usher_serve "$port" "$work/repo"
url="http://127.0.0.1:$port"
admin() { curl -sf -X POST -H 'Content-Type: application/json' "$url$1" ${2:+-d "$2"} >/dev/null; }
admin /admin/deployments '{"endpoint":"fraud","version":1,"strategy":"direct"}'

measure() { # CONFIG CONCURRENCY ROUND
  local row
  # usher bench's CSV: throughput, p50_ms and p99_ms are columns 9, 11 and 13 of its one data row.
  row="$(dotnet "$usher" bench fraud --server "$url" --input "$work/fraud.json" --concurrency "$2" \
    --warmup "${warmup}s" --duration "${seconds}s" --output csv | sed -n 2p)"
  printf '%s %s %s %s\n' "$1" "$2" "$3" "$(cut -d, -f9,11,13 <<<"$row" | tr ',' ' ')" | tee -a "$work/results.txt" >&2
}
echo "== Measuring: $rounds round(s) of $warmup s warm-up + $seconds s per point, concurrency $concurrencies" >&2
: >"$work/results.txt"
for round in $(seq 1 "$rounds"); do
  for c in $concurrencies; do
    measure 0 "$c" "$round"
    for percent in $percents; do
      admin /admin/deployments '{"endpoint":"fraud","version":2,"strategy":"shadow","shadow":{"percent":'"$percent"',"queue":1000}}'
      measure "$percent" "$c" "$round"
      curl -sf "$url/admin/endpoints/fraud/rollout" | grep -o '"pairs":[0-9]*,"mirrored":[0-9]*,"failed":[0-9]*,"dropped":[0-9]*' >&2 || true
      admin /admin/endpoints/fraud/rollout/rollback
    done
  done
done

# Medians over rounds per (config, concurrency); the p99 ratio is the median of per-round ratios.
sort -k2,2n -k1,1n -k3,3n "$work/results.txt" | awk '
  function median(list,   n, a, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { key = $1 " " $2; if (!(key in rps)) order[++n] = key; rps[key] = rps[key] " " $4; p50[key] = p50[key] " " $5; p99[key] = p99[key] " " $6; r99[$2 " " $3 " " $1] = $6; rounds[$3] = 1 }
  END {
    print "| Concurrency | Mirrored | Requests/s | p50 ms | p99 ms | p99 vs no shadow (median of rounds) |"
    print "|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
      split(order[i], k, " "); ratios = ""
      for (r in rounds) ratios = ratios " " r99[k[2] " " r " " k[1]] / r99[k[2] " " r " 0"]
      printf "| %s | %s%% | %.1f | %.3f | %.3f | %s |\n", k[2], k[1], median(rps[order[i]]), median(p50[order[i]]), median(p99[order[i]]), k[1] == 0 ? "" : sprintf("%.2fx", median(ratios))
    }
  }'
