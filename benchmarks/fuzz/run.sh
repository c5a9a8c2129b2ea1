#!/usr/bin/env bash
# Coverage-guided fuzzing of one of Usher's readers with SharpFuzz and AFL++ (not part of CI's test run).
#
#   benchmarks/fuzz/run.sh TARGET [SECONDS]      TARGET: json | binary | grpc | config (default 300 s)
#   benchmarks/fuzz/run.sh all [SECONDS]         each target in turn, SECONDS each
#
# Builds benchmarks/fuzz/Usher.Fuzz in Release, instruments Usher.Core, Usher.Server, YamlDotNet and
# Google.Protobuf with `sharpfuzz` (the SharpFuzz.CommandLine dotnet tool), and runs afl-fuzz (Debian's
# afl++ package) on the seed corpus in benchmarks/fuzz/corpus/TARGET. At the end it prints AFL's
# executions, paths, crashes and hangs, and copies any crash or hang to $FUZZ_WORK/crashes/TARGET;
# replay one with an uninstrumented build (the instrumented one runs only under afl-fuzz):
#   dotnet build benchmarks/fuzz/Usher.Fuzz && dotnet benchmarks/fuzz/Usher.Fuzz/bin/Debug/net10.0/linux-x64/Usher.Fuzz.dll TARGET FILE...
# FUZZ_WORK (default: a new temporary folder) keeps the build, the tools and AFL's findings.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${1:?usage: benchmarks/fuzz/run.sh json|binary|grpc|config|all [SECONDS]}
seconds=${2:-300}
work=${FUZZ_WORK:-$(mktemp -d -t usher-fuzz.XXXXXX)}
mkdir -p "$work"
echo "fuzz: work folder $work" >&2

if ! command -v afl-fuzz >/dev/null; then
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends afl++ >&2
fi

tools="$work/tools"
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >&2
fi

bin="$work/bin"
if [ ! -f "$bin/.instrumented" ]; then
  dotnet build benchmarks/fuzz/Usher.Fuzz -c Release -o "$bin" -nologo -v quiet >&2
  for assembly in Usher.Core.dll Usher.Server.dll YamlDotNet.dll Google.Protobuf.dll; do
    "$tools/sharpfuzz" "$bin/$assembly" >&2
  done
  touch "$bin/.instrumented"
fi

run_one() {
  local name=$1 findings="$work/findings/$1"
  rm -rf "$findings"
  mkdir -p "$work/findings"
  # dotnet is not an AFL-instrumented binary (SharpFuzz instruments the assemblies it runs): skip AFL's check.
  AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
    afl-fuzz -V "$seconds" -i "benchmarks/fuzz/corpus/$name" -o "$findings" -t 5000 -m none \
    -- dotnet "$bin/Usher.Fuzz.dll" "$name" >"$work/afl-$name.log" 2>&1 || {
      echo "fuzz: afl-fuzz failed for $name; the end of its log:" >&2
      tail -n 30 "$work/afl-$name.log" >&2
      return 1
    }
  local stats="$findings/default/fuzzer_stats"
  stat() { sed -n "s/^$1 *: *//p" "$stats"; }
  echo "$name: $(stat execs_done) executions in $(stat run_time) s ($(stat execs_per_sec)/s), corpus $(stat corpus_count), edges $(stat edges_found), crashes $(stat saved_crashes), hangs $(stat saved_hangs)"
  mkdir -p "$work/crashes/$name"
  cp "$findings"/default/crashes/id* "$findings"/default/hangs/id* "$work/crashes/$name/" 2>/dev/null || true
}

if [ "$target" = all ]; then
  for name in json binary grpc config; do run_one "$name"; done
else
  run_one "$target"
fi
