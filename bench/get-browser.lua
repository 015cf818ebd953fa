-- wrk script for the GET runs of scripts/bench.sh that ask as a browser does: the URL on the
-- command line, with the Accept-Encoding of current Chrome and Firefox.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
wrk.headers["Accept-Encoding"] = "gzip, deflate, br, zstd"
