-- GET {base path}/organization/list-members?limit=100&sortBy=createdAt&offset=<rotating>
-- on the session's active organization.
-- Args: BASE_PATH COOKIE_VALUE [PAGES] (offsets cycle through PAGES pages of 100; default 1).
local bench = require("bench")

local base_path, cookie, pages

function init(args)
  base_path, cookie, pages = args[1], args[2], tonumber(args[3] or "1")
end

request = bench.counted(function(n)
  local offset = ((n - 1) % pages) * 100
  return wrk.format("GET", base_path .. "/organization/list-members?limit=100&sortBy=createdAt&offset=" .. offset, {
    ["Cookie"] = "better-auth.session_token=" .. cookie,
  })
end)

done = bench.done
