#!/usr/bin/env bash
# usher stream on fraud through a local Redis, side by side with REST in one run (docs/benchmarks.md, "Streaming"):
#  1. throughput: STREAM_MESSAGES requests (default 20,000) queued first, one consumer drains them;
#  2. end-to-end latency at half that rate: the producer paces STREAM_LATENCY_MESSAGES (default 10,000) at
#     throughput/2 per second; latency is the answer's entry time minus its request's entry time;
#  3. REST at the same concurrency: usher bench --concurrency STREAM_CONCURRENCY (default 64, also the
#     consumer's --max-in-flight) against usher serve on the same model.
# Needs redis-server and python3. Usage: benchmarks/stream/run.sh   (STREAM_MESSAGES=5000 for a quick look;
# STREAM_USHER_DLL=path/to/usher.dll skips the Release build)
# MQTT is measured by the streaming tests' shared-subscription run (tests/Usher.Streaming.Tests, USHER_STREAM_TEST_MQTT_MESSAGES).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/benchmarks/stream"
messages="${STREAM_MESSAGES:-20000}"
latency_messages="${STREAM_LATENCY_MESSAGES:-$((messages / 2))}"
concurrency="${STREAM_CONCURRENCY:-64}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
step() { echo "== $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ -n "${STREAM_USHER_DLL:-}" ]; then
  usher="$STREAM_USHER_DLL" # an existing build (say so when reporting: Debug is slower)
else
  step "Building Release"
  if ! dotnet build "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo >"$work/build.txt" 2>&1; then cat "$work/build.txt" >&2; exit 1; fi
  usher="$(dotnet msbuild "$root/src/Usher.Cli/Usher.Cli.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)"
fi
repo="$root/samples/models"

port="$(free_port)"
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
url="redis://127.0.0.1:$port"

consume() { # $1 source stream, $2 sink stream
  dotnet "$usher" stream fraud --source "$url/$1" --sink "$url/$2" --consumer bench --max-in-flight "$concurrency" \
    --model-repository "$repo" 2>"$work/consumer-$1.log" &
  pids+=($!)
}

step "Throughput: $messages queued requests, one consumer (--max-in-flight $concurrency)"
python3 "$here/load.py" produce "$port" tx "$messages"
consume tx scores
python3 "$here/load.py" wait "$port" scores "$messages" 600
throughput_line="$(python3 "$here/load.py" report "$port" scores)"
echo "stream throughput: $throughput_line"
rate="$(sed -n 's/.*throughput_per_s=\([0-9]*\).*/\1/p' <<<"$throughput_line")"

half=$((rate / 2))
step "Latency: $latency_messages requests at $half/s (half the throughput)"
consume tx2 scores2
sleep 3 # the consumer loads the model before the paced producer starts
python3 "$here/load.py" produce "$port" tx2 "$latency_messages" "$half"
python3 "$here/load.py" wait "$port" scores2 "$latency_messages" 600
echo "stream latency at $half/s: $(python3 "$here/load.py" report "$port" scores2)"

step "REST at concurrency $concurrency"
http="$(free_port)"
dotnet "$usher" serve --model-repository "$repo" --http-port "$http" --grpc-port -1 --data-dir "$work/state" >"$work/serve.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$http/v2/health/ready" >/dev/null; do sleep 0.2; done
dotnet "$usher" bench fraud --server "http://127.0.0.1:$http" --concurrency "$concurrency" --duration 10s
echo "conditions: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
