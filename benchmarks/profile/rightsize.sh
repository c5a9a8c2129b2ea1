#!/usr/bin/env bash
# Checks `usher profile` against a measured server. For 1 core and for 2 cores, `usher profile`
# (under `taskset`) predicts the throughput of its recommended configuration; this script then starts
# `usher serve` on those cores with that configuration, loads it with `usher bench` at the same
# concurrency and protocol, and compares. It also measures the model's own config.yaml the same way,
# to see whether the recommendation beats it on the SLO. Rounds interleave profile and measurement,
# so that both see the same machine.
#
#   benchmarks/profile/rightsize.sh                          # mlp-large and fraud, p99 <= 20 ms, 2 rounds
#   benchmarks/profile/rightsize.sh --models mlp-large --slo 10
#
# What is compared with what. The prediction is the server's throughput at the point's concurrency
# with the load generator elsewhere (docs/optimize.md, "What the prediction means").
# - 1 core: the profile runs on core 0 and puts its `usher bench` client on core 1; the check runs
#   `usher serve` on core 0 and `usher bench` on core 1. Measured = what `usher bench` got.
# - 2 cores: the machine has no third core, so the client shares cores 0-1 with the server in the
#   profile and in the check alike. Both give the client's CPU back to the server the same way:
#   measured x 2 / (2 - measured x client CPU per answer), at most 2 / server CPU per answer (the
#   server's CPU read from /proc). The raw figure is shown beside it.
# Server CPU per answer is compared too: it does not depend on what else the machine runs.
# Last, one VERDICT line per model and core count: the median measured / predicted over the rounds,
# within 20%: yes/no, and whether the recommendation beat the model's own config.yaml, served the same
# way: "yes" when in every round the recommendation's measured p99 met the SLO AND either the default's
# did not or the recommendation answered more requests/s than the default; both halves are printed
# (each p99 against the SLO, and the throughput over the default's), and "same config" when the
# profile recommended the default's settings. The profile keeps --slo-headroom (30% by default) of the
# SLO free; a recommendation that could not keep it is marked "without headroom". The profile measures
# its contenders --repeats times (3 by default) and predicts with the median; the table shows the
# runs' range beside the prediction, and "tie" where the default won a tie within that range.
# Environment: RIGHTSIZE_SECONDS (bench window, default 10), RIGHTSIZE_ROUNDS (2), RIGHTSIZE_PROTOCOL
# (rest; rest-binary or grpc), RIGHTSIZE_PORT (18480), RIGHTSIZE_HEADROOM (passed as --slo-headroom;
# default: the profile's), RIGHTSIZE_REPEATS (passed as --repeats; default: the profile's),
# RIGHTSIZE_KEEP=1 (keep the work folder), usher=PATH/usher.dll (a build to use instead of building Release).
# Needs the .NET SDK, python3, curl, taskset and 2 cores.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
models="mlp-large fraud"
slo=20
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="${2:?--models needs a list}"; shift ;;
    --slo) slo="${2:?--slo needs milliseconds}"; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "rightsize.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
seconds="${RIGHTSIZE_SECONDS:-10}"
rounds="${RIGHTSIZE_ROUNDS:-2}"
protocol="${RIGHTSIZE_PROTOCOL:-rest}"
port="${RIGHTSIZE_PORT:-18480}"
headroom=()
[ -z "${RIGHTSIZE_HEADROOM:-}" ] || headroom=(--slo-headroom "$RIGHTSIZE_HEADROOM")
[ -z "${RIGHTSIZE_REPEATS:-}" ] || headroom+=(--repeats "$RIGHTSIZE_REPEATS")
for tool in python3 curl taskset getconf; do command -v "$tool" >/dev/null || { echo "rightsize.sh: $tool is required" >&2; exit 1; }; done
[ "$(nproc --all)" -ge 2 ] || { echo "rightsize.sh: needs 2 cores" >&2; exit 1; }
clock_ticks="$(getconf CLK_TCK)"

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
cpu_ticks() { # PID: user + system CPU of the process in clock ticks (/proc/PID/stat fields 14 and 15; the name may hold spaces)
  sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
bench_on() { # CPUS MODEL CONCURRENCY OUT; also writes OUT.server_us: the server's CPU per answer (warm-up included, as the answers are)
  local before after
  before="$(cpu_ticks "$server")"
  taskset -c "$1" dotnet "$usher" bench "$2" --server "http://127.0.0.1:$port" --grpc-server "http://127.0.0.1:$((port + 1))" --protocol "$protocol" \
    --concurrency "$3" --warmup 2s --duration "${seconds}s" --output json >"$4" 2>"$4.err" || { cat "$4.err" >&2; exit 1; }
  after="$(cpu_ticks "$server")"
  python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["runs"][0]["answered"]; print((int(sys.argv[3])-int(sys.argv[2]))/int(sys.argv[4])*1e6/max(a,1))' \
    "$4" "$before" "$after" "$clock_ticks" >"$4.server_us"
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
printf 'round\tmodel\tcores\tpoint\tpredicted_rps\tpredicted_p99_ms\tpredicted_server_us\tmeasured_raw_rps\tmeasured_rps\tmeasured_p99_ms\tmeasured_server_us\tratio\tdefault_rps\tdefault_p99_ms\tsame_as_default\twithin_headroom\tpredicted_range\n' >"$results"
for round in $(seq 1 "$rounds"); do
  for model in $models; do
    for cores in 1 2; do
      if [ "$cores" = 1 ]; then cpus=0; bench_cpus=1; else cpus=0,1; bench_cpus=0,1; fi
      tag="$model-$cores-$round"
      echo "== round $round, $model on $cores core(s): usher profile --slo-p99-ms $slo (cores $cpus)" >&2
      taskset -c "$cpus" dotnet "$usher" profile "$model" --model-repository "$work/samples" --slo-p99-ms "$slo" "${headroom[@]}" --quick --protocol "$protocol" --output json \
        >"$work/profile-$tag.json" 2>"$work/profile-$tag.err" \
        || { rc=$?; cat "$work/profile-$tag.err" >&2; [ "$rc" = 4 ] && { printf '%s\t%s\t%s\n' "$round" "$model" "$cores" >>"$work/no-recommendation.tsv"; continue; }; exit 1; }
      read -r point concurrency predicted predicted_p99 predicted_server_us same_as_default within_headroom predicted_range <<<"$(python3 - "$work/profile-$tag.json" "$work/section-$tag.yaml" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); rec = r["recommendation"]
p = next(p for p in r["points"] if p["id"] == rec["point"])
d = next(p for p in r["points"] if p["default"])
open(sys.argv[2], "w").write(rec["config_yaml"])
# The recommendation may be the model's own configuration (the default point, or a swept point with the same settings).
same = p["version"] == d["version"] and p["config"] == d["config"]
# The runs' range of the prediction (one run: the prediction itself), and "tie" when the default won a tie within it.
lo, hi = p.get("throughput_range_rps", [p["throughput_rps"]] * 2)
rng = f"runs:{p.get('runs', 1)}:{lo:.0f}-{hi:.0f}" + (":tie" if rec.get("default_within_noise") else "")
print(p["id"], p["concurrency"], p["throughput_rps"], p["p99_ms"], p["server"]["server_cpu_us_per_request"], "yes" if same else "no",
      "no" if rec.get("within_headroom") is False else "yes", rng)
PY
)"
      default_concurrency="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(next(p["concurrency"] for p in r["points"] if p["default"]))' "$work/profile-$tag.json")"

      echo "== round $round, $model on $cores core(s): usher serve with the recommendation ($point), usher bench -c $concurrency (cores $bench_cpus)" >&2
      repository_with "$model" "$work/section-$tag.yaml" "$work/repo-$tag"
      serve_on "$cpus" "$work/repo-$tag"
      bench_on "$bench_cpus" "$model" "$concurrency" "$work/bench-$tag.json"
      stop_server

      echo "== round $round, $model on $cores core(s): usher serve with the model's own config.yaml, usher bench -c $default_concurrency" >&2
      serve_on "$cpus" "$work/samples"
      bench_on "$bench_cpus" "$model" "$default_concurrency" "$work/bench-$tag-default.json"
      stop_server

      python3 - "$work/bench-$tag.json" "$work/bench-$tag-default.json" "$round" "$model" "$cores" "$point" "$predicted" "$predicted_p99" "$predicted_server_us" "$same_as_default" "$within_headroom" "$predicted_range" >>"$results" <<'PY'
import json, sys
run = lambda f: json.load(open(f))["runs"][0]
m, d = run(sys.argv[1]), run(sys.argv[2])
server_us = float(open(sys.argv[1] + ".server_us").read())
cores, predicted = int(sys.argv[5]), float(sys.argv[7])
raw = m["throughput"]
if cores == 1:
    measured = raw  # the client ran on the other core: nothing to give back
else:
    # The client shared the server's cores: its CPU is given back to the server, as the profile does.
    client_cores = raw * m["client_cpu_us_per_request"] / 1e6
    scaled = raw * cores / (cores - client_cores) if client_cores < cores else float("inf")
    measured = min(scaled, cores * 1e6 / server_us)
print("\t".join([sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], f"{predicted:.0f}", f"{float(sys.argv[8]):.2f}", f"{float(sys.argv[9]):.0f}",
                 f"{raw:.0f}", f"{measured:.0f}", f"{m['latency_ms']['p99']:.2f}", f"{server_us:.0f}", f"{measured / predicted:.2f}",
                 f"{d['throughput']:.0f}", f"{d['latency_ms']['p99']:.2f}", sys.argv[10], sys.argv[11], sys.argv[12]]))
PY
    done
  done
done

echo >&2
printf '### usher profile vs usher serve + usher bench (%s, %s s per run, %s round(s), p99 SLO %s ms; load average %s)\n\n' "$protocol" "$seconds" "$rounds" "$slo" "$(cut -d' ' -f1-3 /proc/loadavg)"
touch "$work/no-recommendation.tsv"
python3 - "$results" "$slo" "$work/no-recommendation.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t")); slo = float(sys.argv[2])
none = [line.split("\t") for line in open(sys.argv[3]).read().splitlines() if line]

def meets(p99):
    return float(p99) <= slo

def beats(r):
    """Whether the recommendation, served, beat the model's own config.yaml: its p99 met the SLO, and the
    default's did not or the recommendation answered more requests/s. 'same config' when they are one."""
    if r["same_as_default"] == "yes":
        return "same config"
    better = not meets(r["default_p99_ms"]) or float(r["measured_raw_rps"]) > float(r["default_rps"])
    return "yes" if meets(r["measured_p99_ms"]) and better else "no"

def slo_text(r):
    word = lambda p99: "meets" if meets(p99) else "misses"
    return f"recommended p99 {r['measured_p99_ms']} ms {word(r['measured_p99_ms'])}, default {r['default_p99_ms']} ms {word(r['default_p99_ms'])}"

def throughput_text(r):
    return f"{float(r['measured_raw_rps']) / max(float(r['default_rps']), 1e-9):.2f}x the default's req/s"

print("| round | model | cores | recommended | predicted req/s (p99 ms; runs: range) | measured req/s (raw) | measured p99 ms | measured / predicted | within 20% | server CPU µs/answer: profile, serve "
      f"| default config: req/s (p99 ms) | on the SLO (p99 <= {slo:g} ms) | throughput vs default | beats default |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    ratio = float(r["ratio"])
    point = r["point"] + ("" if r.get("within_headroom", "yes") == "yes" else " (without headroom)")
    runs, spread, *tie = r.get("predicted_range", "runs:1:-").split(":")[1:]
    point += " (the default, tied)" if tie else ""
    print(f"| {r['round']} | {r['model']} | {r['cores']} | {point} | {float(r['predicted_rps']):,.0f} ({r['predicted_p99_ms']}; {runs}: {spread}) | {float(r['measured_rps']):,.0f} ({float(r['measured_raw_rps']):,.0f}) "
          f"| {r['measured_p99_ms']} | {ratio:.2f} | {'yes' if abs(ratio - 1) <= 0.2 else 'no'} | {r['predicted_server_us']}, {r['measured_server_us']} "
          f"| {float(r['default_rps']):,.0f} ({r['default_p99_ms']}) | {slo_text(r)} | {throughput_text(r)} | {beats(r)} |")
print()
# One verdict per model and core count: the median ratio over the rounds, and every round's answer, with both halves of it.
for m, c in dict.fromkeys([(r["model"], r["cores"]) for r in rows] + [(n[1], n[2]) for n in none]):
    mine = [r for r in rows if (r["model"], r["cores"]) == (m, c)]
    missing = sum(1 for n in none if (n[1], n[2]) == (m, c))
    if not mine:
        print(f"VERDICT {m} on {c} core(s): no point met p99 <= {slo:g} ms in {missing} round(s): within 20%: no; beats the default: no")
        continue
    median = statistics.median(float(r["ratio"]) for r in mine)
    answers = [beats(r) for r in mine]
    beat = "yes" if all(a == "yes" for a in answers) else "same config" if all(a == "same config" for a in answers) else "no"
    extra = f"; {missing} round(s) without a recommendation" if missing else ""
    bare = sum(1 for r in mine if r.get("within_headroom", "yes") != "yes")
    extra += f"; {bare} round(s) recommended without headroom" if bare else ""
    print(f"VERDICT {m} on {c} core(s): measured / predicted {median:.2f} (median of {len(mine)} round(s)): within 20%: {'yes' if abs(median - 1) <= 0.2 else 'no'}; "
          f"beats the default: {beat} ({', '.join(answers)}); on the SLO: {'; '.join(slo_text(r) for r in mine)}; "
          f"throughput: {'; '.join(throughput_text(r) for r in mine)}{extra}")
PY
