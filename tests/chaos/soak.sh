#!/usr/bin/env bash
# Soak mode of the chaos tests (issue 14): the kill loop with KILLS kills
# (default 200) and the partition test with CUTS cuts (default 12) of 5-120 s,
# each with a fresh seed, printing their figures. Builds first (Ninja +
# ccache, as tests/run.sh does).
#   bash tests/chaos/soak.sh [KILLS] [CUTS]
# Env: RECTSYNC_SEED=N replays a run's schedule of faults (default: random);
# CHAOS_CUT_MIN_S / CHAOS_CUT_MAX_S bound a cut (5 / 120).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
source "$top/tests/deps.sh"
rectsync_install_deps "${RECTSYNC_TEST_PACKAGES[@]}"
rectsync_build build
export RECTSYNC_SEED=${RECTSYNC_SEED:-random}
run() { "$top/build/tests/chaos/chaos_test" --gtest_brief=1 --gtest_filter="$1" | grep -v '^Running main'; }
echo "== kill loop: ${1:-200} kills"
CHAOS_KILLS=${1:-200} run 'KillLoopTest.*'
echo "== partitions: ${2:-12} cuts"
CHAOS_CUTS=${2:-12} CHAOS_CUT_MIN_S=${CHAOS_CUT_MIN_S:-5} CHAOS_CUT_MAX_S=${CHAOS_CUT_MAX_S:-120} \
  run 'PartitionTest.*'
