#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (issue 14): a clang build in build-fuzz/ (the same build as the fuzz
# targets, tests/fuzz/run.sh), then ctest there, then each fuzz target for
# FUZZ_SECONDS (default 15). Extra arguments go to ctest.
#   bash tests/sanitize.sh [-R REGEX ...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tests/deps.sh"
rectsync_install_deps "${RECTSYNC_TEST_PACKAGES[@]}" clang libclang-rt-dev
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
cmake -S "$top" -B "$top/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DRECTSYNC_FUZZ=ON >/dev/null
cmake --build "$top/build-fuzz" -j"$(nproc)"
# A report fails the test that made it; leaks are reported too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd "$top/build-fuzz" && ctest --output-on-failure -j"$(nproc)" --timeout 900 "$@")
bash "$top/tests/fuzz/run.sh" "${FUZZ_SECONDS:-15}"
