-- wrk script: holds a fixed request rate with wrk's closed loop of connections (benchmarks/soak.sh).
--   wrk -t T -c C -d D -s benchmarks/lib/paced.lua URL -- RATE T
-- RATE is requests/s for the whole wrk (each of its T threads holds RATE/T); pass T again after it,
-- as wrk does not tell a script how many threads it has. Without RATE (or with 0) it does not pace:
-- a plain closed loop. WRK_BODY names a file to POST as JSON; without it the requests are GETs.
--
-- Pacing: each thread keeps a schedule, its n-th request due at t0 + n * T / RATE (t0: its first
-- request). wrk calls delay() before each connection's next request; the connection takes the
-- thread's next slot and waits until it is due (wrk counts latency from the send, so the wait is not
-- in it). With C connections at rate R that wait is C/R s less the answer's latency, on average;
-- keeping the schedule (rather than waiting C/R less the last latency) lets a late request be made
-- up by the next ones, so the rate over a run holds as long as the C connections can carry it
-- (C > R x latency). When they cannot, requests start late: lag_max_ms (the latest start behind its
-- slot) and late (requests started over 10 ms behind) say so, and the achieved rate falls short.
--
-- At the end it prints one JSON line: requests, seconds, throughput (achieved requests/s), target
-- (RATE), p50/p99/max latency in ms, non2xx (answers with a status outside 200-299, counted in
-- response()), socket (connect + read + write + timeout errors), errors (non2xx + socket), late,
-- lag_max_ms.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } usher_timespec;
  int clock_gettime(int clock_id, usher_timespec *tp);
]]
local clock_monotonic = 1
local ts = ffi.new("usher_timespec")
local function now_ms()
  ffi.C.clock_gettime(clock_monotonic, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local body_path = os.getenv("WRK_BODY")
if body_path and body_path ~= "" then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local file = assert(io.open(body_path, "rb"))
  wrk.body = file:read("*a")
  file:close()
end

-- The main state: every thread, to add up their counters in done().
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

-- Each thread's state (wrk runs a copy of this script per thread).
interval_ms = 0   -- ms between this thread's slots; 0: no pacing
t0 = nil          -- when this thread's first slot was due
n = 0             -- slots handed out
late = 0          -- requests started over 10 ms behind their slot
lag_max_ms = 0    -- the latest start behind its slot
non2xx = 0

function init(args)
  local rate = tonumber(args[1] or "0") or 0
  local thread_count = tonumber(args[2] or "1") or 1
  if rate > 0 then interval_ms = 1000 * thread_count / rate end
end

function delay()
  if interval_ms == 0 then return 0 end
  local now = now_ms()
  if t0 == nil then t0 = now end
  local due = t0 + n * interval_ms
  n = n + 1
  local wait = due - now
  if wait >= 0 then return math.floor(wait + 0.5) end
  if -wait > lag_max_ms then lag_max_ms = -wait end
  if -wait > 10 then late = late + 1 end
  return 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local bad, late_total, lag = 0, 0, 0
  local target = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    late_total = late_total + (thread:get("late") or 0)
    lag = math.max(lag, thread:get("lag_max_ms") or 0)
    local interval = thread:get("interval_ms") or 0
    if interval > 0 then target = target + 1000 / interval end
  end
  local seconds = summary.duration / 1e6
  io.write(string.format('{"requests":%d,"seconds":%.3f,"throughput":%.1f,"target":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,'
    .. '"max_ms":%.3f,"non2xx":%d,"socket":%d,"errors":%d,"late":%d,"lag_max_ms":%.1f}\n',
    summary.requests, seconds, summary.requests / seconds, target, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, bad, socket, bad + socket, late_total, lag))
end
