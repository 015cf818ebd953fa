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

if ((${#apt_packages[@]})); then
  echo "setup: installing Debian packages: ${apt_packages[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

# Container linters (hadolint, compose and Kubernetes validators).
scripts/setup-container-tools.sh

echo "setup: done"
