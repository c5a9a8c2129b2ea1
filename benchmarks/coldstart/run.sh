#!/usr/bin/env bash
# Cold start: the server's own overhead on a freshly started `usher serve`, and which publish and
# runtime settings bring it down. For each configuration below it starts a fresh server on `fraud`
# (batching off), sends COLDSTART_REQUESTS (3,000) sequential REST JSON requests from a plain Python
# http.client loop (benchmarks/coldstart/client.py), then a burst of load, then the same number
# again, and reports p50/p99 of overhead (Server-Timing total - queue - compute) and compute, cold and warm.
#
#   benchmarks/coldstart/run.sh                 # every configuration, about 3 minutes on 2 cores
#   benchmarks/coldstart/run.sh --smoke         # two configurations, 300 requests, 1 s burst: checks the harness
#   benchmarks/coldstart/run.sh --configs "shipped jit"   # only these configurations
#   benchmarks/coldstart/run.sh --configs "shipped r2r-inline" --rounds 3   # interleaved, three rounds, medians
#   benchmarks/coldstart/run.sh --build before=DIR --configs "before shipped" --rounds 3
#                                               # DIR: another build's `dotnet publish src/Usher.Cli -o DIR`
#                                               # (e.g. main's), run as shipped under the label "before"
#   benchmarks/coldstart/run.sh --shipped DIR ...   # use DIR (a `dotnet publish src/Usher.Cli -o DIR`) as the
#                                               # shipped publish instead of publishing it again
#
# Configurations (two publishes of src/Usher.Cli: as shipped, and with ReadyToRun off; runtime knobs as DOTNET_ variables):
#   shipped        the published server as the project sets it (ReadyToRun; the runtime's tiering defaults except
#                  that call counting starts at once: System.Runtime.TieredCompilation.CallCountingDelayMs = 0 in
#                  usher.runtimeconfig.json, see src/Usher.Cli/Usher.Cli.csproj)
#   r2r-defaults   the shipped publish with the runtime's tiering defaults (DOTNET_TC_CallCountingDelayMs=64: DOTNET_
#                  numbers are hexadecimal, 0x64 = 100 ms)
#   jit            ReadyToRun off, the project's tiering settings (quick JIT, tiered PGO, no call-counting delay)
#   jit-noquick    ReadyToRun off, DOTNET_TC_QuickJit=0 DOTNET_TieredPGO=0
#   r2r-nopgo      the shipped publish with DOTNET_TieredPGO=0
#   r2r-noquick    the shipped publish with DOTNET_TC_QuickJit=0
#   r2r-nopgo-noquick  DOTNET_TieredPGO=0 and DOTNET_TC_QuickJit=0: no tier-0 code at all (what ReadyToRun lacks
#                  is jitted optimized at its first call; hot ReadyToRun code is still re-jitted at tier 1); shipped
#                  before the quiet run of 2026-12-04 showed it cost the warm path
#   r2r-noloops    the shipped publish with DOTNET_TC_QuickJitForLoops=0 (a method with a loop that ReadyToRun lacks
#                  is jitted optimized at once instead of at tier 0 with on-stack replacement)
#   r2r-nopgo-noloops  DOTNET_TieredPGO=0 and DOTNET_TC_QuickJitForLoops=0
#   r2r-notiered   the shipped publish with DOTNET_TieredCompilation=0 (ReadyToRun code is final, never re-jitted;
#                  what ReadyToRun lacks is jitted fully optimized at its first call)
#   composite      a third publish, self-contained with one composite ReadyToRun image of the framework and
#                  Usher (-p:SelfContained=true -p:PublishReadyToRunComposite=true): generic code across the
#                  framework and Usher is precompiled too (a larger folder, and minutes more to publish)
#   composite-nopgo    the composite publish with DOTNET_TieredPGO=0
#   composite-notiered the composite publish with DOTNET_TieredCompilation=0
#   r2r-spin70     the shipped publish with the runtime's own thread-pool spin set explicitly (0x46 = 70 rounds:
#                  the default, which usher.runtimeconfig.json has kept since 2026-12-04)
#   r2r-spin5      the shipped publish with the thread-pool spin limited to 5 rounds (what
#                  usher.runtimeconfig.json set until 2026-12-04)
#   r2r-inline     the shipped publish with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1: the socket engine's
#                  thread runs each request itself (Kestrel's UnsafePreferInlineScheduling), no thread-pool hop
#   r2r-nopgo-inline  both of the above
#   r2r-nowarmup   the shipped publish with USHER_SERVER__WARMUP_SECONDS=0: no warm-up through the frontends before ready
#   r2r-warmup10   the shipped publish with USHER_SERVER__WARMUP_SECONDS=10: the warm-up through the frontends may take
#                  up to 10 s instead of 2 (a loaded machine needs longer for the JIT to settle)
#   r2r-intra1     the shipped publish with fraud's config.yaml setting `onnxruntime: { intra_op_threads: 1 }`
#                  (the server's default gives a 1-instance model cores / instances intra-op threads)
#   r2r-inline-intra1  r2r-inline and r2r-intra1 together
# With --rounds N every configuration runs N times, interleaved (round 1 of each, then round 2, ...), so
# that a machine whose load changes affects them alike; the summary gives each configuration's medians.
# Each phase also reports the server's CPU per answer and the part the JIT's tiering thread and the
# thread pool's workers spent, and its voluntary context switches per answer (wake-ups and hand-offs
# between threads on the request path: a measure the machine's load does not move; from /proc).
# Environment: COLDSTART_REQUESTS (3000), COLDSTART_BURST_SECONDS (5), COLDSTART_PORT (18280),
# COLDSTART_KEEP=1 (keep the temporary folder), COLDSTART_STAGES=1 (run every server with
# server.timing_stages on and report the overhead's stages: read, decode, run),
# COLDSTART_PAUSE_MS (think time before each sequential request; default 0, back to back),
# COLDSTART_JIT (1, the default: run every server with DOTNET_JitDisasmSummary=1 and a DOTNET_JitStdOutFile,
# and report the methods the JIT compiled before ready and in each phase, by tier; 0: off).
# Needs the .NET SDK and python3.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
all_configs="shipped r2r-defaults jit jit-noquick r2r-nopgo r2r-noquick r2r-nopgo-noquick r2r-noloops r2r-nopgo-noloops r2r-notiered r2r-spin70 r2r-spin5 r2r-inline r2r-nopgo-inline r2r-intra1 r2r-inline-intra1 r2r-nowarmup r2r-warmup10 composite composite-nopgo composite-notiered"
configs="$all_configs"
smoke=0
rounds=1
shipped_dir=""
declare -A builds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1; configs="shipped jit" ;;
    --configs) configs="${2:?--configs needs a list}"; shift ;;
    --rounds) rounds="${2:?--rounds needs a count}"; shift ;;
    --shipped)
      [ -f "${2:-}/usher.dll" ] || { echo "run.sh: --shipped DIR needs a published folder with usher.dll, got '${2:-}'" >&2; exit 2; }
      shipped_dir="$(cd "$2" && pwd)"; shift ;;
    --build)
      label="${2%%=*}"; dir="${2#*=}"
      [ -n "$label" ] && [ "$label" != "$2" ] && [ -f "$dir/usher.dll" ] || { echo "run.sh: --build LABEL=DIR needs a published folder with usher.dll, got '${2:-}'" >&2; exit 2; }
      builds[$label]="$(cd "$dir" && pwd)"; all_configs="$all_configs $label"; shift ;;
    -h|--help) sed -n '2,63p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
for config in $configs; do
  case " $all_configs " in *" $config "*) ;; *) echo "run.sh: unknown configuration '$config' (one of: $all_configs)" >&2; exit 2 ;; esac
done
if [ "$smoke" = 1 ]; then
  requests="${COLDSTART_REQUESTS:-300}"; burst="${COLDSTART_BURST_SECONDS:-1}"
else
  requests="${COLDSTART_REQUESTS:-3000}"; burst="${COLDSTART_BURST_SECONDS:-5}"
fi
port="${COLDSTART_PORT:-18280}"
command -v python3 >/dev/null || { echo "run.sh: python3 is required (the sequential client)" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work="$(mktemp -d "${TMPDIR:-/tmp}/usher-coldstart.XXXXXX")"
server_pid=""
cleanup() {
  local rc=$?
  if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ "$rc" -ne 0 ] && [ -f "$work/server.log" ]; then echo "--- last lines of the server log" >&2; tail -n 20 "$work/server.log" >&2; fi
  if [ "${COLDSTART_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { printf '\n== %s\n' "$*" >&2; }

needs_jit=0
needs_composite=0
for config in $configs; do case "$config" in jit*) needs_jit=1 ;; composite*) needs_composite=1 ;; esac; done
step "Publishing src/Usher.Cli (Release, as shipped${shipped_dir:+: taken from $shipped_dir}$( [ "$needs_jit" = 0 ] || printf ', and with ReadyToRun off'))"
publish() { # OUTPUT [PROPERTIES...]
  local output="$1"; shift
  if ! dotnet publish "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo -o "$output" "$@" >"$work/publish.txt" 2>&1; then
    cat "$work/publish.txt" >&2
    exit 1
  fi
}
if [ -n "$shipped_dir" ]; then ln -s "$shipped_dir" "$work/shipped"; else publish "$work/shipped"; fi
[ "$needs_jit" = 0 ] || publish "$work/jit" -p:PublishReadyToRun=false
[ "$needs_composite" = 0 ] || publish "$work/composite" -r linux-x64 -p:SelfContained=true -p:PublishReadyToRunComposite=true

step "Generating fraud and its request body"
dotnet "$work/shipped/usher.dll" samples generate --output "$work/samples" >/dev/null
mkdir -p "$work/repository/fraud"
cp -R "$work/samples/fraud"/[0-9]* "$work/repository/fraud/"
printf 'max_batch_size: 64\n' >"$work/repository/fraud/config.yaml"
mkdir -p "$work/repository-intra1/fraud"
cp -R "$work/samples/fraud"/[0-9]* "$work/repository-intra1/fraud/"
printf 'max_batch_size: 64\nonnxruntime: { intra_op_threads: 1 }\n' >"$work/repository-intra1/fraud/config.yaml"
awk 'BEGIN {
  printf "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":["
  for (i = 0; i < 30; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3)
  printf "]}]}\n"
}' >"$work/fraud.json"

http_status() { # PORT PATH
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
    IFS=' ' read -r -t 5 _ status _ <&3 && printf '%s' "$status"
  ) 2>/dev/null || true
}

results="$work/results.jsonl"
: >"$results"
for round in $(seq 1 "$rounds"); do
for config in $configs; do
  publish_dir="${builds[$config]:-$work/shipped}"
  settings=()
  repository="$work/repository"
  case "$config" in
    r2r-defaults) settings=(DOTNET_TC_CallCountingDelayMs=64) ;;
    jit) publish_dir="$work/jit"; settings=(DOTNET_TC_QuickJit=1 DOTNET_TieredPGO=1) ;;
    jit-noquick) publish_dir="$work/jit"; settings=(DOTNET_TC_QuickJit=0 DOTNET_TieredPGO=0) ;;
    r2r-nopgo) settings=(DOTNET_TieredPGO=0) ;;
    r2r-noquick) settings=(DOTNET_TC_QuickJit=0) ;;
    r2r-nopgo-noquick) settings=(DOTNET_TieredPGO=0 DOTNET_TC_QuickJit=0) ;;
    r2r-noloops) settings=(DOTNET_TC_QuickJitForLoops=0) ;;
    r2r-nopgo-noloops) settings=(DOTNET_TieredPGO=0 DOTNET_TC_QuickJitForLoops=0) ;;
    r2r-notiered) settings=(DOTNET_TieredCompilation=0) ;;
    composite) publish_dir="$work/composite" ;;
    composite-nopgo) publish_dir="$work/composite"; settings=(DOTNET_TieredPGO=0) ;;
    composite-notiered) publish_dir="$work/composite"; settings=(DOTNET_TieredCompilation=0) ;;
    r2r-spin70) settings=(DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=46) ;;
    r2r-spin5) settings=(DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=5) ;;
    r2r-inline) settings=(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1) ;;
    r2r-nopgo-inline) settings=(DOTNET_TieredPGO=0 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1) ;;
    r2r-nowarmup) settings=(USHER_SERVER__WARMUP_SECONDS=0) ;;
    r2r-warmup10) settings=(USHER_SERVER__WARMUP_SECONDS=10) ;;
    r2r-intra1) repository="$work/repository-intra1" ;;
    r2r-inline-intra1) repository="$work/repository-intra1"; settings=(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1) ;;
  esac
  launch=(dotnet "$publish_dir/usher.dll")
  # A self-contained publish carries its own runtime: start it through its own host.
  case "$config" in composite*) launch=("$publish_dir/usher") ;; esac
  step "$config (round $round of $rounds): a fresh server${settings[*]:+ with ${settings[*]}}; load average $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown)"
  started_ns="$(date +%s%N)"
  # Only when asked, and only on this checkout's publish: another build (an older main, --build)
  # may not know the setting and refuse it.
  if [ "${COLDSTART_STAGES:-0}" = 1 ] && [ -z "${builds[$config]:-}" ]; then settings+=(USHER_SERVER__TIMING_STAGES=true); fi
  jit_args=()
  jit_env=()
  if [ "${COLDSTART_JIT:-1}" = 1 ]; then
    jit_log="$work/jit-$config-$round.txt"
    rm -f "$jit_log"
    jit_env=(DOTNET_JitDisasmSummary=1 "DOTNET_JitStdOutFile=$jit_log")
    jit_args=(--jit-log "$jit_log")
  fi
  env "${settings[@]}" "${jit_env[@]}" USHER_SERVER__HOST=127.0.0.1 \
    "${launch[@]}" serve --model-repository "$repository" \
    --http-port "$port" --grpc-port $((port + 1)) >"$work/server.log" 2>&1 &
  server_pid=$!
  for i in $(seq 1 600); do
    [ "$(http_status "$port" /v2/health/ready)" = 200 ] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "run.sh: the server ($config) exited before it was ready" >&2; exit 1; }
    [ "$i" = 600 ] && { echo "run.sh: the server ($config) was not ready after 60 s" >&2; exit 1; }
    sleep 0.1
  done
  ready_ms=$(( ($(date +%s%N) - started_ns) / 1000000 ))
  python3 "$root/benchmarks/coldstart/client.py" --port "$port" --body "$work/fraud.json" \
    --cold "$requests" --warm "$requests" --burst-seconds "$burst" --pause-ms "${COLDSTART_PAUSE_MS:-0}" --server-pid "$server_pid" "${jit_args[@]}" >"$work/point.json"
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  printf '{"config":"%s","round":%s,"settings":"%s","ready_ms":%s,"load":"%s","result":%s}\n' "$config" "$round" "${settings[*]:-}" "$ready_ms" "$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)" "$(cat "$work/point.json")" >>"$results"
done
done
[ -z "${COLDSTART_RESULTS:-}" ] || cp "$results" "$COLDSTART_RESULTS"

step "Results: $requests sequential requests cold (a fresh server) and warm (after a ${burst} s burst); load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
python3 - "$results" "$rounds" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
rounds = int(sys.argv[2])
def cpu(phase):
    c = phase.get("cpu_us_per_answer")
    return f"{c['total']:.0f} ({c['jit_tiering']:.0f}, {c['pool_workers']:.0f})" if c else "-"
def sw(phase):
    s = phase.get("switches_per_answer")
    return f"{s['voluntary']:.2f} / {s['involuntary']:.2f}" if s else "-"
print("| Configuration | Round | Load | Settings | Ready ms | Cold overhead p50 / p99 µs | Cold overhead p50 by thirds µs | Cold compute p50 µs | Cold CPU µs/answer (JIT tiering, pool workers) | Cold switches/answer vol. / invol. | Warm overhead p50 / p99 µs | Warm compute p50 µs | Warm CPU µs/answer (JIT tiering, pool workers) | Warm switches/answer vol. / invol. |")
print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for row in rows:
    cold, warm = row["result"]["cold"], row["result"]["warm"]
    thirds = " / ".join(f"{v:.0f}" for v in cold["overhead_p50_by_third_us"])
    print(f"| {row['config']} | {row.get('round', 1)} | {row.get('load', '')} | {row['settings'] or '(none)'} | {row['ready_ms']} | {cold['overhead_us']['p50']:.0f} / {cold['overhead_us']['p99']:.0f} | {thirds} | "
          f"{cold['compute_us']['p50']:.0f} | {cpu(cold)} | {sw(cold)} | {warm['overhead_us']['p50']:.0f} / {warm['overhead_us']['p99']:.0f} | {warm['compute_us']['p50']:.0f} | {cpu(warm)} | {sw(warm)} |")
jits = [r for r in rows if r["result"]["cold"].get("jitted")]
if jits:
    print()
    print("Methods jitted (DOTNET_JitDisasmSummary), by tier: before ready (start-up and warm-up), cold phase, burst, warm phase:")
    print()
    def tiers(j):
        return f"{j['total']}" + (" (" + ", ".join(f"{t} {n}" for t, n in sorted(j["by_tier"].items(), key=lambda kv: -kv[1])) + ")" if j["by_tier"] else "")
    print("| Configuration | Round | Before ready | Cold phase | Burst | Warm phase |")
    print("|---|---:|---|---|---|---|")
    for row in jits:
        r = row["result"]
        print(f"| {row['config']} | {row.get('round', 1)} | {tiers(r['jitted_at_ready'])} | {tiers(r['cold']['jitted'])} | {tiers(r['burst_jitted'])} | {tiers(r['warm']['jitted'])} |")
staged = [r for r in rows if r["result"]["cold"].get("stages_p50_us")]
if staged:
    print()
    print("Overhead by stage (p50 of each stage, µs; server.timing_stages on):")
    print()
    # Each build's own stages (read, decode, run; before 2026-12-05 read, decode, route, version, respond).
    names = list(dict.fromkeys(n for row in staged for phase in ("cold", "warm") for n in (row["result"][phase].get("stages_p50_us") or {})))
    print("| Configuration | Round | Phase | " + " | ".join(names) + " | overhead p50 |")
    print("|---|---:|---|" + "---:|" * (len(names) + 1))
    for row in staged:
        for phase in ("cold", "warm"):
            p = row["result"][phase]
            if p.get("stages_p50_us"):
                print(f"| {row['config']} | {row.get('round', 1)} | {phase} | " + " | ".join(f"{p['stages_p50_us'][n]:.1f}" if n in p["stages_p50_us"] else "–" for n in names) + f" | {p['overhead_us']['p50']:.1f} |")
if rounds > 1:
    print()
    print(f"Medians over {rounds} rounds:")
    print()
    print("| Configuration | Cold overhead p50 µs | Cold compute p50 µs | Cold voluntary switches/answer | Cold methods jitted | Warm overhead p50 µs | Warm compute p50 µs | Warm voluntary switches/answer |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    seen = []
    for row in rows:
        if row["config"] not in seen:
            seen.append(row["config"])
    for config in seen:
        mine = [r["result"] for r in rows if r["config"] == config]
        def med(phase, pick):
            values = [pick(m[phase]) for m in mine if pick(m[phase]) is not None]
            return statistics.median(values) if values else float("nan")
        vol = lambda p: p["switches_per_answer"]["voluntary"] if p.get("switches_per_answer") else None
        jit = lambda p: p["jitted"]["total"] if p.get("jitted") else None
        print(f"| {config} | {med('cold', lambda p: p['overhead_us']['p50']):.0f} | {med('cold', lambda p: p['compute_us']['p50']):.0f} | {med('cold', vol):.2f} | {med('cold', jit):.0f} | "
              f"{med('warm', lambda p: p['overhead_us']['p50']):.0f} | {med('warm', lambda p: p['compute_us']['p50']):.0f} | {med('warm', vol):.2f} |")
PY
