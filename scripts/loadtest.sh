#!/usr/bin/env bash
# `make loadtest`: a bounded load test of kroki-web on loopback, against the stand-in Kroki.
#
# 256 connections for LOADTEST_DURATION seconds (default 30), split over three concurrent wrk
# runs, one per kind of request (bench/loadtest.lua): cache hits (180 connections), cache misses
# (50) and renders the upstream refuses (26). It fails (exit 1) unless: at least 100,000
# requests were answered; no socket error; hits and misses all 200 and the refused renders all
# Kroki's 400, nothing else; the app's resident memory (sampled every 100 ms, and VmHWM) stayed
# under its cache budget + 64 MiB; /healthz answers 200 afterwards; and the cache counted hits,
# misses and evictions. Figures: docs/loadtest.md.
#
# Settings (environment): LOADTEST_DURATION (30), LOADTEST_CACHE (2MiB as bytes: small, so
# that the misses make the cache evict), LOADTEST_SKIP_BUILD=1 (use the release binaries already
# built), LOADTEST_OUT (a directory to copy the results to).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR="$ROOT/bench"
DURATION=${LOADTEST_DURATION:-30}
CACHE=${LOADTEST_CACHE:-$((2 * 1024 * 1024))}
BOUND_KIB=$((CACHE / 1024 + 64 * 1024))
LOG_TAG=loadtest
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"

install_tools() {
    local missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v python3 >/dev/null || missing+=(python3)
    command -v curl >/dev/null || missing+=(curl)
    ((${#missing[@]})) || return 0
    log "installing ${missing[*]} (Debian packages)"
    local sudo=()
    [[ $EUID -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

load() { # category connections [paths file]: one wrk run in the background, sets LOAD_PID
    local category=$1 connections=$2 paths=${3:-}
    wrk -t2 -c"$connections" -d"${DURATION}s" --latency --timeout 10s -s "$BENCH_DIR/loadtest.lua" \
        "http://127.0.0.1:$APP_PORT" -- "$category" 2 ${paths:+"$paths"} >"$WORK/results/$category.txt" 2>&1 &
    LOAD_PID=$!
}

main() {
    install_tools
    cd "$ROOT"
    # 256 connections for wrk and as many for the app, plus the app's pool to the upstream.
    ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    if [[ ${LOADTEST_SKIP_BUILD:-0} != 1 ]]; then
        log "building the release binaries"
        cargo build --release --locked -p kroki-web -p kroki-standin
    fi
    local target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
    [[ -x $target_dir/release/kroki-web && -x $target_dir/release/kroki-standin ]] ||
        die "no release binaries in $target_dir/release"
    WORK=$(mktemp -d -t kroki-loadtest.XXXXXX)
    mkdir -p "$WORK/bin" "$WORK/results"
    cp "$target_dir/release/kroki-web" "$target_dir/release/kroki-standin" "$WORK/bin/"

    local ports upstream_port
    mapfile -t ports < <(tools ports 2)
    upstream_port=${ports[0]}
    APP_PORT=${ports[1]}
    python3 "$BENCH_DIR/loadtest.py" paths hits 4 "$WORK/hits.paths"
    python3 "$BENCH_DIR/loadtest.py" paths misses 50000 "$WORK/misses.paths"

    local load_before
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    "$WORK/bin/kroki-standin" --listen "127.0.0.1:$upstream_port" --workers 2 --latency-ms 0 \
        >"$WORK/standin.log" 2>&1 &
    PIDS+=("$!")
    tools wait "http://127.0.0.1:$upstream_port/health" 10 || die "the stand-in did not start"
    env KROKI_URL="http://127.0.0.1:$upstream_port" LISTEN_HOST=127.0.0.1 PORT="$APP_PORT" \
        WORKERS=2 LOG_LEVEL=warn CACHE_MAX_SIZE="$CACHE" KROKI_COMPANIONS=none SHUTDOWN_TIMEOUT=2s \
        "$WORK/bin/kroki-web" >"$WORK/app.log" 2>&1 &
    local app_pid=$!
    PIDS+=("$app_pid")
    tools wait "http://127.0.0.1:$APP_PORT/healthz" 10 || die "kroki-web did not start"
    sleep 1

    sample_rss "$app_pid" "$WORK/results/rss.txt" &
    local sampler=$!
    PIDS+=("$sampler")
    log "256 connections for ${DURATION} s: hits 180, misses 50, refused renders 26 (load average $load_before)"
    load hits 180 "$WORK/hits.paths"
    local hits=$LOAD_PID
    load misses 50 "$WORK/misses.paths"
    local misses=$LOAD_PID
    load errors 26
    local errors=$LOAD_PID
    wait "$hits" "$misses" "$errors" || die "wrk failed: $(tail -n 3 "$WORK"/results/*.txt)"
    alive "$app_pid" || die "kroki-web stopped during the load: $(tail -n 5 "$WORK/app.log")"
    rss_kib "$app_pid" VmHWM >"$WORK/results/hwm.txt"
    stop "$sampler"
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APP_PORT/healthz" >"$WORK/results/healthz.txt" ||
        echo "no answer" >"$WORK/results/healthz.txt"
    curl -fsS "http://127.0.0.1:$APP_PORT/metrics" >"$WORK/results/metrics.txt" || : >"$WORK/results/metrics.txt"
    log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

    local verdict=0
    python3 "$BENCH_DIR/loadtest.py" judge "$WORK/results" "$BOUND_KIB" || verdict=$?
    if [[ -n ${LOADTEST_OUT:-} ]]; then
        mkdir -p "$LOADTEST_OUT"
        cp -r "$WORK/results/." "$LOADTEST_OUT/"
    fi
    return "$verdict"
}

main "$@"
