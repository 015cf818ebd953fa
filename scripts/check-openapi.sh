#!/usr/bin/env bash
# Checks the OpenAPI document against the running app: openapi-spec-validator validates it, then
# schemathesis sends generated requests to every operation (app + stand-in Kroki on loopback)
# and fails on any server error or any response that contradicts the document.
# Needs: cargo, python3 with openapi-spec-validator and schemathesis (scripts/setup-test-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${OPENAPI_MAX_EXAMPLES:-40}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "check-openapi: $1 did not come up" >&2
  return 1
}

cargo build --quiet --locked -p kroki-web -p kroki-standin
kroki_port="$(free_port)"
app_port="$(free_port)"
target/debug/kroki-standin --listen "127.0.0.1:$kroki_port" >"$work/standin.log" 2>&1 &
pids+=("$!")
KROKI_URL="http://127.0.0.1:$kroki_port" LISTEN_HOST=127.0.0.1 PORT="$app_port" LOG_LEVEL=warn \
  target/debug/kroki-web >"$work/app.log" 2>&1 &
pids+=("$!")
wait_for "http://127.0.0.1:$kroki_port/health"
wait_for "http://127.0.0.1:$app_port/healthz"

curl -fsS "http://127.0.0.1:$app_port/api/openapi.json" -o "$work/openapi.json"
openapi-spec-validator "$work/openapi.json"

schemathesis run "http://127.0.0.1:$app_port/api/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,fuzzing \
  --max-examples "$examples" \
  --generation-deterministic \
  --request-timeout 10 \
  --workers 2 \
  --no-color
