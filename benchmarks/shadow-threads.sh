#!/usr/bin/env bash
# What a shadow costs the server, per thread and in garbage collections, figures that a loaded machine
# does not distort as it does p99: `usher serve` on fraud (batching off; every version, max_batch_size 64,
# `instances: auto` as compare/run.sh serves it, or BENCH_FRAUD_CONFIG as its config.yaml) per build (--usher LABEL=PATH,
# repeatable; default this checkout's Release build), `wrk` paced by lib/paced.lua at BENCH_RATE
# requests/s (32 connections, 2 threads), each build without a shadow and with a 10% shadow of
# version 2 (queue 1000), points interleaved per round (build, then none / shadow). Per point: the
# answers and p99 from wrk, the collections (all generations, and gen0's) and the bytes allocated per
# answer counted by dotnet-counters (System.Runtime dotnet.gc.collections and
# dotnet.gc.heap.total_allocated; 0 without dotnet-counters on PATH or in ~/.dotnet/tools), the shadow's copies
# (mirrored, failed, dropped), and per thread name (from /proc/PID/task/*) CPU µs, voluntary and
# involuntary switches per answer, for threads that ran or switched in the window.
#   benchmarks/shadow-threads.sh --usher main=/tmp/main/usher.dll --usher new=/tmp/new/usher.dll
# Settings: BENCH_RATE (9000), BENCH_SECONDS (6), BENCH_WARMUP_SECONDS (2), BENCH_ROUNDS (3),
# BENCH_FRAUD_CONFIG, BENCH_PORT (18290; builds take the next ports), BENCH_KEEP=1 keeps the work folder.
set -euo pipefail
export LC_ALL=C
root="$(cd "$(dirname "$0")/.." && pwd)"
rate="${BENCH_RATE:-9000}"
seconds="${BENCH_SECONDS:-6}"
warmup="${BENCH_WARMUP_SECONDS:-2}"
rounds="${BENCH_ROUNDS:-3}"
port="${BENCH_PORT:-18290}"
command -v wrk >/dev/null || { echo "shadow-threads.sh: wrk is required" >&2; exit 2; }
counters="$(command -v dotnet-counters || true)"
[ -n "$counters" ] || [ ! -x "$HOME/.dotnet/tools/dotnet-counters" ] || counters="$HOME/.dotnet/tools/dotnet-counters"
# shellcheck source=lib/cost.sh
. "$root/benchmarks/lib/cost.sh"
# shellcheck source=lib/fraud.sh
. "$root/benchmarks/lib/fraud.sh"
cost_parse_args "$@"
fraud_init usher-shadow-threads BENCH_KEEP
cost_default_build
fraud_repository "${builds[0]#*=}" "$work/repo" "${BENCH_FRAUD_CONFIG:-$fraud_shadow_config}"
fraud_body "$work/fraud.json"

fraud_serve_builds "$port"

paced() { # URL SECONDS: paced.lua's JSON line
  WRK_BODY="$work/fraud.json" wrk -t2 -c32 -d"$2s" -s "$root/benchmarks/lib/paced.lua" "$1/v2/models/fraud/infer" -- "$rate" 2 2>&1 | grep '^{"requests"' | tail -n 1
}
# One line per thread: "TID NAME TICKS VOLUNTARY INVOLUNTARY" (the name's spaces as underscores; the
# CPU ticks read after the name's closing parenthesis, as a name may hold spaces).
threads() { # PID
  local t name ticks
  for t in /proc/"$1"/task/*; do
    name="$(tr ' ' '_' <"$t/comm" 2>/dev/null)" || continue
    ticks="$(sed -E 's/^.*\) //' "$t/stat" 2>/dev/null | awk '{ print $12 + $13 }')" || continue
    awk -v id="${t##*/}" -v n="$name" -v c="${ticks:-0}" '/^voluntary_ctxt/ { v = $2 } /^nonvoluntary_ctxt/ { i = $2 } END { print id, n, c, v + 0, i + 0 }' "$t/status" 2>/dev/null || true
  done | sort
}
for url in "${urls[@]}"; do admin "$url" /admin/deployments '{"endpoint":"fraud","version":1,"strategy":"direct"}'; done

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg); paced at $rate/s"
for round in $(seq 1 "$rounds"); do
  for i in "${!builds[@]}"; do
    label="${builds[$i]%%=*}" url="${urls[$i]}" pid="${pids[$i]}"
    for config in none shadow; do
      [ "$config" = none ] || admin "$url" /admin/deployments '{"endpoint":"fraud","version":2,"strategy":"shadow","shadow":{"percent":10,"queue":1000}}'
      paced "$url" "$warmup" >/dev/null
      rm -f "$work/gc.csv"
      gc_pid=""
      if [ -n "$counters" ]; then
        "$counters" collect -p "$pid" --counters 'System.Runtime[dotnet.gc.collections,dotnet.gc.heap.total_allocated]' --format csv -o "$work/gc.csv" \
          --duration "00:00:00:$(printf %02d "$seconds")" >/dev/null 2>&1 &
        gc_pid=$!
      fi
      threads "$pid" >"$work/threads-before"
      line="$(paced "$url" "$seconds")"
      threads "$pid" >"$work/threads-after"
      [ -z "$gc_pid" ] || wait "$gc_pid" || true
      gcs="$(awk -F, '/gc.collections/ { s += $NF } END { print s + 0 }' "$work/gc.csv" 2>/dev/null || echo 0)"
      gen0="$(awk -F, '/gc.collections/ && /gen0/ { s += $NF } END { print s + 0 }' "$work/gc.csv" 2>/dev/null || echo 0)"
      answers="$(sed -E 's/.*"requests":([0-9]+).*/\1/' <<<"$line")"
      allocated="$(awk -F, -v n="$answers" '/total_allocated/ { s += $NF } END { printf "%.0f", (n > 0 ? s / n : 0) }' "$work/gc.csv" 2>/dev/null || echo 0)"
      copies=""
      if [ "$config" = shadow ]; then
        copies="$(curl -sf "$url/admin/endpoints/fraud/rollout" | grep -o '"mirrored":[0-9]*,"failed":[0-9]*,"dropped":[0-9]*' || true)"
        admin "$url" /admin/endpoints/fraud/rollout/rollback
      fi
      echo "== $label $config round $round: answers $answers p99_ms $(sed -E 's/.*"p99_ms":([0-9.]+).*/\1/' <<<"$line") collections $gcs gen0 $gen0 allocated_B/answer $allocated load $(cut -d' ' -f1 /proc/loadavg) $copies"
      join -a2 "$work/threads-before" "$work/threads-after" | awk -v n="$answers" -v hz="$(getconf CLK_TCK)" '
        { if (NF == 9) { c = $2; t = $7 - $3; v = $8 - $4; x = $9 - $5 } else { c = $2; t = $3; v = $4; x = $5 }
          T[c] += t; V[c] += v; X[c] += x }
        END { for (c in T) if (T[c] + V[c] + X[c] > 0 && n > 0)
          printf "   %-18s CPU µs/answer %7.2f  voluntary/answer %.4f  involuntary/answer %.4f\n", c, T[c] * 1e6 / hz / n, V[c] / n, X[c] / n }' | sort
    done
  done
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
