#!/usr/bin/env bash
# Install headless Chromium from Debian packages for the report screenshot test.
# Idempotent: does nothing when a chromium binary is already on PATH. Prints the binary's
# path on success; exits non-zero (with the reason on stderr) when it cannot install,
# e.g. without root or without a package mirror, so the test can skip with that reason.
set -euo pipefail
find_chromium() {
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}
if find_chromium; then exit 0; fi
command -v apt-get >/dev/null 2>&1 || { echo "install_chromium: apt-get not available" >&2; exit 3; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "install_chromium: need root (or passwordless sudo) to apt-get install chromium" >&2
    exit 3
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  $SUDO apt-get install -y --no-install-recommends chromium >/dev/null \
    || { echo "install_chromium: apt-get install chromium failed" >&2; exit 3; }
fi
find_chromium || { echo "install_chromium: installed, but no chromium binary on PATH" >&2; exit 3; }
