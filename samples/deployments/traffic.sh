#!/usr/bin/env bash
# Sends N fraud requests with random features, each with its own routing key, 16 at a time, and
# prints how many each variant answered (from the x-usher-variant response header).
#   samples/deployments/traffic.sh [N] [ENDPOINT] [SERVER]
set -euo pipefail
n="${1:-1000}"
endpoint="${2:-fraud}"
server="${3:-${USHER_SERVER:-http://127.0.0.1:8000}}"
config="$(mktemp)"
trap 'rm -f "$config"' EXIT
awk -v n="$n" -v url="$server/v2/models/$endpoint/infer" -v seed="$RANDOM" 'BEGIN {
  srand(seed);
  for (i = 0; i < n; i++) {
    body = "{\\\"inputs\\\":[{\\\"name\\\":\\\"features\\\",\\\"shape\\\":[1,30],\\\"datatype\\\":\\\"FP32\\\",\\\"data\\\":[";
    for (j = 0; j < 30; j++) body = body sprintf("%s%.4f", (j ? "," : ""), rand() * 2 - 1);
    body = body "]}]}";
    printf "next\nsilent\nwrite-out = \"%%{http_code} %%header{x-usher-variant}\\n\"\nurl = \"%s\"\nheader = \"Content-Type: application/json\"\nheader = \"x-usher-routing-key: user-%d-%d\"\ndata = \"%s\"\noutput = \"/dev/null\"\n", url, seed, i, body;
  }
}' > "$config"
curl --no-progress-meter --parallel --parallel-max 16 --config "$config" | sort | uniq -c | sort -rn
