-- POST the sign form as browsers do: each wrk thread is a browser that loaded the page (its CSRF
-- cookie and token), each request a new signer (a new email address, and a client address that
-- the proxy in front of the site reports in X-Forwarded-For). One request in `abuse_every` comes
-- from one of three addresses that sign over and over, to exercise the rate limit.
--
-- wrk ... -s sign.lua <url> -- <csrf pairs file> <run id> <abuse_every, 0 = none>
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "common"

local cookie, token, run, abuse_every, counter

function init(args)
  cookie, token = browser(args[1])
  run = args[2]
  abuse_every = tonumber(args[3] or "0")
  counter = 0
end

function request()
  counter = counter + 1
  local ip
  if abuse_every > 0 and counter % abuse_every == 0 then
    ip = string.format("192.0.2.%d", counter % 3 + 1)
  else
    ip = string.format("10.%d.%d.%d", id % 250, math.floor(counter / 250) % 250, counter % 250)
  end
  local body = "csrfmiddlewaretoken=" .. token ..
    "&first_name=Surge&last_name=Signer" .. counter ..
    "&email=s" .. run .. "-" .. id .. "-" .. counter .. "%40surge.example.org" ..
    "&country=UA&city=&organisation=&comment=&public_name=initial&name_in_letter=yes"
  return wrk.format("POST", nil, form_headers(cookie, {["X-Forwarded-For"] = ip}), body)
end
