#!/usr/bin/env bash
# README command two: installs what is missing, builds once (Ninja + ccache),
# runs the whole test suite with ctest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tests/deps.sh"
rectsync_install_deps "${RECTSYNC_TEST_PACKAGES[@]}"
rectsync_build build
cd "$top/build"
ctest --output-on-failure -j"$(nproc)" --timeout 600 "$@"
