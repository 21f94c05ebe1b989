-- The load of `pnpm bench:traffic`, run by wrk: each request is picked at random from a list of ready-made requests
-- (one line per request: METHOD, path, token, X-Forwarded-For address and an optional JSON body, separated by tabs),
-- so every request carries the token of the user it acts for. With a second list and a share, that share of the
-- requests is picked from the second list instead (the writes mixed into reads).
--
--   wrk -s traffic.lua <url> -- <requests file> [<second file> <share 0..1>]
--
-- At the end it prints one line, "TRAFFIC_JSON {...}": requests, duration, latency percentiles (µs), wrk's error
-- counts ("status" counts the answers with a status of 400 or more) and how many requests came from the second list.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local function load(file)
  local list = {}
  for line in io.lines(file) do
    local method, path, token, address, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t?(.*)$")
    if method then
      local headers = { ["Authorization"] = "Bearer " .. token, ["X-Forwarded-For"] = address }
      if body ~= "" then
        headers["Content-Type"] = "application/json"
      else
        body = nil
      end
      list[#list + 1] = wrk.format(method, path, headers, body)
    end
  end
  if #list == 0 then
    error("no requests in " .. file)
  end
  return list
end

local first, second, share = nil, nil, 0
second_sent = 0

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0))
  first = load(args[1])
  if args[2] and args[2] ~= "-" then
    second = load(args[2])
    share = tonumber(args[3] or "0")
  end
end

function request()
  if second and math.random() < share then
    second_sent = second_sent + 1
    return second[math.random(#second)]
  end
  return first[math.random(#first)]
end

function done(summary, latency, requests)
  local sent = 0
  for _, thread in ipairs(threads) do
    sent = sent + (thread:get("second_sent") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'TRAFFIC_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"secondSent":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, sent))
end
