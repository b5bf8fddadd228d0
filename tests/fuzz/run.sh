#!/usr/bin/env bash
# Fuzzes what a node reads from outside with libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, each target for SECONDS (default 60) from its
# checked-in corpus:
#   record_fuzz  a record envelope as it arrives (node/record)
#   push_fuzz    a push batch at the parent's batch handler (node/daemon)
#   bundle_fuzz  a bundle file (离线包) at import (node/daemon)
#   config_fuzz  node.toml (node/daemon)
#   ledger_fuzz  a ledger file, CSV or .xlsx (node/ledger)
# A crash leaves its input in build-fuzz/crashes/TARGET/ and fails the run;
# new interesting inputs go to build-fuzz/corpus/TARGET/ (copy small ones
# into the target's fuzz_corpus/). Prints executions and crashes per target.
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(record_fuzz push_fuzz bundle_fuzz config_fuzz ledger_fuzz)
source "$top/tests/deps.sh"
rectsync_install_deps clang libclang-rt-dev
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
cmake -S "$top" -B "$top/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DRECTSYNC_FUZZ=ON >/dev/null
cmake --build "$top/build-fuzz" --target "${targets[@]}" -j"$(nproc)"
cd "$top/build-fuzz"
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/fuzz/lsan.supp:print_suppressions=0}
# Each target's corpus; the target is built in the corpus's directory.
declare -A corpus=([record_fuzz]=node/record/fuzz_corpus [push_fuzz]=node/daemon/fuzz_corpus/push
  [bundle_fuzz]=node/daemon/fuzz_corpus/bundle [config_fuzz]=node/daemon/fuzz_corpus/config
  [ledger_fuzz]=node/ledger/fuzz_corpus)
failed=0
summary=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "crashes/$t"
  echo "== $t for ${seconds} s (seed corpus: ${corpus[$t]})"
  log=$t.log
  rc=0
  "./${corpus[$t]%%/fuzz_corpus*}/$t" -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="crashes/$t/" "corpus/$t" "$top/${corpus[$t]}" >"$log" 2>&1 || rc=$?
  tail -n 12 "$log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  crashes=$(find "crashes/$t" -type f | wc -l)
  summary+=("$t: ${execs:-?} executions, $crashes crash inputs, exit $rc")
  if ((rc != 0 || crashes > 0)); then failed=1; fi
done
echo "== fuzz summary (${seconds} s each)"
printf '  %s\n' "${summary[@]}"
exit $failed
