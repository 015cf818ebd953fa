#!/usr/bin/env bash
# Installs what the browser tests (tests/browser) need: Debian's chromium and chromium-driver,
# and fonts for readable screenshots. Idempotent. axe-core is vendored in tests/browser/vendor,
# so the tests need no npm. Where apt-get is missing (not Debian) it says so and exits 0: the
# browser tests then report themselves skipped, or fail when CI=true.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "setup-browser: $(chromedriver --version | head -n 1) already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: no apt-get here; install Chromium and its chromedriver by hand (CHROME_BIN and CHROMEDRIVER may point at them)" >&2
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "setup-browser: installing chromium and chromium-driver"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
  chromium chromium-driver fonts-dejavu-core fonts-liberation >/dev/null
echo "setup-browser: $(chromedriver --version | head -n 1) installed"
