# Sourced by the benchmark scripts that run one `usher serve` (attack/run.sh, soak.sh, profile/rightsize.sh, ...):
# a work folder, clean-up on exit, the Release build, and the server's start and readiness wait.
# The caller sets `root` (the repository) before sourcing, and may set `usher` (a built usher.dll)
# to skip the build.
#   usher_bench_init PREFIX KEEP_VARIABLE  makes $work; on exit stops the server, shows the end of its
#                                          log after a failure, and removes $work unless ${KEEP_VARIABLE} is 1
#   usher_bench_build                      builds src/Usher.Cli (Release) into $usher, unless $usher is set
#   usher_serve PORT REPOSITORY [ARGS...]  starts `usher serve` on 127.0.0.1:PORT (REST only, state in
#                                          $work/data, log in $work/server.log) as $server; waits until ready
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
server=""
usher="${usher:-}"

usher_bench_cleanup() {
  local rc=$?
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
  fi
  [ "$rc" -ne 0 ] && [ -f "$work/server.log" ] && tail -n 20 "$work/server.log" >&2
  if [ "${!usher_bench_keep:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}

usher_bench_init() { # PREFIX KEEP_VARIABLE
  work="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  usher_bench_keep="$2"
  trap usher_bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

usher_bench_build() {
  [ -n "$usher" ] && return 0
  echo "== Building Release" >&2
  dotnet build "$root/src/Usher.Cli/Usher.Cli.csproj" -c Release --nologo >"$work/build.txt" 2>&1 || { cat "$work/build.txt" >&2; exit 1; }
  usher="$(dotnet msbuild "$root/src/Usher.Cli/Usher.Cli.csproj" -nologo -getProperty:TargetPath -p:Configuration=Release)"
}

usher_serve() { # PORT REPOSITORY [ARGS...]
  local port="$1" repository="$2"; shift 2
  echo "== Starting usher serve on 127.0.0.1:$port" >&2
  ( cd "$work" && USHER_SERVER__HOST=127.0.0.1 exec dotnet "$usher" serve --model-repository "$repository" \
      --http-port "$port" --grpc-port -1 --data-dir "$work/data" "$@" ) >"$work/server.log" 2>&1 &
  server=$!
  for i in $(seq 1 1200); do
    curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$server" 2>/dev/null || { echo "usher serve exited before it was ready" >&2; exit 1; }
    [ "$i" = 1200 ] && { echo "usher serve: not ready after 120 s" >&2; exit 1; }
    sleep 0.1
  done
}
