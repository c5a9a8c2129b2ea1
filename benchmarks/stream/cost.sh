#!/usr/bin/env bash
# CPU cost per message of one `usher stream` consumer on `fraud` through a local Redis (or, with
# COST_TRANSPORT=mqtt, a local Mosquitto), read from /proc
# rather than from wall-clock throughput (a loaded machine moves it less; benchmarks/profile/cost.sh does
# the same for REST): consumer CPU µs per answer (and the part of it on the JIT's tiering thread),
# redis-server CPU µs per answer, the consumer's thread switches per answer (voluntary: a thread blocked
# and was woken, a hand-off; involuntary: preempted), and Redis commands per answer besides XADD (INFO
# commandstats, so round trips per micro-batch show), for backlogs of COST_MESSAGES (default 20,000)
# drained by one consumer (--max-in-flight COST_IN_FLIGHT, default 64).
#
# Each consumer drains two backlogs, one row each: `first`, right after it started (the code still
# being compiled and re-compiled by the JIT's tiering: what a fresh consumer pays), then `steady`, the
# same again once warm (what a running consumer pays per message, and what profile/cost.sh measures for
# REST after its warm-up load). The consumer starts on an empty stream, loads the model and reads once
# (XINFO CONSUMERS lists it); before each backlog it is stopped (SIGSTOP), the backlog is queued, the
# counters are read, and it is let go (SIGCONT): the figures cover draining only, not start-up and not
# the producer (its XADDs come before).
#
# COST_TRANSPORT=mqtt does the same through mosquitto: the consumer (MQTT 5, persistent session, shared
# subscription) answers a probe, is stopped, the backlog is published at QoS 1 and acknowledged by the
# broker (queued for the consumer's session: benchmarks/stream/mqtt_load.py publish), and it drains it
# once let go; the broker's column is mosquitto's CPU, which includes delivering the answers to the
# benchmark's reader; the Redis command columns are left empty, and the reader's own CPU per answer
# (on the same cores; /usr/bin/time) has a column (empty for Redis). The reader is the C one
# (mqtt_reader.c, built here with cc; run.sh's too) unless COST_READERS says otherwise: with
# COST_READERS="python c", each consumer drains one steady backlog per reader, a row each
# (`steady-python`, `steady-c`), so the readers are compared on the same warm consumer; the order turns
# by one each round. The C reader's kinds: `c` (subscribed at QoS 1, woken per arrival: run.sh's reader
# up to the quiet run of 2026-12-05 02:28 UTC), `c-qos0` (QoS 0: the broker sends the answers without
# a PUBACK each; the consumer publishes them at QoS 1 either way), `c-coalesce` and `c-qos0-coalesce`
# (woken per 16 KB of answers or 2 ms: mqtt_reader.c's COALESCE_BYTES; the last is run.sh's default).
#
# Every row also has the cores' idle share over the drain (/proc/stat: idle and iowait ticks over all
# ticks, all cores): on a quiet host, what the pipeline leaves unused while it waits (round trips,
# hand-offs) rather than computes; on a loaded one, other work fills it.
#
#   benchmarks/stream/cost.sh                                     # this checkout's Release build
#   benchmarks/stream/cost.sh --usher before=/tmp/a/usher.dll --usher after=/tmp/b/usher.dll
#   COST_MESSAGES=5000 COST_ROUNDS=3 benchmarks/stream/cost.sh
#
# Builds to compare are usher.dll paths, measured interleaved COST_ROUNDS (default 2) times each; a
# second table gives each build's medians over the rounds. Needs the
# .NET SDK, redis-server, redis-cli and python3.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/benchmarks/stream"
# shellcheck source=../lib/cost.sh
. "$root/benchmarks/lib/cost.sh"
cost_parse_args "$@"
messages="${COST_MESSAGES:-20000}"
rounds="${COST_ROUNDS:-2}"
in_flight="${COST_IN_FLIGHT:-64}"
transport="${COST_TRANSPORT:-redis}"
case "$transport" in redis|mqtt) ;; *) echo "cost.sh: COST_TRANSPORT must be redis or mqtt, not '$transport'" >&2; exit 2 ;; esac
readers="${COST_READERS:-c}"
for r in $readers; do
  case "$r" in c|c-qos0|c-coalesce|c-qos0-coalesce|python) ;; *) echo "cost.sh: COST_READERS takes c, c-qos0, c-coalesce, c-qos0-coalesce and python, not '$r'" >&2; exit 2 ;; esac
done
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
cost_default_build

commands() { redis-cli -p "$1" info commandstats | awk -F'[:=,]' '/^cmdstat_/ {sum += $3} END {print sum + 0}'; }
xadds() { redis-cli -p "$1" info commandstats | awk -F'[:=,]' '/^cmdstat_xadd:/ {print $3 + 0; found = 1} END {if (!found) print 0}'; }

port="$(free_port)"
if [ "$transport" = redis ]; then
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
  broker=$!
  pids+=("$broker")
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
  url="redis://127.0.0.1:$port"
else
  # As run.sh: queue backlogs for a session (max_queued_messages), and let the answers' MQTT 3.1.1
  # reader have more than 20 unacknowledged (max_inflight_messages).
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\nmax_inflight_messages 1000\n' "$port" >"$work/mosquitto.conf"
  mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
  broker=$!
  pids+=("$broker")
  until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null; do sleep 0.1; done
  url="mqtt://127.0.0.1:$port"
  commands() { echo 0; }
  xadds() { echo 0; }
  if [[ " $readers " == *" c"* ]]; then
    cc -O2 -o "$work/mqtt_reader" "$here/mqtt_reader.c" || { echo "cost.sh: cannot build the C reader (cc); COST_READERS=python uses the Python one" >&2; exit 1; }
  fi
fi
cpu_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6}' /proc/stat; } # all, idle + iowait

results="$work/results.txt"
: >"$results"
hz="$(getconf CLK_TCK)"
run=0
for round in $(seq 1 "$rounds"); do
  for build in "${builds[@]}"; do
    label="${build%%=*}"; dll="${build#*=}"
    run=$((run + 1))
    src="tx$run"; sink="scores$run"
    dotnet "$dll" stream fraud --source "$url/$src" --sink "$url/$sink" \
      --consumer "cost$run" --max-in-flight "$in_flight" --model-repository "$root/samples/models" 2>"$work/consumer-$run.log" &
    consumer=$!
    pids+=("$consumer")
    if [ "$transport" = redis ]; then
      python3 "$here/load.py" ready "$port" "$src" usher "cost$run" 300
    else
      python3 "$here/mqtt_load.py" ready "$port" "$src" "$sink" 300
    fi
    answered=0
    phases="first steady"
    # The readers' order turns by one each round, so that none always drains the warmest consumer.
    # shellcheck disable=SC2206
    order=($readers)
    shift_by=$(( (round - 1) % ${#order[@]} ))
    order=("${order[@]:shift_by}" "${order[@]:0:shift_by}")
    [ "$transport" = mqtt ] && phases="first$(for r in "${order[@]}"; do printf ' steady-%s' "$r"; done)"
    for phase in $phases; do
      reader_kind="${phase#steady-}"
      [ "$reader_kind" = "$phase" ] && reader_kind="${readers%% *}"
      if [ "$transport" = mqtt ]; then
        # A probe answered just before the stop: the broker drops a client silent for 1.5 times its
        # keep-alive (MQTTnet's 15 s), idle time before the stop included.
        python3 "$here/mqtt_load.py" ready "$port" "$src" "$sink" 300
        rm -f "$work/collecting"
        # The reader runs on the same cores: its CPU (user + system, over its whole life, which is
        # mostly the drain) is reported per answer beside the consumer's and the broker's.
        rm -f "$work/reader.txt"
        if [ "$reader_kind" != python ]; then
          qos=1; lowat=0
          [[ "$reader_kind" == *qos0* ]] && qos=0
          [[ "$reader_kind" == *coalesce* ]] && lowat=16384
          read_answers=("$work/mqtt_reader" "$port" "$sink" "$messages" 900 "$work/collecting" "$qos" "$lowat")
        else
          read_answers=(python3 "$here/mqtt_load.py" collect "$port" "$sink" "$messages" 900 "$work/collecting")
        fi
        if [ -x /usr/bin/time ]; then
          /usr/bin/time -f '%U %S' -o "$work/reader.txt" "${read_answers[@]}" >/dev/null &
        else
          "${read_answers[@]}" >/dev/null &
        fi
        collector=$!
        until [ -e "$work/collecting" ]; do sleep 0.05; done
      fi
      kill -STOP "$consumer"
      if [ "$transport" = redis ]; then
        python3 "$here/load.py" produce "$port" "$src" "$messages"
      else
        python3 "$here/mqtt_load.py" publish "$port" "$src" "$messages"
      fi
      answered=$((answered + messages))
      read -r c0 v0 n0 _ j0 < <(cost_snapshot "$consumer")
      read -r r0 _ _ _ _ < <(cost_snapshot "$broker")
      k0="$(commands "$port")"; x0="$(xadds "$port")"
      read -r all0 idle0 < <(cpu_ticks)
      start="$(date +%s.%N)"
      kill -CONT "$consumer"
      if [ "$transport" = redis ]; then
        python3 "$here/load.py" wait "$port" "$sink" "$answered" 900
      else
        wait "$collector"
      fi
      end="$(date +%s.%N)"
      read -r all1 idle1 < <(cpu_ticks)
      reader=-
      if [ "$transport" = mqtt ] && [ -s "$work/reader.txt" ]; then
        reader="$(awk '{printf "%.0f", ($1 + $2) * 1e6}' "$work/reader.txt")"
      fi
      read -r c1 v1 n1 _ j1 < <(cost_snapshot "$consumer")
      read -r r1 _ _ _ _ < <(cost_snapshot "$broker")
      k1="$(commands "$port")"; x1="$(xadds "$port")"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$phase" "$((c1 - c0))" "$((j1 - j0))" "$((v1 - v0))" "$((n1 - n0))" \
        "$((r1 - r0))" "$(( (k1 - k0) - (x1 - x0) ))" "$((x1 - x0))" "$(python3 -c "print($end - $start)")" "$hz" "$reader" "$(( (idle1 - idle0) * 100 / (all1 - all0 > 0 ? all1 - all0 : 1) ))" >>"$results"
    done
    kill -TERM "$consumer"; wait "$consumer" 2>/dev/null || true
  done
done

printf '\nusher stream, fraud, %s backlogs of %s, --max-in-flight %s; %s round(s); load average %s; %s cores\n\n' \
  "$transport" "$messages" "$in_flight" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"
python3 - "$results" "$messages" "$transport" <<'PY'
import sys
n = int(sys.argv[2])
broker = "redis-server" if sys.argv[3] == "redis" else "mosquitto"
print(f"| Build | Round | Backlog | Answers/s (wall, noisy) | Consumer CPU µs/answer | of it: JIT tiering | {broker} CPU µs/answer | Reader CPU µs/answer | Cores idle % | Voluntary switches/answer | Involuntary switches/answer | Redis commands/answer (besides XADD) | XADD/answer |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
rows = {}
for line in open(sys.argv[1]):
    label, rnd, phase, ticks, jit, vol, invol, rticks, other, xadd, seconds, hz, reader, idle = line.rstrip("\n").split("\t")
    us = lambda t: int(t) / int(hz) * 1e6 / n
    reader = "-" if reader == "-" else f"{int(reader) / n:.0f}"
    print(f"| {label} | {rnd} | {phase} | {n / float(seconds):.0f} | {us(ticks):.0f} | {us(jit):.0f} | {us(rticks):.0f} | {reader} | {idle} | {int(vol) / n:.2f} | {int(invol) / n:.2f} | {int(other) / n:.3f} | {int(xadd) / n:.3f} |")
    rows.setdefault((label, phase), []).append((n / float(seconds), us(ticks), us(rticks), us(ticks) + us(rticks)))
# Medians over the rounds, per build and backlog: what to quote when the machine is shared.
import statistics
print(f"\n| Build | Backlog | Rounds | Answers/s (median) | Consumer CPU µs/answer (median) | {broker} CPU µs/answer (median) | Both (median) |")
print("|---|---|---:|---:|---:|---:|---:|")
for (label, phase), values in rows.items():
    med = lambda k: statistics.median(v[k] for v in values)
    print(f"| {label} | {phase} | {len(values)} | {med(0):.0f} | {med(1):.0f} | {med(2):.0f} | {med(3):.0f} |")
PY
