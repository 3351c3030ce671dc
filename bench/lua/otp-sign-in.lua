-- POST {base path}/sign-in/email-otp with each live code once: the codes file holds one
-- "email<TAB>code" line per user; thread 1 takes the odd lines, thread 2 the even ones. Run with
-- BENCH_MAX_REQUESTS = lines / 2 so that no code is sent twice.
-- Args: BASE_PATH ORIGIN CODES_FILE
local bench = require("bench")

setup = bench.number_threads()

local base_path, origin
local pairs_of = {}

function init(args)
  base_path, origin = args[1], args[2]
  local line_no = 0
  for line in io.lines(args[3]) do
    line_no = line_no + 1
    if line_no % 2 == thread_id % 2 then
      local email, code = line:match("^(%S+)\t(%d+)$")
      pairs_of[#pairs_of + 1] = { email, code }
    end
  end
end

request = bench.counted(function(n)
  local pair = pairs_of[((n - 1) % #pairs_of) + 1]
  return wrk.format("POST", base_path .. "/sign-in/email-otp", {
    ["Content-Type"] = "application/json",
    ["Origin"] = origin,
  }, '{"email":"' .. pair[1] .. '","otp":"' .. pair[2] .. '"}')
end)

done = bench.done
