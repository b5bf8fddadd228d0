#!/usr/bin/env bash
# Fuzzes the ledger file readers (CSV and .xlsx: node/ledger/formats.h) with
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, from the
# checked-in corpus, for SECONDS (default 60). A crash leaves its input in
# build-fuzz/crashes/ and fails; new interesting inputs go to
# build-fuzz/corpus/ (copy the small ones into node/ledger/fuzz_corpus/).
#   bash tests/fuzz/run.sh [SECONDS]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
source "$top/tests/deps.sh"
rectsync_install_deps clang libclang-rt-dev
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
cmake -S "$top" -B "$top/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DRECTSYNC_FUZZ=ON >/dev/null
cmake --build "$top/build-fuzz" --target ledger_fuzz -j"$(nproc)"
mkdir -p "$top/build-fuzz/corpus" "$top/build-fuzz/crashes"
cd "$top/build-fuzz"
echo "fuzzing the ledger readers for ${seconds} s (seed corpus: node/ledger/fuzz_corpus)"
./node/ledger/ledger_fuzz -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 -artifact_prefix=crashes/ \
  corpus "$top/node/ledger/fuzz_corpus" 2>&1 | tail -n 25
