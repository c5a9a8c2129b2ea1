# Sourced by the CPU-per-answer scripts (profile/cost.sh and compare/cpu.sh for REST, stream/cost.sh for a stream consumer):
# the builds to compare from the command line, this checkout's Release build when none is given, and a
# process's CPU and thread switches read from /proc. The caller sets `root` (the repository) and, before
# cost_default_build, `work` (a scratch folder).
#   cost_parse_args "$@"     fills `builds` (LABEL=PATH of a usher.dll) from --usher LABEL=PATH; -h/--help
#                            prints the calling script's leading comment and exits
#   cost_default_build       when no --usher was given: builds src/Usher.Cli (Release) as "this"
#   cost_snapshot PID        prints "TICKS VOLUNTARY INVOLUNTARY POOL JIT": the process's CPU ticks, its
#                            voluntary/involuntary switches summed over its threads, and the CPU ticks
#                            of two kinds of thread by name: the thread pool's workers and the JIT's
#                            background tiering thread (methods re-compiled while the process warms up);
#                            a thread that exits keeps counting with its last reading, so no column
#                            ever goes down between two snapshots of one process
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
builds=()

cost_parse_args() {
  local name
  name="$(basename "$0")"
  while [ $# -gt 0 ]; do
    case "$1" in
      --usher) builds+=("${2:?--usher needs LABEL=PATH}"); shift ;;
      -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
      *) echo "$name: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
  done
}

cost_default_build() {
  [ "${#builds[@]}" -gt 0 ] && return 0
  dotnet build "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
  builds=("this=$(dotnet msbuild "$root/src/Usher.Cli/Usher.Cli.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)")
}

cost_snapshot() { # PID
  # Every thread the process has had since the first snapshot counts, with its last reading after it
  # exits (state in a file per process: snapshots run in subshells); summed over live threads only, a
  # column went down, even negative between two snapshots, when a thread (the JIT's tiering thread
  # after it finishes, a pool worker retired when idle) exited between them. A thread is keyed by its
  # id and start time (ids are reused), and each reading keeps the larger of its old and new values (a
  # thread that exits while it is read reads as zero).
  local ticks task tid t s a b name state="${work:-${TMPDIR:-/tmp}}/.cost-threads.$1"
  ticks="$(sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}')"
  for task in /proc/"$1"/task/*; do
    tid="${task##*/}"
    read -r t s < <(sed 's/^.*) //' "$task/stat" 2>/dev/null | awk '{print $12 + $13, $20}') || continue
    read -r a b < <(awk '/^voluntary_ctxt/ {a=$2} /^nonvoluntary_ctxt/ {b=$2} END {print a+0, b+0}' "$task/status" 2>/dev/null) || continue
    name="$(cat "$task/comm" 2>/dev/null)" || continue
    [ -n "$s" ] && echo "$tid:$s ${t:-0} ${a:-0} ${b:-0} $name"
  done >"$state.live"
  touch "$state" "$state.next"
  awk -v ticks="$ticks" -v state="$state.next" '
    { k = $1; for (i = 2; i <= 4; i++) if (!(k in seen) || $i + 0 > f[k, i] + 0) f[k, i] = $i
      seen[k]; name = $5; for (i = 6; i <= NF; i++) name = name " " $i; kind[k] = name }
    END {
      for (k in seen) {
        print k, f[k, 2], f[k, 3], f[k, 4], kind[k] > state
        v += f[k, 3]; n += f[k, 4]
        if (kind[k] ~ /^\.NET TP Worker/) pool += f[k, 2]
        if (kind[k] ~ /^\.NET Tiered Com/) jit += f[k, 2]
      }
      print ticks, v + 0, n + 0, pool + 0, jit + 0
    }' "$state" "$state.live"
  mv "$state.next" "$state"
}
