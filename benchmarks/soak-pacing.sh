#!/usr/bin/env bash
# Checks benchmarks/lib/paced.lua, the wrk script that paces benchmarks/soak.sh's load: wrk at a few
# target rates against a tiny keep-alive HTTP server (python3 asyncio, answers every POST with 200
# and a small JSON body after a set wait), and the achieved rate (wrk's, and the server's own count
# of answers) against the target. Exits 1 when one is more than 2% off. Not run in CI; needs wrk and
# python3.
#   benchmarks/soak-pacing.sh
# Settings: PACING_SECONDS (each run, 10), PACING_RATES (requests/s, "200 1000 3000"), PACING_THREADS
# (wrk threads, 1), PACING_CONNECTIONS (64), PACING_LATENCY_MS (the server's wait per answer, 5: so
# that the connections must overlap to hold the rate, as on the soak), PACING_PORT (18096).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${PACING_SECONDS:-10}"
rates="${PACING_RATES:-200 1000 3000}"
threads="${PACING_THREADS:-1}"
connections="${PACING_CONNECTIONS:-64}"
latency_ms="${PACING_LATENCY_MS:-5}"
port="${PACING_PORT:-18096}"
command -v wrk >/dev/null || { echo "soak-pacing.sh: wrk is required (Debian: apt-get install wrk)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "soak-pacing.sh: python3 is required" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/usher-pacing.XXXXXX")"
server=""
cleanup() {
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$work/server.py" <<'EOF'
# One asyncio loop (a threaded http.server cannot answer 1,000 requests/s on a busy machine):
# HTTP/1.1 keep-alive, every POST answered 200 with a small JSON body, after PACING_LATENCY_MS; a GET
# answers the number of POSTs answered so far (the check's count, independent of wrk's).
import asyncio, sys

wait = float(sys.argv[2]) / 1000
answered = 0
answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n"
          b'{"outputs":[]}')

class Connection(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            for line in self.buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            get = self.buffer.startswith(b"GET")
            self.buffer = self.buffer[end + 4 + length:]
            if get:
                count = str(answered).encode()
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(count), count))
            elif wait > 0:
                asyncio.get_running_loop().call_later(wait, self.answer)
            else:
                self.answer()
    def answer(self):
        global answered
        if not self.transport.is_closing():
            answered += 1
            self.transport.write(answer)

async def main():
    server = await asyncio.get_running_loop().create_server(Connection, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()

asyncio.run(main())
EOF
printf '{"inputs":[]}' >"$work/body.json"
python3 "$work/server.py" "$port" "$latency_ms" 2>"$work/server.log" &
server=$!
for i in $(seq 1 100); do
  curl -sf -X POST -d '{}' "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "soak-pacing.sh: the test server exited" >&2; exit 1; }
  [ "$i" = 100 ] && { echo "soak-pacing.sh: the test server is not answering after 10 s" >&2; exit 1; }
  sleep 0.1
done

echo "wrk -t$threads -c$connections, ${seconds}s per rate, server waits ${latency_ms} ms per answer, $(nproc) cores"
echo "(achieved: wrk's answers over its run; server: the answers the server counted, over the same seconds)"
printf '%10s %10s %8s %10s %8s %8s %6s %10s %7s\n' target achieved off_% server/s p50_ms p99_ms errors lag_max_ms late
failed=0
for rate in $rates; do
  before="$(curl -sf "http://127.0.0.1:$port/count")"
  WRK_BODY="$work/body.json" wrk -t"$threads" -c"$connections" -d"${seconds}s" -s "$root/benchmarks/lib/paced.lua" \
    "http://127.0.0.1:$port/" -- "$rate" "$threads" >"$work/wrk.txt" 2>&1 || { cat "$work/wrk.txt" >&2; exit 1; }
  line="$(grep '^{"requests"' "$work/wrk.txt" | tail -n 1)"
  [ -n "$line" ] || { cat "$work/wrk.txt" >&2; echo "soak-pacing.sh: wrk printed no result" >&2; exit 1; }
  field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$line"; }
  achieved="$(field throughput)"
  counted="$(awk -v a="$(curl -sf "http://127.0.0.1:$port/count")" -v b="$before" -v s="$(field seconds)" 'BEGIN { printf "%.1f", (a - b) / s }')"
  off="$(awk -v a="$achieved" -v t="$rate" 'BEGIN { printf "%+.2f", (a - t) * 100 / t }')"
  printf '%10s %10s %8s %10s %8s %8s %6s %10s %7s\n' "$rate" "$achieved" "$off" "$counted" "$(field p50_ms)" "$(field p99_ms)" \
    "$(field errors)" "$(field lag_max_ms)" "$(field late)"
  awk -v o="$off" -v c="$counted" -v t="$rate" 'BEGIN { d = (c - t) * 100 / t; exit !(o <= 2 && o >= -2 && d <= 2 && d >= -2) }' || failed=1
done
if [ "$failed" = 0 ]; then echo "PASS every achieved rate (wrk's and the server's count) within 2% of its target"; else echo "FAIL an achieved rate more than 2% off its target"; fi
exit "$failed"
