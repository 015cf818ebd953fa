-- wrk script of scripts/loadtest.sh. One wrk process runs per category of request, with
-- `-- <category> <wrk threads> <file of GET paths>`; every answer's status is counted per thread and the
-- totals printed at the end as one `LOADJSON {...}` line that bench/loadtest.py reads.
--   hits:   a few diagrams again and again, by GET (Kroki's URL) and POST /api/generate;
--   misses: a new diagram every request: unique POST sources, and unique GET URLs from the file;
--   errors: diagrams the stand-in Kroki refuses (its SYNTAX_ERROR marker: a 400 from "Kroki").
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function json_body(source)
  local escaped = source:gsub('[%c"\\]', function(c)
    local named = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n' }
    return named[c] or string.format("\\u%04x", c:byte())
  end)
  return '{"diagram_type":"graphviz","output_format":"svg","diagram_source":"' .. escaped .. '"}'
end

local json_headers = { ["Content-Type"] = "application/json" }
local text_headers = { ["Content-Type"] = "text/plain" }

function init(args)
  category = args[1]
  thread_count = tonumber(args[2])
  statuses = {}
  counter = 0
  paths = {}
  if args[3] then
    for line in io.lines(args[3]) do
      table.insert(paths, line)
    end
  end
end

function request()
  counter = counter + 1
  local n = counter
  if category == "hits" then
    local which = n % 8
    if which < 4 then
      return wrk.format("GET", paths[which + 1])
    end
    return wrk.format("POST", "/api/generate", json_headers,
      json_body("digraph hits { a -> b" .. which .. " }"))
  elseif category == "misses" then
    local unique = "t" .. id .. "_" .. n
    if n % 3 == 0 and #paths > 0 then
      -- Threads take alternate paths from the file, so no two requests share one.
      local index = (math.floor(n / 3) * thread_count + id) % #paths + 1
      return wrk.format("GET", paths[index])
    elseif n % 3 == 1 then
      return wrk.format("POST", "/graphviz/svg", text_headers, "digraph miss { " .. unique .. " }")
    end
    return wrk.format("POST", "/api/generate", json_headers, json_body("digraph miss { " .. unique .. " -> x }"))
  end
  return wrk.format("POST", "/api/generate", json_headers,
    json_body("digraph broken {\nSYNTAX_ERROR " .. (n % 16) .. "\n}"))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(totals) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'LOADJSON {"category":"%s","requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"socket_errors":%d,"statuses":{%s}}\n',
    threads[1]:get("category"), summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    errors.connect + errors.read + errors.write + errors.timeout, table.concat(parts, ",")))
end
