#!/usr/bin/env bash
# Where `usher batch mlp-large`'s CPU per row goes, beside the in-process ONNX Runtime limit's
# (docs/benchmarks.md, "Batch scoring"): `perf record -e cpu-clock -g` of a whole `usher batch` run from
# Parquet (max_batch_size BATCH_MAX_BATCH_SIZE, default 64; instances: auto), split by stage in µs per
# row (perf_stages.py), then of benchmarks/InProcessLimit at the same batch size with its per-core set-up
# only (one caller per core, one intra-op thread each, as instances: auto runs), recorded from 2 s after
# its start (past the model's load and the warm-up, into its timed window), whose own CPU per row the
# same split shares out. In `usher batch`, ONNX Runtime's samples on the instance threads are the
# batches' (the session's load runs elsewhere). The question it answers: does ONNX Runtime cost more per row inside
# `usher batch` than in the limit, and what is the rest.
# Usage: benchmarks/batch/profile.sh [--usher PATH-TO-usher.dll]   (default: this checkout published as it ships)
# Environment: BATCH_PROFILE_ROWS (rows of the generated input, default 65,536; row groups of 8,192),
# BATCH_PROFILE_INPUT (an mlp-large Parquet file to score instead, e.g. run.sh's 200,000-row file;
# BATCH_PROFILE_ROWS must then be its row count), BATCH_PROFILE_HZ (perf's -F, default 999),
# BATCH_PROFILE_SECONDS (the limit's timed seconds, default 5), BATCH_PROFILE_KEEP (a folder that keeps
# the perf data and texts). Needs perf (root or perf_event_paranoid <= 1) and python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
usher=""
while [ $# -gt 0 ]; do
  case "$1" in
    --usher) usher="$2"; shift 2 ;;
    *) echo "profile.sh: unknown argument '$1'; usage: benchmarks/batch/profile.sh [--usher PATH-TO-usher.dll]" >&2; exit 2 ;;
  esac
done
rows="${BATCH_PROFILE_ROWS:-65536}"; hz="${BATCH_PROFILE_HZ:-999}"; batch="${BATCH_MAX_BATCH_SIZE:-64}"
if [ -z "$usher" ]; then
  dotnet publish "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo -o "$work/usher" >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
  usher="$work/usher/usher.dll"
fi
for project in InProcessLimit BatchBaseline; do
  dotnet build "$root/benchmarks/$project/$project.csproj" -c Release --nologo >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
done
limit="$(dotnet msbuild "$root/benchmarks/InProcessLimit/InProcessLimit.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)"
baseline="$(dotnet msbuild "$root/benchmarks/BatchBaseline/BatchBaseline.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)"
dotnet "$usher" samples generate --output "$work/samples" >/dev/null
mkdir -p "$work/repo/mlp-large" && cp -R "$work/samples/mlp-large"/[0-9]* "$work/repo/mlp-large/"
printf 'max_batch_size: %s\ninstances: auto\n' "$batch" >"$work/repo/mlp-large/config.yaml"
input="${BATCH_PROFILE_INPUT:-}"
if [ -z "$input" ]; then
  input="$work/mlp-$rows.parquet"
  dotnet "$baseline" parquet --rows "$rows" --width 1024 --name input --row-group 8192 --output "$input" >/dev/null
fi

export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
split() { # NAME SCALE-ARGS...
  local name="$1"; shift
  perf script -i "$work/$name.data" -F comm,tid,ip,sym,dso 2>/dev/null >"$work/$name.script"
  perf report -i "$work/$name.data" -n --no-children --dso libonnxruntime.so --sort sym -g none --stdio 2>/dev/null >"$work/$name.ort"
  python3 "$root/benchmarks/batch/perf_stages.py" "$work/$name.script" --hz "$hz" --ort-report "$work/$name.ort" "$@"
}

echo "## usher batch mlp-large, $rows rows, max_batch_size $batch, instances: auto (load $(cut -d' ' -f1 /proc/loadavg))"
perf record -q -e cpu-clock -F "$hz" -g -o "$work/usher.data" -- \
  dotnet "$usher" batch mlp-large -i "$input" -o "$work/out.parquet" -m "$work/repo" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
rm -rf "$work/out.parquet" "$work/out.parquet.usher-batch"
split usher --rows "$rows"

echo
echo "## InProcessLimit, batch $batch, $(nproc) callers x 1 intra-op thread (load $(cut -d' ' -f1 /proc/loadavg))"
perf record -q -D 2000 -e cpu-clock -F "$hz" -g -o "$work/limit.data" -- \
  dotnet "$limit" --model "$work/samples/mlp-large/1/model.onnx" --name mlp-large --batches "$batch" --seconds "${BATCH_PROFILE_SECONDS:-5}" --setups per-core >"$work/limit.json"
cat "$work/limit.json"
cpu="$(sed -E 's/.*"cpu_us_per_row":([0-9.]+).*/\1/' "$work/limit.json")"
split limit --cpu-us-per-row "$cpu"
if [ -n "${BATCH_PROFILE_KEEP:-}" ]; then mkdir -p "$BATCH_PROFILE_KEEP" && cp "$work"/*.data "$work"/*.script "$work"/*.ort "$BATCH_PROFILE_KEEP/"; fi
echo
echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(date -u '+%Y-%m-%d %H:%M UTC')."
