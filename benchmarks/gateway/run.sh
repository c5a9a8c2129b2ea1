#!/usr/bin/env bash
# Throughput through `usher gateway` with 2 replicas, next to one replica hit directly, and the CPU each
# process spends per answer: fraud, REST JSON, wrk with benchmarks/compare/post.lua. Starts a throwaway
# PostgreSQL (initdb in the work folder, as the postgres user under root), two `usher serve` replicas and
# the gateway, registers the replicas in the `replicas` table (as their heartbeat would), then loads in
# interleaved rounds: direct (replica 1 alone), gateway (both replicas behind it), direct, gateway, ...
# CPU is each process's utime+stime from /proc/PID/stat over the measured seconds, divided by the answers
# wrk counted (benchmarks/lib/cost.sh); it moves less with the machine's load than requests/s. Prints one
# row per round and point, the medians, and the load average at the end.
#
#   benchmarks/gateway/run.sh                              # this checkout's Release build, 5 rounds at c=32
#   benchmarks/gateway/run.sh --usher this=/path/to/usher.dll
#
# Environment: GW_SECONDS (measured seconds per point, default 5, after GW_WARMUP_SECONDS, default 5, of
# load on each point once at start), GW_ROUNDS (5), GW_CONCURRENCY (32), GW_PORT (18780, the first of five
# ports: replica 1, replica 2, the gateway, PostgreSQL, and the replicas' gRPC ports at +100), GW_PERF (a
# file: `perf record -e cpu-clock -g` of the gateway during the last round's gateway point, with the
# runtime's perf map on; read it with `perf report -i FILE --no-children --sort symbol`), GW_ALT_ENV
# ("NAME=VALUE ...": a second gateway, on GW_PORT+4, in front of the same replicas with these environment
# variables, measured as the point gateway-alt in the same rounds, so that a setting is compared side by side).
# Needs the .NET SDK, curl, wrk and PostgreSQL's server binaries (initdb, postgres) and psql.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/cost.sh
. "$root/benchmarks/lib/cost.sh"
# shellcheck source=../lib/fraud.sh
. "$root/benchmarks/lib/fraud.sh"
cost_parse_args "$@"
seconds="${GW_SECONDS:-5}"
warmup="${GW_WARMUP_SECONDS:-5}"
rounds="${GW_ROUNDS:-5}"
concurrency="${GW_CONCURRENCY:-32}"
port="${GW_PORT:-18780}"
command -v wrk >/dev/null || { echo "run.sh: wrk is required" >&2; exit 1; }
command -v psql >/dev/null || { echo "run.sh: psql is required" >&2; exit 1; }
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$pgbin/initdb" ] || { echo "run.sh: PostgreSQL's initdb is required (/usr/lib/postgresql/*/bin)" >&2; exit 1; }

fraud_init usher-gateway
cost_default_build
dll="${builds[0]#*=}"
r1=$port; r2=$((port + 1)); gw=$((port + 2)); pg=$((port + 3))

# PostgreSQL: initdb refuses root, so under root the data folder is the postgres user's.
as_pg=()
if [ "$(id -u)" = 0 ]; then chmod 755 "$work"; mkdir -p "$work/pg"; chown postgres: "$work/pg"; as_pg=(runuser -u postgres --); else mkdir -p "$work/pg"; fi
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg/data" -U usher -A trust -E UTF8 --no-sync --locale=C.UTF-8 >"$work/pg/initdb.log" 2>&1
"${as_pg[@]}" "$pgbin/postgres" -D "$work/pg/data" -p "$pg" -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off >"$work/pg/server.log" 2>&1 &
fraud_servers+=("$!")
fraud_logs+=("$work/pg/server.log")
psql_do() { psql -h 127.0.0.1 -p "$pg" -U usher -v ON_ERROR_STOP=1 -qAt "$@"; }
for i in $(seq 1 300); do psql_do -d postgres -c 'SELECT 1' >/dev/null 2>&1 && break; [ "$i" = 300 ] && { echo "run.sh: PostgreSQL did not start" >&2; exit 1; }; sleep 0.1; done
psql_do -d postgres -c 'CREATE DATABASE usher'

fraud_model fraud "$dll" "$work/repository" 'max_batch_size: 64' "$work/body.json"
for n in 1 2; do
  p=$((port + n - 1))
  mkdir -p "$work/r$n/repository"
  cp -R "$work/repository/fraud" "$work/r$n/repository/"
  fraud_serve "$work/r$n" "$p" dotnet "$dll" serve --model-repository "$work/r$n/repository" --http-port "$p" --grpc-port $((p + 100))
  eval "pid_r$n=$server"
done

# The gateway applies the schema's migrations at start; the replicas are registered once it has.
mkdir -p "$work/gateway"
perf_env=()
[ -z "${GW_PERF:-}" ] || perf_env=(env DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
( cd "$work/gateway" && exec ${perf_env[@]+"${perf_env[@]}"} dotnet "$dll" gateway --state "postgresql://usher@127.0.0.1:$pg/usher" --host 127.0.0.1 --http-port "$gw" --grpc-port -1 ) >"$work/gateway/server.log" 2>&1 &
pid_gw=$!
fraud_servers+=("$pid_gw")
fraud_logs+=("$work/gateway/server.log")
points="direct gateway"
if [ -n "${GW_ALT_ENV:-}" ]; then
  alt=$((port + 4))
  mkdir -p "$work/gateway-alt"
  # shellcheck disable=SC2086 # NAME=VALUE words, split on purpose
  ( cd "$work/gateway-alt" && exec env $GW_ALT_ENV dotnet "$dll" gateway --state "postgresql://usher@127.0.0.1:$pg/usher" --host 127.0.0.1 --http-port "$alt" --grpc-port -1 ) >"$work/gateway-alt/server.log" 2>&1 &
  pid_alt=$!
  fraud_servers+=("$pid_alt")
  fraud_logs+=("$work/gateway-alt/server.log")
  points="direct gateway gateway-alt"
fi
for i in $(seq 1 600); do psql_do -d usher -c 'SELECT 1 FROM replicas LIMIT 1' >/dev/null 2>&1 && break; [ "$i" = 600 ] && { echo "run.sh: the gateway did not create the schema" >&2; exit 1; }; sleep 0.1; done
for n in 1 2; do
  p=$((port + n - 1))
  psql_do -d usher -c "INSERT INTO replicas(id, http_address, grpc_address, region, labels_json, models_json, queue_depth, in_flight, capacity, started_at, heartbeat_at)
    VALUES ('r$n', 'http://127.0.0.1:$p', 'http://127.0.0.1:$((p + 100))', 'default', '{}', '[{\"model\":\"fraud\",\"version\":1,\"ready\":true},{\"model\":\"fraud\",\"version\":2,\"ready\":true}]', 0, 0, 4, now(), now())"
done
for g in $gw ${alt:-}; do
  for i in $(seq 1 600); do curl -sf -H 'Content-Type: application/json' --data-binary "@$work/body.json" "http://127.0.0.1:$g/v2/models/fraud/infer" >/dev/null 2>&1 && break; [ "$i" = 600 ] && { echo "run.sh: the gateway on port $g never routed to a replica" >&2; exit 1; }; sleep 0.1; done
done

load() { # PORT SECONDS -> wrk's JSON line
  WRK_BODY="$work/body.json" wrk -t2 -c"$concurrency" -d"${2}s" -s "$root/benchmarks/compare/post.lua" "http://127.0.0.1:$1/v2/models/fraud/infer" | tail -n 1
}
load "$r1" "$warmup" >/dev/null
load "$gw" "$warmup" >/dev/null
[ -z "${alt:-}" ] || load "$alt" "$warmup" >/dev/null

hz="$(getconf CLK_TCK)"
results="$work/results.txt"
: >"$results"
ticks() { cost_snapshot "$1" | cut -d' ' -f1; }
for round in $(seq 1 "$rounds"); do
  for point in $points; do
    target=$r1; measured=$pid_gw
    case "$point" in gateway) target=$gw ;; gateway-alt) target=$alt; measured=$pid_alt ;; esac
    a0=$(ticks "$measured"); b0=$(ticks "$pid_r1"); c0=$(ticks "$pid_r2")
    recorder=""
    if [ -n "${GW_PERF:-}" ] && [ "$point" = gateway ] && [ "$round" = "$rounds" ]; then
      perf record -e cpu-clock -g -p "$pid_gw" -o "$GW_PERF" -- sleep "$seconds" >/dev/null 2>&1 &
      recorder=$!
    fi
    out="$(load "$target" "$seconds")"
    [ -z "$recorder" ] || wait "$recorder"
    a1=$(ticks "$measured"); b1=$(ticks "$pid_r1"); c1=$(ticks "$pid_r2")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$point" "$round" "$((a1 - a0))" "$((b1 - b0 + c1 - c0))" "$hz" "$out" "x" >>"$results"
  done
done

printf '\nfraud, REST JSON, c=%s; %s s per point, %s round(s); load average %s\n\n' "$concurrency" "$seconds" "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" <<'PY'
import json, statistics, sys
rows = {}
print("| Point | Round | Requests/s | p50 ms | p99 ms | Gateway CPU µs/answer | Replicas' CPU µs/answer | Errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for line in open(sys.argv[1]):
    point, rnd, gw, replicas, hz, out, _ = line.rstrip("\n").split("\t")
    p = json.loads(out)
    n = max(1, p["requests"])
    g = int(gw) / int(hz) * 1e6 / n
    r = int(replicas) / int(hz) * 1e6 / n
    rows.setdefault(point, []).append((p["throughput"], p["p50_ms"], p["p99_ms"], g, r))
    print(f"| {point} | {rnd} | {p['throughput']:.0f} | {p['p50_ms']:.3f} | {p['p99_ms']:.3f} | {g:.1f} | {r:.1f} | {p['errors']} |")
print()
print("| Point | Median requests/s | Median p50 ms | Median p99 ms | Median gateway CPU µs/answer | Median replicas' CPU µs/answer |")
print("|---|---:|---:|---:|---:|---:|")
for point, v in rows.items():
    med = [statistics.median(x[i] for x in v) for i in range(5)]
    print(f"| {point} | {med[0]:.0f} | {med[1]:.3f} | {med[2]:.3f} | {med[3]:.1f} | {med[4]:.1f} |")
PY
