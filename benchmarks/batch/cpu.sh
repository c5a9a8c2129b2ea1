#!/usr/bin/env bash
# CPU per row of `usher batch mlp-large` from Parquet, net of the fixed cost, for several builds side by
# side (docs/benchmarks.md, "Batch scoring"): each build scores BATCH_CPU_ROWS rows (default 12,288) and
# BATCH_FIXED_ROWS rows (default 2,048) of mlp-large (row groups of 8,192 rows, 1,024 FP32 per row,
# max_batch_size BATCH_MAX_BATCH_SIZE, default 32),
# with the model and with --pass-through (everything but the model), timed by /usr/bin/time; the
# difference of user + system CPU divided by the difference of rows is the CPU per row with start-up,
# model load and warm-up cancelled out. Builds are interleaved and the whole is repeated
# BATCH_REPEAT times (default 2), so a loaded machine's drift spreads over all of them. Also prints
# each run's peak RSS and output size.
# Usage: benchmarks/batch/cpu.sh [--usher LABEL=PATH-TO-usher.dll ...] [-- EXTRA usher batch ARGS]
#        (no --usher: this checkout published as it ships, ReadyToRun; e.g. --usher before=/tmp/a/usher.dll --usher after=...,
#        each a `dotnet publish src/Usher.Cli -c Release -o DIR` to measure what ships)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# shellcheck source=../lib/cost.sh
. "$root/benchmarks/lib/cost.sh"
extra=()
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; extra=("$@"); break; fi
  args+=("$1"); shift
done
cost_parse_args "${args[@]+"${args[@]}"}"
if [ "${#builds[@]}" -eq 0 ]; then
  # This checkout published as it ships (ReadyToRun, as deploy/docker/Dockerfile does): the build output
  # jits every method of usher's own assemblies and its packages at tier 0 first.
  dotnet publish "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo -o "$work/usher" >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
  builds=("this=$work/usher/usher.dll")
fi
rows="${BATCH_CPU_ROWS:-12288}"; fixed="${BATCH_FIXED_ROWS:-2048}"; repeat="${BATCH_REPEAT:-2}"
dotnet build "$root/benchmarks/BatchBaseline/BatchBaseline.csproj" -c Release --nologo >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
baseline="$(dotnet msbuild "$root/benchmarks/BatchBaseline/BatchBaseline.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)"
first="${builds[0]#*=}"
dotnet "$first" samples generate --output "$work/samples" >/dev/null
mkdir -p "$work/repo/mlp-large" && cp -R "$work/samples/mlp-large"/[0-9]* "$work/repo/mlp-large/"
printf 'max_batch_size: %s\ninstances: auto\n' "${BATCH_MAX_BATCH_SIZE:-32}" >"$work/repo/mlp-large/config.yaml"
for n in "$rows" "$fixed"; do
  dotnet "$baseline" parquet --rows "$n" --width 1024 --name input --row-group 8192 --output "$work/mlp-$n.parquet" >/dev/null
done

declare -A cpu
run() { # LABEL DLL MODE ROWS
  local out="$work/out.parquet" mode=()
  [ "$3" = pass-through ] && mode=(--pass-through)
  /usr/bin/time -f '%U %S %M' -o "$work/time" dotnet "$2" batch mlp-large -i "$work/mlp-$4.parquet" -o "$out" -m "$work/repo" \
    "${mode[@]+"${mode[@]}"}" "${extra[@]+"${extra[@]}"}" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r user sys rss <"$work/time"
  echo "$1 $3 $4 rows: user $user s, system $sys s, peak RSS $((rss / 1024)) MiB, output $(stat -c %s "$out") bytes, load $(cut -d' ' -f1 /proc/loadavg)" >&2
  cpu["$1 $3 $4"]="$(awk -v a="${cpu["$1 $3 $4"]:-}" -v u="$user" -v s="$sys" 'BEGIN { printf "%s %.2f", a, u + s }')"
  rm -rf "$out" "$out.usher-batch"
}
for _ in $(seq "$repeat"); do
  for build in "${builds[@]}"; do
    for mode in model pass-through; do
      for n in "$rows" "$fixed"; do run "${build%%=*}" "${build#*=}" "$mode" "$n"; done
    done
  done
done

echo "| Build | Run | CPU per row, µs (net of $fixed rows, each repeat) |"
echo "|---|---|---|"
for build in "${builds[@]}"; do
  for mode in model pass-through; do
    label="${build%%=*}"
    per_row="$(awk -v a="${cpu["$label $mode $rows"]}" -v b="${cpu["$label $mode $fixed"]}" -v r="$((rows - fixed))" \
      'BEGIN { n = split(a, x, " "); split(b, y, " "); for (i = 1; i <= n; i++) printf "%s%.0f", (i > 1 ? ", " : ""), (x[i] - y[i]) * 1e6 / r }')"
    echo "| $label | $mode | $per_row |"
  done
done
echo
echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(date -u '+%Y-%m-%d %H:%M UTC')."
