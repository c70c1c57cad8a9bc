#!/usr/bin/env bash
# Installs what denoclone and its tests need on Debian: the real components the tests drive
# (rclone, fuse3, openssh-server, docker.io, docker-compose, systemd's socket activator…) and
# the pinned Deno from npm. Idempotent: skips what is there already.
set -euo pipefail
cd "$(dirname "$0")/.."
want=(rclone fuse3 openssh-server docker.io docker-compose busybox-static socat systemd curl git
  linux-libc-dev iproute2 procps util-linux psmisc libsodium23)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "denoclone: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x node_modules/.bin/deno ] || npm ci --no-audit --no-fund
