-- GET {base path}/get-session with one valid session cookie, from CLIENTS client addresses in
-- turn (X-Forwarded-For, believed from loopback), so that the limiter sees many keys and every
-- shard of its map is visited, as under real traffic.
-- Args: BASE_PATH COOKIE_VALUE CLIENTS
local bench = require("bench")

local prepared = {}
local thread_counter = 0

function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_id", thread_counter)
end

function init(args)
  local base_path, cookie, clients = args[1], args[2], tonumber(args[3])
  for i = 0, clients - 1 do
    prepared[#prepared + 1] = wrk.format("GET", base_path .. "/get-session", {
      ["Cookie"] = "better-auth.session_token=" .. cookie,
      ["X-Forwarded-For"] = string.format("198.%d.%d.%d", 18 + thread_id, math.floor(i / 256) % 256, i % 256),
    })
  end
end

request = bench.counted(function(n)
  return prepared[(n % #prepared) + 1]
end)

done = bench.done
