#!/usr/bin/env bash
# Runs the whole suite in two phases and prints a plain "N passed, N failed" line:
#   1. every test file in parallel, except those that talk to a dockerd;
#   2. the dockerd tests one file at a time: dockerd asks every socket in the machine-wide
#      /run/docker/plugins about volumes it does not know, so one test's plugin starting or
#      stopping there must not stall another test's dockerd.
# Extra arguments go to both `deno test` runs. Bounded: each phase stops after 20 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
deno=./node_modules/deno/deno
serial=(tests/docker_e2e_test.ts tests/docker_sftp_e2e_test.ts tests/shipping_plugin_test.ts
  tests/shipping_systemd_test.ts)
ignore=$(IFS=,; echo "${serial[*]}")
log=$(mktemp)
rc=0
NO_COLOR=1 timeout --signal=INT --kill-after=60 1200 \
  "$deno" test -A --parallel --ignore="$ignore" "$@" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
NO_COLOR=1 timeout --signal=INT --kill-after=60 1200 \
  "$deno" test -A "${serial[@]}" "$@" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
passed=0
failed=0
runs=0
while read -r p f; do
  passed=$((passed + p))
  failed=$((failed + f))
  runs=$((runs + 1))
done < <(sed -nE 's/^(ok|FAILED) \| ([0-9]+) passed.*\| ([0-9]+) failed.*/\2 \3/p' "$log")
rm -f "$log"
# FUSE mounts (type fuse or fuse.*; not the fusectl control file system) left by the tests.
leftover=$(awk '$3 == "fuse" || $3 ~ /^fuse\./' /proc/mounts)
[ -z "$leftover" ] || { echo "FUSE mounts left behind:"; echo "$leftover"; rc=1; }
[ "$runs" = 2 ] || { echo "a test phase ended without a summary"; rc=1; }
echo "$passed passed, $failed failed"
exit "$rc"
