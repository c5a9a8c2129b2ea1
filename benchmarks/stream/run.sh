#!/usr/bin/env bash
# usher stream on fraud through a local Redis and a local Mosquitto, side by side with REST in one run
# (docs/benchmarks.md, "Streaming"):
#  1. Redis throughput: STREAM_MESSAGES requests (default 20,000) queued first, one fresh consumer drains
#     them (reported: the consumer's first messages, its code still being re-compiled by the JIT's
#     tiering); then the same consumer, stopped (SIGSTOP) while STREAM_MESSAGES more are queued, drains
#     those warm: the sustained throughput, the one compared with REST (measured on a warm server);
#  2. Redis end-to-end latency at half the sustained rate: the same consumer, warm, gets
#     STREAM_LATENCY_MESSAGES (default 10,000) paced at throughput/2 per second; latency is the
#     answer's entry time minus its request's entry time (Redis's clock, millisecond resolution);
#  3. MQTT (QoS 1 both ways, through mosquitto): the same runs as Redis, backlogs drained: STREAM_MESSAGES
#     published while the consumer is down (queued by mosquitto for its persistent session), drained by
#     a fresh consumer; then STREAM_MESSAGES more queued while it is stopped (SIGSTOP), drained warm;
#     then half the warm rate paced to the same consumer. The drains' answers are read by a small C
#     reader (mqtt_reader.c, built here with cc: what wrk is to REST; STREAM_MQTT_READER=python for
#     mqtt_load.py's, which costs about four times the C one's CPU on the same cores). For the latency
#     point the same C program also publishes the requests (load.py's, QoS 1, paced by a 1 ms tick: the
#     requests due by each tick in one write) on a second connection, and latency is the answer's
#     arrival minus its request's publish, both on that program's clock (CLOCK_MONOTONIC), joined by the
#     answer's source_id. Up to the quiet run of 2026-12-05 21:15 UTC mqtt_load.py (Python) published
#     and read them, and at a quiet host's rate (36,729/s asked) it fell behind, so the point measured
#     the client (STREAM_MQTT_READER=python still runs it; STREAM_MQTT_LATENCY_CLIENTS="c python c
#     python" runs the point once per client in turn, at the same rate on the same consumer). The C reader
#     subscribes at QoS STREAM_MQTT_READER_QOS (default 0: the broker sends it the answers without a
#     PUBACK each; the consumer still publishes them at QoS 1 and acknowledges a request only after its
#     answer's PUBACK) and is woken per STREAM_MQTT_READER_COALESCE bytes of answers (default 16384, or
#     2 ms; 0: per arrival), as wrk reads many answers per wake-up; STREAM_MQTT_READER_QOS=1
#     STREAM_MQTT_READER_COALESCE=0 is the reader of the runs up to the quiet run of 2026-12-05 02:28
#     UTC. The warm drain's line gives the CPU per answer of the consumer, mosquitto and the reader, and
#     the cores' idle share; the latency point's the same, with the C program's publishing in it;
#  4. REST at the same concurrency: usher bench --concurrency STREAM_CONCURRENCY (default 64, also the
#     consumers' --max-in-flight) against usher serve on the same model, then wrk on the same endpoint.
# Needs redis-server, mosquitto, python3 and a C compiler (cc). Usage: benchmarks/stream/run.sh   (STREAM_MESSAGES=5000 for a
# quick look; STREAM_TRANSPORTS="redis" or "mqtt" for one; STREAM_USHER_DLL=path/to/usher.dll skips the Release build)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/benchmarks/stream"
messages="${STREAM_MESSAGES:-20000}"
latency_messages="${STREAM_LATENCY_MESSAGES:-$((messages / 2))}"
concurrency="${STREAM_CONCURRENCY:-64}"
transports="${STREAM_TRANSPORTS:-redis mqtt}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
step() { echo "== $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ -n "${STREAM_USHER_DLL:-}" ]; then
  usher="$STREAM_USHER_DLL" # an existing build (say so when reporting: Debug is slower)
else
  # Published as the project ships it (ReadyToRun): a consumer's first messages otherwise pay for
  # compiling the whole path on first use, and the latency run's tail is mostly that.
  step "Publishing Release"
  if ! dotnet publish "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo -o "$work/usher" >"$work/build.txt" 2>&1; then cat "$work/build.txt" >&2; exit 1; fi
  usher="$work/usher/usher.dll"
fi
repo="$root/samples/models"

consume() { # $1 source URI, $2 sink URI, $3 log name
  dotnet "$usher" stream fraud --source "$1" --sink "$2" --consumer bench --max-in-flight "$concurrency" \
    --model-repository "$repo" 2>"$work/consumer-$3.log" &
  consumer=$!
  pids+=("$consumer")
}
stop_consumer() { kill -TERM "$consumer"; wait "$consumer" || true; } # drained: not competing for the cores

if [[ " $transports " == *" redis "* ]]; then
  port="$(free_port)"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
  pids+=($!)
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
  url="redis://127.0.0.1:$port"

  step "Redis throughput: $messages queued requests, one fresh consumer (--max-in-flight $concurrency)"
  python3 "$here/load.py" produce "$port" tx "$messages"
  consume "$url/tx" "$url/scores" redis-tx
  python3 "$here/load.py" wait "$port" scores "$messages" 600
  echo "redis stream throughput, fresh consumer: $(python3 "$here/load.py" report "$port" scores)"

  step "Redis throughput, warm: $messages more queued while the consumer is stopped, then drained"
  kill -STOP "$consumer"
  python3 "$here/load.py" produce "$port" tx "$messages"
  kill -CONT "$consumer"
  python3 "$here/load.py" wait "$port" scores $((2 * messages)) 600
  throughput_line="$(python3 "$here/load.py" report "$port" scores "$messages")"
  echo "redis stream throughput: $throughput_line"
  rate="$(sed -n 's/.*throughput_per_s=\([0-9]*\).*/\1/p' <<<"$throughput_line")"

  half=$((rate / 2))
  step "Redis latency: $latency_messages requests at $half/s (half the throughput), the same consumer"
  python3 "$here/load.py" produce "$port" tx "$latency_messages" "$half"
  python3 "$here/load.py" wait "$port" scores $((2 * messages + latency_messages)) 600
  echo "redis stream latency at $half/s: $(python3 "$here/load.py" report "$port" scores $((2 * messages)))"
  stop_consumer
fi

if [[ " $transports " == *" mqtt "* ]]; then
  mport="$(free_port)"
  # Mosquitto queues QoS 1 messages for a persistent session, connected or not, up to
  # max_queued_messages (default 1,000: a backlog would be cut short). max_inflight_messages (default
  # 20) bounds what it has sent and not had acknowledged to an MQTT 3.1.1 client, here the answers'
  # reader: raised so that reader is not the bottleneck. The consumer speaks MQTT 5, and its own
  # window is its receive maximum (twice --max-in-flight), which mosquitto honours instead.
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\nmax_inflight_messages 1000\n' "$mport" >"$work/mosquitto.conf"
  mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
  pids+=($!)
  until python3 -c "import socket; socket.create_connection(('127.0.0.1', $mport))" 2>/dev/null; do sleep 0.1; done
  mosquitto_pid=$!
  murl="mqtt://127.0.0.1:$mport"
  if [ "${STREAM_MQTT_READER:-c}" = c ]; then
    cc -O2 -o "$work/mqtt_reader" "$here/mqtt_reader.c" || { echo "run.sh: cannot build the C reader (cc); STREAM_MQTT_READER=python uses mqtt_load.py's" >&2; exit 1; }
    read_answers=("$work/mqtt_reader")
    reader_options=("${STREAM_MQTT_READER_QOS:-0}" "${STREAM_MQTT_READER_COALESCE:-16384}")
  else
    read_answers=(python3 "$here/mqtt_load.py" collect)
    reader_options=()
  fi
  collect() { # $1 messages: the answers' reader, subscribed before it returns; `wait "$collector"` for its line
    rm -f "$work/collecting" "$work/reader-cpu.txt"
    if [ -x /usr/bin/time ]; then
      /usr/bin/time -f '%U %S' -o "$work/reader-cpu.txt" "${read_answers[@]}" "$mport" scores "$1" 600 "$work/collecting" "${reader_options[@]}" >"$work/collect.txt" &
    else
      "${read_answers[@]}" "$mport" scores "$1" 600 "$work/collecting" "${reader_options[@]}" >"$work/collect.txt" &
    fi
    collector=$!
    until [ -e "$work/collecting" ]; do sleep 0.05; done
  }
  ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; } # a process's CPU (user + system)
  cpu_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6}' /proc/stat; } # all, idle + iowait
  cpu_from() { c0="$(ticks "$consumer")"; m0="$(ticks "$mosquitto_pid")"; read -r all0 idle0 < <(cpu_ticks); }
  cpu_to() { # $1 label, $2 answers, $3 the client timed into reader-cpu.txt: since cpu_from, CPU per answer of each process and the cores' idle share
    c1="$(ticks "$consumer")"; m1="$(ticks "$mosquitto_pid")"; read -r all1 idle1 < <(cpu_ticks)
    python3 - "$1" "$2" "$3" "$(getconf CLK_TCK)" "$((c1 - c0))" "$((m1 - m0))" "$(cat "$work/reader-cpu.txt" 2>/dev/null || echo '- -')" "$((all1 - all0))" "$((idle1 - idle0))" <<'PY'
import sys
label, n, client, hz, consumer, broker, reader, total, idle = sys.argv[1:]
us = lambda ticks: "%.1f" % (float(ticks) / int(hz) * 1e6 / int(n))
user, system = reader.split()
reader = "-" if user == "-" else us((float(user) + float(system)) * int(hz))
print("%s, CPU per answer: consumer_us=%s mosquitto_us=%s %s_us=%s cores_idle_pct=%.0f"
      % (label, us(consumer), us(broker), client, reader, 100 * int(idle) / max(1, int(total))))
PY
  }

  # As for Redis, a backlog drained: the consumer's persistent session (client id usher-bench, clean
  # start off) holds its place in the shared subscription $share/usher/tx while it is away, and
  # mosquitto queues the requests for it.
  step "MQTT throughput: $messages requests queued for the consumer's session while it is down, then one fresh consumer (--max-in-flight $concurrency)"
  consume "$murl/tx" "$murl/scores" mqtt-session
  python3 "$here/mqtt_load.py" ready "$mport" tx scores 300
  stop_consumer
  python3 "$here/mqtt_load.py" publish "$mport" tx "$messages"
  collect "$messages"
  consume "$murl/tx" "$murl/scores" mqtt-tx
  wait "$collector"
  echo "mqtt stream throughput, fresh consumer: $(cat "$work/collect.txt")"

  step "MQTT throughput, warm: $messages more queued while the consumer is stopped (SIGSTOP), then drained"
  # A probe answered just before the stop: mosquitto drops a client silent for 1.5 times its
  # keep-alive (MQTTnet's 15 s), the idle time before the stop included.
  python3 "$here/mqtt_load.py" ready "$mport" tx scores 300
  collect "$messages"
  kill -STOP "$consumer"
  python3 "$here/mqtt_load.py" publish "$mport" tx "$messages"
  cpu_from
  kill -CONT "$consumer"
  wait "$collector"
  mqtt_line="$(cat "$work/collect.txt")"
  echo "mqtt stream throughput: $mqtt_line"
  # Where the two cores went during the warm drain: CPU per answer of each process, and the idle share
  # (on a quiet host, time the pipeline spent waiting rather than computing).
  cpu_to "mqtt warm drain" "$messages" reader
  if grep -q 'exceeded timeout' "$work/mosquitto.log"; then
    echo "run.sh: mosquitto dropped a stopped client past its keep-alive; the drain above includes a reconnection" >&2
  fi
  mrate="$(sed -n 's/.*throughput_per_s=\([0-9]*\).*/\1/p' <<<"$mqtt_line")"

  mhalf=$((mrate / 2))
  # The C program publishes the requests (paced, QoS 1) and reads the answers, timing both on its own
  # clock: the Python producer and reader could not keep up at this rate beside the consumer and
  # mosquitto. The same requests as the Redis run (load.py's), written out before the clock starts.
  python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import load; sys.stdout.write("".join(load.request(i) + "\n" for i in range(int(sys.argv[2]))))' "$here" "$latency_messages" >"$work/requests.txt"
  [ -x "$work/mqtt_reader" ] || cc -O2 -o "$work/mqtt_reader" "$here/mqtt_reader.c"
  # STREAM_MQTT_LATENCY_CLIENTS="c python c python" runs the point once per client in turn, at the same
  # rate on the same consumer, to compare the two clients (default: STREAM_MQTT_READER's).
  for client in ${STREAM_MQTT_LATENCY_CLIENTS:-${STREAM_MQTT_READER:-c}}; do
    case "$client" in
      c) latency_client=("$work/mqtt_reader" "$mport" scores "$latency_messages" 600 "$work/collecting"
           "${STREAM_MQTT_READER_QOS:-0}" "${STREAM_MQTT_READER_COALESCE:-16384}" tx "$mhalf" "$work/requests.txt") ;;
      python) latency_client=(python3 "$here/mqtt_load.py" run "$mport" tx scores "$latency_messages" "$mhalf" 600) ;;
      *) echo "run.sh: STREAM_MQTT_LATENCY_CLIENTS takes c and python, not '$client'" >&2; exit 2 ;;
    esac
    step "MQTT latency: $latency_messages requests at $mhalf/s (half the throughput), the same consumer ($client client)"
    python3 "$here/mqtt_load.py" ready "$mport" tx scores 300
    rm -f "$work/reader-cpu.txt"
    cpu_from
    if [ -x /usr/bin/time ]; then
      latency_line="$(/usr/bin/time -f '%U %S' -o "$work/reader-cpu.txt" "${latency_client[@]}")"
    else
      latency_line="$("${latency_client[@]}")"
    fi
    echo "mqtt stream latency at $mhalf/s: $latency_line"
    cpu_to "mqtt latency point" "$latency_messages" "client_$client"
  done
  stop_consumer
fi

step "REST at concurrency $concurrency"
http="$(free_port)"
dotnet "$usher" serve --model-repository "$repo" --http-port "$http" --grpc-port -1 --data-dir "$work/state" >"$work/serve.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$http/v2/health/ready" >/dev/null; do sleep 0.2; done
dotnet "$usher" bench fraud --server "http://127.0.0.1:$http" --concurrency "$concurrency" --duration 10s
# The same REST endpoint with wrk (a C client far cheaper than usher bench): the stream's ratio to REST
# is judged against this one too, since usher bench's own CPU caps what it can measure on 2 cores.
if command -v wrk >/dev/null; then
  python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import load; print(load.request(0))' "$here" >"$work/fraud-body.json"
  step "REST at concurrency $concurrency with wrk"
  echo "rest wrk c=$concurrency: $(WRK_BODY="$work/fraud-body.json" wrk -t2 -c"$concurrency" -d10s -s "$root/benchmarks/compare/post.lua" "http://127.0.0.1:$http/v2/models/fraud/infer" | tail -n 1)"
else
  echo "run.sh: wrk is not installed (Debian: apt-get install wrk): the wrk point is left out" >&2
fi
echo "conditions: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
