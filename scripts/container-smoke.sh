#!/usr/bin/env bash
# A container-like run of the release binary, for machines with no container engine
# (`make container-smoke`). It reproduces what the image and docker-compose.yml promise:
#
#   - the root file system holds only what the distroless runtime stage holds for this app:
#     the binary at /usr/local/bin/kroki-web, the shared libraries it links (glibc, libgcc,
#     which distroless/cc has) and the CA bundle; it is read-only, with a writable /tmp only
#     (compose: read_only + tmpfs /tmp; Kubernetes: readOnlyRootFilesystem + emptyDir);
#   - it runs as uid/gid 65532 (distroless `nonroot`, the image's USER) with no capabilities,
#     in its own user, mount, pid, ipc and uts namespaces (bubblewrap), sharing the network;
#   - its environment is exactly the image's ENV plus the compose `app` environment (read from
#     the Dockerfile and from `compose config`), with three substitutions: KROKI_URL points at the
#     stand-in Kroki instead of kroki:8000, CACHE_REDIS_URL at a redis-server of this script on a
#     free loopback port instead of redis:6379, and PORT is a free port instead of 8080.
#
# Then it proves the app starts, serves a page, renders through the API and the Kroki-style
# gateway, reports healthy (its Redis tier in use), that `kroki-web healthcheck` (run the same sandboxed way) exits 0
# while it is up and 1 once it has stopped, that SIGTERM stops it cleanly, and that it wrote
# nothing, even to /tmp. One PASS/FAIL line per check; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_UID=65532
RUN_GID=65532
TOOLS_DIR="${CONTAINER_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kroki-web/container-tools}"
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)"

failures=0
passes=0
pass() { printf 'PASS  %s\n' "$*"; passes=$((passes + 1)); }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
die() { fail "$*"; summary; }
summary() {
  printf 'container-smoke: %d passed, %d failed\n' "$passes" "$failures"
  ((failures == 0)) || exit 1
  exit 0
}

for tool in bwrap setpriv curl jq python3 ldd redis-server; do
  command -v "$tool" >/dev/null 2>&1 \
    || { echo "container-smoke: $tool is missing; run scripts/setup-container-tools.sh" >&2; exit 2; }
done
COMPOSE="$TOOLS_DIR/bin/compose"
[[ -x "$COMPOSE" ]] \
  || { echo "container-smoke: the compose validator is missing; run scripts/setup-container-tools.sh" >&2; exit 2; }

WORK="$(mktemp -d)"
STANDIN_PID=""
SERVER_PID=""
REDIS_PID=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local pid
  for pid in "$SERVER_PID" "$STANDIN_PID" "$REDIS_PID"; do
    if [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Build --------------------------------------------------------------------------------------
if cargo build --release --locked --quiet -p kroki-web --bin kroki-web; then
  pass "release build of kroki-web"
else
  die "release build of kroki-web"
fi
# The stand-in is a test fixture: its debug build is enough and shares the test build's deps.
if cargo build --locked --quiet -p kroki-standin --bin kroki-standin; then
  pass "build of the stand-in Kroki"
else
  die "build of the stand-in Kroki"
fi
BINARY="$TARGET_DIR/release/kroki-web"
STANDIN="$TARGET_DIR/debug/kroki-standin"

# --- The stand-in Kroki on a free loopback port --------------------------------------------------
"$STANDIN" --listen 127.0.0.1:0 >"$WORK/standin.log" 2>&1 &
STANDIN_PID=$!
KROKI_URL=""
for _ in $(seq 1 100); do
  KROKI_URL="$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$WORK/standin.log" | head -n1)"
  [[ -n "$KROKI_URL" ]] && break
  kill -0 "$STANDIN_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ -n "$KROKI_URL" ]] && curl -fsS -o /dev/null "$KROKI_URL/health"; then
  pass "stand-in Kroki serving at $KROKI_URL"
else
  cat "$WORK/standin.log" >&2
  die "stand-in Kroki did not start"
fi

# --- Redis (the compose `redis` service) on a free loopback port, no persistence ------------------
REDIS_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break
  sleep 0.1
done
if (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; then
  pass "redis-server serving on 127.0.0.1:$REDIS_PORT"
else
  cat "$WORK/redis.log" >&2
  die "redis-server did not start"
fi

# --- The environment: image ENV + compose `app` environment -------------------------------------
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$COMPOSE" -f docker-compose.yml config --format json >"$WORK/compose.json"
python3 - "$WORK/compose.json" "$KROKI_URL" "$PORT" "$REDIS_PORT" >"$WORK/env" <<'PY'
import json, re, sys

compose_file, kroki_url, port, redis_port = sys.argv[1:]
dockerfile = re.sub(r"\\\n", " ", open("Dockerfile", encoding="utf-8").read())
runtime = re.split(r"(?m)^FROM\s", dockerfile)[-1]
# What Docker gives a distroless nonroot container besides the Dockerfile's ENV.
env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/home/nonroot"}
for line in runtime.splitlines():
    if line.startswith("ENV "):
        env.update((k, v.strip('"')) for k, v in re.findall(r'([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)', line))
app_env = json.load(open(compose_file))["services"]["app"].get("environment", {})
env.update({k: "" if v is None else str(v) for k, v in app_env.items()})
assert env.get("KROKI_URL") == "http://kroki:8000", env.get("KROKI_URL")
env["KROKI_URL"] = kroki_url
assert env.get("CACHE_REDIS_URL") == "redis://redis:6379/0", env.get("CACHE_REDIS_URL")
env["CACHE_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
env["PORT"] = port
for key in sorted(env):
    print(f"{key}={env[key]}")
PY
echo "container-smoke: environment of the sandboxed app:"
sed 's/^/    /' "$WORK/env"

# --- The sandbox: a read-only root with only the runtime stage's files ---------------------------
mkdir -p "$WORK/tmp"
chown "$RUN_UID:$RUN_GID" "$WORK/tmp"
chmod 0700 "$WORK/tmp"
cp "$BINARY" "$WORK/kroki-web"
chmod 0755 "$WORK" "$WORK/kroki-web"

# sandbox_command [EXTRA_BWRAP_ARGS...]: prints nothing; sets the array `sandbox` to the command
# prefix that runs a program as the image would (EXTRA_BWRAP_ARGS add mounts before the root
# is made read-only).
sandbox_command() {
  sandbox=(setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups --inh-caps=-all --
    bwrap --unshare-all --share-net --die-with-parent --new-session --clearenv)
  # The shared libraries the binary links, at the paths the dynamic loader looks in.
  local library key value
  while read -r library; do
    sandbox+=(--ro-bind "$(readlink -f "$library")" "$library")
  done < <(ldd "$BINARY" | grep -o '/[^ ]*' | sort -u)
  sandbox+=(--ro-bind /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
    --ro-bind "$WORK/kroki-web" /usr/local/bin/kroki-web
    --bind "$WORK/tmp" /tmp
    --proc /proc
    --dev /dev
    "$@"
    --remount-ro /)
  while IFS='=' read -r key value; do
    sandbox+=(--setenv "$key" "$value")
  done <"$WORK/env"
  sandbox+=(--)
}

# The sandbox itself: no file but the binary's, nothing writable but /tmp. `touch` (which links
# only glibc) probes it, bound in for this check alone.
sandbox_command --ro-bind "$(command -v touch)" /usr/bin/touch
if ! "${sandbox[@]}" /usr/bin/touch /usr/local/bin/probe 2>/dev/null \
  && ! "${sandbox[@]}" /usr/bin/touch /probe 2>/dev/null \
  && "${sandbox[@]}" /usr/bin/touch /tmp/probe \
  && [[ "$(stat -c %u "$WORK/tmp/probe")" == "$RUN_UID" ]]; then
  rm -f "$WORK/tmp/probe"
  pass "sandbox: root file system read-only, /tmp writable, files owned by uid $RUN_UID"
else
  die "sandbox is not read-only with a writable /tmp"
fi
sandbox_command
in_sandbox() { "${sandbox[@]}" "$@"; }

# --- Start the app -------------------------------------------------------------------------------
BASE="http://127.0.0.1:$PORT"
in_sandbox /usr/local/bin/kroki-web >"$WORK/app.log" 2>&1 &
SERVER_PID=$!
up=""
for _ in $(seq 1 150); do
  if curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null; then up=1; break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ -n "$up" ]]; then
  pass "starts and answers /healthz on port $PORT"
else
  cat "$WORK/app.log" >&2
  die "the app did not start"
fi

# The app's own process (bwrap's descendant) runs unprivileged.
descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    echo "$child"
    descendants "$child"
  done
}
app_pid=""
for pid in $(descendants "$SERVER_PID"); do
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == kroki-web ]] && app_pid="$pid"
done
if [[ -n "$app_pid" ]] \
  && grep -Eq "^Uid:\s+$RUN_UID\s+$RUN_UID\s+$RUN_UID\s+$RUN_UID$" "/proc/$app_pid/status" \
  && grep -Eq '^CapEff:\s+0+$' "/proc/$app_pid/status"; then
  pass "runs as uid $RUN_UID with no capabilities (pid $app_pid)"
else
  fail "the app process is not unprivileged (pid ${app_pid:-not found})"
fi

# --- What it serves ------------------------------------------------------------------------------
# check NAME EXPECTED_STATUS CONTENT_TYPE_PREFIX BODY_PATTERN CURL_ARGS...
check() {
  local name="$1" status="$2" type="$3" pattern="$4"
  shift 4
  local got_status got_type
  if ! read -r got_status got_type < <(curl -sS -o "$WORK/body" -w '%{http_code} %{content_type}\n' "$@"); then
    fail "$name: no answer"
    return
  fi
  if [[ "$got_status" == "$status" && "$got_type" == "$type"* ]] && grep -Eq -- "$pattern" "$WORK/body"; then
    pass "$name: $got_status $got_type"
  else
    fail "$name: got $got_status $got_type, wanted $status $type with /$pattern/ in: $(head -c 300 "$WORK/body")"
  fi
}

SOURCE='digraph G { Hello -> World }'
ENCODED="$(printf '%s' "$SOURCE" | "$STANDIN" encode)"
check "GET / serves the home page" 200 text/html '<html' "$BASE/"
check "POST /api/generate renders an SVG" 200 image/svg+xml '<svg' \
  -H 'Content-Type: application/json' \
  --data "$(jq -cn --arg s "$SOURCE" '{diagram_type: "graphviz", output_format: "svg", diagram_source: $s}')" \
  "$BASE/api/generate"
check "GET /graphviz/svg/<encoded> renders an SVG" 200 image/svg+xml '<svg' "$BASE/graphviz/svg/$ENCODED"
companions="$(sed -n 's/^KROKI_COMPANIONS=//p' "$WORK/env")"
health_status="$(curl -sS -o "$WORK/health.json" -w '%{http_code}' "$BASE/health" || true)"
if [[ "$health_status" == 200 ]] \
  && jq -e --arg c "$companions" \
    '.status == "healthy" and .checks.cache.status == "healthy" and ([.checks | keys[]] | contains(["kroki"] + ($c | split(","))))' \
    "$WORK/health.json" >/dev/null; then
  pass "GET /health: 200 healthy, checks kroki, $companions and the Redis cache"
else
  fail "GET /health: $health_status $(head -c 400 "$WORK/health.json")"
fi

if in_sandbox /usr/local/bin/kroki-web healthcheck; then
  pass "kroki-web healthcheck exits 0 while the app is up"
else
  fail "kroki-web healthcheck exited $? while the app is up"
fi

# --- Stop it as a container runtime would --------------------------------------------------------
if [[ -n "$app_pid" ]]; then
  kill -TERM "$app_pid"
  status=0
  wait "$SERVER_PID" || status=$?
  SERVER_PID=""
  if ((status == 0)); then
    pass "SIGTERM stops it cleanly (exit 0)"
  else
    fail "SIGTERM: exit status $status"
    cat "$WORK/app.log" >&2
  fi
else
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
fi

status=0
in_sandbox /usr/local/bin/kroki-web healthcheck 2>"$WORK/healthcheck.err" || status=$?
if ((status == 1)); then
  pass "kroki-web healthcheck exits 1 once the app is down ($(head -n1 "$WORK/healthcheck.err"))"
else
  fail "kroki-web healthcheck exited $status once the app is down (wanted 1)"
fi

written="$(find "$WORK/tmp" -mindepth 1 | sed "s|^$WORK/tmp|/tmp|")"
if [[ -z "$written" ]]; then
  pass "wrote no file: the root is read-only and /tmp stayed empty"
else
  pass "wrote nothing outside /tmp (read-only root); in /tmp: $(echo "$written" | tr '\n' ' ')"
fi

summary
