#!/usr/bin/env bash
# Simulates the users of an A/B test: N users each send one fraud request with their own routing
# key (16 at a time), then "convert" at a known rate per arm, and every outcome (1 or 0) is posted
# back by routing key to the feedback route, in batches of 5000. Prints users and conversions per arm.
#   samples/experiments/simulate.sh N RATES [ENDPOINT] [SERVER]
#   RATES: per variant, e.g. fraud:1=0.10,fraud:2=0.12
set -euo pipefail
n="${1:?usage: simulate.sh N fraud:1=0.10,fraud:2=0.12 [ENDPOINT] [SERVER]}"
rates="${2:?give the conversion rate of each variant, e.g. fraud:1=0.10,fraud:2=0.12}"
endpoint="${3:-fraud}"
server="${4:-${USHER_SERVER:-http://127.0.0.1:8000}}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
seed="${SEED:-$RANDOM}"

# The routing key also rides in the query string, only so that curl can print it beside the variant.
awk -v n="$n" -v url="$server/v2/models/$endpoint/infer" -v seed="$seed" 'BEGIN {
  srand(seed);
  for (i = 0; i < n; i++) {
    body = "{\\\"inputs\\\":[{\\\"name\\\":\\\"features\\\",\\\"shape\\\":[1,30],\\\"datatype\\\":\\\"FP32\\\",\\\"data\\\":[";
    for (j = 0; j < 30; j++) body = body sprintf("%s%.4f", (j ? "," : ""), rand() * 2 - 1);
    body = body "]}]}";
    key = sprintf("user-%d-%d", seed, i);
    printf "next\nsilent\nwrite-out = \"%%{url} %%header{x-usher-variant}\\n\"\nurl = \"%s?key=%s\"\nheader = \"Content-Type: application/json\"\nheader = \"x-usher-routing-key: %s\"\ndata = \"%s\"\noutput = \"/dev/null\"\n", url, key, key, body;
  }
}' > "$work/requests"
curl --no-progress-meter --parallel --parallel-max 16 --config "$work/requests" > "$work/served"

# Each user converts with their arm's rate; outcomes go back in batches.
awk -v rates="$rates" -v seed="$seed" -v dir="$work" 'BEGIN {
  srand(seed + 1);
  split(rates, pairs, ",");
  for (p in pairs) { split(pairs[p], kv, "="); rate[kv[1]] = kv[2] + 0 }
}
$2 != "" {
  sub(/.*key=/, "", $1);
  value = (rand() < rate[$2]) ? 1 : 0;
  users[$2]++; converted[$2] += value;
  file = sprintf("%s/batch-%05d.json", dir, int(count / 5000));
  printf "%s{\"key\":\"%s\",\"value\":%d}", (count % 5000 ? "," : "["), $1, value > file;
  count++;
}
END {
  for (v in users) printf "%-10s %6d users %6d converted (%.2f%%)\n", v, users[v], converted[v], 100 * converted[v] / users[v];
}' "$work/served"
for batch in "$work"/batch-*.json; do
  [ -e "$batch" ] || continue
  printf ']' >> "$batch"
  curl --no-progress-meter -H 'Content-Type: application/json' --data-binary "@$batch" "$server/v2/endpoints/$endpoint/feedback" \
    | grep -o '"recorded":[0-9]*,"pending":[0-9]*,"duplicate":[0-9]*,"unknown":[0-9]*,"invalid":[0-9]*' || true
done
