#!/usr/bin/env bash
# Every check CI runs, in order, failing fast. `make test` runs this after `make setup`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo deny: licences, bans, sources (deny.toml)"
# Not advisories: its database is fetched from the network, which CI cannot reach.
cargo deny --log-level error check licenses bans sources

step "cargo machete: no unused dependency"
cargo machete

step "the editor bundle: rebuilt from web/src and compared with the committed static/ files"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
git diff --exit-code -- static tests/browser/vendor || {
  echo "static/ differs from a fresh build of web/src: run 'make assets' and commit the result" >&2
  exit 1
}

step "monitoring: promtool check and test of the rules, scrape configs, generated files"
scripts/check-monitoring.sh

step "unit, black-box, end-to-end and browser tests (against the stand-in Kroki)"
test_log="$(mktemp)"
trap 'rm -f "$test_log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$test_log"
totals="$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { printf "%d passed, %d failed", p, f }' "$test_log")"

step "the editor's JavaScript units (node --test)"
[ -d web/node_modules ] || (cd web && npm ci) # the highlighting tests use CodeMirror
node --test web/test/

step "OpenAPI: the document validated, schemathesis against the app and the stand-in"
scripts/check-openapi.sh

step "container files: hadolint, compose, Kubernetes, shellcheck"
scripts/lint-containers.sh

step "container-like run of the release binary"
scripts/container-smoke.sh

step "bounded load test: 256 connections, at least 100,000 requests (docs/loadtest.md)"
# The release kroki-web is the one container-smoke.sh just built (cargo finds it fresh); the
# release stand-in is built here (~1-2 min on 2 cores). Then 30 s of load, 90 s at most.
scripts/loadtest.sh

step "fuzz targets: a short run of each over its seeds (docs/fuzzing.md)"
scripts/fuzz.sh "${FUZZ_SMOKE_SECONDS:-20}"

step "all checks passed"
# The closing line CI reads: every Rust test of the workspace.
echo "tests: $totals"
