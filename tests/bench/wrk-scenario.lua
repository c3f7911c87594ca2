-- One bench scenario for wrk, chosen by BENCH_MODE:
--   plain      the URL as given (no cookie)
--   returning  GET / with a session cookie
--   pour       POST /beer as htmx sends it: HX-Request, X-CSRF-Token, the form
--   login      POST /login with the demo user's credentials and the CSRF token
-- Cookies and CSRF tokens are read from BENCH_SESSIONS (one "name=value token"
-- per line, made beforehand by GET /) and rotated, request by request. The
-- requests are formatted once, so the generator spends no CPU building them.
-- done() prints the figures as one JSON line for the bench to parse.

local mode = os.getenv("BENCH_MODE") or "plain"
local prepared = {}
local index = 0

local function format(cookie, csrf)
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
  end
  error("unknown BENCH_MODE " .. mode)
end

function init(args)
  if mode == "plain" then return end
  for line in io.lines(os.getenv("BENCH_SESSIONS")) do
    local cookie, csrf = line:match("^(%S+) (%S+)$")
    if cookie then prepared[#prepared + 1] = format(cookie, csrf) end
  end
  if #prepared == 0 then error("no sessions in " .. tostring(os.getenv("BENCH_SESSIONS"))) end
end

function request()
  if #prepared == 0 then return wrk.request() end
  index = index % #prepared + 1
  return prepared[index]
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"statusErrors":%d,"socketErrors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
