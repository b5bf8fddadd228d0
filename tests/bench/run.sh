#!/usr/bin/env bash
# tests/bench/run.sh: every benchmark in one command. Installs what the build
# needs (tests/deps.sh), builds Release into build-release/, runs
# append_bench, sync_bench and summary_bench, collects their JSON lines into
# build-release/bench.json and prints one table of the headline figures
# against their aims or baselines, with the machine they ran on.
#
# Sizes are chosen to finish in about 10-15 minutes on a 2-core machine,
# build included when ccache is warm. Full logs: build-release/bench-logs/.
# Extra arguments go to summary_bench (e.g. --villages 1000 --problems 20).
# Exit status: non-zero if any bench failed (its figures are then missing).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=build-release
out="$top/$build/bench.json"
logs="$top/$build/bench-logs"
t0=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# shellcheck source=../deps.sh
source "$top/tests/deps.sh"
set +e  # deps.sh sets -e; here one failing bench must not hide the others
rectsync_install_deps || { echo "run.sh: installing dependencies failed" >&2; exit 1; }
echo "== build ($build, Release)"
tb=$(date +%s)
mkdir -p "$top/$build"
rectsync_build "$build" Release >"$top/$build/build.log" 2>&1 ||
  { tail -30 "$top/$build/build.log" >&2; echo "run.sh: build failed (log: $top/$build/build.log)" >&2; exit 1; }
build_s=$(($(date +%s) - tb))
echo "   ${build_s} s"

mkdir -p "$logs"
: >"$out"
failed=()
bench() {  # bench NAME ARGS...: runs build-release/tests/bench/NAME, keeps its JSON lines
  local name=$1 t rc
  shift
  echo "== $name $*"
  t=$(date +%s)
  "$top/$build/tests/bench/$name" "$@" >"$logs/$name.log" 2>&1
  rc=$?
  grep '^{"bench"' "$logs/$name.log" >>"$out"
  echo "   $(($(date +%s) - t)) s, exit $rc (log: $logs/$name.log)"
  if [ $rc -ne 0 ]; then
    failed+=("$name")
    tail -15 "$logs/$name.log" | sed 's/^/   | /' >&2
  fi
}
cd "$top/$build"
bench append_bench --records 1500
bench sync_bench --villages 50 --records-per-village 1000 --repetitions 3 --samples 200 \
  --backlog 100000
bench summary_bench --villages 5000 --problems 50 --queries 2000 --scan-samples 20 "$@"

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
total_s=$(($(date +%s) - t0))

# --- The table --------------------------------------------------------------
# q FILTER: jq over all JSON lines as one array; "-" when absent.
q() { jq -rs "($1) // \"-\"" "$out" 2>/dev/null || echo "-"; }
row() { printf '%-50s | %-32s | %-40s | %s\n' "$1" "$2" "$3" "$4"; }
first() { q "[.[] | select(.bench==\"$1\")][0] | $2"; }
ingest() { q "[.[] | select(.bench==\"parent_ingest\" and .sync_writes==$1 and .hop==\"$2\")][0] | $3"; }
fmt() { [ "$1" = "-" ] && echo "-" || printf "$2" "$1"; }
# ratio A B [MIN|MAX LIMIT]: A / B, three significant figures; with a limit,
# flags a ratio below MIN or above MAX as missing its aim.
ratio() {
  if [ "$1" = "-" ] || [ "$2" = "-" ]; then echo "-"; return; fi
  awk -v a="$1" -v b="$2" -v op="${3:-}" -v lim="${4:-0}" 'BEGIN {
    r = a / b
    s = r >= 100 ? sprintf("%.0f", r) : r >= 10 ? sprintf("%.1f", r) : sprintf("%.3f", r)
    if ((op == "MIN" && r < lim) || (op == "MAX" && r > lim)) s = s "  (misses aim)"
    print s }'
}

model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo "?")
[ -n "$(git -C "$top" status --porcelain -- node aggregator proto 2>/dev/null)" ] && rev="$rev + uncommitted changes"

echo
echo "machine: $(nproc) cores ($model), $mem memory; load average (1 5 15 min) at start $load_start, at end $load_end"
echo "source:  $rev; build $build_s s; total $total_s s; JSON lines: $out"
echo "ratio:   value / aim or baseline (throughput: higher is better; times: below 1 meets the aim)"
echo
row "figure" "value" "aim / baseline" "ratio"
row "$(printf '%.0s-' {1..50})" "$(printf '%.0s-' {1..32})" "$(printf '%.0s-' {1..40})" "------"
for mode in sync nosync; do
  label=$([ $mode = sync ] && echo "fsync on" || echo "fsync off")
  n=$(first local_append ".node_${mode}_rps"); r=$(first local_append ".raw_${mode}_rps")
  row "local append, $label (Node::Append)" "$(fmt "$n" '%s rec/s')" "raw RocksDB $(fmt "$r" '%s rec/s')" "$(ratio "$n" "$r")"
done
for mode in "true first" "true relay" "false first"; do
  set -- $mode
  label=$([ "$1" = true ] && echo "fsync on" || echo "fsync off")
  hop=$([ "$2" = first ] && echo "first hop, every signature" || echo "relayed, one signature per batch")
  n=$(ingest "$1" "$2" .node_records_per_s); r=$(ingest "$1" "$2" .raw_records_per_s)
  row "parent ingest, $label, $hop" "$(fmt "$n" '%s rec/s')" "raw RocksDB $(fmt "$r" '%s rec/s'); aim >= 0.5" "$(ratio "$n" "$r" MIN 0.5)"
done
p50=$(first propagation_latency .p50_ms); p99=$(first propagation_latency .p99_ms)
row "propagation, 3 hops (rectsyncd), p50" "$(fmt "$p50" '%s ms')" "" ""
row "propagation, 3 hops (rectsyncd), p99" "$(fmt "$p99" '%s ms')" "< 250 ms" "$(ratio "$p99" 250 MAX 1)"
b=$(first backlog_catchup .seconds); bn=$(first backlog_catchup .records)
br=$(first backlog_catchup .seconds_from_ready)
row "backlog catch-up, $bn records, to the city" "$(fmt "$b" '%s s') (from ready $(fmt "$br" '%s s'))" "< 5 s" "$(ratio "$b" 5 MAX 1)"
sv=$(first summary_query .villages)
sp50=$(first summary_query .p50_ms); sp99=$(first summary_query .p99_ms)
row "summary p99, 4 levels, city of $sv villages" "$(fmt "$sp99" '%s ms') (p50 $(fmt "$sp50" '%s ms'))" "< 5 ms" "$(ratio "$sp99" 5 MAX 1)"
tp99=$(first summary_query .township_p99_ms); tp50=$(first summary_query .township_p50_ms)
row "summary p99, townships (a row per village)" "$(fmt "$tp99" '%s ms') (p50 $(fmt "$tp50" '%s ms'))" "< 5 ms" "$(ratio "$tp99" 5 MAX 1)"
cs=$(first summary_scan .city_scan_ms); cr=$(first summary_scan .city_rollup_p50_ms)
row "summary of the city by scan-and-fold" "$(fmt "$cs" '%s ms')" "from rollups $(fmt "$cr" '%s ms')" "$(ratio "$cs" "$cr")"
ss=$(first summary_scan .scan_p50_ms); sr=$(first summary_scan .rollup_p50_ms)
su=$(first summary_scan .units); sx=$(first summary_scan .ratio_p50)
se=$(first summary_scan .all_equal)
row "scan-and-fold p50, $su units (answers equal: $se)" "$(fmt "$ss" '%s ms')" "from rollups $(fmt "$sr" '%s ms')" "$(fmt "$sx" '%s (median per unit)')"
io=$(first idle_link .city_origins); ib=$(first idle_link .city_whole_bytes); id=$(first idle_link .city_digest_bytes)
iu=$(first idle_link .city_whole_us); iv=$(first idle_link .city_digest_us); vv=$(first idle_link .village_digest_us)
row "idle heartbeat reply, subtree of $io origins" "$(fmt "$id" '%s B'), $(fmt "$iv" '%s us')" "whole frontier $(fmt "$ib" '%s B'), $(fmt "$iu" '%s us')" "$(ratio "$id" "$ib")"
row "idle heartbeat, $io origins vs 1 origin" "$(fmt "$iv" '%s us')" "a village's $(fmt "$vv" '%s us')" "$(ratio "$iv" "$vv")"
aw=$(first attestation .whole_bytes); ad=$(first attestation .delta_bytes)
ae=$(first attestation .whole_entries); ade=$(first attestation .delta_entries)
row "attestation after one record ($ade of $ae entries)" "$(fmt "$ad" '%s B')" "whole frontier $(fmt "$aw" '%s B')" "$(ratio "$ad" "$aw")"
for src in parent_ingest backlog; do
  w=$(q "[.[] | select(.bench==\"wire_bytes\" and .source==\"$src\")][0].bytes_per_record")
  row "push bytes per record ($src)" "$(fmt "$w" '%s B')" "" ""
done
cv=$(first console_pages .villages); cpp=$(first console_pages .problems_per_village)
co99=$(first console_pages .overview_p99_ms); cl99=$(first console_pages .ledger_p99_ms)
cu99=$(first console_pages .ledger_unit_p99_ms)
cs99=$(first console_pages .cli_summary_p99_ms); cc99=$(first console_pages .cli_ledger_p99_ms)
row "console city overview p99, $cv villages x $cpp" "$(fmt "$co99" '%s ms')" "< 300 ms; CLI summary $(fmt "$cs99" '%s ms')" "$(ratio "$co99" 300 MAX 1)"
row "console 50-row ledger page p99 (city; any unit)" "$(fmt "$cl99" '%s ms'); $(fmt "$cu99" '%s ms')" "< 300 ms; CLI problem ls $(fmt "$cc99" '%s ms')" "$(ratio "$cl99" 300 MAX 1)"
rr=$(first node_memory .records); rss=$(first node_memory .vmrss_mib)
hwm=$(first node_memory .vmhwm_mib); db=$(first node_memory .db_mib)
row "rectsyncd VmRSS, holding $rr records" "$(fmt "$rss" '%s MiB') (VmHWM $(fmt "$hwm" '%s MiB'))" "db on disk $(fmt "$db" '%s MiB')" "$(ratio "$rss" "$db")"
echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "run.sh: FAILED: ${failed[*]} (logs in $logs)" >&2
  exit 1
fi
