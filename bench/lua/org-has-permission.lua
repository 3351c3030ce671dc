-- POST {base path}/organization/has-permission {"permissions":{"member":["create"]}} on the
-- session's active organization.
-- Args: BASE_PATH COOKIE_VALUE ORIGIN
local bench = require("bench")

local prepared

function init(args)
  local base_path, cookie, origin = args[1], args[2], args[3]
  prepared = wrk.format("POST", base_path .. "/organization/has-permission", {
    ["Cookie"] = "better-auth.session_token=" .. cookie,
    ["Content-Type"] = "application/json",
    ["Origin"] = origin,
  }, '{"permissions":{"member":["create"]}}')
end

request = bench.counted(function()
  return prepared
end)

done = bench.done
