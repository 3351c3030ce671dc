-- GET {base path}/get-session with one valid session cookie.
-- Args: BASE_PATH COOKIE_VALUE (the signed value, as the server set it).
local bench = require("bench")

local prepared

function init(args)
  local base_path, cookie = args[1], args[2]
  prepared = wrk.format("GET", base_path .. "/get-session", {
    ["Cookie"] = "better-auth.session_token=" .. cookie,
  })
end

request = bench.counted(function()
  return prepared
end)

done = bench.done
