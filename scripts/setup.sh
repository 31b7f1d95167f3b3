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
