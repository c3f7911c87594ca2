-- One bench scenario for wrk, chosen by BENCH_MODE:
--   plain      the URL as given (no cookie)
--   returning  GET / with a session cookie
--   pour       POST /beer as htmx sends it: HX-Request, X-CSRF-Token, the form
--   login      POST /login with the demo user's credentials and the CSRF token
--   flood      POST /login like login, as the account named on each line (a
--              third column), counting answers by status
-- Cookies and CSRF tokens are read from BENCH_SESSIONS (one "name=value token"
-- per line, made beforehand by GET /) and rotated, request by request. The
-- requests are formatted once, so the generator spends no CPU building them.
-- done() prints the figures as one JSON line for the bench to parse.

local mode = os.getenv("BENCH_MODE") or "plain"
local prepared = {}
local index = 0

local function format(cookie, csrf, email)
  local headers = { ["Cookie"] = cookie }
  if mode == "returning" then
    return wrk.format("GET", "/", headers)
  elseif mode == "pour" then
    headers["HX-Request"] = "true"
    headers["X-CSRF-Token"] = csrf
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/beer", headers, "_csrf=" .. csrf)
  elseif mode == "login" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/login", headers, "email=test%40example.com&password=password&_csrf=" .. csrf)
  elseif mode == "flood" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/login", headers, "email=" .. email .. "&password=password&_csrf=" .. csrf)
  end
  error("unknown BENCH_MODE " .. mode)
end

function init(args)
  if mode == "plain" then return end
  for line in io.lines(os.getenv("BENCH_SESSIONS")) do
    local cookie, csrf, email = line:match("^(%S+) (%S+) ?(%S*)$")
    if cookie then prepared[#prepared + 1] = format(cookie, csrf, email) end
  end
  if #prepared == 0 then error("no sessions in " .. tostring(os.getenv("BENCH_SESSIONS"))) end
end

function request()
  if #prepared == 0 then return wrk.request() end
  index = index % #prepared + 1
  return prepared[index]
end

-- Only the flood counts answers by status: wrk hands a script every response
-- (parsed) when it defines response(), which costs CPU in the other modes.
local thread
if mode == "flood" then
  counts = { s303 = 0, s403 = 0, s429 = 0, s503 = 0, other = 0 }
  function setup(t) thread = t end
  function response(status)
    local key = "s" .. status
    if counts[key] == nil then key = "other" end
    counts[key] = counts[key] + 1
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  local statuses = ""
  if thread then
    local c = thread:get("counts")
    statuses = string.format(',"statuses":{"303":%d,"403":%d,"429":%d,"503":%d,"other":%d}',
      c.s303, c.s403, c.s429, c.s503, c.other)
  end
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"statusErrors":%d,"socketErrors":%d%s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout, statuses))
end
