-- POST {base path}/sign-up/email with a new address each time.
-- Args: BASE_PATH ORIGIN PASSWORD RUN_ID (addresses are su-RUN_ID-<thread>-<n>@example.com).
local bench = require("bench")

setup = bench.number_threads()

local path, headers, password, run_id

function init(args)
  path = args[1] .. "/sign-up/email"
  headers = { ["Content-Type"] = "application/json", ["Origin"] = args[2] }
  password = bench.json_string(args[3])
  run_id = args[4]
end

request = bench.counted(function(n)
  local email = string.format("su-%s-%d-%d@example.com", run_id, thread_id or 0, n)
  local body = string.format('{"email":"%s","password":%s,"name":"Bench User"}', email, password)
  return wrk.format("POST", path, headers, body)
end)

done = bench.done
