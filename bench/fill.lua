-- wrk script for the full-cache phase of scripts/bench.sh: `POST /api/generate` with a new
-- diagram every request (a counter per thread, the thread's number in every line), each source
-- 200 lines of 150 characters, so each render is a ~40 KB SVG and the cache fills quickly.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local next_thread = 1

function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

local counter = 0
local filler = string.rep("x", 128)
local headers = { ["Content-Type"] = "application/json" }

function request()
  counter = counter + 1
  local lines = {}
  for line = 1, 200 do
    lines[line] = string.format("  n%d_%d_%03d [label=\\\"%s\\\"];", thread_number, counter, line, filler)
  end
  local body = '{"diagram_type":"graphviz","output_format":"svg","diagram_source":"digraph fill {\\n'
    .. table.concat(lines, "\\n") .. '\\n}"}'
  return wrk.format("POST", "/api/generate", headers, body)
end
