-- POST {base path}/email-otp/send-verification-otp {"email":"u<i>@bench.example","type":"sign-in"}
-- for i cycling over the seeded users, each thread over its own half.
-- Args: BASE_PATH ORIGIN USERS
local bench = require("bench")

setup = bench.number_threads()

local base_path, origin, users

function init(args)
  base_path, origin, users = args[1], args[2], tonumber(args[3])
end

request = bench.counted(function(n)
  local i = ((n - 1) * 2 + (thread_id - 1)) % users
  return wrk.format("POST", base_path .. "/email-otp/send-verification-otp", {
    ["Content-Type"] = "application/json",
    ["Origin"] = origin,
  }, '{"email":"u' .. i .. '@bench.example","type":"sign-in"}')
end)

done = bench.done
