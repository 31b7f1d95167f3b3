#!/usr/bin/env bash
# Container engine for `npm run test:deploy` (called by scripts/setup.sh --containers; CI: root,
# no stdin). Debian's podman with the runc runtime, served on a Docker-compatible socket for
# Debian's docker-compose, and a local Debian base image (no image registry is reachable):
#   - /etc/containers/containers.conf: runtime runc (crun refuses a hybrid cgroup layout) and no
#     default ulimits (podman's defaults exceed the hard limits of some machines);
#   - localhost/edge-base:bookworm: `debootstrap --variant=minbase bookworm` + ca-certificates,
#     libstdc++, nats-server (Debian package, also copied to /usr/local/bin like the nats image),
#     this machine's Node + npm and its extra CA certificates. Cached as a tarball under EDGE_CONTAINER_CACHE
#     (default /var/cache/edge-integration), so later runs import it in seconds.
# Prints nothing but progress; idempotent. The socket path is printed by `--print-socket`.
set -euo pipefail
CACHE="${EDGE_CONTAINER_CACHE:-/var/cache/edge-integration}"
SOCK="${EDGE_PODMAN_SOCKET:-/run/edge-podman/podman.sock}"
BASE_IMAGE="${EDGE_BASE_IMAGE:-localhost/edge-base:bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ "${1:-}" = "--print-socket" ]; then echo "$SOCK"; exit 0; fi

need=()
for b in podman runc docker-compose debootstrap; do command -v "$b" >/dev/null 2>&1 || need+=("$b"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends podman runc docker-compose debootstrap \
    uidmap slirp4netns fuse-overlayfs netavark aardvark-dns containernetworking-plugins iptables >/dev/null
fi

conf=/etc/containers/containers.conf
if ! grep -q '^# edge-integration' "$conf" 2>/dev/null; then
  echo "setup: writing $conf (runtime runc, no default ulimits)"
  $SUDO mkdir -p /etc/containers
  printf '# edge-integration: podman settings for this machine (scripts/setup-containers.sh)\n[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' | $SUDO tee "$conf" >/dev/null
fi

# The Docker-compatible API for docker-compose.
if ! curl -s --unix-socket "$SOCK" http://d/_ping 2>/dev/null | grep -q OK; then
  echo "setup: starting podman system service on $SOCK"
  $SUDO mkdir -p "$(dirname "$SOCK")"
  $SUDO rm -f "$SOCK"
  nohup $SUDO podman system service --time=0 "unix://$SOCK" >/dev/null 2>&1 &
  for _ in $(seq 1 100); do curl -s --unix-socket "$SOCK" http://d/_ping 2>/dev/null | grep -q OK && break; sleep 0.2; done
  curl -s --unix-socket "$SOCK" http://d/_ping | grep -q OK || { echo "setup: podman service did not start" >&2; exit 1; }
fi

# Podman schedules healthchecks with systemd timers; without systemd (containers, CI runners)
# nothing runs them, so `depends_on: condition: service_healthy` would wait forever. A ticker
# runs each running container's healthcheck every 5 s instead (`podman healthcheck run`).
ticker_pid=/run/edge-podman/healthcheck-ticker.pid
if ! systemctl is-system-running >/dev/null 2>&1 && ! { [ -s "$ticker_pid" ] && kill -0 "$(cat "$ticker_pid")" 2>/dev/null; }; then
  echo "setup: no systemd here: starting the healthcheck ticker"
  nohup $SUDO bash -c 'while sleep 5; do for c in $(podman ps -q 2>/dev/null); do podman healthcheck run "$c" >/dev/null 2>&1 & done; wait; done' >/dev/null 2>&1 &
  echo $! | $SUDO tee "$ticker_pid" >/dev/null
fi

if ! $SUDO podman image exists "$BASE_IMAGE"; then
  tarball="$CACHE/edge-base-bookworm.tar"
  if [ ! -s "$tarball" ]; then
    echo "setup: building the base image with debootstrap (about a minute)"
    $SUDO mkdir -p "$CACHE"
    root="$(mktemp -d /tmp/edge-rootfs.XXXXXX)"
    $SUDO debootstrap --variant=minbase --include=ca-certificates,libstdc++6,nats-server,wget bookworm "$root" "$MIRROR" >/dev/null
    $SUDO cp "$(readlink -f "$(command -v node)")" "$root/usr/local/bin/node"
    npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
    $SUDO mkdir -p "$root/usr/local/lib/node_modules"
    $SUDO cp -a "$(readlink -f "$npm_dir")" "$root/usr/local/lib/node_modules/npm"
    $SUDO ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    $SUDO cp "$root/usr/sbin/nats-server" "$root/usr/local/bin/nats-server"
    # Trust what this machine trusts (an egress proxy's CA), so `npm ci` in the image build works.
    if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
      $SUDO cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
      $SUDO chroot "$root" update-ca-certificates >/dev/null 2>&1 || true
    fi
    $SUDO rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
    $SUDO tar -C "$root" -cf "$tarball.tmp" . && $SUDO mv "$tarball.tmp" "$tarball"
    $SUDO rm -rf "$root"
  fi
  echo "setup: importing $BASE_IMAGE from $tarball"
  $SUDO podman import -q --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" "$tarball" "$BASE_IMAGE" >/dev/null
fi
