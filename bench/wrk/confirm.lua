-- POST the Confirm button of the emailed links: each request confirms another pending signature
-- (the harness writes one confirmation path per line, split between the threads).
--
-- wrk ... -s confirm.lua <url> -- <csrf pairs file> <paths file> <threads>
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "common"

local cookie, token, paths, position, step

function init(args)
  cookie, token = browser(args[1])
  paths = read_lines(args[2])
  step = tonumber(args[3])
  position = id + 1  -- thread k takes lines k, k + threads, ...: no two threads confirm the same one
end

function request()
  local path = paths[position]
  position = position + step
  if path == nil then
    path = paths[1]  -- ran out: confirming again is harmless (and counted as such by the harness)
  end
  return wrk.format("POST", path, form_headers(cookie), "csrfmiddlewaretoken=" .. token)
end
