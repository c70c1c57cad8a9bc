#!/usr/bin/env bash
# The test command (README, CI): installs what the tests need, builds the artifact the
# integration tests run, runs `deno task ok` (fmt check, lint, type check, tests) and prints a
# plain "N passed, N failed" summary. Bounded: the whole suite is stopped after 25 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
deno task build
export DENOCLONE_BIN="$PWD/dist/denoclone"
deno fmt --check
deno lint
deno check main.ts
log=$(mktemp)
set +e
timeout --signal=INT --kill-after=60 1500 deno test -A --parallel "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1 || true)
passed=$(sed -nE 's/.*\| ([0-9]+) passed.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*\| ([0-9]+) failed.*/\1/p' <<<"$summary")
rm -f "$log"
# FUSE mounts (type fuse or fuse.*; not the fusectl control file system) left by the tests.
leftover=$(awk '$3 == "fuse" || $3 ~ /^fuse\./' /proc/mounts)
[ -z "$leftover" ] || { echo "FUSE mounts left behind:"; echo "$leftover"; rc=1; }
echo "${passed:-0} passed, ${failed:-0} failed"
[ -n "$summary" ] || { echo "test run ended without a summary (exit $rc)"; [ "$rc" != 0 ] || rc=1; }
exit "$rc"
