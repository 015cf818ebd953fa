#!/usr/bin/env bash
# `make bench`: kroki-web against nginx in front of Kroki, in one run, on this machine.
#
# Builds the release binaries (kroki-web and the stand-in Kroki), installs nginx and wrk from
# Debian if they are missing, then on loopback only:
#   1. cache hits: kroki-web (cache on) vs nginx proxy_cache, the same cached GET diagram URL;
#      1b. the same with a browser's Accept-Encoding (kroki-web's stored variants vs nginx
#      proxy_cache with `gzip on`), for the small diagram (with 1, in BENCH_ROUNDS interleaved
#      rounds, medians) and for a ~300 KB Graphviz-like SVG (bench/tools.py largesvg, served by
#      a fixed nginx upstream);
#      1c. Redis hits: kroki-web with no memory tier (CACHE_MAX_SIZE=0) and its Redis tier on
#      (CACHE_REDIS_URL, a redis-server started here) vs nginx proxy_cache, the same URL;
#   2. cache misses: kroki-web (CACHE_MAX_SIZE=0) vs nginx proxy_pass vs the stand-in directly,
#      at the same load and again at light load (1 connection);
#   3. POST /api/generate (JSON) at the same load, cache hits;
#   4. kroki-web's resident memory: idle, peak under load, with a full cache;
#   5. kroki-web's time from process start to the first 200 from /healthz (median of 5);
#   6. against a second upstream, an nginx answering every diagram request with a fixed SVG
#      (bench/nginx-fixed.conf.template), in BENCH_ROUNDS interleaved rounds (medians): GET misses
#      (CACHE_MAX_SIZE=0) vs nginx proxy_pass, uncached POST /api/generate vs nginx proxy_pass
#      of the same POST, cache hits vs nginx proxy_cache.
# Every contender gets the same wrk load: BENCH_CONNECTIONS connections, BENCH_THREADS threads,
# BENCH_DURATION seconds after a BENCH_WARMUP-second warm-up run whose figures are discarded.
# It prints the figures, the ratios and a PASS/MISS line per target of the performance issue,
# and exits 0 whatever they say (a benchmark, not a test); non-zero only when it cannot run.
#
# Settings (environment): BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_DURATION (10),
# BENCH_WARMUP (2), BENCH_WORKERS (2: app WORKERS, nginx worker_processes and stand-in
# --workers), BENCH_FILL_BUDGET (64MiB, as bytes), BENCH_OUT (a file to copy the JSON results
# to), BENCH_SKIP_BUILD=1 (use the binaries already in target/release),
# BENCH_NGINX_LISTEN_OPTIONS (`reuseport`; empty for nginx's plain `listen`),
# BENCH_ONLY (sections to run, comma-separated, default all: startup,hit,redis,large,miss,memory,
# fixed), BENCH_ROUNDS (3) and BENCH_ROUND_DURATION (8) for section 6, BENCH_PROFILE (release;
# e.g. `profiling`, or a faster profile while iterating: figures to record come from release),
# BENCH_PERF=1 (after section 6's rounds, one more pass-through run and one more hit run under
# `perf record -g` (BENCH_PERF_CALL_GRAPH: other options, e.g. `--call-graph dwarf,16384`), not
# counted; the data and `perf report` texts, miss.* and hit.*, go to BENCH_PERF_DIR, default
# target/bench-perf),
# BENCH_BASELINE (another kroki-web binary: section 6 gets its GET miss and hit rows too, in the
# same rounds, for an A/B of two builds).
# Everything it starts is stopped, and its temporary directory removed, on exit or Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
WORKERS=${BENCH_WORKERS:-2}
LIGHT_CONNECTIONS=1
FILL_BUDGET=${BENCH_FILL_BUDGET:-$((64 * 1024 * 1024))}
DEFAULT_BUDGET=$((128 * 1024 * 1024))
FILL_CONNECTIONS=16
FILL_ROUND_SECONDS=4
FILL_MAX_ROUNDS=8

ROUNDS=${BENCH_ROUNDS:-3}
ROUND_DURATION=${BENCH_ROUND_DURATION:-8}
ONLY=${BENCH_ONLY:-startup,hit,redis,large,miss,memory,fixed}

LOG_TAG=bench
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

# --- the contenders --------------------------------------------------------------------------

start_app() { # name port cache_max_size [upstream_port [redis_url [binary]]]: starts kroki-web, sets APP_PID
    local name=$1 port=$2 cache=$3 upstream=${4:-$UPSTREAM_PORT} redis=${5:-off} binary=${6:-$BIN/kroki-web}
    env KROKI_URL="http://127.0.0.1:$upstream" LISTEN_HOST=127.0.0.1 PORT="$port" \
        WORKERS="$WORKERS" LOG_LEVEL=warn CACHE_MAX_SIZE="$cache" SHUTDOWN_TIMEOUT=2s \
        KROKI_COMPANIONS=none CACHE_REDIS_URL="$redis" "$binary" >"$WORK/$name.log" 2>&1 &
    APP_PID=$!
    PIDS+=("$APP_PID")
    tools wait "http://127.0.0.1:$port/healthz" 10 || die "kroki-web ($name) did not start: $(tail -n 5 "$WORK/$name.log")"
}

run_wrk() { # name url script [connections [threads]]: warm-up, then the measured run
    local name=$1 url=$2 script=$3 connections=${4:-$CONNECTIONS} threads=${5:-$THREADS}
    local shown=$url
    ((${#shown} <= 70)) || shown="${url:0:67}..."
    log "$name: $connections connections, $threads threads, ${WARMUP} s warm-up + ${DURATION} s: $shown"
    wrk -t"$threads" -c"$connections" -d"${WARMUP}s" -s "$script" "$url" >"$WORK/$name.warmup.txt"
    all_alive
    wrk -t"$threads" -c"$connections" -d"${DURATION}s" --latency -s "$script" "$url" >"$WORK/$name.txt"
    all_alive
    tools wrkjson "$WORK/$name.txt" >"$WORK/results/runs/$name.json"
    grep -qE '"errors": 0[,}]' "$WORK/results/runs/$name.json" ||
        log "warning: $name had errors or non-2xx answers: $(grep -E 'Non-2xx|Socket errors' "$WORK/$name.txt" | tr '\n' ' ')"
}

want() { # section: true when BENCH_ONLY names it (or is unset)
    [[ ",${ONLY// /,}," == *",$1,"* ]]
}

process_tree() { # pid: it and its children (a server's master and workers)
    echo "$1"
    pgrep -P "$1"
}

cpu_ticks() { # pid...: their user + system CPU time so far, in clock ticks
    # A process that has ended counts for nothing: nginx's cache loader, one of its children,
    # exits about a minute after nginx starts (it spends a tick or so, reading the cache).
    local pid total=0 ticks
    for pid in "$@"; do
        ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || ticks=0
        total=$((total + ${ticks:-0}))
    done
    echo "$total"
}

run_round() { # name round url script pid...: one measured run of a round of section 6, its
    # warm-up in round 1 only; the run goes to runs/NAME@ROUND.json (`tools assemble` takes the
    # medians), with the CPU time the server's processes (pid...) spent per request
    local name=$1 round=$2 url=$3 script=$4
    shift 4
    log "$name, round $round/$ROUNDS: $CONNECTIONS connections, $THREADS threads, ${ROUND_DURATION} s"
    if ((round == 1)); then
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$script" "$url" >"$WORK/$name.warmup.txt"
    fi
    local before after
    before=$(cpu_ticks "$@")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${ROUND_DURATION}s" --latency -s "$script" "$url" \
        >"$WORK/$name@$round.txt"
    after=$(cpu_ticks "$@")
    all_alive
    tools wrkjson "$WORK/$name@$round.txt" "$((after - before))" >"$WORK/results/runs/$name@$round.json"
    grep -qE '"errors": 0[,}]' "$WORK/results/runs/$name@$round.json" ||
        log "warning: $name had errors or non-2xx answers: $(grep -E 'Non-2xx|Socket errors' "$WORK/$name@$round.txt" | tr '\n' ' ')"
}

perf_run() { # name pid url script: one run of a row under `perf record -g` (not counted)
    local name=$1 pid=$2 url=$3 script=$4 dir=${BENCH_PERF_DIR:-$ROOT/target/bench-perf}
    command -v perf >/dev/null || die "BENCH_PERF=1 needs perf (Debian: linux-perf)"
    mkdir -p "$dir"
    log "perf: recording kroki-web (pid $pid) during a ${ROUND_DURATION} s $name run into $dir"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${ROUND_DURATION}s" -s "$script" "$url" >"$dir/$name.wrk.txt" &
    local load=$!
    sleep 1
    # shellcheck disable=SC2086 # BENCH_PERF_CALL_GRAPH is options, split on purpose
    perf record ${BENCH_PERF_CALL_GRAPH:--g} -F 999 -p "$pid" -o "$dir/$name.perf.data" \
        -- sleep $((ROUND_DURATION - 2)) 2>"$dir/$name.record.txt" ||
        log "warning: perf record failed: $(tail -n 3 "$dir/$name.record.txt")"
    wait "$load"
    perf report -i "$dir/$name.perf.data" --no-children -g none --sort dso,symbol \
        --percent-limit 0.5 --stdio 2>/dev/null | sed 's/ *$//' >"$dir/$name.report.txt" || true
    perf report -i "$dir/$name.perf.data" --no-children -g none --sort dso --stdio 2>/dev/null |
        sed 's/ *$//' >"$dir/$name.dso.txt" || true
    log "perf: $dir/$name.report.txt (symbols), $dir/$name.dso.txt (by DSO)"
}

expect_header() { # url header value
    local got
    got=$(tools header "$1" "$2")
    [[ $got == "$3" ]] || die "$1: expected $2: $3, got '$got'"
}

BROWSER_ACCEPT_ENCODING="gzip, deflate, br, zstd"

browser_header() { # url name: a response header (lower-case name) for a GET as a browser asks
    curl -fsS -o /dev/null -D - -H "Accept-Encoding: $BROWSER_ACCEPT_ENCODING" "$1" |
        tr -d '\r' | awk -F': ' -v name="$2" 'tolower($1) == name {print $2}'
}

expect_encoding() { # url coding: the browser's request is answered in that coding
    local got
    got=$(browser_header "$1" content-encoding)
    [[ $got == "$2" ]] || die "$1: expected Content-Encoding: $2 for a browser, got '$got'"
}

wait_variants() { # url: until kroki-web answers a browser from stored variants (a strong ETag)
    local i etag
    for ((i = 0; i < 100; i++)); do
        etag=$(browser_header "$1" etag)
        [[ -n $etag && $etag != W/* ]] && return 0
        sleep 0.1
    done
    die "$1: no stored variants after 10 s (ETag '$etag')"
}

# --- the run ---------------------------------------------------------------------------------

main() {
    ensure_tools wrk:wrk nginx:nginx python3:python3 awk:gawk curl:curl redis-server:redis-server
    cd "$ROOT"
    WORK=$(mktemp -d -t kroki-bench.XXXXXX)
    # nginx's workers run as nobody when started by root: they must reach the cache directory.
    chmod 0755 "$WORK"
    mkdir -p "$WORK/results/runs" "$WORK/nginx/tmp"
    release_binaries "${BENCH_SKIP_BUILD:-0}" "${BENCH_PROFILE:-release}"

    local nginx_bin
    nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
    local ports
    mapfile -t ports < <(tools ports 18)
    UPSTREAM_PORT=${ports[0]}
    local cache_port=${ports[1]} pass_port=${ports[2]} hit_port=${ports[3]} miss_port=${ports[4]} \
        fill_port=${ports[5]} large_port=${ports[6]} large_cache_port=${ports[7]} \
        large_hit_port=${ports[8]} redis_port=${ports[9]} redis_hit_port=${ports[10]} \
        fixed_port=${ports[11]} fixed_cache_port=${ports[12]} fixed_pass_port=${ports[13]} \
        fixed_miss_port=${ports[14]} fixed_hit_port=${ports[15]} base_miss_port=${ports[16]} \
        base_hit_port=${ports[17]}

    local encoded path
    encoded=$(tools encode "$BIN/kroki-standin" "$BENCH_DIR/diagram.dot")
    path="/graphviz/svg/$encoded"

    local load_before
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)

    log "starting the stand-in Kroki on :$UPSTREAM_PORT ($WORKERS workers)"
    "$BIN/kroki-standin" --listen "127.0.0.1:$UPSTREAM_PORT" --workers "$WORKERS" --latency-ms 0 \
        >"$WORK/standin.log" 2>&1 &
    PIDS+=("$!")
    tools wait "http://127.0.0.1:$UPSTREAM_PORT/health" 10 || die "the stand-in did not start"

    # The fixed-response upstream serves the stand-in's answer for the diagram, as a file.
    mkdir -p "$WORK/nginx/fixed"
    tools largesvg 360 >"$WORK/nginx/fixed/large.svg"
    curl -fsS -o "$WORK/nginx/fixed/small.svg" "http://127.0.0.1:$UPSTREAM_PORT$path"
    chmod -R a+rX "$WORK/nginx/fixed"
    local large_bytes small_bytes
    large_bytes=$(wc -c <"$WORK/nginx/fixed/large.svg")
    small_bytes=$(wc -c <"$WORK/nginx/fixed/small.svg")
    local conf
    for conf in nginx nginx-fixed; do
        sed -e "s/@WORKERS@/$WORKERS/" -e "s/@UPSTREAM@/127.0.0.1:$UPSTREAM_PORT/" \
            -e "s/@CACHE_PORT@/$cache_port/" -e "s/@PASS_PORT@/$pass_port/" \
            -e "s/@LARGE_PORT@/$large_port/" -e "s/@LARGE_CACHE_PORT@/$large_cache_port/" \
            -e "s/@FIXED_PORT@/$fixed_port/" -e "s/@FIXED_CACHE_PORT@/$fixed_cache_port/" \
            -e "s/@FIXED_PASS_PORT@/$fixed_pass_port/" \
            -e "s/@LISTEN_OPTIONS@/${BENCH_NGINX_LISTEN_OPTIONS-reuseport}/" \
            "$BENCH_DIR/$conf.conf.template" >"$WORK/nginx/$conf.conf"
        "$nginx_bin" -t -q -p "$WORK/nginx" -e "$WORK/nginx/$conf-error.log" -c "$WORK/nginx/$conf.conf" ||
            die "nginx refused the generated configuration $conf.conf"
    done
    log "starting nginx $("$nginx_bin" -v 2>&1 | sed 's/.*nginx\///') (proxy_cache :$cache_port, proxy_pass :$pass_port, $WORKERS workers)"
    "$nginx_bin" -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" \
        -g 'daemon off;' &
    local nginx_pid=$!
    PIDS+=("$nginx_pid")
    tools wait "http://127.0.0.1:$pass_port/health" 10 || die "nginx did not start: $(cat "$WORK/nginx/error.log")"
    # nginx's CPU, for the rows measured in rounds: its master and workers (no other load on
    # that nginx while a row runs).
    local nginx_cpu
    mapfile -t nginx_cpu < <(process_tree "$nginx_pid")

    # 5. Start to ready, first, while nothing else is busy.
    if want startup; then
        log "timing 5 starts of kroki-web to the first 200 from /healthz"
        env KROKI_URL="http://127.0.0.1:$UPSTREAM_PORT" LISTEN_HOST=127.0.0.1 WORKERS="$WORKERS" \
            LOG_LEVEL=warn KROKI_COMPANIONS=none SHUTDOWN_TIMEOUT=2s \
            python3 "$BENCH_DIR/tools.py" startup 5 "$BIN/kroki-web" >"$WORK/results/startup.json"
    fi

    # 1 and 3: cache hits, with the app's memory sampled.
    local idle_kib=null load_peak_kib=null load_hwm_kib=null
    if want hit; then
        log "starting kroki-web with the default cache (128 MiB) on :$hit_port"
        start_app app-hit "$hit_port" 128MiB
        local hit_pid=$APP_PID
        sleep 1
        idle_kib=$(rss_kib "$hit_pid" VmRSS)
        curl -fsS -o /dev/null "http://127.0.0.1:$hit_port$path"
        curl -fsS -o /dev/null "http://127.0.0.1:$cache_port$path"
        expect_header "http://127.0.0.1:$hit_port$path" x-cache HIT
        expect_header "http://127.0.0.1:$cache_port$path" X-Cache HIT
        # 1b's variants first, so every hit below is of the steady state.
        wait_variants "http://127.0.0.1:$hit_port$path"
        expect_encoding "http://127.0.0.1:$hit_port$path" br
        expect_encoding "http://127.0.0.1:$cache_port$path" gzip
        sample_rss "$hit_pid" "$WORK/rss-load.txt" &
        local sampler=$!
        PIDS+=("$sampler")
        # 1 and 1b: the hits without and with the browser's Accept-Encoding, the app's and
        # nginx's, in interleaved rounds (medians, CPU per request as in section 6), so the
        # ratios compare runs the machine's load moved alike. The sampler goes on through the
        # nginx runs (the app is idle then), which does not change the app's peak.
        local hit_round
        for ((hit_round = 1; hit_round <= ROUNDS; hit_round++)); do
            run_round hit_app "$hit_round" "http://127.0.0.1:$hit_port$path" "$BENCH_DIR/get.lua" "$hit_pid"
            run_round hit_app_ae "$hit_round" "http://127.0.0.1:$hit_port$path" "$BENCH_DIR/get-browser.lua" "$hit_pid"
            run_round hit_nginx "$hit_round" "http://127.0.0.1:$cache_port$path" "$BENCH_DIR/get.lua" "${nginx_cpu[@]}"
            run_round hit_nginx_ae "$hit_round" "http://127.0.0.1:$cache_port$path" "$BENCH_DIR/get-browser.lua" "${nginx_cpu[@]}"
        done
        expect_header "http://127.0.0.1:$cache_port$path" X-Cache HIT
        expect_encoding "http://127.0.0.1:$hit_port$path" br
        run_wrk post_app "http://127.0.0.1:$hit_port/api/generate" "$BENCH_DIR/generate.lua"
        stop "$sampler"
        load_peak_kib=$(max_of "$WORK/rss-load.txt")
        load_hwm_kib=$(rss_kib "$hit_pid" VmHWM)
        stop "$hit_pid"
    fi

    # 1c: Redis hits, the memory tier off: every request is a Redis GET (and the same URL as 1).
    if want redis; then
        log "starting redis-server on :$redis_port and kroki-web (CACHE_MAX_SIZE=0, Redis tier on) on :$redis_hit_port"
        redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
            >"$WORK/redis.log" 2>&1 &
        PIDS+=("$!")
        local i
        for ((i = 0; i < 100; i++)); do
            (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
            sleep 0.1
        done
        start_app app-redis "$redis_hit_port" 0 "$UPSTREAM_PORT" "redis://127.0.0.1:$redis_port/0"
        local redis_pid=$APP_PID
        curl -fsS -o /dev/null "http://127.0.0.1:$redis_hit_port$path"
        for ((i = 0; i < 100; i++)); do
            [[ $(tools header "http://127.0.0.1:$redis_hit_port$path" x-cache) == HIT-REDIS ]] && break
            sleep 0.1
        done
        expect_header "http://127.0.0.1:$redis_hit_port$path" x-cache HIT-REDIS
        curl -fsS -o /dev/null "http://127.0.0.1:$cache_port$path"
        run_wrk redis_app "http://127.0.0.1:$redis_hit_port$path" "$BENCH_DIR/get.lua"
        run_wrk redis_nginx "http://127.0.0.1:$cache_port$path" "$BENCH_DIR/get.lua"
        expect_header "http://127.0.0.1:$redis_hit_port$path" x-cache HIT-REDIS
        stop "$redis_pid"
    fi

    # 1b, large: a ~300 KB SVG from the fixed upstream, with and without the browser's header.
    if want large; then
        log "starting kroki-web (default cache) on :$large_hit_port in front of the fixed $large_bytes-byte SVG"
        start_app app-large "$large_hit_port" 128MiB "$large_port"
        local large_pid=$APP_PID
        curl -fsS -o /dev/null "http://127.0.0.1:$large_hit_port$path"
        curl -fsS -o /dev/null "http://127.0.0.1:$large_cache_port$path"
        expect_header "http://127.0.0.1:$large_hit_port$path" x-cache HIT
        expect_header "http://127.0.0.1:$large_cache_port$path" X-Cache HIT
        wait_variants "http://127.0.0.1:$large_hit_port$path"
        expect_encoding "http://127.0.0.1:$large_hit_port$path" br
        expect_encoding "http://127.0.0.1:$large_cache_port$path" gzip
        run_wrk large_app "http://127.0.0.1:$large_hit_port$path" "$BENCH_DIR/get.lua"
        run_wrk large_app_ae "http://127.0.0.1:$large_hit_port$path" "$BENCH_DIR/get-browser.lua"
        run_wrk large_nginx "http://127.0.0.1:$large_cache_port$path" "$BENCH_DIR/get.lua"
        run_wrk large_nginx_ae "http://127.0.0.1:$large_cache_port$path" "$BENCH_DIR/get-browser.lua"
        stop "$large_pid"
    fi

    # 2: cache misses.
    if want miss; then
        log "starting kroki-web with CACHE_MAX_SIZE=0 on :$miss_port"
        start_app app-miss "$miss_port" 0
        local miss_pid=$APP_PID
        expect_header "http://127.0.0.1:$miss_port$path" x-cache MISS
        run_wrk miss_direct "http://127.0.0.1:$UPSTREAM_PORT$path" "$BENCH_DIR/get.lua"
        run_wrk miss_nginx "http://127.0.0.1:$pass_port$path" "$BENCH_DIR/get.lua"
        run_wrk miss_app "http://127.0.0.1:$miss_port$path" "$BENCH_DIR/get.lua"
        run_wrk light_direct "http://127.0.0.1:$UPSTREAM_PORT$path" "$BENCH_DIR/get.lua" "$LIGHT_CONNECTIONS" 1
        run_wrk light_nginx "http://127.0.0.1:$pass_port$path" "$BENCH_DIR/get.lua" "$LIGHT_CONNECTIONS" 1
        run_wrk light_app "http://127.0.0.1:$miss_port$path" "$BENCH_DIR/get.lua" "$LIGHT_CONNECTIONS" 1
        stop "$miss_pid"
    fi

    # 4: a full cache. Distinct ~40 KB renders until the cache weighs at least 95% of its budget,
    # then one more round, so the cache has also evicted (or refused) entries for a while.
    local full_kib=null fill_peak_kib=null fill_hwm_kib=null entries=null
    local cache_bytes=null fill_requests=null fill_bytes=null
    if want memory; then
        log "starting kroki-web with CACHE_MAX_SIZE=$FILL_BUDGET on :$fill_port and filling its cache"
        start_app app-fill "$fill_port" "$FILL_BUDGET"
        local fill_pid=$APP_PID
        sample_rss "$fill_pid" "$WORK/rss-fill.txt" &
        sampler=$!
        PIDS+=("$sampler")
        local round extra=0 requests bytes
        cache_bytes=0 fill_requests=0 fill_bytes=0
        for ((round = 1; round <= FILL_MAX_ROUNDS; round++)); do
            wrk -t"$THREADS" -c"$FILL_CONNECTIONS" -d"${FILL_ROUND_SECONDS}s" -s "$BENCH_DIR/fill.lua" \
                "http://127.0.0.1:$fill_port/api/generate" >"$WORK/fill-$round.txt"
            all_alive
            tools wrkjson "$WORK/fill-$round.txt" >"$WORK/fill-$round.json"
            grep -qE '"errors": 0[,}]' "$WORK/fill-$round.json" ||
                die "the fill requests failed: $(grep -E 'Non-2xx|Socket errors' "$WORK/fill-$round.txt" | tr '\n' ' ')"
            read -r requests bytes < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["requests"], r["bytes"])' "$WORK/fill-$round.json")
            fill_requests=$((fill_requests + requests))
            fill_bytes=$((fill_bytes + bytes))
            cache_bytes=$(tools metric "http://127.0.0.1:$fill_port/metrics" kroki_web_cache_size)
            log "fill round $round: $requests requests, cache weighs $((cache_bytes / 1024 / 1024)) MiB"
            if ((cache_bytes * 100 >= FILL_BUDGET * 95)); then
                extra=$((extra + 1))
                if ((extra >= 2)); then break; fi
            fi
        done
        sleep 0.5
        stop "$sampler"
        full_kib=$(rss_kib "$fill_pid" VmRSS)
        fill_hwm_kib=$(rss_kib "$fill_pid" VmHWM)
        fill_peak_kib=$(max_of "$WORK/rss-fill.txt")
        cache_bytes=$(tools metric "http://127.0.0.1:$fill_port/metrics" kroki_web_cache_size)
        entries=$(tools metric "http://127.0.0.1:$fill_port/metrics" kroki_web_cache_entries)
        stop "$fill_pid"
    fi

    # 6: the fixed-response upstream (an nginx answering every diagram request with the same
    # SVG): what each proxy itself costs. BENCH_ROUNDS interleaved rounds, medians.
    if want fixed; then
        log "starting the fixed-response upstream (nginx, $small_bytes-byte SVG) on :$fixed_port"
        "$nginx_bin" -p "$WORK/nginx" -e "$WORK/nginx/fixed-error.log" -c "$WORK/nginx/nginx-fixed.conf" \
            -g 'daemon off;' &
        local fixed_nginx_pid=$!
        PIDS+=("$fixed_nginx_pid")
        tools wait "http://127.0.0.1:$fixed_port/health" 10 ||
            die "the fixed upstream did not start: $(cat "$WORK/nginx/fixed-error.log")"
        log "starting kroki-web (CACHE_MAX_SIZE=0) on :$fixed_miss_port and (default cache) on :$fixed_hit_port in front of it"
        start_app app-fixed-miss "$fixed_miss_port" 0 "$fixed_port"
        local fixed_miss_pid=$APP_PID
        start_app app-fixed-hit "$fixed_hit_port" 128MiB "$fixed_port"
        local fixed_hit_pid=$APP_PID
        curl -fsS -o /dev/null "http://127.0.0.1:$fixed_hit_port$path"
        curl -fsS -o /dev/null "http://127.0.0.1:$fixed_cache_port$path"
        expect_header "http://127.0.0.1:$fixed_hit_port$path" x-cache HIT
        expect_header "http://127.0.0.1:$fixed_cache_port$path" X-Cache HIT
        expect_header "http://127.0.0.1:$fixed_miss_port$path" x-cache MISS
        local base_pids=()
        if [[ -n ${BENCH_BASELINE:-} ]]; then
            [[ -x $BENCH_BASELINE ]] || die "BENCH_BASELINE=$BENCH_BASELINE is not an executable"
            cp "$BENCH_BASELINE" "$BIN/kroki-web-baseline"
            start_app app-base-miss "$base_miss_port" 0 "$fixed_port" off "$BIN/kroki-web-baseline"
            base_pids+=("$APP_PID")
            start_app app-base-hit "$base_hit_port" 128MiB "$fixed_port" off "$BIN/kroki-web-baseline"
            base_pids+=("$APP_PID")
            curl -fsS -o /dev/null "http://127.0.0.1:$base_hit_port$path"
            expect_header "http://127.0.0.1:$base_hit_port$path" x-cache HIT
        fi
        # The contenders' CPU: the app's process; nginx's (`nginx_cpu`); the fixed upstream's
        # nginx for the direct row.
        local fixed_cpu
        mapfile -t fixed_cpu < <(process_tree "$fixed_nginx_pid")
        local round
        for ((round = 1; round <= ROUNDS; round++)); do
            run_round fixed_direct "$round" "http://127.0.0.1:$fixed_port$path" "$BENCH_DIR/get.lua" "${fixed_cpu[@]}"
            run_round fixed_miss_app "$round" "http://127.0.0.1:$fixed_miss_port$path" "$BENCH_DIR/get.lua" "$fixed_miss_pid"
            run_round fixed_miss_nginx "$round" "http://127.0.0.1:$fixed_pass_port$path" "$BENCH_DIR/get.lua" "${nginx_cpu[@]}"
            if ((${#base_pids[@]})); then
                run_round fixed_miss_base "$round" "http://127.0.0.1:$base_miss_port$path" "$BENCH_DIR/get.lua" "${base_pids[0]}"
            fi
            run_round fixed_post_app "$round" "http://127.0.0.1:$fixed_miss_port/api/generate" "$BENCH_DIR/generate.lua" "$fixed_miss_pid"
            run_round fixed_post_nginx "$round" "http://127.0.0.1:$fixed_pass_port/api/generate" "$BENCH_DIR/generate.lua" "${nginx_cpu[@]}"
            run_round fixed_hit_app "$round" "http://127.0.0.1:$fixed_hit_port$path" "$BENCH_DIR/get.lua" "$fixed_hit_pid"
            run_round fixed_hit_nginx "$round" "http://127.0.0.1:$fixed_cache_port$path" "$BENCH_DIR/get.lua" "${nginx_cpu[@]}"
            if ((${#base_pids[@]})); then
                run_round fixed_hit_base "$round" "http://127.0.0.1:$base_hit_port$path" "$BENCH_DIR/get.lua" "${base_pids[1]}"
            fi
        done
        expect_header "http://127.0.0.1:$fixed_cache_port$path" X-Cache HIT
        if [[ ${BENCH_PERF:-0} == 1 ]]; then
            perf_run miss "$fixed_miss_pid" "http://127.0.0.1:$fixed_miss_port$path" "$BENCH_DIR/get.lua"
            perf_run hit "$fixed_hit_pid" "http://127.0.0.1:$fixed_hit_port$path" "$BENCH_DIR/get.lua"
        fi
        stop "$fixed_miss_pid" "$fixed_hit_pid" "${base_pids[@]}"
    fi

    cat >"$WORK/results/memory.json" <<EOF
{"idle_kib": $idle_kib, "load_peak_kib": $load_peak_kib, "load_hwm_kib": $load_hwm_kib,
 "default_budget_bytes": $DEFAULT_BUDGET, "fill_budget_bytes": $FILL_BUDGET,
 "full_kib": $full_kib, "fill_peak_kib": $fill_peak_kib, "fill_hwm_kib": $fill_hwm_kib,
 "fill_cache_bytes": $cache_bytes, "fill_entries": $entries, "fill_requests": $fill_requests,
 "fill_posted_bytes": $fill_bytes}
EOF
    cat >"$WORK/results/config.json" <<EOF
{"connections": $CONNECTIONS, "threads": $THREADS, "duration_s": $DURATION, "warmup_s": $WARMUP,
 "workers": $WORKERS, "light_connections": $LIGHT_CONNECTIONS, "nproc": $(nproc),
 "path_length": ${#path}, "large_svg_bytes": $large_bytes, "small_svg_bytes": $small_bytes,
 "rounds": $ROUNDS, "round_duration_s": $ROUND_DURATION, "sections": "$ONLY",
 "profile": "${BENCH_PROFILE:-release}", "loadavg_before": "$load_before",
 "loadavg_after": "$(cut -d' ' -f1-3 /proc/loadavg)"}
EOF
    tools assemble "$WORK/results" >"$WORK/results.json"
    if [[ -n ${BENCH_OUT:-} ]]; then cp "$WORK/results.json" "$BENCH_OUT"; fi
    echo
    tools report "$WORK/results.json"
}

main "$@"
