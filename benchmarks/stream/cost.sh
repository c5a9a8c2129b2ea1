#!/usr/bin/env bash
# CPU cost per message of one `usher stream` consumer on `fraud` through a local Redis, read from /proc
# rather than from wall-clock throughput (a loaded machine moves it less; benchmarks/profile/cost.sh does
# the same for REST): consumer CPU µs per answer, redis-server CPU µs per answer, the consumer's thread
# switches per answer (voluntary: a thread blocked and was woken, a hand-off; involuntary: preempted), and
# Redis commands per answer (INFO commandstats, so round trips per micro-batch show), for a backlog of
# COST_MESSAGES (default 20,000) drained by one consumer (--max-in-flight COST_IN_FLIGHT, default 64).
#
# The consumer starts on an empty stream, loads the model and reads once (XINFO CONSUMERS lists it); it is
# then stopped (SIGSTOP), the backlog is queued, the counters are read, and it is let go (SIGCONT): the
# figures cover draining the backlog only: not start-up, and not the producer (its XADDs come before).
#
#   benchmarks/stream/cost.sh                                     # this checkout's Release build
#   benchmarks/stream/cost.sh --usher before=/tmp/a/usher.dll --usher after=/tmp/b/usher.dll
#   COST_MESSAGES=5000 COST_ROUNDS=3 benchmarks/stream/cost.sh
#
# Builds to compare are usher.dll paths, measured interleaved COST_ROUNDS (default 2) times each. Needs the
# .NET SDK, redis-server, redis-cli and python3.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/benchmarks/stream"
builds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --usher) builds+=("${2:?--usher needs LABEL=PATH}"); shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cost.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
messages="${COST_MESSAGES:-20000}"
rounds="${COST_ROUNDS:-2}"
in_flight="${COST_IN_FLIGHT:-64}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work="$(mktemp -d "${TMPDIR:-/tmp}/usher-stream-cost.XXXXXX")"
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ "${#builds[@]}" = 0 ]; then
  dotnet build "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
  builds=("this=$(dotnet msbuild "$root/src/Usher.Cli/Usher.Cli.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)")
fi

# CPU ticks of a process, and voluntary/involuntary switches summed over its live threads.
snapshot() {
  local ticks v=0 n=0 a b
  ticks="$(sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}')"
  for status in /proc/"$1"/task/*/status; do
    read -r a b < <(awk '/^voluntary_ctxt/ {a=$2} /^nonvoluntary_ctxt/ {b=$2} END {print a+0, b+0}' "$status" 2>/dev/null) || continue
    v=$((v + a)); n=$((n + b))
  done
  echo "$ticks $v $n"
}
commands() { redis-cli -p "$1" info commandstats | awk -F'[:=,]' '/^cmdstat_/ {sum += $3} END {print sum + 0}'; }
xadds() { redis-cli -p "$1" info commandstats | awk -F'[:=,]' '/^cmdstat_xadd:/ {print $3 + 0; found = 1} END {if (!found) print 0}'; }

port="$(free_port)"
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis=$!
pids+=("$redis")
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done

results="$work/results.txt"
: >"$results"
hz="$(getconf CLK_TCK)"
run=0
for round in $(seq 1 "$rounds"); do
  for build in "${builds[@]}"; do
    label="${build%%=*}"; dll="${build#*=}"
    run=$((run + 1))
    src="tx$run"; sink="scores$run"
    dotnet "$dll" stream fraud --source "redis://127.0.0.1:$port/$src" --sink "redis://127.0.0.1:$port/$sink" \
      --consumer cost --max-in-flight "$in_flight" --model-repository "$root/samples/models" 2>"$work/consumer-$run.log" &
    consumer=$!
    pids+=("$consumer")
    python3 "$here/load.py" ready "$port" "$src" usher cost 300
    kill -STOP "$consumer"
    python3 "$here/load.py" produce "$port" "$src" "$messages"
    read -r c0 v0 n0 < <(snapshot "$consumer")
    read -r r0 _ _ < <(snapshot "$redis")
    k0="$(commands "$port")"; x0="$(xadds "$port")"
    start="$(date +%s.%N)"
    kill -CONT "$consumer"
    python3 "$here/load.py" wait "$port" "$sink" "$messages" 900
    end="$(date +%s.%N)"
    read -r c1 v1 n1 < <(snapshot "$consumer")
    read -r r1 _ _ < <(snapshot "$redis")
    k1="$(commands "$port")"; x1="$(xadds "$port")"
    kill -TERM "$consumer"; wait "$consumer" 2>/dev/null || true
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$((c1 - c0))" "$((v1 - v0))" "$((n1 - n0))" "$((r1 - r0))" \
      "$(( (k1 - k0) - (x1 - x0) ))" "$((x1 - x0))" "$(python3 -c "print($end - $start)")" "$hz" >>"$results"
  done
done

printf '\nusher stream, fraud, Redis backlog of %s, --max-in-flight %s; %s round(s); load average %s; %s cores\n\n' \
  "$messages" "$in_flight" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
python3 - "$results" "$messages" <<'PY'
import sys
n = int(sys.argv[2])
print("| Build | Round | Answers/s (wall, noisy) | Consumer CPU µs/answer | redis-server CPU µs/answer | Voluntary switches/answer | Involuntary switches/answer | Redis commands/answer (besides XADD) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for line in open(sys.argv[1]):
    label, rnd, ticks, vol, invol, rticks, other, xadd, seconds, hz = line.rstrip("\n").split("\t")
    us = lambda t: int(t) / int(hz) * 1e6 / n
    print(f"| {label} | {rnd} | {n / float(seconds):.0f} | {us(ticks):.0f} | {us(rticks):.0f} | {int(vol) / n:.2f} | {int(invol) / n:.2f} | {int(other) / n:.3f} |")
PY
