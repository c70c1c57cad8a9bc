#!/usr/bin/env bash
# Installs denoclone as a systemd service with socket activation:
#   - the executable (dist/denoclone-<arch> from `deno task build` when deno compile could run,
#     else the bundle + the pinned Deno under /usr/local/lib/denoclone with a launcher) into
#     /usr/local/bin/denoclone
#   - systemd/docker-volume-rclone.{service,socket} into /etc/systemd/system
# Then: systemctl daemon-reload && systemctl enable --now docker-volume-rclone.socket
# Usage: scripts/install.sh [--prefix DIR] [--unit-dir DIR] [--no-systemctl]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
unit_dir=/etc/systemd/system
systemctl=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --unit-dir) unit_dir=$2; shift 2 ;;
    --no-systemctl) systemctl=0; shift ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
arch=$(uname -m); case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
[ -f dist/denoclone.js ] || node_modules/.bin/deno task build
mkdir -p "$prefix/bin" "$unit_dir"
if [ -x "dist/denoclone-$arch" ]; then
  install -m 0755 "dist/denoclone-$arch" "$prefix/bin/denoclone"
else
  mkdir -p "$prefix/lib/denoclone"
  install -m 0644 dist/denoclone.js "$prefix/lib/denoclone/denoclone.js"
  install -m 0755 dist/denoclone "$prefix/lib/denoclone/denoclone"
  install -m 0755 "$(readlink -f node_modules/.bin/deno)" "$prefix/lib/denoclone/deno"
  ln -sf "$prefix/lib/denoclone/denoclone" "$prefix/bin/denoclone"
fi
sed "s#/usr/local/bin/denoclone#$prefix/bin/denoclone#" systemd/docker-volume-rclone.service \
  >"$unit_dir/docker-volume-rclone.service"
install -m 0644 systemd/docker-volume-rclone.socket "$unit_dir/docker-volume-rclone.socket"
echo "installed $prefix/bin/denoclone and units in $unit_dir"
if [ "$systemctl" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now docker-volume-rclone.socket
fi
