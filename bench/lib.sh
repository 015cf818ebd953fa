# Shared by scripts/bench.sh and scripts/loadtest.sh (sourced, not run): logging, the processes
# they start and their clean-up on exit or Ctrl-C, bench/tools.py, and resident-memory sampling.
# The sourcing script sets ROOT, BENCH_DIR and LOG_TAG first.
# shellcheck shell=bash

log() { printf '[%s %s] %s\n' "$LOG_TAG" "$(date +%T)" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# --- processes and clean-up ------------------------------------------------------------------

WORK=""
PIDS=()

alive() { # pid: running (not gone, not a zombie waiting to be reaped)
    local state
    state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

stop() { # pid...: SIGTERM, then SIGKILL whatever still runs after 5 s; reaps them
    local pid i
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
        for ((i = 0; i < 50; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    local kept=() known
    for known in "${PIDS[@]}"; do
        for pid in "$@"; do [[ $known == "$pid" ]] && continue 2; done
        kept+=("$known")
    done
    PIDS=("${kept[@]}")
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if ((${#PIDS[@]})); then stop "${PIDS[@]}"; fi
    if [[ -n $WORK && -d $WORK ]]; then rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools -----------------------------------------------------------------------------------

tools() { python3 "$BENCH_DIR/tools.py" "$@"; }

rss_kib() { # pid field: a /proc/PID/status field in KiB (VmRSS, VmHWM)
    awk -v field="$2:" '$1 == field {print $2}' "/proc/$1/status"
}

sample_rss() { # pid outfile: VmRSS (KiB) every 100 ms until the process ends or this is stopped
    local pid=$1 key value _
    while alive "$pid"; do
        while read -r key value _; do
            if [[ $key == VmRSS: ]]; then printf '%s\n' "$value"; fi
        done <"/proc/$pid/status" 2>/dev/null || true
        sleep 0.1
    done >"$2"
}

max_of() { sort -n "$1" | tail -n 1; }

# wrk catches Ctrl-C and exits normally, so bash may not run its INT trap after it; the servers get
# the same SIGINT and stop. Checking after every wrk run turns that into a prompt exit.
all_alive() {
    local pid
    for pid in "${PIDS[@]}"; do alive "$pid" || die "process $pid has stopped (interrupted?)"; done
}
