#!/usr/bin/env bash
# Memory under the decoding attacks of issue 11 (point 4): one `usher serve` (Release) on the sample
# fraud model, then each attack 4 times at once with curl, sampling the server's RSS from /proc every
# 50 ms. For each attack it prints the idle RSS before, the peak during, the RSS 30 s after, and the
# statuses answered. Target: peak <= 1 GB and back within 150 MB of the idle baseline 30 s after.
#   benchmarks/attack/run.sh
# Settings: ATTACK_PORT (18190), ATTACK_PARALLEL (4), ATTACK_SETTLE_SECONDS (30), ATTACK_ONLY (a
# space-separated subset of: json-count json-shape bytes gzip), ATTACK_USHER_DLL (a built usher.dll: skips
# the build), ATTACK_KEEP=1 keeps the work folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
port="${ATTACK_PORT:-18190}"
parallel="${ATTACK_PARALLEL:-4}"
settle="${ATTACK_SETTLE_SECONDS:-30}"
only="${ATTACK_ONLY:-json-count json-shape bytes gzip}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work="$(mktemp -d "${TMPDIR:-/tmp}/usher-attack.XXXXXX")"
server=""
cleanup() {
  local rc=$?
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
  fi
  [ "$rc" -ne 0 ] && [ -f "$work/server.log" ] && tail -n 20 "$work/server.log" >&2
  if [ "${ATTACK_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

usher="${ATTACK_USHER_DLL:-}"
if [ -z "$usher" ]; then
  echo "== Building Release" >&2
  dotnet build "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
  usher="$(dotnet msbuild "$root/src/Usher.Cli/Usher.Cli.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)"
fi

echo "== Writing the attack bodies into $work" >&2
python3 - "$work" <<'PY'
import sys, os
work = sys.argv[1]
n = 30_000_000
# 1. json-count: 60 MB of JSON whose data does not match its shape ([1,30] declared, 30M elements sent).
with open(os.path.join(work, "json-count.json"), "w") as f:
    f.write('{"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":[')
    f.write(",".join(["1"] * n))
    f.write(']}]}')
# 2. json-shape: 60 MB of JSON that matches its own shape ([1,30000000]) but not the model's ([-1,30]).
with open(os.path.join(work, "json-shape.json"), "w") as f:
    f.write('{"inputs":[{"name":"features","shape":[1,%d],"datatype":"FP32","data":[' % n)
    f.write(",".join(["1"] * n))
    f.write(']}]}')
# 3. bytes: a binary BYTES tensor of 12M one-byte elements (60 MB: 4-byte length + 1 byte each).
count = 12_000_000
header = ('{"inputs":[{"name":"features","shape":[%d],"datatype":"BYTES","parameters":{"binary_data_size":%d}}]}' % (count, count * 5)).encode()
with open(os.path.join(work, "bytes.bin"), "wb") as f:
    f.write(header)
    f.write(b"\x01\x00\x00\x00a" * count)
with open(os.path.join(work, "bytes.header-length"), "w") as f:
    f.write(str(len(header)))
PY
# 4. gzip: 1.1 GB of zeros in about 1.1 MB.
head -c 1100000000 /dev/zero | gzip -9 >"$work/gzip.gz"

echo "== Starting usher serve on 127.0.0.1:$port" >&2
dotnet "$usher" serve --model-repository "$root/samples/models" --http-port "$port" --grpc-port -1 --data-dir "$work/data" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "usher exited" >&2; exit 1; }
  sleep 0.1
done
url="http://127.0.0.1:$port/v2/models/fraud/infer"
zeros="$(python3 -c 'print(",".join(["0"]*30))')"
warm() { for _ in $(seq 1 50); do curl -s -o /dev/null -H 'Content-Type: application/json' -d "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":[$zeros]}]}" "$url"; done; }
rss() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$server/status"; }
warm
sleep 2
baseline="$(rss)"
echo "idle baseline after warm-up: $baseline MB" >&2

send() { # $1 = attack, $2 = output file for the status
  case "$1" in
    json-count|json-shape) curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' --data-binary "@$work/$1.json" "$url" >>"$2" ;;
    bytes) curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/octet-stream' -H "Inference-Header-Content-Length: $(cat "$work/bytes.header-length")" --data-binary "@$work/bytes.bin" "$url" >>"$2" ;;
    gzip) curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' -H 'Content-Encoding: gzip' --data-binary "@$work/gzip.gz" "$url" >>"$2" ;;
  esac
}

printf '| attack | %s at once | idle RSS before (MB) | peak RSS (MB) | RSS %s s after (MB) | after - baseline (MB) | answers |\n|---|---|---|---|---|---|---|\n' "$parallel" "$settle"
for attack in $only; do
  idle="$(rss)"
  peak="$idle"
  statuses="$work/$attack.status"
  : >"$statuses"
  pids=()
  for _ in $(seq 1 "$parallel"); do send "$attack" "$statuses" & pids+=($!); done
  while :; do
    now="$(rss)"; [ "$now" -gt "$peak" ] && peak="$now"
    running=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
    [ "$running" = 0 ] && break
    sleep 0.05
  done
  wait "${pids[@]}" || true
  for _ in $(seq 1 $((settle * 10))); do now="$(rss)"; [ "$now" -gt "$peak" ] && peak="$now"; sleep 0.1; done
  after="$(rss)"
  answers="$(sort "$statuses" | uniq -c | awk '{printf "%s%sx %s", sep, $1, $2; sep=", "}')"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$attack" "$parallel" "$idle" "$peak" "$after" "$((after - baseline))" "$answers"
  kill -0 "$server" 2>/dev/null || { echo "usher died during $attack" >&2; exit 1; }
done
warm
echo "server still answers: $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/health/live")" >&2
