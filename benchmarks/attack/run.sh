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
usher="${ATTACK_USHER_DLL:-}"
# shellcheck source=../lib/server.sh
. "$root/benchmarks/lib/server.sh"
usher_bench_init usher-attack ATTACK_KEEP
usher_bench_build

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

usher_serve "$port" "$root/samples/models"
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
