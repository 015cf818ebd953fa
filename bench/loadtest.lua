-- wrk script of scripts/loadtest.sh: `wrk ... -s loadtest.lua URL -- DIR ROUND THREADS`, where DIR
-- holds what `bench/loadtest.py prepare` wrote. Every connection sends the same mix, 20 requests
-- at a time (a counter per wrk thread):
--   14 cache hits (70%):    4 diagrams by GET (Kroki's URL), 4 by POST /api/generate (JSON);
--    4 cache misses (20%):  a new diagram each (~1.7 KB of source, a ~4.8 KB render), in turn by
--                           GET (a URL of the pool misses-ROUND.paths, used once), POST
--                           /graphviz/svg (text) and POST /api/generate (JSON);
--    2 errors (10%):        in turn three sources the upstream refuses (the stand-in's
--                           SYNTAX_ERROR marker on line 2: its 400 and engine message) by JSON
--                           and text (new sources) and GET (16 URLs), then one the app refuses
--                           itself: an unknown diagram type (400 unknown_diagram_type) or, every
--                           other time, an unknown type in a GET URL (404).
-- Each answer is sorted by what it is (status, x-cache, and the body: the stand-in draws the
-- source text, so a 200 names its diagram), not by which request it answered, which wrk does not
-- tell. done() prints one `LOADJSON {...}` line with the counts sent and answered per kind, read
-- by bench/loadtest.py.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function lines_of(path)
  local lines = {}
  for line in io.lines(path) do
    lines[#lines + 1] = line
  end
  return lines
end

local function json_escape(text)
  return (text:gsub('[%c"\\]', function(c)
    local named = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n' }
    return named[c] or string.format("\\u%04x", c:byte())
  end))
end

local function generate_body(kind, source)
  return '{"diagram_type":"' .. kind .. '","output_format":"svg","diagram_source":"'
    .. json_escape(source) .. '"}'
end

local json = { ["Content-Type"] = "application/json" }
local text = { ["Content-Type"] = "text/plain" }

function init(args)
  local dir = args[1]
  round, thread_count = tonumber(args[2]), tonumber(args[3])
  local file = assert(io.open(dir .. "/padding.txt", "rb"))
  padding = file:read("*a")
  file:close()
  padding_json = json_escape(padding)
  hit_paths = lines_of(dir .. "/hits.paths")
  error_paths = lines_of(dir .. "/errors.paths")
  miss_paths = lines_of(dir .. "/misses-" .. round .. ".paths")
  hit_bodies = {}
  for k = 0, 3 do
    hit_bodies[k] = generate_body("graphviz", "digraph hit_post_" .. k .. " {\n  a -> b" .. k .. "\n}")
  end
  pool_next = id + 1 -- threads take alternate URLs of the pool, so none is sent twice
  n, hits, misses, errors = 0, 0, 0, 0
  sent, answered = {}, {}
end

local function count(kind)
  sent[kind] = (sent[kind] or 0) + 1
end

local function hit()
  hits = hits + 1
  count("hit")
  local k = hits % 8
  if k < 4 then
    return wrk.format("GET", hit_paths[k + 1])
  end
  return wrk.format("POST", "/api/generate", json, hit_bodies[k - 4])
end

local function miss()
  misses = misses + 1
  count("miss")
  local kind = misses % 3
  if kind == 0 then
    if pool_next <= #miss_paths then
      local path = miss_paths[pool_next]
      pool_next = pool_next + thread_count
      return wrk.format("GET", path)
    end
    count("pool_exhausted")
    kind = 1
  end
  local name = "digraph miss_t" .. id .. "_r" .. round .. "_" .. misses .. " {\n"
  if kind == 1 then
    return wrk.format("POST", "/graphviz/svg", text, name .. padding .. "}")
  end
  return wrk.format("POST", "/api/generate", json, '{"diagram_type":"graphviz","output_format":"svg",'
    .. '"diagram_source":"' .. json_escape(name) .. padding_json .. '}"}')
end

local function refused()
  errors = errors + 1
  local kind, k = errors % 4, errors % 16
  -- POSTed errors are new sources each (each one a Kroki request); the GET ones are 16 URLs
  -- again and again, so identical ones in flight together share one Kroki request.
  local broken = "digraph broken_t" .. id .. "_r" .. round .. "_" .. errors .. " {\nSYNTAX_ERROR\n}"
  if kind == 0 then
    count("upstream_error")
    return wrk.format("POST", "/api/generate", json, generate_body("graphviz", broken))
  elseif kind == 1 then
    count("upstream_error")
    return wrk.format("POST", "/graphviz/svg", text, broken)
  elseif kind == 2 then
    count("upstream_error")
    return wrk.format("GET", error_paths[k + 1])
  elseif math.floor(errors / 4) % 2 == 0 then
    count("app_400")
    return wrk.format("POST", "/api/generate", json, generate_body("nosuchtype", "digraph x {}"))
  end
  count("app_404")
  return wrk.format("GET", "/nosuchtype/svg/" .. error_paths[k + 1]:match("[^/]+$"))
end

function request()
  n = n + 1
  local slot = n % 20
  if slot == 2 or slot == 7 or slot == 12 or slot == 17 then
    return miss()
  elseif slot == 4 or slot == 14 then
    return refused()
  end
  return hit()
end

function response(status, headers, body)
  local kind
  if status == 200 then
    local cached = headers["x-cache"] == "HIT"
    if body:find("digraph hit_", 1, true) then
      kind = cached and "hit" or "hit_uncached"
    elseif body:find("digraph miss_", 1, true) then
      kind = cached and "miss_cached" or "miss"
    end
  elseif status == 400 then
    if body:find("syntax error in line 2 near 'SYNTAX_ERROR'", 1, true) then
      kind = "upstream_error"
    elseif body:find('"code":"unknown_diagram_type"', 1, true) then
      kind = "app_400"
    end
  elseif status == 404 and body == "Error 404: Not Found" then
    kind = "app_404"
  end
  kind = kind or ("unexpected_" .. status)
  answered[kind] = (answered[kind] or 0) + 1
end

local function json_counts(counts)
  local parts = {}
  for kind, value in pairs(counts) do
    table.insert(parts, string.format('"%s":%d', kind, value))
  end
  table.sort(parts)
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local sent_all, answered_all = {}, {}
  for _, thread in ipairs(threads) do
    for kind, value in pairs(thread:get("sent")) do
      sent_all[kind] = (sent_all[kind] or 0) + value
    end
    for kind, value in pairs(thread:get("answered")) do
      answered_all[kind] = (answered_all[kind] or 0) + value
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'LOADJSON {"round":%d,"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"sent":%s,"answered":%s}\n',
    threads[1]:get("round"), summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    errors.connect, errors.read, errors.write, errors.timeout,
    json_counts(sent_all), json_counts(answered_all)))
end
