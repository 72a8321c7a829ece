-- Shared by the wrk scripts of bench/surge.py: per-thread state, status counts, and one JSON line
-- of results from done() for the harness to read.
--
-- Each wrk thread gets an id (setup) and, from the harness, one browser's CSRF cookie and form
-- token (a browser that loaded the petition page), read from the file named in the first script
-- argument: one "cookie token" pair per line.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(lines, line) end
  end
  return lines
end

-- This thread's browser: the CSRF cookie and form token on line (id + 1) of the pairs file.
function browser(path)
  local pairs_ = read_lines(path)
  return pairs_[(id % #pairs_) + 1]:match("(%S+) (%S+)")
end

-- The headers of a form POST from that browser.
function form_headers(cookie, extra)
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. cookie,
    ["Origin"] = wrk.scheme .. "://" .. wrk.host .. ":" .. wrk.port,
  }
  for name, value in pairs(extra or {}) do headers[name] = value end
  return headers
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, n in pairs(s) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    table.concat(parts, ", ")))
end
