-- The key storm of bench/limiter.sh: every request comes from a new client address (a distinct
-- X-Forwarded-For, believed because wrk connects from loopback, a trusted proxy by default) and
-- carries a distinct path of PATH_BYTES bytes. Odd requests hit a parameterised route
-- (/reset-password/{token}), even ones no route at all (404).
-- Args: BASE_PATH PATH_BYTES. Stops after BENCH_MAX_REQUESTS per thread (bench.lua).
local bench = require("bench")

local base_path, filler
local thread_counter = 0

function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_id", thread_counter)
end

function init(args)
  base_path = args[1]
  local path_bytes = tonumber(args[2])
  -- One seeded random tail per thread; each request puts its own counter in front of it.
  math.randomseed(1000 + thread_id)
  local alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
  local chars = {}
  for i = 1, path_bytes do
    local k = math.random(1, #alphabet)
    chars[i] = alphabet:sub(k, k)
  end
  filler = table.concat(chars)
end

request = bench.counted(function(n)
  -- Public-looking IPv4, unique per (thread, request): first octet 20 + thread, then n.
  local ip = string.format("%d.%d.%d.%d", 20 + thread_id, math.floor(n / 65536) % 256,
    math.floor(n / 256) % 256, n % 256)
  local route = (n % 2 == 1) and "/reset-password/" or "/no-such-route/"
  local head = base_path .. route .. string.format("%x-%x-", thread_id, n)
  local path = head .. filler:sub(1, #filler - #head)
  return wrk.format("GET", path, { ["X-Forwarded-For"] = ip })
end)

done = bench.done
