#!/usr/bin/env bash
# Model density: DENSITY_COPIES (30) copies of mlp-large (from `usher samples generate`) served under
# a memory budget that holds DENSITY_HOLD (5) of them (server.memory_budget, docs/density.md).
# Sends DENSITY_ROUNDS (3) rounds of requests to every copy in a shuffled order (one sequential
# client, so that each cold start is seen alone), checks that every request was answered 200,
# samples the server's RSS (/proc/PID/status, every 50 ms) against the budget plus the server's base
# (its RSS once ready, with every version registered and none loaded), and reports the cold start
# (each load on demand, from the server's log) and the client's latency, p50/p99.
#
#   benchmarks/density/run.sh            # about a minute on 2 cores
# Environment: DENSITY_COPIES (30), DENSITY_HOLD (5), DENSITY_ROUNDS (3), DENSITY_PORT (18290),
# DENSITY_KEEP=1 (keep the temporary folder), usher=PATH/usher.dll (skip the build).
# Needs the .NET SDK, curl and python3.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
copies="${DENSITY_COPIES:-30}"
hold="${DENSITY_HOLD:-5}"
rounds="${DENSITY_ROUNDS:-3}"
port="${DENSITY_PORT:-18290}"
# shellcheck source=../lib/server.sh
source "$root/benchmarks/lib/server.sh"
usher_bench_init usher-density DENSITY_KEEP
usher_bench_build

echo "== Generating mlp-large and $copies copies" >&2
dotnet "$usher" samples generate --output "$work/samples" >"$work/generate.txt" 2>&1 || { cat "$work/generate.txt" >&2; exit 1; }
mkdir -p "$work/repo"
for i in $(seq 0 $((copies - 1))); do
  mkdir -p "$work/repo/mlp-large-$i"
  cp -r "$work/samples/mlp-large/." "$work/repo/mlp-large-$i/"
done
file_bytes="$(stat -c %s "$work/samples/mlp-large/1/model.onnx")"
# Each version is counted at its file's size x 2 (the default factor, src/Usher.Core/Repository/DensitySettings.cs):
# room for $hold, not one more.
budget=$(( file_bytes * 2 * hold + file_bytes ))

usher_serve "$port" "$work/repo" --memory-budget "$budget"
python3 "$root/benchmarks/density/client.py" "$port" "$server" "$copies" "$rounds" "$budget" "$hold" "$file_bytes" "$work/server.log"
