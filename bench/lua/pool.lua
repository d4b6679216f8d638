-- wrk script: cycles over a pool of requests and prints exact percentiles as JSON.
--
--   wrk -t THREADS ... -s pool.lua URL -- PATHS_FILE COOKIES_FILE THREADS
--
-- PATHS_FILE has one path per line; COOKIES_FILE ("-" for none) one Cookie
-- header value per line, sent in turn beside the paths. Each of the THREADS
-- threads starts at its own place in the pool. Requests are formatted once,
-- in init(), so request() costs wrk almost nothing.

local threads = {}

function setup(thread)
  thread:set("number", #threads)
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  if path ~= nil and path ~= "-" then
    for line in io.lines(path) do
      if line ~= "" then
        lines[#lines + 1] = line
      end
    end
  end
  return lines
end

local pool = {}
local position = 0

function init(args)
  local paths = read_lines(args[1])
  local cookies = read_lines(args[2])
  local size = math.max(#paths, #cookies)
  for i = 0, size - 1 do
    local headers = nil
    if #cookies > 0 then
      headers = { Cookie = cookies[i % #cookies + 1] }
    end
    pool[i + 1] = wrk.format("GET", paths[i % #paths + 1], headers)
  end
  position = math.floor(number * size / tonumber(args[3])) % size
end

function request()
  position = position % #pool + 1
  return pool[position]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean
  ))
end
