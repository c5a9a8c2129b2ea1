#!/usr/bin/env bash
# INT8 and FP16 quantization of the samples, measured side by side in one process by
# `usher optimize quantize` (docs/optimize.md): mlp-large INT8 with the fused kernel
# (com.microsoft DynamicQuantizeMatMul) and the portable one (DynamicQuantizeLinear + MatMulInteger),
# 7-bit and 8-bit weights, fraud INT8, and mlp-large FP16. Prints each report; the JSON reports are
# kept in the temporary repository when OPTIMIZE_KEEP=1.
#
#   benchmarks/optimize/run.sh                  # about 2 minutes: 5 s per version and batch size
#   OPTIMIZE_SECONDS=1 benchmarks/optimize/run.sh   # quicker, noisier
# Environment: OPTIMIZE_SECONDS (5), OPTIMIZE_THREADS (1, intra-op threads), OPTIMIZE_KEEP=1. Needs the .NET SDK.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${OPTIMIZE_SECONDS:-5}"
threads="${OPTIMIZE_THREADS:-1}"
repo="$(mktemp -d)"
if [ "${OPTIMIZE_KEEP:-0}" != 1 ]; then
  trap 'rm -rf "$repo"' EXIT
else
  echo "repository: $repo"
fi

dotnet build "$root/src/Usher.Cli" -c Release -v quiet -nologo >/dev/null
usher() { dotnet run --project "$root/src/Usher.Cli" -c Release --no-build -- "$@"; }
usher samples generate -o "$repo" >/dev/null

run() {
  echo "=== $*"
  usher optimize quantize "$@" -m "$repo" --measure-seconds "$seconds" --threads "$threads" || echo "(exit $?)"
  echo
}

run mlp-large --version 1 --mode int8 --to-version 11
run mlp-large --version 1 --mode int8 --kernel portable --to-version 12
run mlp-large --version 1 --mode int8 --full-range --to-version 13
run mlp-large --version 1 --mode fp16 --to-version 14
run fraud --version 1 --mode int8 --min-agreement 0.99 --to-version 11
