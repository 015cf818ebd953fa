-- wrk script for the `POST /api/generate` run of scripts/bench.sh: the same diagram as the GET
-- runs (bench/diagram.dot), as the JSON body the editor sends. Every request is the same, so
-- after the first one every request is a cache hit.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local function json_string(text)
  local escaped = text:gsub('[%c"\\]', function(c)
    local named = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
    return named[c] or string.format("\\u%04x", c:byte())
  end)
  return '"' .. escaped .. '"'
end

local file = assert(io.open(here .. "diagram.dot", "rb"))
local source = file:read("*a")
file:close()

wrk.method = "POST"
wrk.path = "/api/generate"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"diagram_type":"graphviz","output_format":"svg","diagram_source":'
  .. json_string(source) .. '}'
