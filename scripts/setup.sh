#!/usr/bin/env bash
# One-time set-up of a fresh machine: npm dependencies and nats-server. Idempotent and quiet
# when everything is already there. Used by `npm run demo`, `npm run verify` and CI.
# `--containers` also sets up the container engine of `npm run test:deploy`
# (scripts/setup-containers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

if ! command -v nats-server >/dev/null 2>&1; then
  echo "setup: installing nats-server (Debian package)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq nats-server
fi
command -v nats-server >/dev/null 2>&1 || { echo "setup: nats-server is still missing" >&2; exit 1; }

# The browser tests of the status page (services/console/test/*.browser.spec.ts) drive Debian's
# chromium through playwright-core (an npm dev dependency). The product itself needs no browser.
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium (Debian package) for the browser tests"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends chromium
fi
[ -x /usr/bin/chromium ] || { echo "setup: chromium is still missing" >&2; exit 1; }

# Milestone's published Python protocol samples judge the XProtect simulator in a test; they run
# on the system interpreter with Debian's packages (not a pyenv/venv python that may shadow it).
PY_DEBS="python3-requests python3-websockets python3-aiohttp python3-requests-ntlm"
if ! /usr/bin/python3 -c 'import requests, websockets, aiohttp, requests_ntlm' >/dev/null 2>&1; then
  echo "setup: installing $PY_DEBS (Debian packages)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq $PY_DEBS
fi
/usr/bin/python3 -c 'import requests, websockets, aiohttp, requests_ntlm' >/dev/null 2>&1 || { echo "setup: python3 packages for the vendor-sample check are still missing" >&2; exit 1; }

# systemd-analyze checks the bare-box unit (test/deploy/systemd.spec.ts); openssl makes test PKIs.
for pair in systemd-analyze:systemd openssl:openssl fallocate:util-linux; do
  bin="${pair%%:*}"; pkg="${pair##*:}"
  if ! command -v "$bin" >/dev/null 2>&1; then
    echo "setup: installing $pkg (Debian package)"
    SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null || true
  fi
done

# Only for `npm run test:deploy`: podman + docker-compose, a local base image (cached).
if [ "${1:-}" = "--containers" ]; then
  bash scripts/setup-containers.sh
fi
