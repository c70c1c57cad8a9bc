#!/usr/bin/env bash
# The main job (README): starts the Docker volume plugin on its default socket
# /run/docker/plugins/rclone.sock. Installs the pinned Deno from npm first if needed.
# Extra arguments go to `denoclone serve docker` (e.g. -v, --base-dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/deno ] || npm ci --no-audit --no-fund
# V8 flags as in scripts/permissions.ts (RUN_V8_FLAGS), which says why.
exec node_modules/.bin/deno run --allow-all --v8-flags=--expose-gc,--no-opt main.ts serve docker "$@"
