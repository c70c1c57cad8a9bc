#!/usr/bin/env bash
# Installs denoclone as a systemd service with socket activation (see scripts/README.md):
#   - the program into PREFIX/bin/denoclone: the single executable dist/denoclone-<arch> when
#     `deno task build` could make one, else the bundle + the pinned Deno under
#     PREFIX/lib/denoclone and a launcher that runs it with exactly the permissions of
#     scripts/permissions.ts
#   - systemd/docker-volume-rclone.{service,socket} into UNIT_DIR (ExecStart pointed at
#     PREFIX/bin/denoclone)
#   - then, when systemd is running: systemctl daemon-reload and enable --now the socket.
# Usage: scripts/install.sh [--prefix DIR (/usr/local)] [--unit-dir DIR (/etc/systemd/system)]
#                           [--no-systemctl]
# Runs `deno task build` first when dist/ has no build.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
unit_dir=/etc/systemd/system
systemctl=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --unit-dir) unit_dir=${2:?--unit-dir needs a directory}; shift 2 ;;
    --no-systemctl) systemctl=0; shift ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be absolute" >&2; exit 2 ;; esac
deno=node_modules/.bin/deno
arch=$(uname -m)
case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
[ -f dist/denoclone.js ] || "$deno" task build
mkdir -p "$prefix/bin" "$unit_dir"
if [ -x "dist/denoclone-$arch" ]; then
  install -m 0755 "dist/denoclone-$arch" "$prefix/bin/denoclone"
  made="single executable dist/denoclone-$arch"
else
  lib="$prefix/lib/denoclone"
  mkdir -p "$lib"
  install -m 0644 dist/*.js "$lib/" # the entry point and its on-demand chunks
  install -m 0755 "$(readlink -f "$deno")" "$lib/deno"
  perms=$("$deno" eval --quiet \
    'import { RUN_FLAGS } from "./scripts/permissions.ts"; console.log(RUN_FLAGS.join(" "))')
  cat >"$lib/denoclone" <<EOF
#!/bin/sh
# denoclone: the bundle run by the Deno it was built with, with exactly these permissions and flags.
exec "$lib/deno" run --quiet --no-prompt --no-config $perms "$lib/denoclone.js" "\$@"
EOF
  chmod 0755 "$lib/denoclone"
  ln -sfn "$lib/denoclone" "$prefix/bin/denoclone"
  made="bundle + Deno in $lib (no single executable dist/denoclone-$arch)"
fi
sed "s#/usr/local/bin/denoclone#$prefix/bin/denoclone#" systemd/docker-volume-rclone.service \
  >"$unit_dir/docker-volume-rclone.service"
chmod 0644 "$unit_dir/docker-volume-rclone.service"
install -m 0644 systemd/docker-volume-rclone.socket "$unit_dir/docker-volume-rclone.socket"
echo "installed $prefix/bin/denoclone ($made) and units in $unit_dir"
if [ "$systemctl" = 1 ]; then
  if [ -d /run/systemd/system ]; then
    getent group docker >/dev/null || groupadd --system docker
    systemctl daemon-reload
    systemctl enable --now docker-volume-rclone.socket
    echo "enabled docker-volume-rclone.socket; restart docker.service to pick the plugin up"
  else
    echo "systemd is not running here: enable docker-volume-rclone.socket yourself"
  fi
fi
