#!/usr/bin/env bash
# `make loadtest`: a bounded load test of kroki-web on loopback, against the stand-in Kroki.
#
# One wrk run (bench/loadtest.lua), 256 connections and 2 threads for LOADTEST_DURATION seconds,
# every connection sending the same mix: 70% cache hits, 20% cache misses (each a new diagram)
# and 10% errors (7.5% renders the upstream refuses, 2.5% requests the app refuses itself). If
# fewer than 100,000 requests were answered, further runs follow until they were or the load has
# lasted LOADTEST_MAX_SECONDS. It fails (exit 1) unless: at least 100,000 requests answered; no
# socket error; every hit and miss answered 200 with its own diagram, every miss rendered (never
# from the cache), every error answered its exact status and message, nothing else; the app's
# resident memory (sampled every 100 ms, and VmHWM) under its cache budget + 64 MiB; /healthz 200
# afterwards; /metrics counting hits, misses and evictions consistent with the answers.
# Figures and the reasons for the settings: docs/loadtest.md.
#
# Settings (environment): LOADTEST_DURATION (30), LOADTEST_MAX_SECONDS (90), LOADTEST_CONNECTIONS
# (256), LOADTEST_CACHE (32 MiB, as bytes: CACHE_MAX_SIZE), LOADTEST_SKIP_BUILD=1 (use the release
# binaries already built), LOADTEST_OUT (a directory to copy the results to).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
DURATION=${LOADTEST_DURATION:-30}
MAX_SECONDS=${LOADTEST_MAX_SECONDS:-90}
CONNECTIONS=${LOADTEST_CONNECTIONS:-256}
THREADS=2
CACHE=${LOADTEST_CACHE:-$((32 * 1024 * 1024))}
BOUND_KIB=$((CACHE / 1024 + 64 * 1024))
MIN_REQUESTS=100000
LOG_TAG=loadtest
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

loadtest() { python3 "$BENCH_DIR/loadtest.py" "$@"; }

run_load() { # app_port app_pid: wrk runs until MIN_REQUESTS answered or MAX_SECONDS of load
    local port=$1 app_pid=$2 round=0 length=$DURATION spent=0 requests seconds
    while :; do
        # Distinct GET URLs for the misses (1 request in 15): enough for 30,000 requests/s; 2
        # cores have answered 18,000/s. A thread whose share runs out POSTs its misses instead.
        loadtest prepare "$WORK/input" "$round" $((length * 2000)) "$BIN/kroki-standin"
        log "run $((round + 1)): $CONNECTIONS connections, $THREADS threads, $length s"
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${length}s" --latency --timeout 10s \
            -s "$BENCH_DIR/loadtest.lua" "http://127.0.0.1:$port" -- "$WORK/input" "$round" "$THREADS" \
            >"$WORK/results/round-$round.txt" 2>&1 ||
            die "wrk failed: $(tail -n 3 "$WORK/results/round-$round.txt")"
        alive "$app_pid" || die "kroki-web stopped during the load: $(tail -n 5 "$WORK/app.log")"
        spent=$((spent + length))
        read -r requests seconds < <(loadtest progress "$WORK/results")
        log "$requests requests answered in $seconds s of load"
        ((requests < MIN_REQUESTS && spent + 5 <= MAX_SECONDS)) || return 0
        # Long enough for the rest at the rate seen, with a quarter to spare, within the bound.
        length=$(awk -v need=$((MIN_REQUESTS - requests)) -v done="$requests" -v s="$seconds" \
            -v left=$((MAX_SECONDS - spent)) \
            'BEGIN { t = int(need / (done / s) * 1.25) + 3; if (t < 5) t = 5; if (t > left) t = left; print t }')
        round=$((round + 1))
    done
}

main() {
    ensure_tools wrk:wrk python3:python3 curl:curl
    cd "$ROOT"
    # 256 connections for wrk and as many for the app, plus the app's pool to the upstream.
    if (($(ulimit -n) < 4096)); then ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"; fi
    WORK=$(mktemp -d -t kroki-loadtest.XXXXXX)
    mkdir -p "$WORK/results" "$WORK/input"
    release_binaries "${LOADTEST_SKIP_BUILD:-0}"

    local ports upstream_port app_port
    mapfile -t ports < <(tools ports 2)
    upstream_port=${ports[0]}
    app_port=${ports[1]}
    local load_before
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)

    "$BIN/kroki-standin" --listen "127.0.0.1:$upstream_port" --workers 2 --latency-ms 0 \
        >"$WORK/standin.log" 2>&1 &
    PIDS+=("$!")
    tools wait "http://127.0.0.1:$upstream_port/health" 10 || die "the stand-in did not start"
    # The product's defaults (WORKERS = cores, RENDER_CONCURRENCY 32, ...) but a cache budget small
    # enough for the misses to fill it within seconds, and warnings only on the log.
    env KROKI_URL="http://127.0.0.1:$upstream_port" LISTEN_HOST=127.0.0.1 PORT="$app_port" \
        LOG_LEVEL=warn CACHE_MAX_SIZE="$CACHE" KROKI_COMPANIONS=none SHUTDOWN_TIMEOUT=2s \
        "$BIN/kroki-web" >"$WORK/app.log" 2>&1 &
    local app_pid=$!
    PIDS+=("$app_pid")
    tools wait "http://127.0.0.1:$app_port/healthz" 10 || die "kroki-web did not start: $(tail -n 5 "$WORK/app.log")"
    sleep 1
    local idle_kib
    idle_kib=$(rss_kib "$app_pid" VmRSS)

    sample_rss "$app_pid" "$WORK/results/rss.txt" &
    local sampler=$!
    PIDS+=("$sampler")
    log "load average before: $load_before; kroki-web idle at $((idle_kib / 1024)) MiB, cache budget $((CACHE / 1024 / 1024)) MiB"
    run_load "$app_port" "$app_pid"
    local after_kib hwm_kib
    after_kib=$(rss_kib "$app_pid" VmRSS)
    hwm_kib=$(rss_kib "$app_pid" VmHWM)
    stop "$sampler"
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$app_port/healthz" >"$WORK/results/healthz.txt" ||
        echo "no answer" >"$WORK/results/healthz.txt"
    curl -fsS "http://127.0.0.1:$app_port/metrics" >"$WORK/results/metrics.txt" || : >"$WORK/results/metrics.txt"
    cat >"$WORK/results/memory.json" <<EOF
{"idle_kib": $idle_kib, "after_kib": $after_kib, "hwm_kib": $hwm_kib,
 "load_before": "$load_before", "load_after": "$(cut -d' ' -f1-3 /proc/loadavg)"}
EOF

    local verdict=0
    echo
    loadtest judge "$WORK/results" "$BOUND_KIB" "$CACHE" "$CONNECTIONS" || verdict=$?
    if [[ -n ${LOADTEST_OUT:-} ]]; then
        mkdir -p "$LOADTEST_OUT"
        cp -r "$WORK/results/." "$LOADTEST_OUT/"
    fi
    return "$verdict"
}

main "$@"
