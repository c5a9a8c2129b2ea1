#!/usr/bin/env bash
# Checks the capacity simulator against a measured run (docs/capacity.md): one `usher serve` replica
# under a stepped ramp of open-loop load (`usher bench --rate R`, Poisson arrivals) that steps past
# its capacity, sampling the queue (`usher_pending_requests` from /metrics, every 0.5 s) and the
# p99 of each step; then the simulator (`Usher.Capacity ramp`) on the same steps with the model's
# `usher profile --output json`, and both side by side with the gap per step (p99 predicted / measured,
# how many times apart, queue predicted - measured); when a step saturated the server, once more with
# the capacity it showed (the most it answered in a saturated step).
#
#   benchmarks/capacity/ramp.sh                                   # mlp-large, 8 steps of 15 s, 0.25x to 4x
#   benchmarks/capacity/ramp.sh --model fraud --fractions 0.2,0.5,1,1.5 --step-seconds 10
#
# The rates are fractions of the throughput the profile measured for the model's own configuration
# (its `default` point, which is what the server runs). Environment: RAMP_PORT (18490), RAMP_KEEP=1
# (keep the work folder), RAMP_FACTOR (the simulator's --throughput-factor, default 1: the profile
# as measured in process). Needs the .NET SDK, python3 and curl. Stops by itself: every step is
# bounded by --step-seconds and usher bench's 1,024 requests in flight.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model=mlp-large
fractions="0.25,0.5,0.75,1,1.5,2,3,4"
step=15
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="${2:?--model needs a name}"; shift ;;
    --fractions) fractions="${2:?--fractions needs a list}"; shift ;;
    --step-seconds) step="${2:?--step-seconds needs seconds}"; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ramp.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
port="${RAMP_PORT:-18490}"
factor="${RAMP_FACTOR:-1}"
for tool in python3 curl; do command -v "$tool" >/dev/null || { echo "ramp.sh: $tool is required" >&2; exit 1; }; done

# shellcheck source=../lib/server.sh
. "$root/benchmarks/lib/server.sh"
usher_bench_init usher-ramp RAMP_KEEP
usher_bench_build
echo "== Building the simulator" >&2
dotnet build "$root/benchmarks/capacity/Usher.Capacity/Usher.Capacity.csproj" -c Release --nologo >"$work/build-capacity.txt" 2>&1 \
  || { cat "$work/build-capacity.txt" >&2; exit 1; }
capacity="$(dotnet msbuild "$root/benchmarks/capacity/Usher.Capacity/Usher.Capacity.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)"
dotnet "$usher" samples generate --output "$work/samples" >/dev/null

echo "== usher profile $model --quick" >&2
dotnet "$usher" profile "$model" --model-repository "$work/samples" --quick --output json >"$work/profile.json" 2>"$work/profile.err" \
  || { rc=$?; [ "$rc" = 4 ] || { cat "$work/profile.err" >&2; exit 1; }; }
throughput="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(next(p["throughput_rps"] for p in r["points"] if p["default"]))' "$work/profile.json")"

usher_serve "$port" "$work/samples"
# Warm-up, not recorded: the first requests of a fresh process pay for JIT compilation.
dotnet "$usher" bench "$model" --server "http://127.0.0.1:$port" --protocol rest-binary --concurrency 2 --warmup 0 --duration 3s \
  --output json >/dev/null 2>"$work/warmup.err" || { cat "$work/warmup.err" >&2; exit 1; }

# One row per step: rate asked, answered/s, errors, p99 ms, mean and max usher_pending_requests.
printf 'seconds,rps\n' >"$work/ramp.csv"
: >"$work/measured.tsv"
IFS=',' read -r -a steps <<<"$fractions"
for f in "${steps[@]}"; do
  rate="$(python3 -c "print(round($throughput * $f, 1))")"
  printf '%s,%s\n' "$step" "$rate" >>"$work/ramp.csv"
  echo "== step: $rate req/s ($f x $throughput) for $step s" >&2
  ( while :; do
      curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null \
        | awk -v m="model=\"$model\"" '/^usher_pending_requests[{ ]/ && index($0, m) { v = $0; sub(/^[^}]*} */, "", v); split(v, f, " "); s += f[1] } END { print s + 0 }'
      sleep 0.5
    done ) >"$work/pending-$f.txt" &
  sampler=$!
  dotnet "$usher" bench "$model" --server "http://127.0.0.1:$port" --protocol rest-binary --rate "$rate" --concurrency 1024 \
    --warmup 0 --duration "${step}s" --output json >"$work/bench-$f.json" 2>"$work/bench-$f.err" || { kill "$sampler"; cat "$work/bench-$f.err" >&2; exit 1; }
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  python3 - "$work/bench-$f.json" "$work/pending-$f.txt" "$rate" >>"$work/measured.tsv" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
pending = [float(x) for x in open(sys.argv[2]).read().split()] or [0.0]
p99 = run["latency_ms"]["p99"]
print("\t".join([sys.argv[3], f"{run['throughput']:.1f}", str(run["errors"]), f"{p99:.2f}" if p99 == p99 else "nan",
                 f"{sum(pending) / len(pending):.1f}", f"{max(pending):.0f}"]))
PY
done

echo "== Usher.Capacity ramp (the same steps, profile point 'default', throughput factor $factor)" >&2
dotnet "$capacity" ramp --profile "$work/profile.json" --point default --traffic "$work/ramp.csv" --throughput-factor "$factor" >"$work/predicted.tsv"

# The capacity the server showed: the most it answered in a step it could not keep up with (errors, or
# answered below 95% of the rate asked); the simulator again with the profile scaled to it.
fitted="$(python3 - "$work/measured.tsv" "$throughput" <<'PY'
import sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
saturated = [float(r[1]) for r in rows if int(r[2]) > 0 or float(r[1]) < 0.95 * float(r[0])]
print(f"{max(saturated) / float(sys.argv[2]):.3f}" if saturated else "")
PY
)"
if [ -n "$fitted" ]; then
  echo "== Usher.Capacity ramp, capacity fitted to the measured one (throughput factor $fitted)" >&2
  dotnet "$capacity" ramp --profile "$work/profile.json" --point default --traffic "$work/ramp.csv" --throughput-factor "$fitted" >"$work/fitted.tsv"
else
  : >"$work/fitted.tsv"
fi

echo >&2
printf '### Measured vs simulated: %s, one replica, %s s steps (profile default point: %s req/s in process; factor %s; load average %s)\n\n' \
  "$model" "$step" "$throughput" "$factor" "$(cut -d' ' -f1-3 /proc/loadavg)"
# The gap per step: the p99s' ratio (predicted / measured) and how many times apart they are (the larger
# over the smaller, 1.00 = equal), and the queue predicted less the queue measured (mean of the samples).
python3 - "$work/measured.tsv" "$work/predicted.tsv" "$work/fitted.tsv" "$throughput" "${fitted:-}" <<'PY'
import csv, math, statistics, sys
measured = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]


def table(path, title):
    predicted = list(csv.DictReader(open(path), delimiter="\t"))
    print(title)
    print()
    print("| step | asked req/s | answered req/s | errors | queue measured (mean / max) | queue predicted | queue gap (predicted - measured mean) | p99 ms measured | p99 ms predicted | p99 predicted / measured | p99 apart (x) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    apart = []
    for i, (m, p) in enumerate(zip(measured, predicted), 1):
        rate, answered, errors, p99, q_mean, q_max = m
        mp, pp = float(p99), float(p["p99_ms"])
        ok = mp > 0 and pp > 0 and not math.isnan(mp)
        ratio = f"{pp / mp:.2f}" if ok else "-"
        x = max(pp / mp, mp / pp) if ok else float("nan")
        if ok:
            apart.append(x)
        gap = float(p["queue"]) - float(q_mean)
        print(f"| {i} | {float(rate):,.0f} | {float(answered):,.0f} | {errors} | {q_mean} / {q_max} | {float(p['queue']):.1f} | {gap:+.1f} | {mp:.1f} | {pp:.1f} | {ratio} | {x:.2f} |")
    if apart:
        print()
        print(f"p99 apart: median {statistics.median(apart):.2f}x, worst {max(apart):.2f}x over {len(apart)} steps")
    print()


table(sys.argv[2], f"Simulated with the profile's capacity ({float(sys.argv[4]):.1f} req/s):")
if sys.argv[5]:
    fitted = float(sys.argv[5])
    table(sys.argv[3], f"Simulated with the capacity the server showed (factor {fitted:.3f}: {fitted * float(sys.argv[4]):.1f} req/s, the most it answered in a saturated step):")
else:
    print("No step saturated the server: no fitted capacity (raise --fractions).")
PY
