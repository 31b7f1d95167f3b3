#!/usr/bin/env bash
# `npm run demo`: everything a fresh machine needs, then the demo (scripts/demo.ts).
# scripts/setup.sh installs the npm dependencies when node_modules is missing or stale and
# nats-server when it is not on PATH (Debian/Ubuntu package; sudo only when not root).
# DEMO_SECONDS=N sets the duration (0: until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js 20.6 or newer is needed (https://nodejs.org, or your distribution's nodejs package)" >&2
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=6)?0:1)' || {
  echo "Node.js $(node --version) is too old: 20.6 or newer is needed" >&2
  exit 1
}

# npm dependencies and nats-server, when missing (the one set-up script; also used by CI).
bash scripts/setup.sh

exec node --import tsx scripts/demo.ts "$@"
