#!/bin/sh
# Runs the bundle named by the first argument (see the Dockerfile). Unknown names are executed
# as a command, so `docker run … edge sh` still works for debugging.
set -eu
name="${1:-start}"
if [ -f "/app/dist/${name}.js" ]; then
  shift || true
  export EDGE_SERVICE="${EDGE_SERVICE:-$name}"
  exec node --enable-source-maps "/app/dist/${name}.js" "$@"
fi
if [ "$name" = "--help" ] || [ "$name" = "help" ]; then
  echo "usage: <image> <process> [args]; processes: $(cd /app/dist && ls *.js | sed 's/\.js$//' | tr '\n' ' ')"
  exit 0
fi
exec "$@"
