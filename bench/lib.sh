# Shared by scripts/bench.sh and scripts/loadtest.sh (sourced, not run): logging, the processes
# they start and their clean-up on exit or Ctrl-C, installing the tools, building and copying the
# release binaries, bench/tools.py, and resident-memory sampling.
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

# --- tools and binaries ----------------------------------------------------------------------

tools() { python3 "$BENCH_DIR/tools.py" "$@"; }

ensure_tools() { # command:package...: installs the Debian package of each command not found
    local missing=() pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null || [[ -x /usr/sbin/${pair%%:*} ]] || missing+=("${pair#*:}")
    done
    ((${#missing[@]})) || return 0
    log "installing ${missing[*]} (Debian packages)"
    local sudo=()
    [[ $EUID -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

release_binaries() { # skip_build [profile]: builds kroki-web and kroki-standin (the cargo profile,
    # release by default) unless skip_build is 1, then copies them to $WORK/bin and sets BIN: a
    # private copy, so that a concurrent `cargo build` cannot swap a binary in the middle of a run.
    # One build per package, as scripts/container-smoke.sh builds kroki-web, so that the two share
    # their artifacts.
    local profile=${2:-release}
    if [[ $1 != 1 ]]; then
        log "building the $profile binaries"
        if [[ $profile == release ]]; then
            (cd "$ROOT" && cargo build --release --locked -p kroki-web --bin kroki-web &&
                cargo build --release --locked -p kroki-standin --bin kroki-standin)
        else
            (cd "$ROOT" && cargo build --profile "$profile" --locked -p kroki-web --bin kroki-web &&
                cargo build --profile "$profile" --locked -p kroki-standin --bin kroki-standin)
        fi
    fi
    local target_dir="${CARGO_TARGET_DIR:-$ROOT/target}" dir=$profile
    [[ $profile == dev ]] && dir=debug
    [[ -x $target_dir/$dir/kroki-web && -x $target_dir/$dir/kroki-standin ]] ||
        die "no $profile binaries in $target_dir/$dir"
    BIN="$WORK/bin"
    mkdir -p "$BIN"
    cp "$target_dir/$dir/kroki-web" "$target_dir/$dir/kroki-standin" "$BIN/"
}

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
