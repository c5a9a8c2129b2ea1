#!/usr/bin/env bash
# usher batch, measured side by side in one run (docs/benchmarks.md, "Batch scoring"):
#  1. mlp-large, BATCH_MLP_ROWS rows (default 200,000) from Parquet: usher batch against the in-process
#     ONNX Runtime limit at its best batch size (benchmarks/InProcessLimit);
#  2. fraud, BATCH_FRAUD_ROWS rows (default 10,000,000) of CSV: usher batch against the same job with
#     --pass-through (everything but the model: the I/O limit), and its peak RSS against a run on
#     BATCH_FRAUD_SMALL_ROWS rows (default a tenth);
#  3. the plain loop a user would write (read the CSV line by line, one Run per row) on BATCH_NAIVE_ROWS
#     rows (default 200,000) of the same fraud file.
# Usage: benchmarks/batch/run.sh            (the full sizes: about 2.5 GB of input files)
#        BATCH_SCALE=0.1 benchmarks/batch/run.sh   (every size times 0.1, for a loaded or small machine)
# The input files are generated once into BATCH_DATA (default ~/.cache/usher-batch-bench; the names carry
# the row counts) and reused by later runs; BATCH_KEEP=1 keeps the temporary folder of outputs.
# Every usher batch run is timed by /usr/bin/time: besides end-to-end rows/s, the report gives the
# steady rate and CPU per row net of the fixed cost (start-up, model load, warm-up: a run on
# BATCH_FIXED_ROWS rows, default 2,048), and the CPU per row of the in-process limit. CPU per row holds
# on a loaded machine, where wall-clock rates do not. Prints a Markdown table and the conditions.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
scale="${BATCH_SCALE:-1}"
size() { awk -v n="$1" -v s="$scale" 'BEGIN { printf "%d", n * s }'; }
mlp_rows="${BATCH_MLP_ROWS:-$(size 200000)}"
fraud_rows="${BATCH_FRAUD_ROWS:-$(size 10000000)}"
fraud_small_rows="${BATCH_FRAUD_SMALL_ROWS:-$((fraud_rows / 10))}"
naive_rows="${BATCH_NAIVE_ROWS:-$(size 200000)}"
fixed_rows="${BATCH_FIXED_ROWS:-2048}"
data="${BATCH_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/usher-batch-bench}"
mkdir -p "$data"
work="$(mktemp -d)"
cleanup() { if [ "${BATCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT
step() { echo "== $*" >&2; }

step "Building Release (usher published as it ships: ReadyToRun, as deploy/docker/Dockerfile publishes it)"
projects=(benchmarks/InProcessLimit/InProcessLimit.csproj benchmarks/BatchBaseline/BatchBaseline.csproj)
for project in "${projects[@]}"; do
  if ! dotnet build "$root/$project" -c Release --nologo >"$work/build.txt" 2>&1; then cat "$work/build.txt" >&2; exit 1; fi
done
# The build output has no precompiled code: every method of usher's own assemblies and its packages is
# jitted at tier 0 first, a cost the shipped binary does not pay (benchmarks/compare/batch.md, "ReadyToRun").
if ! dotnet publish "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo -o "$work/usher" >"$work/build.txt" 2>&1; then cat "$work/build.txt" >&2; exit 1; fi
target() { dotnet msbuild "$root/$1" -nologo -getProperty:TargetPath -p:Configuration=Release; }
usher="$work/usher/usher.dll"; inprocess="$(target "${projects[0]}")"; baseline="$(target "${projects[1]}")"

step "Models and data ($mlp_rows mlp-large rows, $fraud_rows + $fraud_small_rows fraud rows, $naive_rows for the plain loop)"
dotnet "$usher" samples generate --output "$work/samples" >/dev/null
for model in fraud mlp-large; do
  mkdir -p "$work/repo/$model"
  cp -R "$work/samples/$model"/[0-9]* "$work/repo/$model/"
  # Batch scoring's configuration: batches of 64, one instance per core (ONNX Runtime intra-op 1 each).
  # mlp-large's batch size is set below to the in-process limit's best.
  printf 'max_batch_size: 64\ninstances: auto\n' >"$work/repo/$model/config.yaml"
done
fraud_version="$(ls "$work/samples/fraud" | grep -E '^[0-9]+$' | sort -n | tail -n 1)"
# Generated once per size (a temporary name, then a rename: an interrupted run leaves no half file).
generate() { # FILE ARGS...
  local file="$1"; shift
  if [ ! -s "$file" ]; then dotnet "$baseline" "$@" --output "$file.tmp" && mv "$file.tmp" "$file"; fi
}
mlp="$data/mlp-$mlp_rows.parquet"; mlp_fixed="$data/mlp-$fixed_rows.parquet"
fraud="$data/fraud-$fraud_rows.csv"; fraud_small="$data/fraud-$fraud_small_rows.csv"
generate "$mlp" parquet --rows "$mlp_rows" --width 1024 --name input --row-group 8192
generate "$mlp_fixed" parquet --rows "$fixed_rows" --width 1024 --name input --row-group 8192
generate "$fraud" csv --rows "$fraud_rows" --width 30 --prefix features
generate "$fraud_small" csv --rows "$fraud_small_rows" --width 30 --prefix features
head -n "$((naive_rows + 1))" "$fraud" >"$work/fraud-naive.csv"
# Every input is read once before anything is timed, so that each run and the run it is compared with
# read their input from the page cache alike. Without this the first run of a file paid for the host
# reading it back from disk: on a host that had been busy with other work, the first fraud run of three
# full-size runs took 3.65-3.97 s of system CPU against 0.6-0.8 s for the same run with the file cached,
# and came out at 0.74-0.77x of the pass-through that followed it (0.94-1.00x with both cached).
cat "$mlp" "$mlp_fixed" "$fraud" "$fraud_small" "$work/fraud-naive.csv" >/dev/null

# usher batch's summary line: "usher batch: rows N, errors E, time T, R rows/s, peak memory M MiB";
# /usr/bin/time adds the wall seconds and the user + system CPU seconds.
batch() { # NAME ARGS...
  local name="$1"; shift
  /usr/bin/time -f '%e %U %S' -o "$work/$name.time" dotnet "$usher" batch "$@" -m "$work/repo" >"$work/$name.txt" 2>"$work/$name.err" || { cat "$work/$name.err" >&2; exit 1; }
  local line; line="$(grep 'rows/s' "$work/$name.txt")"
  echo "$line ($(cat "$work/$name.time") s wall, user, system)" >&2
  rate["$name"]="$(echo "$line" | sed -E 's/.* ([0-9,]+) rows\/s.*/\1/' | tr -d ,)"
  peak["$name"]="$(echo "$line" | sed -E 's/.*peak memory ([0-9]+) MiB.*/\1/')"
  wall["$name"]="$(awk '{ print $1 }' "$work/$name.time")"
  cpu["$name"]="$(awk '{ print $2 + $3 }' "$work/$name.time")"
}
declare -A rate peak wall cpu

step "The in-process ONNX Runtime limit for mlp-large (batches 1, 8, 32, 64, 128, 256)"
dotnet "$inprocess" --model "$work/samples/mlp-large/1/model.onnx" --name mlp-large --batches 1,8,32,64,128,256 --seconds 3 | tee "$work/inprocess.jsonl" >&2
limit="$(sed -E 's/.*"rows_per_second":([0-9.]+).*/\1/' "$work/inprocess.jsonl" | sort -g | tail -n 1)"
limit_line="$(grep "\"rows_per_second\":$limit" "$work/inprocess.jsonl" | head -n 1)"
best_batch="$(echo "$limit_line" | sed -E 's/.*"batch":([0-9]+).*/\1/')"
# usher batch runs at the batch size where ONNX Runtime is fastest, as the target asks.
printf 'max_batch_size: %s\ninstances: auto\n' "$best_batch" >"$work/repo/mlp-large/config.yaml"

step "usher batch mlp-large from Parquet"
batch mlp mlp-large -i "$mlp" -o "$work/mlp-out.parquet"
batch mlpfixed mlp-large -i "$mlp_fixed" -o "$work/mlp-fixed-out.parquet"
# The overlap check: the model on one core (one instance, one intra-op thread) with the other cores left
# to reading, decoding, encoding and writing, against the limit with one caller pinned to one core. The
# pipeline's own work runs beside the model, not in its way, when the model leaves it a core: this ratio
# is the pipeline's, where the one above is also the share of the cores the model must give up.
one_core=0
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  one_core=1
  step "The overlap check: one caller of ONNX Runtime pinned to one core, against usher batch with one instance"
  taskset -c 0 dotnet "$inprocess" --model "$work/samples/mlp-large/1/model.onnx" --name mlp-large --batches "$best_batch" --setups per-core --seconds 3 | tee "$work/inprocess-one.jsonl" >&2
  limit_one="$(sed -E 's/.*"rows_per_second":([0-9.]+).*/\1/' "$work/inprocess-one.jsonl")"
  printf 'max_batch_size: %s\ninstances: 1\nonnxruntime: { intra_op_threads: 1 }\n' "$best_batch" >"$work/repo/mlp-large/config.yaml"
  batch mlpone mlp-large -i "$mlp" -o "$work/mlp-one-out.parquet"
  rm -f "$work/mlp-one-out.parquet"
  printf 'max_batch_size: %s\ninstances: auto\n' "$best_batch" >"$work/repo/mlp-large/config.yaml"
fi
rm -f "$work/mlp-out.parquet" "$work/mlp-fixed-out.parquet"
step "usher batch fraud, CSV, $fraud_rows rows; then --pass-through; then $fraud_small_rows rows"
batch fraud fraud -i "$fraud" -o "$work/fraud-out.csv" --keep id
rm -f "$work/fraud-out.csv"
batch passthrough fraud -i "$fraud" -o "$work/fraud-pass.csv" --keep id --pass-through
rm -f "$work/fraud-pass.csv"
batch small fraud -i "$fraud_small" -o "$work/fraud-small-out.csv" --keep id
step "The plain loop: one Run per row, $naive_rows rows"
naive_json="$(dotnet "$baseline" naive --model "$work/samples/fraud/$fraud_version/model.onnx" --input "$work/fraud-naive.csv" --output "$work/fraud-naive-out.csv")"
naive_rate="$(echo "$naive_json" | awk -F'[:,}]' '{ printf "%d", $2 / $4 }')"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
limit_cpu="$(echo "$limit_line" | sed -E 's/.*"cpu_us_per_row":([0-9.]+).*/\1/')"
# Net of the fixed cost: the difference between the full run and the BATCH_FIXED_ROWS run.
net_rows=$((mlp_rows - fixed_rows))
steady="$(awk -v r="$net_rows" -v a="${wall[mlp]}" -v b="${wall[mlpfixed]}" 'BEGIN { printf "%d", (a > b ? r / (a - b) : 0) }')"
mlp_cpu="$(awk -v r="$net_rows" -v a="${cpu[mlp]}" -v b="${cpu[mlpfixed]}" 'BEGIN { printf "%.1f", (r > 0 ? (a - b) * 1e6 / r : 0) }')"
cat <<REPORT
| Measurement | Rows | Rows/s | Ratio | Target |
|---|---:|---:|---:|---|
| In-process ONNX Runtime limit, mlp-large ($(echo "$limit_line" | sed -E 's/.*"batch":([0-9]+).*"setup":"([^"]*)".*/batch \1, \2/')) | | ${limit%.*} | 1.00 | |
| \`usher batch mlp-large\` (max_batch_size $best_batch), Parquet in and out | $mlp_rows | ${rate[mlp]} | $(ratio "${rate[mlp]}" "$limit") | >= 0.9x the limit |
| the same, net of the fixed cost (${wall[mlpfixed]} s for $fixed_rows rows) | $net_rows | $steady | $(ratio "$steady" "$limit") | |
$(if [ "$one_core" = 1 ]; then
  echo "| In-process limit with one caller pinned to one core (batch $best_batch, 1 intra-op thread) | | ${limit_one%.*} | 1.00 | |"
  echo "| \`usher batch mlp-large\`, one instance (\`instances: 1\`, 1 intra-op thread), the other cores left to the pipeline | $mlp_rows | ${rate[mlpone]} | $(ratio "${rate[mlpone]}" "$limit_one") | (the overlap check) |"
fi)
| \`usher batch fraud --pass-through\` (no model: the I/O limit), CSV | $fraud_rows | ${rate[passthrough]} | 1.00 | |
| \`usher batch fraud\`, CSV in and out | $fraud_rows | ${rate[fraud]} | $(ratio "${rate[fraud]}" "${rate[passthrough]}") | >= 0.8x pass-through |
| Plain loop (CSV line by line, one \`Run\` per row), fraud | $naive_rows | $naive_rate | $(ratio "$naive_rate" "${rate[fraud]}") of usher batch | |

CPU per row, mlp-large: in-process limit $limit_cpu µs, \`usher batch\` $mlp_cpu µs net of the fixed cost (ratio $(ratio "$limit_cpu" "$mlp_cpu"): the share of its CPU that is ONNX Runtime's work); peak RSS ${peak[mlp]} MiB.
Peak RSS of \`usher batch fraud\`: ${peak[fraud]} MiB at $fraud_rows rows, ${peak[small]} MiB at $fraud_small_rows rows (ratio $(ratio "${peak[fraud]}" "${peak[small]}"); target within 10%).
Rows/s of \`usher batch\` are end to end: start-up and model load, reading, scoring, writing and joining the parts.
Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(date -u +%Y-%m-%d).
REPORT
