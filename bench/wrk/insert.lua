-- The baseline's twin of the sign POST: a form body, a new value each time.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "common"

local counter = 0

function request()
  counter = counter + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"},
    "value=v" .. id .. "-" .. counter)
end
