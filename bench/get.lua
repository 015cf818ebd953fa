-- wrk script for the GET runs of scripts/bench.sh: the URL on the command line, as is.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
