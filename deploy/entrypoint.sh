#!/bin/sh
# Runs the bundle named by the first argument (see the Dockerfile). Unknown names are executed
# as a command, so `docker run … edge sh` still works for debugging.
#   nats   render NATS_BASE_CONFIG (default /etc/nats/nats.conf) with the per-process users
#          (scripts/nats-config.ts, passwords from NATS_PASSWORD_<USER>_FILE) into /tmp, then
#          run nats-server on it.
set -eu
name="${1:-start}"
if [ "$name" = "nats" ]; then
  shift
  umask 077
  node /app/dist/nats-config.js --base "${NATS_BASE_CONFIG:-/etc/nats/nats.conf}" --out /tmp/nats.conf
  # A soft memory limit for the Go runtime (scripts/local-nats.ts: same default).
  export GOMEMLIMIT="${GOMEMLIMIT:-192MiB}"
  exec nats-server -c /tmp/nats.conf "$@"
fi
if [ "$name" = "edge" ]; then
  # The operator CLI reads ${VAR}s from its environment: load VAR from VAR_FILE (Docker secrets).
  for pair in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)_FILE=.*/\1/p'); do
    eval "file=\${${pair}_FILE}"
    if [ -r "$file" ] && [ -z "$(eval "echo \${${pair}:-}")" ]; then
      export "$pair=$(cat "$file")"
    fi
  done
fi
if [ -f "/app/dist/${name}.js" ]; then
  shift || true
  export EDGE_SERVICE="${EDGE_SERVICE:-$name}"
  # V8 heap limit (scripts/services.ts heapFlags: same default, same young-generation scaling).
  heap="${EDGE_HEAP_MB:-192}"
  case "$heap" in ''|*[!0-9]*) echo "EDGE_HEAP_MB=$heap: expected a whole number of MB" >&2; exit 2 ;; esac
  flags=""
  if [ "$heap" -gt 0 ]; then
    semi=$(( (heap + 24) / 48 )); [ "$semi" -lt 2 ] && semi=2; [ "$semi" -gt 16 ] && semi=16
    flags="--max-old-space-size=$heap --max-semi-space-size=$semi"
  fi
  # glibc malloc arenas (scripts/services.ts mallocEnv: same default).
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  # Source-mapped stack traces cost ≈ 40 MB per process once parsed: only on request.
  if [ "${EDGE_SOURCE_MAPS:-}" = "1" ]; then flags="$flags --enable-source-maps"; fi
  # shellcheck disable=SC2086 # flags are words
  exec node $flags "/app/dist/${name}.js" "$@"
fi
if [ "$name" = "--help" ] || [ "$name" = "help" ]; then
  echo "usage: <image> <process> [args]; processes: nats $(cd /app/dist && ls *.js | sed 's/\.js$//' | tr '\n' ' ')"
  exit 0
fi
exec "$@"
