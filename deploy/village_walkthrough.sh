#!/usr/bin/env bash
# README command one: installs what the build needs (tests/deps.sh), builds, then runs a
# narrated session for one village: a city (root), county and village node; the village
# records the county inspection group's feedback from a real rectification report
# (deploy/samples/xxcun_xuncha3.tsv), adds measures, reports progress and claims completion;
# its records sync up to the county, which accepts, rejects and closes; the verdicts sync
# back down. Any step that fails stops the script with a non-zero exit.
#
#   sudo bash deploy/village_walkthrough.sh [--dir DIR] [--no-build] [--data FILE]
#
#   --dir DIR    work in DIR (new, empty, or left by an earlier run of this script);
#                default: a fresh mktemp directory. The directory is kept afterwards.
#   --no-build   skip installing packages and building; use the binaries already built.
#   --data FILE  sample data (default deploy/samples/xxcun_xuncha3.tsv; format in its header).
#   RECTSYNC_BUILD_DIR   build directory, relative to the repository (default build).
#   RECTSYNC_DEMO_PORT   loopback port for the county's sync service (default: a free one).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${RECTSYNC_BUILD_DIR:-build}
data=$top/deploy/samples/xxcun_xuncha3.tsv
dir=
do_build=1

die() { echo "demo: $*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}"; }

while [ $# -gt 0 ]; do
  case $1 in
    --dir) [ $# -ge 2 ] || die "--dir needs a directory"; dir=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --data) [ $# -ge 2 ] || die "--data needs a file"; data=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[ -f "$data" ] || die "no sample data at $data"
data=$(cd "$(dirname "$data")" && pwd)/$(basename "$data")
case $build_dir in /*) die "RECTSYNC_BUILD_DIR must be relative to $top" ;; esac

# ---- helpers: output, the CLI and the daemons (walkthrough_lib.sh) ---------------------------
# shellcheck source=walkthrough_lib.sh
source "$top/deploy/walkthrough_lib.sh"

# ---- build ---------------------------------------------------------------------------------
t_start=$SECONDS
if [ "$do_build" = 1 ]; then
  heading "安装依赖并构建" "install dependencies and build"
  say "tests/deps.sh: apt-get 安装缺少的 Debian 软件包, 然后用 Ninja + ccache 构建到 $build_dir/"
  # shellcheck source=tests/deps.sh
  source "$top/tests/deps.sh"
  rectsync_install_deps
  rectsync_build "$build_dir"
fi
RS=$top/$build_dir/node/cli/rectsync
RSD=$top/$build_dir/node/daemon/rectsyncd
if [ ! -x "$RS" ] || [ ! -x "$RSD" ]; then
  die "no binaries in $top/$build_dir (run without --no-build)"
fi
t_session=$SECONDS

# ---- the demo directory --------------------------------------------------------------------
if [ -n "$dir" ]; then
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    [ -f "$dir/.rectsync-demo" ] || die "$dir is not empty and was not made by this script"
    rm -rf "$dir"
  fi
  mkdir -p "$dir"
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/rectsync-demo.XXXXXX")
fi
dir=$(cd "$dir" && pwd)
touch "$dir/.rectsync-demo"
# A unix socket path is limited to 107 bytes.
[ ${#dir} -le 80 ] || die "--dir path too long for the admin socket: $dir"
cd "$dir"

# ---- sample data ---------------------------------------------------------------------------
declare -A unit_id unit_name author
while IFS=$'\t' read -r _ level id name who; do
  unit_id[$level]=$id unit_name[$level]=$name author[$level]=$who
done < <(rows unit)
for level in city county village; do
  [ -n "${unit_id[$level]:-}" ] || die "$data: no unit line for level $level"
done
V=${unit_id[village]}
IFS=$'\t' read -r _ insp_local insp_body insp_start insp_end insp_feedback < <(rows inspection)
IFS=$'\t' read -r _ asof < <(rows asof)

# What the ledger must show at the end, derived from the sample data.
declare -A claim_kind verdict
while IFS=$'\t' read -r _ p kind _; do claim_kind[$p]=$kind; done < <(rows claim)
while IFS=$'\t' read -r _ p v _; do verdict[$p]=$v; done < <(rows review)
# Completion rates count completed and basically completed claims, not long-term ones; a
# rejected claim counts nowhere.
want_claimed=0 want_reviewed_accept=0 want_verified=0 want_claimed_complete=0
for p in "${!claim_kind[@]}"; do
  completes=1
  if [ "${claim_kind[$p]}" = long-term ]; then completes=0; fi
  case ${verdict[$p]:-} in
    accept)
      want_reviewed_accept=$((want_reviewed_accept + 1))
      want_verified=$((want_verified + completes))
      want_claimed_complete=$((want_claimed_complete + completes)) ;;
    reject) ;;
    *)
      want_claimed=$((want_claimed + 1))
      want_claimed_complete=$((want_claimed_complete + completes)) ;;
  esac
done
want_closed=$(count close)
want_accepted=$((want_reviewed_accept - want_closed))

port=${RECTSYNC_DEMO_PORT:-$(pick_port)}

echo
echo "rectsync 演示 · demo: ${unit_name[village]} — ${insp_body} 巡察整改"
say "数据 / data:      ${data#"$top"/}"
say "目录 / directory: $dir"
say "下文命令中的 rectsync / rectsyncd 即 ${RS#"$top"/} / ${RSD#"$top"/}"
say "记录人 (author, RECTSYNC_AUTHOR): 市 ${author[city]} / 县 ${author[county]} / 村 ${author[village]}"

# ---- nodes ---------------------------------------------------------------------------------
heading "创建市、县、村三级节点" "create the city (root), county and village nodes"
say "市级节点是根: 它的公钥是整个体系的信任锚 (trust anchor)。"
SHOW=1 rs city init --root --unit "${unit_id[city]}" --name "${unit_name[city]}" --level city
say "县级节点: 生成密钥 (keygen), 由市级节点入网 (enroll), 再用入网文件初始化 (init)。"
say "县在 127.0.0.1:$port 上为下级提供同步服务 (--listen; 明文只允许本机回环地址)。"
show rectsync --node county keygen
pk=$(rs county keygen)
say "→ 公钥 / public key $pk"
SHOW=1 rs city enroll --unit "${unit_id[county]}" --name "${unit_name[county]}" --level county \
  --public-key "$pk" --out county.enrollment
SHOW=1 rs county init --enrollment county.enrollment --listen "127.0.0.1:$port" --plaintext
say "村级节点由县级节点入网, 上级地址 (--parent) 指向县。"
show rectsync --node village keygen
pk=$(rs village keygen)
SHOW=1 rs county enroll --unit "$V" --name "${unit_name[village]}" --level village \
  --public-key "$pk" --out village.enrollment
SHOW=1 rs village init --enrollment village.enrollment --parent "127.0.0.1:$port" --plaintext
say "村的编码含乡镇一段, 但本演示不设乡镇节点, 村直接与县同步: node.toml 要写明"
say "parent_unit (默认是编码中的上一级, 即乡镇; init 没有对应选项, 故直接写入文件)。"
say "pull_wait_ms 从 10000 减到 2000: 县的守护进程要等未完成的长轮询结束才能停止。"
say "attest_interval_ms = 0: 本演示中村不写汇总证明 (SummaryAttested), 台账里的记录正好是样本数据的各行。"
showraw "printf 'parent_unit = \"${unit_id[county]}\"\\npull_wait_ms = 2000\\nattest_interval_ms = 0\\n' >> village/node.toml"
printf 'parent_unit = "%s"\npull_wait_ms = 2000\nattest_interval_ms = 0\n' "${unit_id[county]}" >>village/node.toml
say "village/node.toml:"
sed 's/^/     /' village/node.toml
say "私钥文件 / key file: $(stat -c '%A' village/node.key) village/node.key"

# ---- daemons -------------------------------------------------------------------------------
heading "启动县、村守护进程" "start the county and village daemons (rectsyncd)"
say "命令经由管理套接字写入运行中的节点; 市级节点不运行守护进程, 命令直接在进程内打开它。"
start_daemon county
start_daemon village

# ---- inspection ----------------------------------------------------------------------------
heading "录入巡察" "record the inspection round"
say "${insp_body} 巡察 ${unit_name[village]}: ${insp_start} 至 ${insp_end}, ${insp_feedback} 反馈意见。"
say "村把反馈意见录入自己的整改台账 (the village keeps its own ledger)。"
SHOW=1 rs village inspection open --id "$V:$insp_local" --body "$insp_body" --unit "$V" \
  --start "$insp_start" --end "$insp_end" --feedback "$insp_feedback"

# ---- problems ------------------------------------------------------------------------------
heading "录入巡察反馈问题" "raise the problems from the inspection feedback"
say "问题描述取自通报原文; 编号按通报顺序 (2.1.4 = 第二部分 1. 四是)。"
n=0
while IFS=$'\t' read -r -u 3 _ id category deadline title detail; do
  n=$((n + 1))
  args=(problem raise --id "$id" --inspection "$insp_local" --category "$category" --title "$title")
  [ "$deadline" = "-" ] || args+=(--deadline "$deadline")
  [ "$detail" = "-" ] || args+=(--detail "$detail")
  SHOW=$(showif $((n == 1))) rs village "${args[@]}" >/dev/null
  printf '   %-6s %s  [%s]  %s\n' "$id" "$deadline" "$category" "$title"
done 3< <(rows problem)
say "共 $n 个问题 (problems); 按类别 / by category:"
rows problem | awk -F'\t' '{c[$3]++} END {for (k in c) printf "     %s %d\n", k, c[k]}' | sort
reported=$(rows figures | awk -F'\t' '$3 == "巡察反馈问题" {print $4}')
[ -z "$reported" ] || say "(通报共反馈 $reported 个问题; 此处录入其中 $n 个。)"

# ---- measures ------------------------------------------------------------------------------
heading "制定整改措施" "add the rectification measures"
n=0
while IFS=$'\t' read -r -u 3 _ problem id deadline text; do
  n=$((n + 1))
  args=(measure add "$problem" --id "$id" --text "$text")
  [ "$deadline" = "-" ] || args+=(--deadline "$deadline")
  SHOW=$(showif $((n == 1))) rs village "${args[@]}" >/dev/null
  printf '   %-8s %s\n' "$id" "$text"
done 3< <(rows measure)
say "共 $n 条整改措施 (measures)。"

# ---- progress ------------------------------------------------------------------------------
heading "报告整改进展与成果" "report progress and outcomes"
say "[x] = 措施已落实 (measure carried out); 成果 (outcomes) 只记通报给出的数字。"
n=0
shown_rules=0
while IFS=$'\t' read -r -u 3 _ problem measure is_done funds disciplined handled accountable rules note; do
  n=$((n + 1))
  args=(progress "$problem" --note "$note")
  extra=
  [ "$measure" = "-" ] || args+=(--measure "$measure")
  [ "$is_done" = "-" ] || args+=(--done)
  [ "$funds" = "-" ] || { args+=(--funds "$funds"); extra+="  追回资金 ${funds}元"; }
  [ "$disciplined" = "-" ] || { args+=(--disciplined "$disciplined"); extra+="  党纪政务处分 $disciplined"; }
  [ "$handled" = "-" ] || { args+=(--handled "$handled"); extra+="  组织处理 $handled"; }
  [ "$accountable" = "-" ] || { args+=(--accountable "$accountable"); extra+="  问责 $accountable"; }
  [ "$rules" = "-" ] || { args+=(--rules "$rules"); extra+="  建章立制 +$rules"; }
  show_this=0
  if [ "$rules" != "-" ] && [ $shown_rules = 0 ]; then show_this=1 shown_rules=1; fi
  SHOW=$show_this rs village "${args[@]}" >/dev/null
  printf '   %-8s [%s] %s%s\n' "$([ "$measure" = "-" ] && echo "$problem" || echo "$measure")" \
    "$([ "$is_done" = "-" ] && echo " " || echo x)" "$note" "$extra"
done 3< <(rows progress)
say "共 $n 条进展 (progress reports)。"

# ---- claims --------------------------------------------------------------------------------
heading "申请销号" "claim completion"
say "已完成 completed · 基本完成 basically-completed · 长期坚持 long-term"
n=0
while IFS=$'\t' read -r -u 3 _ problem kind note; do
  n=$((n + 1))
  SHOW=$(showif $((n == 1))) rs village claim "$problem" --kind "$kind" --note "$note" >/dev/null
  case $kind in
    completed) label=已完成 ;; basically-completed) label=基本完成 ;; long-term) label=长期坚持 ;;
    *) label=$kind ;;
  esac
  printf '   %-6s %s  %s\n' "$problem" "$label" "$note"
done 3< <(rows claim)
say "共 $n 个问题申请销号; 其余仍在整改中。"

# ---- figures -------------------------------------------------------------------------------
if [ "$(count figures)" -gt 0 ]; then
  heading "上报通报中的总数" "report the totals the report states (FiguresReported)"
  args=()
  period=
  while IFS=$'\t' read -r -u 3 _ p indicator value; do
    period=$p
    args+=(--set "$indicator=$value")
  done 3< <(rows figures)
  SHOW=1 rs village figures report --period "$period" "${args[@]}" >/dev/null
  while IFS=$'\t' read -r -u 3 _ _ text; do say "$text"; done 3< <(rows note | awk -F'\t' '$2 == "figures"')
fi

# ---- authority -----------------------------------------------------------------------------
heading "权限规则: 村不能验收自己" "authority: a village cannot accept its own claim"
say "审核/验收 (review) 只能由责任单位的上级写入 (an ancestor of the responsible unit)。"
first_claim=$(rows claim | head -n 1 | cut -f 2)
if msg=$(SHOW=1 rs village review "$first_claim" --accept --note "自行验收" 2>&1); then rc=0; else rc=$?; fi
[ $rc -ne 0 ] || die "BUG: the village was allowed to review its own claim on $first_claim"
[ $rc -eq 1 ] || die "review failed for another reason (exit $rc): $msg"
say "→ 被拒绝, 台账中不留记录 (refused, nothing written; exit $rc):"
say "  $msg"

# ---- sync up -------------------------------------------------------------------------------
heading "村的记录同步到县" "the village's records reach the county (Push)"
village_seq=$(rs village --json whoami | json_num '  ' head_seq)
pushed() {
  local st
  st=$(rs village --json status) || return 1
  [ "$(printf '%s\n' "$st" | json_num '      ' pending)" = 0 ] &&
    [ "$(printf '%s\n' "$st" | json_num '      ' records_sent)" = "$village_seq" ]
}
wait_until "县已签收村的全部 $village_seq 条记录 (county receipted all village records)" 30 pushed
SHOW=1 rs village status
county_sees=$(rs county --json summary --unit "$V" | json_num '  ' problems)
[ "$county_sees" = "$(count problem)" ] || die "county holds $county_sees problems of $V, expected $(count problem)"
say "县级节点现在持有村的 $county_sees 个问题及其全部签名记录。"

# ---- review --------------------------------------------------------------------------------
heading "县级审核验收与销号" "the county reviews the claims and closes problems"
say "县在自己的节点上写入审核记录; 跨节点时问题编号写全称 <单位>:<编号>。"
n=0
while IFS=$'\t' read -r -u 3 _ problem v note; do
  n=$((n + 1))
  first_of_kind=0
  case $v in
    accept) flag=--accept label="通过 accept"; [ -n "${shown_accept:-}" ] || first_of_kind=1 shown_accept=1 ;;
    reject) flag=--reject label="退回 reject"; [ -n "${shown_reject:-}" ] || first_of_kind=1 shown_reject=1 ;;
    *) die "$data: review verdict \"$v\" is not accept or reject" ;;
  esac
  SHOW=$first_of_kind rs county review "$V:$problem" "$flag" --note "$note" >/dev/null
  printf '   %-6s %s  %s\n' "$problem" "$label" "$note"
done 3< <(rows review)
n_close=0
while IFS=$'\t' read -r -u 3 _ problem note; do
  n_close=$((n_close + 1))
  SHOW=$(showif $((n_close == 1))) rs county close "$V:$problem" --note "$note" >/dev/null
  printf '   %-6s 销号 close  %s\n' "$problem" "$note"
done 3< <(rows close)
say "审核 $n 个 (reviews), 销号 $n_close 个 (closed); 未审核的申请仍待验收。"

# ---- sync down -----------------------------------------------------------------------------
heading "审核结果同步到村" "the county's verdicts reach the village (Pull)"
verdicts_arrived() {
  local s
  s=$(rs village --json summary) || return 1
  [ "$(printf '%s\n' "$s" | json_num '    ' closed)" = "$want_closed" ] &&
    [ "$(printf '%s\n' "$s" | json_num '  ' verified_complete)" = "$want_verified" ]
}
wait_until "村已收到县的审核与销号 (village holds the county's verdicts)" 30 verdicts_arrived
received=$(rs village --json status | json_num '      ' records_received)
say "村从县收到 $received 条记录 (records pulled: the village's enrolment, the reviews, the closures),"
say "每条都先用县的入网公钥核验签名再存入 (each checked against the county's enrolled key)。"

# ---- outputs -------------------------------------------------------------------------------
heading "整改汇总 (时限按通报日期计算)" "summary, deadlines as of the report date"
say "--today $asof: 按通报发布日计算时限预警。待验收的问题在县级验收前仍按整改时限计色,"
say "已验收、已销号和长期坚持的不计色。"
SHOW=1 rs village summary --today "$asof"

heading "问题清单" "problem list"
SHOW=1 rs village problem ls --today "$asof"

show_id=$(rows review | awk -F'\t' '$3 == "reject" {print $2; exit}')
show_id=${show_id:-$(rows problem | head -n 1 | cut -f 2)}
heading "问题详情与签名台账记录" "one problem and its signed history"
say "村与县两个来源单位的记录, 每条都核验签名 (records of both origins, each signature checked)。"
SHOW=1 rs village problem show "$show_id"

heading "台账校验" "verify every chain link and signature"
SHOW=1 rs village verify

heading "英文汇总" "summary in English"
SHOW=1 rs village summary --today "$asof" --lang en

heading "县级汇总" "the county's summary of its subtree"
say "县节点由推送上来的记录得出汇总, 并按下一级编码分列 (下级单位): 这里是乡镇编码"
say "${V%/*}, 它没有节点, 村的数据按编码归入其下。"
SHOW=1 rs county summary --today "$asof"

# ---- cross-check ---------------------------------------------------------------------------
heading "核对台账与样本数据" "cross-check the ledger against the sample data"
json=$(rs village --json summary --today "$asof")
check() {  # check LABEL GOT WANT
  [ "$2" = "$3" ] || die "cross-check failed: $1 is \"$2\" in the ledger, $3 from the sample data"
  say "✓ $1: $2"
}
check "问题数 problems" "$(json_num '  ' problems <<<"$json")" "$(count problem)"
check "整改措施 measures" "$(json_num '  ' measures <<<"$json")" "$(count measure)"
check "已落实措施 measures carried out" "$(json_num '  ' measures_done <<<"$json")" \
  "$(rows progress | awk -F'\t' '$4 == "done" && $3 != "-" {m[$3] = 1} END {print length(m)}')"
check "待验收 claimed" "$(json_num '    ' claimed <<<"$json")" "$want_claimed"
check "已验收 accepted" "$(json_num '    ' accepted <<<"$json")" "$want_accepted"
check "已销号 closed" "$(json_num '    ' closed <<<"$json")" "$want_closed"
check "自报完成 claimed complete" "$(json_num '  ' claimed_complete <<<"$json")" "$want_claimed_complete"
check "核验完成 verified complete" "$(json_num '  ' verified_complete <<<"$json")" "$want_verified"
check "建章立制 rules made" "$(json_num '    ' rules_made <<<"$json")" \
  "$(rows progress | awk -F'\t' '$9 != "-" {s += $9} END {print s + 0}')"
check "村写入的记录 records written by the village" "$village_seq" \
  "$(( $(count inspection) + $(count problem) + $(count measure) + $(count progress) \
      + $(count claim) + ($(count figures) > 0) ))"
check "县级汇总中村的核验完成数 verified, in the county's view" \
  "$(rs county --json summary --unit "$V" | json_num '  ' verified_complete)" "$want_verified"

stop_daemons
echo
say "完成 / done: 会话用时 $((SECONDS - t_session)) 秒 (session), 总计 $((SECONDS - t_start)) 秒 (total)。"
say "节点目录保留在 / node directories kept in: $dir"
say "继续查看 / explore:  $RS --node $dir/village problem ls"
