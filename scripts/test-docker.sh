#!/usr/bin/env bash
# `make docker-test`: builds the image, starts the whole compose stack (the app, Kroki 0.32.1 and
# every companion, diagrams.net included, so every diagram type can render), waits until the
# app's /health says healthy, runs the end-to-end suite (tests/e2e.rs) against it, and tears the
# stack down again, also on failure or Ctrl-C. Needs Docker with the Compose plugin (or the
# standalone docker-compose v2).
#
#   HEALTH_TIMEOUT=180   seconds to wait for a healthy stack
#   KROKI_WEB_PORT=8080  host port the app is published on
#   KEEP_STACK=1         leave the stack running afterwards, for a look at it
set -euo pipefail
cd "$(dirname "$0")/.."

HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-180}"
export KROKI_WEB_PORT="${KROKI_WEB_PORT:-8080}"
BASE_URL="http://localhost:$KROKI_WEB_PORT"
# The diagramsnet profile runs, so /health must also probe that companion.
export KROKI_COMPANIONS="mermaid,bpmn,excalidraw,diagramsnet"
export COMPOSE_PROFILES="diagramsnet"
# A project of its own, so a developer's `docker compose up` stack is left alone.
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-kroki-web-e2e}"

log() { printf 'docker-test: %s\n' "$*"; }

if ! command -v docker >/dev/null 2>&1; then
  log "docker is not installed. This test needs a container engine; on a machine without one,"
  log "run scripts/lint-containers.sh and scripts/container-smoke.sh instead (docs/deployment.md)."
  exit 2
fi
if ! docker info >/dev/null 2>&1; then
  log "docker cannot reach a running engine (docker info failed): start Docker and try again."
  exit 2
fi
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  log "neither the Docker Compose plugin (docker compose) nor docker-compose is installed."
  exit 2
fi
compose+=(-f docker-compose.yml)

# shellcheck disable=SC2317  # run by the EXIT trap
teardown() {
  local status=$?
  trap - EXIT INT TERM
  if [[ "${KEEP_STACK:-}" == 1 ]]; then
    log "KEEP_STACK=1: the stack keeps running; stop it with: COMPOSE_PROJECT_NAME=$COMPOSE_PROJECT_NAME COMPOSE_PROFILES=$COMPOSE_PROFILES ${compose[*]} down -v"
  else
    log "tearing the stack down"
    "${compose[@]}" down --volumes --remove-orphans --timeout 40 >/dev/null 2>&1 || true
  fi
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
log "building kroki-web:local (version $version, revision $revision)"
docker build --build-arg VERSION="$version" --build-arg REVISION="$revision" -t kroki-web:local .

log "starting the stack (project $COMPOSE_PROJECT_NAME, profiles: $COMPOSE_PROFILES)"
"${compose[@]}" up -d --no-build

log "waiting up to ${HEALTH_TIMEOUT}s for $BASE_URL/health to say healthy"
deadline=$((SECONDS + HEALTH_TIMEOUT))
verdict=""
while ((SECONDS < deadline)); do
  verdict="$(curl -sS --max-time 10 "$BASE_URL/health" 2>/dev/null | jq -r '.status // empty' 2>/dev/null || true)"
  [[ "$verdict" == healthy ]] && break
  sleep 3
done
if [[ "$verdict" != healthy ]]; then
  log "the stack did not become healthy within ${HEALTH_TIMEOUT}s (last verdict: ${verdict:-no answer})"
  curl -sS --max-time 10 "$BASE_URL/health" 2>/dev/null | jq . 2>/dev/null || true
  "${compose[@]}" ps
  "${compose[@]}" logs --no-color --tail 200
  exit 1
fi
log "healthy after $((HEALTH_TIMEOUT - (deadline - SECONDS)))s"

log "running the end-to-end suite against $BASE_URL"
E2E_BASE_URL="$BASE_URL" E2E_COMPANIONS="$KROKI_COMPANIONS" \
  cargo test --locked --test e2e -- --nocapture
log "end-to-end suite passed against the real stack"
