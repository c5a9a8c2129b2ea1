-- wrk script for benchmarks/compare/run.sh: POSTs the JSON body in the file named by WRK_BODY, and
-- prints one JSON line of results at the end (throughput, p50 and p99 in ms, non-2xx and socket errors).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local path = os.getenv("WRK_BODY") or error("set WRK_BODY to the request body's file")
local file = assert(io.open(path, "rb"))
wrk.body = file:read("*a")
file:close()

done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format('{"requests":%d,"seconds":%.3f,"throughput":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
