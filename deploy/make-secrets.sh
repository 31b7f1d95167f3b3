#!/usr/bin/env bash
# Creates the secret files docker-compose.yml names (its `secrets:` section), in ./secrets or $1:
#   - a random password for every NATS user (nats_*) and the status token (edge_http_token);
#   - an empty file for each credential you must supply (cloud_token, system passwords…):
#     write the value into it (one line). An empty one is reported as unset by the service.
# Files are mode 0400 and owned by uid 10001 (the image's user); the directory is 0700.
# Existing files are kept, so it is safe to run again after adding a process.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-secrets}"
uid="${EDGE_UID:-10001}"
mkdir -p "$dir"
chmod 0700 "$dir"
names=$(sed -n '/^secrets:/,/^[a-z]/p' docker-compose.yml | sed -n 's/^  \([a-z0-9_]*\): { file:.*/\1/p')
for n in $names; do
  f="$dir/$n"
  [ -e "$f" ] && continue
  case "$n" in
    nats_*|edge_http_token) head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | head -c 40 > "$f" ;;
    *) : > "$f"; echo "make-secrets: fill in $f" ;;
  esac
  chmod 0400 "$f"
  chown "$uid" "$f" 2>/dev/null || true
done
