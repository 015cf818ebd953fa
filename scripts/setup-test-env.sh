#!/usr/bin/env bash
# Installs everything the test suite needs on a bare Debian machine (the CI machine starts
# with only the Rust toolchain, Python and Node). Idempotent: installed tools are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
need() { command -v "$1" >/dev/null 2>&1 || apt_packages+=("$2"); }
need shellcheck shellcheck
need bwrap bubblewrap
need setpriv util-linux
need curl curl
need wrk wrk
need promtool prometheus
need redis-server redis-server

if ((${#apt_packages[@]})); then
  echo "setup: installing Debian packages: ${apt_packages[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

# The OpenAPI checks: a validator for the document, schemathesis against the running app.
python_tools=()
command -v openapi-spec-validator >/dev/null 2>&1 || python_tools+=(openapi-spec-validator)
command -v schemathesis >/dev/null 2>&1 || python_tools+=(schemathesis)
if ((${#python_tools[@]})); then
  echo "setup: installing Python tools: ${python_tools[*]}"
  python3 -m pip install --quiet --disable-pip-version-check "${python_tools[@]}"
fi

# cargo deny (licences, bans, sources of the dependency tree), cargo fuzz (the fuzz targets'
# smoke run) and cargo machete (unused dependencies), from the crates registry.
cargo_tools=()
command -v cargo-deny >/dev/null 2>&1 || cargo_tools+=(cargo-deny)
command -v cargo-fuzz >/dev/null 2>&1 || cargo_tools+=(cargo-fuzz)
command -v cargo-machete >/dev/null 2>&1 || cargo_tools+=(cargo-machete)
for tool in "${cargo_tools[@]}"; do
  echo "setup: installing $tool (cargo install)"
  cargo install --locked --quiet "$tool"
done

# Chromium and ChromeDriver for the browser tests (Debian's packages).
scripts/setup-browser.sh

# Container linters (hadolint, compose and Kubernetes validators).
scripts/setup-container-tools.sh

echo "setup: done"
