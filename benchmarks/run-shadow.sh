#!/usr/bin/env bash
# What a shadow, a canary and an A/B test cost the primary's tail latency: `usher serve` on fraud
# (REST JSON, one row of 30 floats, no routing key, batching off, served as compare/run.sh serves it: every
# version, max_batch_size 64, `instances: auto`, or BENCH_FRAUD_CONFIG as its config.yaml), an open loop (`usher bench --rate`) at
# BENCH_LOAD (0.5) of the closed loop's capacity (concurrency 8, measured once on the first build and
# used for every build), with the endpoint under each configuration in turn:
#   none    version 1 alone (direct)
#   shadow  a shadow of version 2 mirroring BENCH_SHADOW_PERCENT (10) % of requests (queue 1000)
#   canary  a canary of version 2 at 50% (an interval of an hour, checks loosened so that it neither
#           moves nor rolls back while measured: the analysis records and judges every request)
#   ab      an A/B test of versions 1 and 2, 50/50 (usher bench sends no routing key or id, so no
#           assignment is stored: this measures the recording of outcomes and the guardrail window)
# Builds (--usher LABEL=PATH, repeatable, e.g. before and after a change; default this checkout's
# Release build) each run their own server, all up for the whole run; points are interleaved per round, build
# and configuration. Per point: throughput, p50 and p99, and from /proc the server's CPU µs and thread
# switches (voluntary and involuntary, summed over its threads) per answer: figures that hold up on a
# loaded machine, where p99 does not. Prints one markdown table: medians over rounds, and the p99 ratio
# to `none` of the same build (median of per-round ratios); the raw points go to stderr. The machine's
# load average is printed before and after: on a shared machine, repeat and compare builds only within one run.
#   benchmarks/run-shadow.sh
#   benchmarks/run-shadow.sh --usher before=/tmp/before/usher.dll --usher after=/tmp/after/usher.dll
#   BENCH_CLIENT=wrk BENCH_RATE=4000 BENCH_CONFIGS="none shadow" benchmarks/run-shadow.sh --usher ...
# Settings: BENCH_CLIENT (usher: `usher bench --rate`, Poisson arrivals, concurrency 8 for the capacity;
# wrk: `wrk` paced by lib/paced.lua, 32 connections on 2 threads, as compare/run.sh measures the shadow
# target), BENCH_SECONDS (measured seconds per point, 8), BENCH_WARMUP_SECONDS (2), BENCH_ROUNDS (3),
# BENCH_LOAD (0.5), BENCH_RATE (requests/s; skips the capacity measurement), BENCH_CONFIGS
# ("none shadow canary ab"), BENCH_SHADOW_PERCENT (10), BENCH_FRAUD_CONFIG (fraud's config.yaml), BENCH_PORT (18090; builds take the next ports),
# BENCH_KEEP=1 keeps the work folder (servers' logs).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${BENCH_SECONDS:-8}"
warmup="${BENCH_WARMUP_SECONDS:-2}"
rounds="${BENCH_ROUNDS:-3}"
load="${BENCH_LOAD:-0.5}"
configs="${BENCH_CONFIGS:-none shadow canary ab}"
percent="${BENCH_SHADOW_PERCENT:-10}"
port="${BENCH_PORT:-18090}"
client="${BENCH_CLIENT:-usher}"
case "$client" in
  usher) ;;
  wrk) command -v wrk >/dev/null || { echo "run-shadow.sh: BENCH_CLIENT=wrk, but wrk is not installed" >&2; exit 2; } ;;
  *) echo "run-shadow.sh: unknown BENCH_CLIENT '$client' (usher, wrk)" >&2; exit 2 ;;
esac
# shellcheck source=lib/cost.sh
. "$root/benchmarks/lib/cost.sh"
# shellcheck source=lib/fraud.sh
. "$root/benchmarks/lib/fraud.sh"
cost_parse_args "$@"

fraud_init usher-shadow-bench BENCH_KEEP
cost_default_build
cli="${builds[0]#*=}"
# Every version of fraud (lib/fraud.sh's shadow configuration): version 1 serves, version 2 is the candidate.
fraud_repository "$cli" "$work/repo" "${BENCH_FRAUD_CONFIG:-$fraud_shadow_config}"
fraud_body "$work/fraud.json"

# One server per build, each with its own state folder and log.
fraud_serve_builds "$port"

deploy() { # URL CONFIG
  case "$2" in
    none) return 0 ;;
    shadow) admin "$1" /admin/deployments '{"endpoint":"fraud","version":2,"strategy":"shadow","shadow":{"percent":'"$percent"',"queue":1000}}' ;;
    canary) admin "$1" /admin/deployments '{"endpoint":"fraud","version":2,"strategy":"canary","canary":{"steps":[50,100],"interval":"1h"},"analysis":{"max_error_rate":0.99,"max_latency_p99_ratio":1000,"max_latency_p50_ratio":1000,"min_latency_delta_ms":1000,"max_psi":1000}}' ;;
    ab) admin "$1" /admin/deployments '{"endpoint":"fraud","version":2,"strategy":"ab","ab":{"variants":[{"version":1,"weight":50},{"version":2,"weight":50}],"metric":"conversion","kind":"binary"}}' ;;
    *) echo "run-shadow.sh: unknown configuration '$2' (none, shadow, canary, ab)" >&2; exit 2 ;;
  esac
}
undeploy() { # URL CONFIG
  [ "$2" = none ] && return 0
  curl -sf "$1/admin/endpoints/fraud/rollout" | grep -o '"phase":"[a-z_]*"\|"mirrored":[0-9]*,"failed":[0-9]*,"dropped":[0-9]*' | tr '\n' ' ' >&2 || true
  echo >&2
  admin "$1" /admin/endpoints/fraud/rollout/rollback
}
for url in "${urls[@]}"; do admin "$url" /admin/deployments '{"endpoint":"fraud","version":1,"strategy":"direct"}'; done

bench() { # URL ARGS...: usher bench's one CSV row
  local url="$1"; shift
  dotnet "$cli" bench fraud --server "$url" --input "$work/fraud.json" --warmup "${warmup}s" --duration "${seconds}s" --output csv "$@" | sed -n 2p
}
paced() { # URL SECONDS RATE (0: closed loop): paced.lua's JSON line
  WRK_BODY="$work/fraud.json" wrk -t2 -c32 -d"$2s" -s "$root/benchmarks/lib/paced.lua" "$1/v2/models/fraud/infer" -- "$3" 2 >"$work/wrk.txt" 2>&1 \
    || { cat "$work/wrk.txt" >&2; echo "run-shadow.sh: wrk on $1 failed" >&2; exit 1; }
  grep '^{"requests"' "$work/wrk.txt" | tail -n 1
}
field() { sed -E 's/.*"'"$1"'":([0-9.]+).*/\1/' <<<"$2"; }
# One measured point at RATE: "REQUESTS THROUGHPUT P50_MS P99_MS" on stdout, the server's /proc
# snapshots (lib/cost.sh) around the measured requests only in $work/snapshot-before and -after.
point() { # URL PID RATE
  local row line
  if [ "$client" = wrk ]; then
    paced "$1" "$warmup" "$3" >/dev/null
    cost_snapshot "$2" >"$work/snapshot-before"
    line="$(paced "$1" "$seconds" "$3")"
    cost_snapshot "$2" >"$work/snapshot-after"
    echo "$(field requests "$line") $(field throughput "$line") $(field p50_ms "$line") $(field p99_ms "$line")"
  else
    # usher bench warms up inside the run: the snapshots cover the warm-up too, so its requests
    # (rate x warm-up seconds) are added to the measured ones.
    cost_snapshot "$2" >"$work/snapshot-before"
    row="$(bench "$1" --rate "$3")"
    cost_snapshot "$2" >"$work/snapshot-after"
    cut -d, -f7,9,11,13 <<<"$row" | tr ',' ' ' | awk -v rate="$3" -v w="$warmup" '{ print $1 + rate * w, $2, $3, $4 }'
  fi
}

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
rate="${BENCH_RATE:-}"
if [ -z "$rate" ]; then
  if [ "$client" = wrk ]; then
    capacity="$(field throughput "$(paced "${urls[0]}" "$seconds" 0)")"
  else
    capacity="$(bench "${urls[0]}" --concurrency 8 | cut -d, -f9)"
  fi
  rate="$(awk -v c="$capacity" -v l="$load" 'BEGIN { r = c * l; printf "%d", r < 1 ? 1 : r }')"
  echo "== capacity ($client, closed loop, ${builds[0]%%=*}): $capacity/s; paced at $rate/s" >&2
fi

: >"$work/results.txt"
for round in $(seq 1 "$rounds"); do
  for i in "${!builds[@]}"; do
    label="${builds[$i]%%=*}" url="${urls[$i]}" pid="${pids[$i]}"
    for config in $configs; do
      deploy "$url" "$config"
      measured="$(point "$url" "$pid" "$rate")"
      undeploy "$url" "$config"
      # Columns: build, configuration, round, requests/s, p50, p99, CPU µs, voluntary and involuntary
      # switches per answer (switches of threads that ended meanwhile are not counted).
      read -r t0 v0 n0 _ <"$work/snapshot-before"
      read -r t1 v1 n1 _ <"$work/snapshot-after"
      awk -v b="$label" -v c="$config" -v r="$round" -v t="$((t1 - t0))" -v v="$((v1 - v0))" -v n="$((n1 - n0))" -v hz="$(getconf CLK_TCK)" \
        '{ printf "%s %s %s %s %s %s %.1f %.3f %.3f\n", b, c, r, $2, $3, $4, t * 1e6 / hz / $1, v / $1, n / $1 }' <<<"$measured" | tee -a "$work/results.txt" >&2
    done
  done
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# Medians over rounds per (build, configuration); the p99 ratio is the median of per-round ratios to `none`.
awk -v order="$configs" -v rate="$rate" '
  function median(list,   n, a, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { key = $1 " " $2; if (!($1 in seen)) { seen[$1] = 1; builds[++nb] = $1 }
    rps[key] = rps[key] " " $4; p50[key] = p50[key] " " $5; p99[key] = p99[key] " " $6; cpu[key] = cpu[key] " " $7; p99r[$1 " " $2 " " $3] = $6; rounds[$3] = 1
    vol[key] = vol[key] " " $8; inv[key] = inv[key] " " $9 }
  END {
    nc = split(order, configs, " ")
    printf "| Build | Configuration | Rate | Requests/s | p50 ms | p99 ms | Server CPU µs / answer | Voluntary switches / answer | Involuntary / answer | p99 vs none (median of rounds) |\n"
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (b = 1; b <= nb; b++) for (c = 1; c <= nc; c++) {
      key = builds[b] " " configs[c]; if (!(key in rps)) continue; ratios = ""
      for (r in rounds) if ((builds[b] " none " r) in p99r && p99r[builds[b] " none " r] > 0) ratios = ratios " " p99r[key " " r] / p99r[builds[b] " none " r]
      printf "| %s | %s | %s/s | %.0f | %.3f | %.3f | %.0f | %.3f | %.3f | %s |\n", builds[b], configs[c], rate, median(rps[key]), median(p50[key]), median(p99[key]), median(cpu[key]), median(vol[key]), median(inv[key]),
        configs[c] == "none" || ratios == "" ? "" : sprintf("%.2fx", median(ratios))
    }
  }' "$work/results.txt"
