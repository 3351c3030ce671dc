-- POST {base path}/sign-in/email as one of USERS seeded users, spread over threads and requests.
-- Args: BASE_PATH ORIGIN USERS PASSWORD EMAIL_PREFIX (users are EMAIL_PREFIX<i>@example.com, i in 0..USERS-1).
local bench = require("bench")

setup = bench.number_threads()

local requests = {}

function init(args)
  local base_path, origin, users, password, prefix = args[1], args[2], tonumber(args[3]), args[4], args[5]
  local headers = { ["Content-Type"] = "application/json", ["Origin"] = origin }
  for i = 0, users - 1 do
    local body = string.format('{"email":%s,"password":%s}',
      bench.json_string(prefix .. i .. "@example.com"), bench.json_string(password))
    requests[#requests + 1] = wrk.format("POST", base_path .. "/sign-in/email", headers, body)
  end
end

request = bench.counted(function(n)
  return requests[((n + (thread_id or 0) * 7) % #requests) + 1]
end)

done = bench.done
