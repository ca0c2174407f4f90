-- wrk script: send the requests listed (one a line) in the file named by BENCH_PATHS, in turn,
-- each thread starting at its own place in the list. A line is a path (a GET with wrk's -H
-- headers: the session cookie or the bearer token), or tab-separated fields: the method, the
-- path, then "Name: value" headers and at most one "body=..." (a mixed load of several users,
-- each line with its own credentials). Prints one JSON line with the totals when done.

local counter = 0
local listed = {}
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local function parse(line)
  if not line:find("\t") then
    return {path = line}
  end
  local fields = {}
  for field in line:gmatch("[^\t]+") do
    fields[#fields + 1] = field
  end
  local request = {method = fields[1], path = fields[2], headers = {}}
  for i = 3, #fields do
    local body = fields[i]:match("^body=(.*)$")
    if body then
      request.body = body
    else
      local name, value = fields[i]:match("^([^:]+):%s*(.*)$")
      request.headers[name] = value
    end
  end
  return request
end

function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    if #line > 0 then
      listed[#listed + 1] = parse(line)
    end
  end
  counter = ((id or 0) * 7919) % #listed
end

function request()
  counter = counter % #listed + 1
  local r = listed[counter]
  if r.method == nil then
    return wrk.format("GET", r.path)
  end
  return wrk.format(r.method, r.path, r.headers, r.body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
