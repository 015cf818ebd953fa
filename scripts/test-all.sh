#!/usr/bin/env bash
# Every check CI runs, in order, failing fast. `make test` runs this after `make setup`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "unit, black-box and end-to-end tests (against the stand-in Kroki)"
cargo test --workspace --locked

step "container files: hadolint, compose, Kubernetes, shellcheck"
scripts/lint-containers.sh

step "container-like run of the release binary"
scripts/container-smoke.sh

step "all checks passed"
