#!/usr/bin/env bash
# `npm run demo`: everything a fresh machine needs, then the demo (scripts/demo.ts).
# Installs the npm dependencies when node_modules is missing and nats-server when it is not on
# PATH (Debian/Ubuntu: apt-get; sudo only when not root). DEMO_SECONDS=N sets the duration.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m%s\033[0m\n' "$*"; }

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js 20.6 or newer is needed (https://nodejs.org, or your distribution's nodejs package)" >&2
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=6)?0:1)' || {
  echo "Node.js $(node --version) is too old: 20.6 or newer is needed" >&2
  exit 1
}

if [ ! -d node_modules ] || [ ! -x node_modules/.bin/tsx ]; then
  say "installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund
fi

if [ -z "${NATS_SERVER_BIN:-}" ] && ! command -v nats-server >/dev/null 2>&1; then
  say "installing nats-server…"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "nats-server is missing and this user cannot install packages: install nats-server, or set NATS_SERVER_BIN" >&2
      exit 1
    fi
  fi
  if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq nats-server
  else
    echo "nats-server is missing and apt-get is not available: install nats-server (https://nats.io), or set NATS_SERVER_BIN" >&2
    exit 1
  fi
fi

exec node --import tsx scripts/demo.ts "$@"
