#!/usr/bin/env bash
# Ledger CSV (整改台账) end to end (issue 4), through the real CLI:
#   1. a village records problems, measures, progress, outcomes and claims;
#   2. export → import into a fresh village node (same unit, new hierarchy)
#      → export is byte-identical, and the derived states agree;
#   3. malformed files are refused with every bad row named by line, column
#      and reason, and the node's ledger is unchanged (verify --json record
#      count, problem ls --json);
#   4. refused statuses (已验收) block the import unless --skip-refused.
#
# Usage: ledger_test.sh RECTSYNC   (ctest passes the built binary)
# Env: KEEP=1 keeps the scratch directory.
set -euo pipefail

RECTSYNC=${1:?usage: ledger_test.sh RECTSYNC}
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v jq >/dev/null || fail "jq is required (apt-get install jq)"
[[ -x $RECTSYNC ]] || fail "binary not found: $RECTSYNC"

work=$(mktemp -d "${TMPDIR:-/tmp}/rectsync-ledger.XXXXXX")
cleanup() { if [[ -n ${KEEP:-} ]]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
export RECTSYNC_AUTHOR=ledger-test
unset RECTSYNC_NODE

VILLAGE=3201/320115/320115003/320115003012
GROUP=$VILLAGE/g01   # a villagers' group below the village

# A root and a village enrolled by it; $1 names the hierarchy.
make_village() {
  local h=$work/$1
  "$RECTSYNC" --node "$h/root" init --root --unit 3201 --name 南京市 --level city >/dev/null
  local pk
  pk=$("$RECTSYNC" --node "$h/village" keygen)
  "$RECTSYNC" --node "$h/root" enroll --unit "$VILLAGE" --name XX村 --level village \
    --public-key "$pk" --out "$h/village.enrollment" >/dev/null
  "$RECTSYNC" --node "$h/village" init --enrollment "$h/village.enrollment" >/dev/null
}

# Runs the CLI on node $1 and prints the subject of the record it wrote.
subject() { local node=$1; shift; "$RECTSYNC" --node "$node" --json "$@" | jq -r .subject; }

# --- 1. A village's ledger, built through the CLI.
make_village a
A=$work/a/village
p1=$(subject "$A" problem raise --category 三资管理 --source inspection --deadline 2024-06-30 \
  --title '白条列支, 坐收坐支' --detail $'2022年"白条"入账12笔,\n合计3.2万元')
m1=$(subject "$A" measure add "$p1" --text '严格执行"三资"管理实施细则' --deadline 2024-04-30)
m2=$(subject "$A" measure add "$p1" --text '=追回违规款项')
"$RECTSYNC" --node "$A" progress "$p1" --measure "$m1" --done --note 已执行 >/dev/null
"$RECTSYNC" --node "$A" progress "$p1" --note 追回 --funds 1234.5 --disciplined 2 --handled 1 \
  --accountable 3 --rules 1 >/dev/null
"$RECTSYNC" --node "$A" progress "$p1" --measure "$m2" --done --note 已追回 --funds 100 >/dev/null
"$RECTSYNC" --node "$A" claim "$p1" --kind basically-completed >/dev/null
p2=$(subject "$A" problem raise --category 基层党建 --source visit --title 三会一课制度执行不到位)
p3=$(subject "$A" problem raise --category 基层党建 --source self-check --deadline 2024-09-30 \
  --title 主题党日活动开展走形式)
m3=$(subject "$A" measure add "$p3" --text 每月固定一日开展主题党日活动)
subject "$A" measure add "$p3" --text 年度召开组织生活会 >/dev/null
"$RECTSYNC" --node "$A" progress "$p3" --measure "$m3" --done --note 已开展 >/dev/null
p4=$(subject "$A" problem raise --category 作风建设 --source petition --title 警示教育开展不经常)
subject "$A" measure add "$p4" --text 每月定期召开警示教育大会 >/dev/null
"$RECTSYNC" --node "$A" claim "$p4" --kind long-term >/dev/null
# Raised by the village for a group below it: 待整改 there.
subject "$A" problem raise --unit "$GROUP" --category 人居环境 --source audit \
  --title 村容村貌存在较大差距 --deadline 2024-12-31 >/dev/null
# Enough records that ids pass P9 → P10 (string order would misplace them).
for i in 1 2 3; do
  subject "$A" problem raise --category 其他 --source inspection --title "问题$i" >/dev/null
done

# --- 2. Round trip.
"$RECTSYNC" --node "$A" export --out "$work/a.csv" >/dev/null || fail "export a"
head -c 3 "$work/a.csv" | cmp -s - <(printf '\xEF\xBB\xBF') || fail "export has no UTF-8 BOM"
[[ $(grep -c $'\r$' "$work/a.csv") -ge 10 ]] || fail "export lines do not end in CRLF"
header=$(head -n 1 "$work/a.csv" | tr -d '\r' | sed 's/^\xEF\xBB\xBF//')
[[ $header == 序号,问题编号,问题描述,问题详情,类别,来源,责任单位,整改时限,整改状态,完成情况,措施编号,整改措施,措施时限,措施完成,追回资金\(元\),党纪政务处分,组织处理,问责,建章立制 ]] ||
  fail "unexpected header: $header"
grep -q "'=追回违规款项" "$work/a.csv" || fail "formula-like text is not guarded"
grep -q '^2,1,"白条列支, 坐收坐支",' "$work/a.csv" || fail "row 2 is not the first problem's second measure"
grep -q ',1334.50,2,1,3,1' "$work/a.csv" || fail "outcomes missing from the first row"
# stdout export is the same file.
"$RECTSYNC" --node "$A" export | cmp -s - "$work/a.csv" || fail "export to stdout differs from --out"

make_village b
B=$work/b/village
records_b=$("$RECTSYNC" --node "$B" verify --json | jq .records)
"$RECTSYNC" --node "$B" import "$work/a.csv" --dry-run >"$work/dry.out" || fail "dry run refused"
grep -q "试运行" "$work/dry.out" || fail "dry run did not say so: $(cat "$work/dry.out")"
[[ $("$RECTSYNC" --node "$B" verify --json | jq .records) == "$records_b" ]] ||
  fail "dry run wrote records"
"$RECTSYNC" --node "$B" --json import "$work/a.csv" >"$work/import.json" || fail "import refused"
[[ $(jq .problems "$work/import.json") == 8 ]] || fail "import count: $(cat "$work/import.json")"
"$RECTSYNC" --node "$B" export --out "$work/b.csv" >/dev/null || fail "export b"
cmp "$work/a.csv" "$work/b.csv" || {
  diff <(tr -d '\r' <"$work/a.csv") <(tr -d '\r' <"$work/b.csv") >&2 || true
  fail "round trip is not byte-identical"
}
# Derived state agrees beyond the CSV's columns too (ids and history aside).
state() {
  "$RECTSYNC" --node "$1" --json problem ls |
    jq -S '[.[] | {unit, source, category, title, detail, deadline, status, outcomes,
                   claims: [.claims[] | {kind, verdict}],
                   measures: [.measures[] | {text, deadline, done}]}] | sort_by(.title)'
}
diff <(state "$A") <(state "$B") >&2 || fail "derived states differ after import"
"$RECTSYNC" --node "$B" verify >/dev/null || fail "ledger b does not verify"
# The import's records carry the file and line in their notes.
pb=$("$RECTSYNC" --node "$B" --json problem ls | jq -r '.[] | select(.title == "警示教育开展不经常") | .problem_id')
"$RECTSYNC" --node "$B" --json problem show "$pb" | jq -r '.history[].description' |
  grep -q "a.csv 第" || fail "imported records do not name the file and line"

# --- 3. Malformed files: all errors reported, nothing written.
snapshot() {
  "$RECTSYNC" --node "$B" verify --json | jq .records
  "$RECTSYNC" --node "$B" --json problem ls
}
before=$(snapshot)
H='序号,问题编号,问题描述,问题详情,类别,来源,责任单位,整改时限,整改状态,完成情况,措施编号,整改措施,措施时限,措施完成,追回资金(元),党纪政务处分,组织处理,问责,建章立制'

# expect_refused FILE MESSAGE...: import exits 1, prints every MESSAGE, writes nothing.
expect_refused() {
  local file=$1; shift
  local rc=0
  "$RECTSYNC" --node "$B" import "$file" >"$work/out" 2>"$work/err" || rc=$?
  [[ $rc == 1 ]] || fail "$(basename "$file"): exit $rc, want 1; stderr: $(cat "$work/err")"
  local m
  for m in "$@"; do
    grep -qF -- "$m" "$work/err" || fail "$(basename "$file"): missing \"$m\" in: $(cat "$work/err")"
  done
  [[ $(snapshot) == "$before" ]] || fail "$(basename "$file"): the ledger changed"
}

printf '\xEF\xBB\xBF%s\r\n%s\r\n%s\r\n%s\r\n%s\r\n%s\r\n%s\r\n' "$H" \
  "1,1,好的问题,,财务,巡察,$VILLAGE,2024-06-30,待整改,,,,,,,,,," \
  "2,2,,,财务,巡察,$VILLAGE,2024-13-01,待整改,,,,,,,,,," \
  "3,3,资金问题,,财务,巡察,$VILLAGE,,整改中,,1,追缴,,是,-5,两人,,," \
  "4,4,状态问题,,财务,巡察,$VILLAGE,,做完了,,,,,,,,,," \
  "5,5,越界问题,,财务,巡察,3201/320115/320115004,,待整改,,,,,,,,,," \
  "6,6,措施问题,,财务,巡察,$VILLAGE,,整改中,,1,措施,2024/2/30,对,,,,x," >"$work/bad_rows.csv"
expect_refused "$work/bad_rows.csv" \
  'bad_rows.csv: line 3, column 问题描述: must not be empty' \
  'bad_rows.csv: line 3, column 整改时限: "2024-13-01" is not a date (YYYY-MM-DD)' \
  'bad_rows.csv: line 4, column 追回资金(元): "-5" must not be negative' \
  'bad_rows.csv: line 4, column 党纪政务处分: "两人" is not a whole number' \
  'bad_rows.csv: line 5, column 整改状态: "做完了" is not a status (待整改 整改中 待验收 已验收 已销号)' \
  "bad_rows.csv: line 6, column 责任单位: \"3201/320115/320115004\" is outside this node's subtree ($VILLAGE)" \
  'bad_rows.csv: line 7, column 问责: "x" is not a whole number' \
  'bad_rows.csv: line 7, column 措施时限: "2024/2/30" is not a date (YYYY-MM-DD)' \
  'bad_rows.csv: line 7, column 措施完成: "对" is not 是 or 否' \
  'bad_rows.csv: 9 errors; nothing was written'

printf '\xEF\xBB\xBF序号,问题,类别,来源,责任单位,整改状态,整改措施,整改措施\r\n1,甲,财务,巡察,%s,待整改,,\r\n' \
  "$VILLAGE" >"$work/bad_header.csv"
expect_refused "$work/bad_header.csv" \
  'bad_header.csv: line 1, column 问题: unknown column' \
  'bad_header.csv: line 1, column 整改措施: appears twice in the header' \
  'bad_header.csv: line 1, column 问题描述: missing from the header'

head -n -1 "$work/a.csv" >"$work/cut.csv"
printf '99,99,"未完的问题,财务' >>"$work/cut.csv"
expect_refused "$work/cut.csv" 'the file ends inside it (truncated?)'
line=$(grep -c '' "$work/cut.csv")
grep -qF "cut.csv: line $line, column 问题描述: the quoted field opened on line $line is never closed" \
  "$work/err" || fail "truncated file: wrong line/column: $(cat "$work/err")"

printf '%s\r\n1,1,\xCE\xCA\xCC\xE2,,\r\n' "$H" >"$work/gbk.csv"
expect_refused "$work/gbk.csv" 'gbk.csv: line 2: the file is not UTF-8'

printf '%s\r\n' "$H" >"$work/empty.csv"
expect_refused "$work/empty.csv" 'empty.csv: the file has no rows below its header'

# JSON lists the same errors.
rc=0
"$RECTSYNC" --node "$B" --json import "$work/bad_rows.csv" >"$work/bad.json" 2>/dev/null || rc=$?
[[ $rc == 1 && $(jq '.errors | length' "$work/bad.json") == 9 ]] || fail "json errors: $(cat "$work/bad.json")"
[[ $(jq -r '.errors[0] | "\(.line) \(.column)"' "$work/bad.json") == "3 问题描述" ]] ||
  fail "json first error: $(cat "$work/bad.json")"

# --- 4. Statuses only a superior gives; no BOM and LF are fine.
printf '%s\n%s\n%s\n' "$H" \
  "1,1,已验收的问题,,财务,巡察,$VILLAGE,,已验收,已完成,1,措施,,是,,,,," \
  "2,2,新的问题,,财务,巡察,$VILLAGE,2025/1/5,待整改,,,,,,,,,," >"$work/refused.csv"
expect_refused "$work/refused.csv" \
  'refused.csv: 不予导入: line 2, column 整改状态: 已验收 needs a superior'"'"'s review (验收/销号)' \
  'refused.csv: 1 problem refused; nothing was written (--skip-refused imports the others)'
"$RECTSYNC" --node "$B" import "$work/refused.csv" --skip-refused >"$work/out" 2>"$work/err" ||
  fail "--skip-refused: $(cat "$work/err")"
grep -qF '不予导入: line 2' "$work/err" || fail "--skip-refused did not report the refused row"
[[ $("$RECTSYNC" --node "$B" verify --json | jq .records) == $(($(head -n 1 <<<"$before") + 1)) ]] ||
  fail "--skip-refused should have written exactly one record"
"$RECTSYNC" --node "$B" --json problem ls | jq -e '.[] | select(.title == "新的问题" and .deadline == "2025-01-05")' \
  >/dev/null || fail "the good row of refused.csv was not imported"

# --- 5. The inspection that found them: an unknown one is refused, a known one is carried.
printf '%s\n%s\n' "$H" "1,1,巡察发现的问题,,财务,巡察,$VILLAGE,,待整改,,,,,,,,,," >"$work/found.csv"
before=$(snapshot)
rc=0
"$RECTSYNC" --node "$B" import "$work/found.csv" --inspection NOPE >"$work/out" 2>"$work/err" || rc=$?
[[ $rc != 0 ]] || fail "an unknown inspection was accepted"
grep -qF 'NOPE' "$work/err" || fail "the refusal does not name the inspection: $(cat "$work/err")"
[[ $(snapshot) == "$before" ]] || fail "a refused inspection import changed the ledger"
insp=$(subject "$B" inspection open --id XC1 --body 区委第二巡察组 --unit "$VILLAGE" --start 2022-05-24)
[[ $insp == "$VILLAGE:XC1" ]] || fail "inspection open gave $insp"
"$RECTSYNC" --node "$B" import "$work/found.csv" --inspection XC1 >/dev/null 2>"$work/err" ||
  fail "import --inspection: $(cat "$work/err")"
"$RECTSYNC" --node "$B" --json problem ls | jq -e --arg i "$insp" \
  '.[] | select(.title == "巡察发现的问题" and .inspection_id == $i)' >/dev/null ||
  fail "the imported problem does not carry its inspection"
echo "ledger_test: ok"
