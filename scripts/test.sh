#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need, builds the artifact the
# integration tests run, runs `deno task ok` (fmt check, lint, type check, tests) and prints a
# plain "N passed, N failed" summary (scripts/run_tests.sh). Bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
deno task build
export DENOCLONE_BIN="$PWD/dist/denoclone"
deno task ok
