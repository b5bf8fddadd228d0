#!/usr/bin/env bash
# README command one: the whole hierarchy on this machine, on data from the
# real reports in the seeds.
#
#   sudo bash deploy/demo.sh [--keep] [--check] [--no-build] [--dir DIR]
#
# Installs what is missing (apt-get), builds, starts one rectsyncd per unit
# of deploy/topology.toml (1 city, 2 counties, 5 departments, 4
# townships, 8 villages), then:
#   - takes the township 城关镇 offline and has its village 城东村 import its
#     rectification ledger (47 problems, seed 002) while the link is down;
#   - has seven more units import the ledgers of their 通报 (seed 002; the
#     list is deploy/samples/reports.tsv), each under its inspection (巡察);
#   - has the county 示范县 report the figures of seed 000;
#   - brings 城关镇 back: the village's records flow up to the city;
#   - has the county review (审核/验收) the street's claims and close three;
#   - prints the city's summary tree, one drill-down to a problem's signed
#     history, and the reconciliation (对账) of what units state against
#     their records; then checks, from the 通报 the city generates for each
#     ledger, every figure its report states.
#   --keep      leave the cluster running and print commands to explore it
#   --check     exit non-zero unless the figures match the reports (tests)
#   --no-build  use the binaries already in the build directory
#   --dir DIR   where the nodes live (default /tmp/rectsync-demo; wiped first)
#   RECTSYNC_BUILD_DIR  build directory relative to the repository (default build)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
# shellcheck source=../tests/deps.sh
source tests/deps.sh

keep=0 check=0 build=1 dir=/tmp/rectsync-demo
bin=${RECTSYNC_BUILD_DIR:-build}
while [ $# -gt 0 ]; do
  case $1 in
    --keep) keep=1; shift ;;
    --check) check=1; shift ;;
    --no-build) build=0; shift ;;
    --dir) dir=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

rectsync_install_deps
command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }
if [ $build = 1 ]; then rectsync_build "$bin"; fi
R="$top/$bin/node/cli/rectsync"
cluster() { bash "$top/deploy/cluster.sh" --dir "$dir" --bin "$bin" "$@"; }
at() { "$R" --node "$(cluster dir "$1")" "${@:2}"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
failures=0
expect() {  # expect LABEL ACTUAL WANTED
  if [ "$2" = "$3" ]; then printf '  ✓ %s: %s\n' "$1" "$2"
  else printf '  ✗ %s: %s, the report says %s\n' "$1" "$2" "$3"; failures=$((failures + 1)); fi
}
wait_for() {  # wait_for SECONDS 'CONDITION': until the shell CONDITION holds
  local end=$((SECONDS + $1))
  until eval "$2"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.3
  done
}

CITY=9901 COUNTY=9901/990101 TOWN=9901/990101/990101001 STREET=9901/990101/990101002
VILLAGE=9901/990101/990101001/990101001001
export RECTSYNC_AUTHOR=demo
# Every unit serves its web console (控制台) on 127.0.0.1:8400 + its index.
export RECTSYNC_CONSOLE_BASE=${RECTSYNC_CONSOLE_BASE:-8400}
# The sample ledgers and their reports' figures: deploy/samples/reports.tsv.
samples() { grep -v -e '^#' -e '^$' deploy/samples/reports.tsv; }
# import_sample FILE: FILE's unit records its inspection, then imports FILE under it.
import_sample() {
  local f unit id body start end feedback figures
  IFS=$'\t' read -r f unit id body start end feedback figures < <(samples | awk -F'\t' -v f="$1" '$1 == f')
  [ -n "${unit:-}" ] || { echo "demo: $1 is not in deploy/samples/reports.tsv" >&2; exit 1; }
  at "$unit" inspection open --id "$id" --body "$body" --unit "$unit" --start "$start" --end "$end" \
    --feedback "$feedback" >/dev/null
  at "$unit" import "deploy/samples/$f" --inspection "$id"
  # Before anything else touches them, the unit's ledger exports as the very file it imported.
  expect "  $f exported again against the file" \
    "$(at "$unit" export | cmp -s - "deploy/samples/$f" && echo same || echo differs)" same
}
console_url() { echo "http://$(sed -n 's/^console_listen = "\(.*\)".*/\1/p' "$(cluster dir "$1")/node.toml")"; }

step "1. 启动层级 Starting the hierarchy: one rectsyncd per unit of deploy/topology.toml"
cluster down >/dev/null 2>&1 || true
rm -rf "$dir"
trap '[ $keep = 1 ] || cluster down >/dev/null 2>&1 || true' EXIT
cluster up

step "1b. 控制台账户 Console accounts: admin, clerk (办事员) and reviewer (审核员) on five nodes"
for u in $CITY $COUNTY $TOWN $STREET $VILLAGE; do
  for role in admin clerk reviewer; do
    echo "rectsync-demo" | at "$u" user add "$role" --role "$role" --display "演示$role" >/dev/null
  done
  printf '  %-40s %s\n' "$u" "$(console_url "$u")"
done
echo "  log in as admin, clerk or reviewer with password rectsync-demo"

step "2. 城关镇离线 Township 城关镇 goes offline; its village 城东村 imports its ledger (台账) anyway"
cluster stop 城关镇
import_sample village_xxcun.csv
at $VILLAGE status --lang en | sed -n 1,6p

step "3. 各单位录入台账 Seven more units import the ledgers of their 通报 (seed 002), each under its 巡察"
for f in street_xxjiedao.csv township_xxzhen.csv township_xxxiang.csv dept_qu_guoziwei.csv \
  dept_qu_caizhengju.csv dept_shi_guoziwei.csv dept_xian_tongjiju.csv; do
  printf '  %-24s ' "$f"; import_sample "$f"
done

step "4. 示范县上报数字 The county reports the figures of its visits (seed 000)"
sets=()
while IFS=$'\t' read -r k v; do
  [ -n "$k" ] && [ "${k:0:1}" != "#" ] && sets+=(--set "$k=$v")
done < deploy/samples/county_figures.tsv
at $COUNTY figures report --period 2023 "${sets[@]}"

step "5. 城关镇恢复联网 城关镇 is back: the village's records flow up to the city"
cluster start 城关镇
city_problems() { at $CITY --json summary | jq -r .problems; }
all=$(samples | cut -f1 | while read -r f; do tail -n +2 "deploy/samples/$f" | cut -d, -f2 | sort -u | wc -l; done |
  awk '{ n += $1 } END { print n }')
wait_for 120 '[ "$(city_problems)" = $all ]' || { echo "the city holds $(city_problems) problems, not $all" >&2; exit 1; }
echo "  the city holds all $all problems of the eight ledgers"

step "6. 示范县审核验收 The county reviews (审核/验收) the street's claims and closes (销号) three"
wait_for 30 '[ "$(at $COUNTY --json problem ls --unit $STREET --status claimed | jq length)" = 12 ]'
mapfile -t claimed < <(at $COUNTY --json problem ls --unit $STREET --status claimed | jq -r '.[].problem_id')
for id in "${claimed[@]}"; do at $COUNTY review "$id" --accept --note "经核查, 整改到位" >/dev/null; done
for id in "${claimed[@]:0:3}"; do at $COUNTY close "$id" --note "验收合格, 予以销号" >/dev/null; done
echo "  accepted ${#claimed[@]} claims, closed 3"
wait_for 60 '[ "$(at $CITY --json summary --unit $STREET | jq -r .verified_complete)" = 12 ]'

step "7. 市级汇总 The city's summary (整改率 as claimed and as verified)"
at $CITY summary
at $CITY summary --unit $COUNTY --lang en

step "8. 下钻 Drill-down: one village problem and its signed history, as the city holds it"
first=$(at $CITY --json problem ls --unit $VILLAGE | jq -r '.[0].problem_id')
at $CITY problem show "$first"

step "9. 对账 Reconciliation at the city: what units attest and report against their records"
wait_for 30 '[ "$(at $CITY --json reconcile | jq -r .attestations_checked)" -ge 3 ]' || true
at $CITY reconcile

step "9b. 整改通报 The street's progress report (通报), generated at the city from the signed records"
at $CITY report --unit $STREET --inspection $STREET:XC1 | sed -n 1,5p
echo "  … (every figure [k] is followed, at the end, by the records it was counted from)"
echo "  in a browser: $(console_url $CITY)/report?unit=$STREET&inspection=$STREET:XC1 (print-ready, A4)"

step "10. 与报告核对 Checking the figures the reports state"
# Each ledger's 通报, generated at the city from the signed records, against its report.
while IFS=$'\t' read -r f unit id body start end feedback figures; do
  r=$(at $CITY --json report --unit "$unit" --inspection "$unit:$id")
  echo "  $f — $body, $unit:"
  for spec in $figures; do
    key=${spec%%=*} val=${spec#*=}
    want=${val%%(*} said=""
    [ "$val" = "$want" ] || { said=${val#*(}; said=${said%)}; }
    case $key in
      aspects) got=$(jq '.aspects | length' <<<"$r") ;;
      by_aspect)
        got=$(jq -r '[.aspects[].problems | length] | sort | map(tostring) | join("+")' <<<"$r")
        want=$(tr + '\n' <<<"$want" | sort -n | paste -sd+) ;;
      *) got=$(jq -r --arg k "$key" '.figures[] | select(.key == $k) | .value' <<<"$r") ;;
    esac
    expect "  $key${said:+ (the report says $said; the ledger holds $want, see NOTES.md)}" "$got" "$want"
  done
  expect "  records behind its figures that fail verification" \
    "$(jq '[.figures[].records[] | select(.verified | not)] | length' <<<"$r")" 0
done < <(samples)
expect "the street's 通报 is titled by the unit's name" \
  "$(at $CITY report --unit $STREET --inspection $STREET:XC1 | head -n 1)" "东城街道关于巡察整改进展情况的通报"
c=$(at $CITY --json summary --unit $COUNTY)
expect "示范县 problems collected" "$(jq -r '.figures["2023/problems_collected"]' <<<"$c")" 4246
expect "示范县 problems resolved" "$(jq -r '.figures["2023/problems_resolved"]' <<<"$c")" 3300
for n in $CITY $COUNTY $(samples | cut -f2 | sort -u); do
  expect "$n ledger verifies" "$(at $n --json verify | jq -r .ok)" true
done
expect "the city's console answers /healthz" "$(curl -s "$(console_url $CITY)/healthz" | cut -d' ' -f1)" ok

if [ $keep = 1 ]; then
  step "集群保持运行 The cluster keeps running. Explore it:"
  cat <<EOT
  bash deploy/cluster.sh --dir $dir status
  web consoles (log in as admin / clerk / reviewer, password rectsync-demo):
    city     $(console_url $CITY)
    county   $(console_url $COUNTY)
    township $(console_url $TOWN)
    street   $(console_url $STREET)
    village  $(console_url $VILLAGE)
  eval "\$(bash deploy/cluster.sh --dir $dir env 示范市)"; $R summary
  $R summary --unit $VILLAGE --live          # asked of the village node itself
  $R problem ls --unit $VILLAGE --overdue
  $R export --unit $COUNTY --out /tmp/示范县台账.csv   # opens in Excel
  bash deploy/cluster.sh --dir $dir down
EOT
fi
if [ $failures -gt 0 ]; then
  echo "demo: $failures figure(s) differ from the reports" >&2
  [ $check = 1 ] && exit 1
fi
echo; echo "demo: done"
