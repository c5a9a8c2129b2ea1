#!/usr/bin/env bash
# Checks `usher profile` against a measured server: for 1 core and for 2 cores, the profile (run
# under `taskset`) predicts the throughput of its recommended configuration; this script then starts
# `usher serve` on those cores with that configuration, loads it with `usher bench` at the same
# concurrency, and compares. It also measures the model's own config.yaml the same way, to see
# whether the recommendation beats it on the SLO.
#
#   benchmarks/profile/rightsize.sh                          # mlp-large and fraud, p99 <= 20 ms
#   benchmarks/profile/rightsize.sh --models mlp-large --slo 10
#
# 1 core: profile and server on core 0, usher bench on core 1. 2 cores: profile, server and usher
# bench all on cores 0-1 (the load generator takes its share from the server, as it does from the
# profile's in-process load). Environment: RIGHTSIZE_SECONDS (bench window, default 10),
# RIGHTSIZE_PROTOCOL (rest-binary; rest or grpc), RIGHTSIZE_PORT (18480), RIGHTSIZE_KEEP=1 (keep
# the work folder). Needs the .NET SDK, python3, curl, taskset and 2 cores.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
models="mlp-large fraud"
slo=20
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="${2:?--models needs a list}"; shift ;;
    --slo) slo="${2:?--slo needs milliseconds}"; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "rightsize.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
seconds="${RIGHTSIZE_SECONDS:-10}"
protocol="${RIGHTSIZE_PROTOCOL:-rest-binary}"
port="${RIGHTSIZE_PORT:-18480}"
for tool in python3 curl taskset; do command -v "$tool" >/dev/null || { echo "rightsize.sh: $tool is required" >&2; exit 1; }; done
[ "$(nproc --all)" -ge 2 ] || { echo "rightsize.sh: needs 2 cores" >&2; exit 1; }

# shellcheck source=../lib/server.sh
. "$root/benchmarks/lib/server.sh"
usher_bench_init usher-rightsize RIGHTSIZE_KEEP
usher_bench_build
dotnet "$usher" samples generate --output "$work/samples" >/dev/null

serves=0
serve_on() { # CPUS REPOSITORY: usher serve pinned to CPUS (so it sees only those cores), until ready; its own state folder each time
  serves=$((serves + 1))
  ( cd "$work" && USHER_SERVER__HOST=127.0.0.1 exec taskset -c "$1" dotnet "$usher" serve --model-repository "$2" \
      --http-port "$port" --grpc-port $((port + 1)) --data-dir "$work/data-$serves" ) >"$work/server.log" 2>&1 &
  server=$!
  for i in $(seq 1 1200); do
    curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$server" 2>/dev/null || { echo "usher serve exited before it was ready" >&2; exit 1; }
    [ "$i" = 1200 ] && { echo "usher serve: not ready after 120 s" >&2; exit 1; }
    sleep 0.1
  done
}
stop_server() { kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; }
bench_on() { # CPUS MODEL CONCURRENCY OUT
  taskset -c "$1" dotnet "$usher" bench "$2" --server "http://127.0.0.1:$port" --protocol "$protocol" --concurrency "$3" \
    --warmup 2s --duration "${seconds}s" --output json >"$4" 2>"$4.err" || { cat "$4.err" >&2; exit 1; }
}
# A copy of MODEL's folder whose config.yaml has the top-level keys of SECTION replaced by SECTION (python: no YAML module needed for these flat files).
repository_with() { # MODEL SECTION-FILE OUT-DIR
  mkdir -p "$3"; cp -R "$work/samples/$1" "$3/"
  python3 - "$3/$1/config.yaml" "$2" <<'PY'
import os, re, sys
path, section = sys.argv[1], open(sys.argv[2]).read()
keys = {m.group(1) for m in re.finditer(r'^([a-z_]+):', section, re.M)}
lines, keep, skipping = (open(path).read().splitlines() if os.path.exists(path) else []), [], False
for line in lines:
    m = re.match(r'^([a-z_]+):', line)
    if m: skipping = m.group(1) in keys
    elif line and not line[0].isspace(): skipping = False
    if not skipping: keep.append(line)
open(path, 'w').write('\n'.join(keep + [section]) + '\n')
PY
}

results="$work/results.tsv"
printf 'model\tcores\tpoint\tpredicted_rps\tpredicted_p99_ms\tmeasured_rps\tmeasured_p99_ms\tratio\tdefault_rps\tdefault_p99_ms\n' >"$results"
for model in $models; do
  for cores in 1 2; do
    if [ "$cores" = 1 ]; then cpus=0; bench_cpus=1; else cpus=0,1; bench_cpus=0,1; fi
    echo "== $model on $cores core(s): usher profile --slo-p99-ms $slo (cores $cpus)" >&2
    taskset -c "$cpus" dotnet "$usher" profile "$model" --model-repository "$work/samples" --slo-p99-ms "$slo" --quick --output json \
      >"$work/profile-$model-$cores.json" 2>"$work/profile-$model-$cores.err" \
      || { rc=$?; cat "$work/profile-$model-$cores.err" >&2; [ "$rc" = 4 ] && continue; exit 1; }
    read -r point concurrency predicted predicted_p99 <<<"$(python3 - "$work/profile-$model-$cores.json" "$work/section-$model-$cores.yaml" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); rec = r["recommendation"]
p = next(p for p in r["points"] if p["id"] == rec["point"])
open(sys.argv[2], "w").write(rec["config_yaml"])
print(p["id"], p["concurrency"], p["throughput_rps"], p["p99_ms"])
PY
)"
    default_concurrency="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(next(p["concurrency"] for p in r["points"] if p["default"]))' "$work/profile-$model-$cores.json")"

    echo "== $model on $cores core(s): usher serve with the recommendation ($point), usher bench -c $concurrency (cores $bench_cpus)" >&2
    repository_with "$model" "$work/section-$model-$cores.yaml" "$work/repo-$model-$cores"
    serve_on "$cpus" "$work/repo-$model-$cores"
    bench_on "$bench_cpus" "$model" "$concurrency" "$work/bench-$model-$cores.json"
    stop_server

    echo "== $model on $cores core(s): usher serve with the model's own config.yaml, usher bench -c $default_concurrency" >&2
    serve_on "$cpus" "$work/samples"
    bench_on "$bench_cpus" "$model" "$default_concurrency" "$work/bench-$model-$cores-default.json"
    stop_server

    python3 - "$work/bench-$model-$cores.json" "$work/bench-$model-$cores-default.json" "$model" "$cores" "$point" "$predicted" "$predicted_p99" >>"$results" <<'PY'
import json, sys
run = lambda f: json.load(open(f))["runs"][0]
m, d = run(sys.argv[1]), run(sys.argv[2])
predicted = float(sys.argv[6])
print("\t".join([sys.argv[3], sys.argv[4], sys.argv[5], f"{predicted:.0f}", f"{float(sys.argv[7]):.2f}",
                 f"{m['throughput']:.0f}", f"{m['latency_ms']['p99']:.2f}", f"{m['throughput'] / predicted:.2f}",
                 f"{d['throughput']:.0f}", f"{d['latency_ms']['p99']:.2f}"]))
PY
  done
done

echo >&2
printf '### usher profile vs usher serve + usher bench (%s, %s s per run, p99 SLO %s ms; load average %s)\n\n' "$protocol" "$seconds" "$slo" "$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$slo" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t")); slo = float(sys.argv[2])
print("| model | cores | recommended | predicted req/s (p99 ms) | measured req/s (p99 ms) | measured / predicted | within 20% | default config: req/s (p99 ms) | beats default on the SLO |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    ratio = float(r["ratio"]); meets = float(r["measured_p99_ms"]) <= slo
    default_meets = float(r["default_p99_ms"]) <= slo
    beats = meets and (not default_meets or float(r["measured_rps"]) > float(r["default_rps"]))
    print(f"| {r['model']} | {r['cores']} | {r['point']} | {float(r['predicted_rps']):,.0f} ({r['predicted_p99_ms']}) | {float(r['measured_rps']):,.0f} ({r['measured_p99_ms']}) "
          f"| {ratio:.2f} | {'yes' if abs(ratio - 1) <= 0.2 else 'no'} | {float(r['default_rps']):,.0f} ({r['default_p99_ms']}) | {'yes' if beats else 'no'} |")
PY
