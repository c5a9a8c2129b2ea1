#!/usr/bin/env bash
# Soak: one `usher serve` for MINUTES at 80% of its measured capacity while a canary rollout, a shadow
# and an A/B experiment run on three endpoints (fraud, fraud-shadow, fraud-ab: copies of the sample
# fraud model, deployed from samples/deployments and samples/experiments). The load generator is wrk
# (a C client: it costs the shared cores a fraction of what `usher bench` does, so the soak measures
# the server). Capacity is measured first in the soak's own shape: the rollouts running, a closed wrk
# loop on each endpoint at once, summed. Then each endpoint gets a third of 80% of it, held by pacing
# wrk's connections with benchmarks/lib/paced.lua (a schedule per wrk thread), one wrk run per
# endpoint per minute, after a warm-up that runs until the server is steady (below). Each minute it
# records every endpoint's achieved rate, p99 and errors (non-2xx answers + socket errors: connect,
# read, write, timeout), the server's RSS (with its anonymous, file-backed and shared parts: the heaps,
# the mapped libraries, the JIT's code) and the server's CPU per answer (all from /proc). The server is
# published as it ships (ReadyToRun), and the canary's steps are spread so that it is still moving at
# the soak's end. At the end it prints four checks and exits 1 when one fails:
#   errors      0 failed requests over the soak's minutes
#   rss growth  RSS at the end within 5% of RSS after the warm-up
#   p99 stable  the worst minute's p99 at most 2x the best minute's (per endpoint)
#   rate held   every minute's achieved rate within 2% of its target (per endpoint)
# The warm-up runs in rounds at the soak rate for at least SOAK_WARMUP_SECONDS, then until a round's
# server CPU per answer is no more than 3% below the round before and no endpoint's p99 more than 20%
# below it (tiering and the GC's budgets have settled), at most SOAK_WARMUP_MAX_SECONDS.
# Not run in CI. benchmarks/compare/soak.md (docs/benchmarks.md, "Soak") has how it works and results.
#   benchmarks/soak.sh [--minutes N]        (default 10)
# Settings: SOAK_LOAD (share of capacity, 0.8), SOAK_WARMUP_SECONDS (least warm-up, 60),
# SOAK_WARMUP_MAX_SECONDS (300), SOAK_WARMUP_ROUND_SECONDS (30), SOAK_CAPACITY_SECONDS (15),
# SOAK_CAPACITY_CONCURRENCY (connections per endpoint while measuring capacity, 8), SOAK_CONNECTIONS
# (wrk connections per endpoint during the soak, 32), SOAK_CLIENT (wrk, or usher-bench for the open
# loop of `usher bench --rate` the soak used before), SOAK_PORT (18095), SOAK_KEEP=1 keeps the work folder;
# usher=PATH/usher.dll runs that build instead of publishing one (say which when reporting).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
minutes=10
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --minutes=*) minutes="${1#*=}"; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument '$1' (expected --minutes N)" >&2; exit 2 ;;
  esac
done
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: --minutes: expected a positive whole number, got '$minutes'" >&2; exit 2; }
load="${SOAK_LOAD:-0.8}"
warmup="${SOAK_WARMUP_SECONDS:-60}"
warmup_max="${SOAK_WARMUP_MAX_SECONDS:-300}"
warmup_round="${SOAK_WARMUP_ROUND_SECONDS:-30}"
capacity_seconds="${SOAK_CAPACITY_SECONDS:-15}"
capacity_concurrency="${SOAK_CAPACITY_CONCURRENCY:-8}"
connections="${SOAK_CONNECTIONS:-32}"
client="${SOAK_CLIENT:-wrk}"
port="${SOAK_PORT:-18095}"
case "$client" in
  wrk) command -v wrk >/dev/null || { echo "soak.sh: wrk is required (Debian: apt-get install wrk), or SOAK_CLIENT=usher-bench" >&2; exit 1; } ;;
  usher-bench) ;;
  *) echo "soak.sh: SOAK_CLIENT: expected wrk or usher-bench, got '$client'" >&2; exit 2 ;;
esac
endpoints=(fraud fraud-shadow fraud-ab)
# shellcheck source=lib/server.sh
. "$root/benchmarks/lib/server.sh"
usher_bench_init usher-soak SOAK_KEEP
if [ -z "$usher" ]; then
  # What ships: a ReadyToRun publish (src/Usher.Cli/Usher.Cli.csproj). A plain build starts every method
  # as tier-0 JIT code, and its first minutes measure the JIT's tiering, not the server.
  echo "== Publishing Release (ReadyToRun, as shipped)" >&2
  dotnet publish "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo -o "$work/usher" >"$work/build.txt" 2>&1 \
    || { cat "$work/build.txt" >&2; exit 1; }
  usher="$work/usher/usher.dll"
fi
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
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$server/status"; }
# RSS in MiB as anonymous/file/shared: the GC's heap and native allocations / mapped files / the JIT's
# code (the runtime maps it twice from a memfd, which counts as shared memory).
rss_split() { awk '/^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } /^RssShmem:/ { s = $2 } END { printf "%d/%d/%d", a / 1024, f / 1024, s / 1024 }' "/proc/$server/status"; }
cpu_ticks() { sed 's/.*) //' "/proc/$server/stat" | awk '{ print $12 + $13 }'; } # utime + stime (fields 14, 15)
ticks_per_second="$(getconf CLK_TCK)"

json_field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$2"; } # NAME LINE: a number from paced.lua's JSON line

# One load run on one endpoint: "$work/TAG-ENDPOINT.row" gets the line
#   requests errors target achieved p99_ms lag_max_ms client_cpu_us_per_request
# RATE 0 is a closed loop (CONNECTIONS at once, as fast as the server answers).
run_one() { # ENDPOINT SECONDS CONNECTIONS RATE TAG
  local e="$1" seconds="$2" conns="$3" rate="$4" out="$work/$5-$1"
  if [ "$client" = wrk ]; then
    ( TIMEFORMAT='%U %S'; time WRK_BODY="$work/fraud.json" wrk -t1 -c"$conns" -d"${seconds}s" \
        -s "$root/benchmarks/lib/paced.lua" "$url/v2/models/$e/infer" -- "$rate" 1 >"$out.txt" 2>&1 ) 2>"$out.time"
    local line
    line="$(grep '^{"requests"' "$out.txt" | tail -n 1)"
    [ -n "$line" ] || { cat "$out.txt" >&2; echo "soak.sh: wrk on $e printed no result" >&2; exit 1; }
    printf '%s\n' "$line" >"$out.json"
    local requests
    requests="$(json_field requests "$line")"
    printf '%s %s %s %s %s %s %s\n' "$requests" "$(json_field errors "$line")" "$rate" "$(json_field throughput "$line")" \
      "$(json_field p99_ms "$line")" "$(json_field lag_max_ms "$line")" \
      "$(awk -v n="$requests" '{ printf "%.0f", n ? ($1 + $2) * 1e6 / n : 0 }' "$out.time")" >"$out.row"
  else
    local args=(--concurrency "$conns")
    [ "$rate" = 0 ] || args=(--rate "$rate")
    dotnet "$usher" bench "$e" --server "$url" --input "$work/fraud.json" "${args[@]}" --duration "${seconds}s" --warmup 0 \
      --output csv >"$out.csv"
    # usher bench's CSV: requests (7), errors (8), throughput (9), p99 ms (13).
    sed -n 2p "$out.csv" | awk -F, -v r="$rate" '{ print $7, $8, r, $9, $13, "-", "-" }' >"$out.row"
  fi
}
# One run per endpoint, all at once.
run_all() { # SECONDS CONNECTIONS RATE TAG
  local pids=() e p
  for e in "${endpoints[@]}"; do run_one "$e" "$@" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
}

# Each endpoint serves version 1 (its newest, 2, is the candidate of the rollouts below).
for e in "${endpoints[@]}"; do
  curl -sf -X POST -H 'Content-Type: application/json' "$url/admin/deployments" -d '{"endpoint":"'"$e"'","version":1,"strategy":"direct"}' >/dev/null
done

# The rollouts. The canary's steps are spread over the soak so that it is still moving at the end: its
# steps below 100% each last an interval and the 100% step is the promotion, so those intervals cover
# the capacity runs, the longest warm-up and the minutes. (A promotion within the soak unloads a version
# and stops the canary's analysis: the minutes after it serve less work than those before.)
intervals="$(sed -n 's/^  steps: \[\([0-9, ]*\)\].*/\1/p' "$root/samples/deployments/fraud-canary.yaml" | tr ',' '\n' | awk '$1 < 100 { n++ } END { print n + 0 }')"
[ "$intervals" -gt 0 ] || { echo "soak.sh: no canary steps found in samples/deployments/fraud-canary.yaml" >&2; exit 1; }
span="$(( 3 + capacity_seconds + warmup_max + minutes * 60 + 60 ))"
step="$(( (span + intervals - 1) / intervals ))"
(( step >= 30 )) || step=30
# Version 2 is version 1's file, so a latency gap between them is the shared machine's noise: the
# canary and the A/B test count a variant slower only by 100 ms or more (the samples: 1 ms), else a
# latency guardrail stops the A/B test's second arm within a minute on a busy machine and the soak
# goes on without an experiment.
sed -e "s/^  interval: 30s.*/  interval: ${step}s/" -e 's/^  min_latency_delta_ms: 1 .*/  min_latency_delta_ms: 100/' \
  "$root/samples/deployments/fraud-canary.yaml" >"$work/canary.yaml"
# The shadow without its gate: it mirrors for the whole soak instead of turning into a canary.
sed -e 's/^endpoint: fraud$/endpoint: fraud-shadow/' -e '/^  gate:/,/^    max_latency_p99_ratio/d' "$root/samples/deployments/fraud-shadow.yaml" >"$work/shadow.yaml"
{ sed -e 's/^endpoint: fraud$/endpoint: fraud-ab/' "$root/samples/experiments/fraud-ab.yaml"
  printf 'analysis:\n  min_latency_delta_ms: 100\n'; } >"$work/ab.yaml"
grep -q '^  min_latency_delta_ms: 100$' "$work/canary.yaml" && ! grep -q '^analysis:' "$root/samples/experiments/fraud-ab.yaml" \
  || { echo "soak.sh: the samples' rollout specs changed; update the soak's edits of them" >&2; exit 1; }
for pair in fraud:canary fraud-shadow:shadow fraud-ab:ab; do
  e="${pair%%:*}" spec="${pair#*:}"
  dotnet "$usher" deploy "$e" "$work/$spec.yaml" --server "$url" >"$work/deploy-$spec.txt" 2>&1 \
    || { echo "deploying $spec on $e failed:" >&2; cat "$work/deploy-$spec.txt" >&2; exit 1; }
done
echo "   deployed: canary on fraud (steps every ${step}s: promotes after ${intervals} of them, past the soak's end), shadow on fraud-shadow, A/B on fraud-ab" >&2

# Capacity is measured in the soak's own shape: the rollouts running, one closed loop per endpoint,
# all at once (each client on the same cores as the server, as in the soak). Measured on fraud alone,
# before the rollouts, it left out the shadow's second inference and two of the three clients: 80%
# of that figure overloaded the server within the first minute.
echo "== Capacity ($client): a closed loop of $capacity_concurrency connections on each endpoint at once, ${capacity_seconds}s after 3s, rollouts running" >&2
run_all 3 "$capacity_concurrency" 0 capacity-warmup
run_all "$capacity_seconds" "$capacity_concurrency" 0 capacity
capacity="$(for e in "${endpoints[@]}"; do cut -d' ' -f4 "$work/capacity-$e.row"; done | awk '{ s += $1 } END { printf "%.1f", s }')"
rate="$(awk -v c="$capacity" -v l="$load" -v n="${#endpoints[@]}" 'BEGIN { printf "%.1f", c * l / n }')"
capacity_p99="$(for e in "${endpoints[@]}"; do cut -d' ' -f5 "$work/capacity-$e.row"; done | paste -sd/ -)"
echo "   capacity $capacity requests/s in all (p99 $capacity_p99 ms); soak at $load of it: $rate requests/s on each of ${#endpoints[@]} endpoints" >&2

# The warm-up: rounds at the soak rate until the server is steady. The minutes compare the server with
# itself, so they start once the JIT's tiering and the GC's budgets have settled: at least $warmup s,
# then until a round's CPU per answer and every endpoint's p99 have stopped falling.
echo "== Warm-up: ${warmup_round}s rounds at the soak rate, at least ${warmup}s, until steady (at most ${warmup_max}s)" >&2
warmed=0 round=0 prev_cpu="" prev_p99s="" steady=""
while :; do
  round=$((round + 1))
  ticks_before="$(cpu_ticks)"
  run_all "$warmup_round" "$connections" "$rate" "warmup$round"
  ticks_after="$(cpu_ticks)"
  warmed=$((warmed + warmup_round))
  answers="$(for e in "${endpoints[@]}"; do cut -d' ' -f1 "$work/warmup$round-$e.row"; done | awk '{ s += $1 } END { print s + 0 }')"
  cpu="$(awk -v t="$((ticks_after - ticks_before))" -v hz="$ticks_per_second" -v n="$answers" 'BEGIN { printf "%.0f", n ? t * 1e6 / hz / n : 0 }')"
  p99s="$(for e in "${endpoints[@]}"; do cut -d' ' -f5 "$work/warmup$round-$e.row"; done | paste -sd' ' -)"
  echo "   warm-up round $round (${warmed}s): server ${cpu} µs CPU per answer, p99 ${p99s// /\/} ms, RSS $(rss_split) MiB (anon/file/shared)" >&2
  if [ -n "$prev_cpu" ] && [ "$warmed" -ge "$warmup" ] \
    && awk -v c="$cpu" -v pc="$prev_cpu" -v p="$p99s" -v pp="$prev_p99s" 'BEGIN {
         if (c < 0.97 * pc) exit 1
         n = split(p, a, " "); split(pp, b, " ")
         for (i = 1; i <= n; i++) if (a[i] < 0.8 * b[i]) exit 1
         exit 0 }'; then
    steady="steady after ${warmed}s"; break
  fi
  if [ "$warmed" -ge "$warmup_max" ]; then steady="NOT steady after ${warmed}s (SOAK_WARMUP_MAX_SECONDS)"; break; fi
  prev_cpu="$cpu" prev_p99s="$p99s"
done
warmup_errors="$(cat "$work"/warmup*-*.row | awk '{ s += $2 } END { print s + 0 }')"
rss_start="$(rss_kib)"
rss_start_split="$(rss_split)"
loaded="$(curl -sf "$url/v2/models/fraud/versions/2/ready" -o /dev/null -w '%{http_code}' || true)"
echo "   warm-up $steady; RSS after it: $((rss_start / 1024)) MiB ($rss_start_split anon/file/shared); fraud version 2 ready: ${loaded:-no answer}; errors in the warm-up: $warmup_errors" >&2

printf 'minute endpoint requests errors target achieved p99_ms lag_max_ms client_cpu_us rss_mib server_cpu_us rss_split\n' >"$work/minutes.txt"
for m in $(seq 1 "$minutes"); do
  ticks_before="$(cpu_ticks)"
  run_all 60 "$connections" "$rate" "m$m"
  ticks_after="$(cpu_ticks)"
  rss="$(rss_kib)"
  split="$(rss_split)"
  answers="$(for e in "${endpoints[@]}"; do cut -d' ' -f1 "$work/m$m-$e.row"; done | awk '{ s += $1 } END { print s + 0 }')"
  server_cpu="$(awk -v t="$((ticks_after - ticks_before))" -v hz="$ticks_per_second" -v n="$answers" 'BEGIN { printf "%.0f", n ? t * 1e6 / hz / n : 0 }')"
  for e in "${endpoints[@]}"; do
    printf '%s %s %s %s %s %s\n' "$m" "$e" "$(cat "$work/m$m-$e.row")" "$((rss / 1024))" "$server_cpu" "$split" >>"$work/minutes.txt"
  done
  echo "   minute $m: $(awk -v m="$m" '$1 == m { printf "%s %s/s p99 %s ms, %s errors; ", $2, $6, $7, $4 }' "$work/minutes.txt")RSS $((rss / 1024)) MiB ($split), server ${server_cpu} µs CPU per answer" >&2
done
rss_end="$(rss_kib)"
rss_end_split="$(rss_split)"
phases=""
for e in "${endpoints[@]}"; do
  phases+="$e $(curl -sf "$url/admin/endpoints/$e/rollout" | grep -o '"strategy":"[^"]*"\|"phase":"[^"]*"' | head -2 | cut -d'"' -f4 | paste -sd' ' - || echo none); "
done

echo
shape="$connections wrk connections each"
[ "$client" = wrk ] || shape="an open loop each"
echo "Soak ($client): $minutes min at $load of capacity ($capacity requests/s measured, p99 $capacity_p99 ms; $rate requests/s per endpoint," \
  "$shape), $(nproc) cores; warm-up $steady"
echo
echo '| Minute | Endpoint | Requests | Errors | Target/s | Achieved/s | p99 ms | Start lag max ms | Client CPU µs/req | RSS MiB | RSS anon/file/shared MiB | Server CPU µs/answer |'
echo '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
awk 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $11 }' "$work/minutes.txt"
echo
echo "Rollouts at the end: $phases"
for e in "${endpoints[@]}"; do
  echo "  $e, last event: $(curl -sf "$url/admin/endpoints/$e/history" | grep -o '"message":"[^"]*"' | tail -1 | cut -d'"' -f4 || echo none)"
done
failed=0
errors="$(awk 'NR > 1 { s += $4 } END { print s + 0 }' "$work/minutes.txt")"
if [ "$errors" -eq 0 ]; then echo "PASS errors: 0 (warm-up: $warmup_errors)"; else echo "FAIL errors: $errors failed requests (warm-up: $warmup_errors)"; failed=1; fi
growth="$(awk -v a="$rss_start" -v b="$rss_end" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')"
if awk -v g="$growth" 'BEGIN { exit !(g < 5) }'; then echo "PASS rss growth: ${growth}% ($((rss_start / 1024)) -> $((rss_end / 1024)) MiB after warm-up; anon/file/shared $rss_start_split -> $rss_end_split)"; else echo "FAIL rss growth: ${growth}% ($((rss_start / 1024)) -> $((rss_end / 1024)) MiB; anon/file/shared $rss_start_split -> $rss_end_split), limit 5%"; failed=1; fi
for e in "${endpoints[@]}"; do
  read -r best worst <<<"$(awk -v e="$e" 'NR > 1 && $2 == e { if (min == "" || $7 < min) min = $7; if ($7 > max) max = $7 } END { print min, max }' "$work/minutes.txt")"
  if awk -v b="$best" -v w="$worst" 'BEGIN { exit !(w <= 2 * b) }'; then
    echo "PASS p99 stable on $e: ${best}-${worst} ms over the minutes"
  else
    echo "FAIL p99 stable on $e: ${best}-${worst} ms (worst over 2x best)"; failed=1
  fi
done
for e in "${endpoints[@]}"; do
  read -r low high <<<"$(awk -v e="$e" 'NR > 1 && $2 == e { o = ($6 - $5) * 100 / $5; if (low == "" || o < low) low = o; if (high == "" || o > high) high = o } END { printf "%.2f %.2f", low, high }' "$work/minutes.txt")"
  if awk -v l="$low" -v h="$high" 'BEGIN { exit !(l >= -2 && h <= 2) }'; then
    echo "PASS rate held on $e: achieved ${low}% to ${high}% off $rate/s over the minutes"
  else
    echo "FAIL rate held on $e: achieved ${low}% to ${high}% off $rate/s (limit 2%): the load was not held"; failed=1
  fi
done
exit "$failed"
