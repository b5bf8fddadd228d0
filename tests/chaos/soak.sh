#!/usr/bin/env bash
# The kill loop's soak mode (issue 14): tests/chaos/kill_loop_test.cc with
# many kills and a fresh seed, printing its figures. Builds first (Ninja +
# ccache, as tests/run.sh does).
#   bash tests/chaos/soak.sh [KILLS] [ROUNDS]   (200 kills, 1 round)
# Env: RECTSYNC_SEED=N replays a round's schedule of faults (default: random).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
source "$top/tests/deps.sh"
rectsync_install_deps "${RECTSYNC_TEST_PACKAGES[@]}"
rectsync_build build
kills=${1:-200}
rounds=${2:-1}
for round in $(seq 1 "$rounds"); do
  echo "== soak round $round of $rounds: $kills kills"
  CHAOS_KILLS=$kills RECTSYNC_SEED=${RECTSYNC_SEED:-random} \
    "$top/build/tests/chaos/chaos_test" --gtest_brief=1 | grep -v '^Running main'
done
