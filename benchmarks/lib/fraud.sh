# Sourced by the scripts that measure `usher serve` on fraud for one or more builds (profile/cost.sh, compare/cpu.sh,
# profile/perf.sh, run-shadow.sh, shadow-threads.sh): a work folder whose clean-up stops every server started, the fraud
# repository and request body, a server started in the background and waited on, one server per build, and
# the admin API's POST. The caller sets
# `root` (the repository) before sourcing.
#   fraud_init PREFIX [KEEP_VARIABLE]     makes $work; on exit stops every server fraud_serve started
#                                         (SIGTERM, 10 s to drain, then SIGKILL), shows the end of their
#                                         logs after a failure, and removes $work unless ${KEEP_VARIABLE} is 1
#   fraud_repository USHER_DLL DIR [CONFIG]
#                                         DIR/fraud: every version of the fraud sample (generated once into
#                                         $work/samples), with CONFIG as its config.yaml (default: the sample's own)
#   fraud_body FILE                       one request of 30 deterministic floats, REST JSON
#   fraud_model MODEL USHER_DLL DIR CONFIG BODY
#                                         DIR/MODEL (fraud or mlp-large) with CONFIG as its config.yaml, and BODY
#                                         one request for it (mlp-large: 1,024 floats, as compare/run.sh's)
#   fraud_serve LOG_DIR PORT COMMAND...   runs COMMAND (`dotnet usher.dll serve ...`, or `env NAME=VALUE ...
#                                         dotnet ...`) in LOG_DIR with USHER_SERVER__HOST=127.0.0.1, its output in
#                                         LOG_DIR/server.log; sets $server; waits until 127.0.0.1:PORT is ready
#   fraud_stop PID                        stops one server (as on exit) and forgets it
#   fraud_serve_builds PORT               one server per build of ${builds[@]} (LABEL=USHER_DLL, lib/cost.sh)
#                                         on PORT, PORT+1, ...: the repository $work/repo, its log and state
#                                         under $work/LABEL; sets urls and pids, one per build, in order
#   admin URL PATH [JSON]                 POSTs JSON (or nothing) to the server at URL; quiet, fails on an error status
# fraud's config.yaml for the shadow's measurements (run-shadow.sh, shadow-threads.sh): every version served,
# one instance per core with one thread each, as compare/run.sh serves fraud for its shadow target.
fraud_shadow_config=$'max_batch_size: 64\nversion_policy: { all: {} }\ninstances: auto'
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
fraud_servers=()
fraud_logs=()
server=""

fraud_halt() { # PID
  kill -TERM "$1" 2>/dev/null || true
  # Usher drains in-flight requests on SIGTERM; give it 10 s, then stop it hard.
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

fraud_cleanup() {
  local rc=$? pid log
  for pid in "${fraud_servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${fraud_servers[@]}"; do fraud_halt "$pid"; done
  if [ "$rc" -ne 0 ]; then
    for log in "${fraud_logs[@]}"; do
      [ -f "$log" ] || continue
      echo "--- last lines of $log" >&2
      tail -n 20 "$log" >&2
    done
  fi
  if [ -n "$fraud_keep" ] && [ "${!fraud_keep:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}

fraud_init() { # PREFIX [KEEP_VARIABLE]
  work="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  fraud_keep="${2:-}"
  command -v curl >/dev/null || { echo "$(basename "$0"): curl is required" >&2; exit 1; }
  trap fraud_cleanup EXIT
  trap 'exit 130' INT TERM
}

fraud_repository() { # USHER_DLL DIR [CONFIG]
  [ -d "$work/samples/fraud" ] || dotnet "$1" samples generate --output "$work/samples" >/dev/null
  mkdir -p "$2/fraud"
  cp -R "$work/samples/fraud"/[0-9]* "$2/fraud/"
  if [ $# -ge 3 ]; then printf '%s\n' "$3" >"$2/fraud/config.yaml"
  elif [ -f "$work/samples/fraud/config.yaml" ]; then cp "$work/samples/fraud/config.yaml" "$2/fraud/"; fi
}

fraud_body() { # FILE
  awk 'BEGIN {
    printf "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":["
    for (i = 0; i < 30; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3)
    printf "]}]}\n"
  }' >"$1"
}

fraud_model() { # MODEL USHER_DLL DIR CONFIG BODY
  case "$1" in
    fraud) fraud_repository "$2" "$3" "$4"; fraud_body "$5" ;;
    mlp-large)
      [ -d "$work/samples/$1" ] || dotnet "$2" samples generate --output "$work/samples" >/dev/null
      mkdir -p "$3/$1"
      cp -R "$work/samples/$1"/[0-9]* "$3/$1/"
      printf '%s\n' "$4" >"$3/$1/config.yaml"
      awk 'BEGIN {
        printf "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,1024],\"datatype\":\"FP32\",\"data\":["
        for (i = 0; i < 1024; i++) printf "%s%.4f", (i ? "," : ""), sin(i * 0.7 + 0.3)
        printf "]}]}\n"
      }' >"$5" ;;
    *) echo "$(basename "$0"): the model is fraud or mlp-large, got '$1'" >&2; exit 2 ;;
  esac
}

fraud_serve() { # LOG_DIR PORT COMMAND...
  local dir="$1" port="$2" i; shift 2
  mkdir -p "$dir"
  ( cd "$dir" && USHER_SERVER__HOST=127.0.0.1 exec "$@" ) >"$dir/server.log" 2>&1 &
  server=$!
  fraud_servers+=("$server")
  fraud_logs+=("$dir/server.log")
  for i in $(seq 1 1200); do
    curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$server" 2>/dev/null || { echo "$(basename "$0"): the server on port $port exited before it was ready ($dir/server.log)" >&2; exit 1; }
    [ "$i" = 1200 ] && { echo "$(basename "$0"): the server on port $port was not ready after 120 s" >&2; exit 1; }
    sleep 0.1
  done
}

fraud_stop() { # PID
  local pid kept=()
  fraud_halt "$1"
  for pid in "${fraud_servers[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  fraud_servers=("${kept[@]}")
  [ "$server" != "$1" ] || server=""
}

fraud_serve_builds() { # PORT
  local i label dll p
  urls=() pids=()
  for i in "${!builds[@]}"; do
    label="${builds[$i]%%=*}" dll="${builds[$i]#*=}" p=$(($1 + i))
    fraud_serve "$work/$label" "$p" dotnet "$dll" serve --model-repository "$work/repo" --http-port "$p" --grpc-port -1 --data-dir "$work/$label/data"
    pids+=("$server")
    urls+=("http://127.0.0.1:$p")
  done
}

admin() { curl -sf -X POST -H 'Content-Type: application/json' "$1$2" ${3:+-d "$3"} >/dev/null; }
