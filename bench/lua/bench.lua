-- Shared by the wrk scripts (loaded with `require "bench"`; run-http sets LUA_PATH).
--
-- Every wrk run is bounded in time by `-d` and `--timeout`; `bench.counted` bounds it in count as
-- well: a thread that has issued BENCH_MAX_REQUESTS requests (default 2,000,000) stops.
-- `bench.done` prints one JSON line (prefixed "BENCH-RESULT ") that run-http.mjs parses.
local bench = {}

local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "") or 2000000

-- Wraps a request builder so that each thread stops after max_requests requests.
function bench.counted(build)
  local issued = 0
  return function()
    issued = issued + 1
    if issued > max_requests then
      wrk.thread:stop()
    end
    return build(issued)
  end
end

local function json_number(n)
  if n ~= n or n == math.huge or n == -math.huge then
    return "null"
  end
  return string.format("%.3f", n)
end

function bench.done(summary, latency, _requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local fields = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_s":%s', json_number(seconds)),
    string.format('"rps":%s', json_number(summary.requests / seconds)),
    string.format('"p50_ms":%s', json_number(latency:percentile(50) / 1000)),
    string.format('"p90_ms":%s', json_number(latency:percentile(90) / 1000)),
    string.format('"p99_ms":%s', json_number(latency:percentile(99) / 1000)),
    string.format('"max_ms":%s', json_number(latency.max / 1000)),
    string.format('"mean_ms":%s', json_number(latency.mean / 1000)),
    string.format('"errors_connect":%d', e.connect),
    string.format('"errors_read":%d', e.read),
    string.format('"errors_write":%d', e.write),
    string.format('"errors_status":%d', e.status),
    string.format('"errors_timeout":%d', e.timeout),
  }
  io.write("BENCH-RESULT {" .. table.concat(fields, ",") .. "}\n")
end

-- Gives each thread a distinct `thread_id` global, for unique e-mails and spread users.
function bench.number_threads()
  local next_id = 0
  return function(thread)
    next_id = next_id + 1
    thread:set("thread_id", next_id)
  end
end

function bench.json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

return bench
