#!/usr/bin/env bash
# Runs a whole rectsync hierarchy on this machine: one node (rectsyncd) per unit of a topology
# file, every link plaintext gRPC on loopback.
#
#   bash deploy/cluster.sh [--topology FILE] [--dir DIR] [--bin BUILD_DIR] COMMAND
#
#   up            initialise every node not initialised yet, parents first (keygen on the
#                 child, enroll at its parent, init), write the topology's settings into each
#                 node.toml, start every daemon not running and wait until each prints "ready".
#                 Safe to repeat: initialised nodes keep their keys and ledgers.
#   down          stop every daemon with a pid file under DIR (whatever the topology):
#                 SIGTERM to all, then SIGKILL to any still running after 15 s.
#   status        a line per unit (unit, name, running/stopped, pid, port) and, for a running
#                 node, its sync links (rectsync status): last contact, sent/received, pending, lag.
#   start UNIT    start one node's daemon (the node must have been initialised by `up`).
#   stop UNIT     stop one node's daemon (its children keep retrying; its records stay).
#   env UNIT      print `export RECTSYNC_NODE=...` for UNIT, to use as: eval "$(... env UNIT)"
#   dir UNIT      print UNIT's node directory.
#
#   UNIT is a unit id (9901/990101), its directory name (9901_990101) or its name (示范县).
#
#   --topology FILE  the hierarchy (default deploy/topology.toml; its format is described at
#                    its top).
#   --dir DIR        where the nodes live (default $RECTSYNC_CLUSTER_DIR, else
#                    /tmp/rectsync-cluster): DIR/<unit id, / as _>/ is a node directory,
#                    DIR/logs/<same>.log its daemon's output (the previous run's in .log.1),
#                    DIR/run/<same>.pid its pid, DIR/enrollments/ the enrolment files.
#   --bin BUILD_DIR  the build directory holding node/cli/rectsync and node/daemon/rectsyncd
#                    (default $RECTSYNC_BUILD_DIR, else build); relative to the repository.
#   RECTSYNC_CONSOLE_BASE     when set, each unit serves its web console on 127.0.0.1:(this + its index)
#   RECTSYNC_CLUSTER_TIMEOUT  seconds to wait for a daemon's "ready" (default 30).
#
# Exit status: 0 ok, 1 a step failed (the message names the unit and the step), 2 usage.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
topology=$top/deploy/topology.toml
dir=${RECTSYNC_CLUSTER_DIR:-/tmp/rectsync-cluster}
bin=${RECTSYNC_BUILD_DIR:-build}
ready_timeout=${RECTSYNC_CLUSTER_TIMEOUT:-30}
stop_timeout=15

die() { echo "cluster: $*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}"; }
usage_error() {
  echo "cluster: $*" >&2
  echo "usage: bash deploy/cluster.sh [--topology FILE] [--dir DIR] [--bin BUILD_DIR] up|down|status|start UNIT|stop UNIT|env UNIT|dir UNIT   (--help for more)" >&2
  exit 2
}

cmd='' arg=''
while [ $# -gt 0 ]; do
  case $1 in
    --topology) [ $# -ge 2 ] || usage_error "--topology needs a file"; topology=$2; shift 2 ;;
    --dir) [ $# -ge 2 ] || usage_error "--dir needs a directory"; dir=$2; shift 2 ;;
    --bin) [ $# -ge 2 ] || usage_error "--bin needs a build directory"; bin=$2; shift 2 ;;
    -h|--help|help) usage; exit 0 ;;
    -*) usage_error "unknown option: $1" ;;
    *)
      if [ -z "$cmd" ]; then cmd=$1
      elif [ -z "$arg" ]; then arg=$1
      else usage_error "unexpected argument: $1"
      fi
      shift ;;
  esac
done
case $cmd in
  up|down|status) [ -z "$arg" ] || usage_error "$cmd takes no argument" ;;
  start|stop|env|dir) [ -n "$arg" ] || usage_error "$cmd needs a UNIT" ;;
  '') usage_error "no command given" ;;
  *) usage_error "unknown command: $cmd" ;;
esac

[[ $ready_timeout =~ ^[1-9][0-9]*$ ]] || usage_error "RECTSYNC_CLUSTER_TIMEOUT must be a number of seconds"
case $bin in /*) ;; *) bin=$top/$bin ;; esac
RS=$bin/node/cli/rectsync
RSD=$bin/node/daemon/rectsyncd
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
dir=${dir%/}
[ -n "$dir" ] || die "--dir must not be /"

need_binaries() {
  local b
  for b in "$RS" "$RSD"; do
    [ -x "$b" ] || die "no $b; build it first, e.g.: cmake -S $top -B $bin -G Ninja && cmake --build $bin --target rectsync rectsyncd"
  done
}

# The topology file: parse_topology, validate_topology and the U_* arrays (deploy/topology.sh).
# shellcheck source=topology.sh
source "$(dirname "${BASH_SOURCE[0]}")/topology.sh"

# ---- helpers -------------------------------------------------------------------------------
now() { echo "${EPOCHREALTIME/[.,]/}"; }  # microseconds
elapsed() {  # elapsed START_US -> "1.23 s"
  local us=$(($(now) - $1))
  printf '%d.%02d s' $((us / 1000000)) $((us % 1000000 / 10000))
}

# step UNIT-INDEX STEP CMD...: runs CMD; on failure dies naming the unit and the step, with
# CMD's output. CMD's stdout is left in $OUT.
OUT=""
step() {
  local i=$1 what=$2 rc=0 errf
  shift 2
  errf=$(mktemp)
  OUT=$("$@" 2>"$errf") || rc=$?
  if [ $rc -ne 0 ]; then
    local err
    err=$(cat "$errf")
    rm -f "$errf"
    die "unit $(label "$i"): $what failed (exit $rc): ${err:-$OUT}"
  fi
  rm -f "$errf"
}

# Sets RPID to the pid of unit $1's daemon if it runs, else to "" (a stale pid file is
# removed). The pid must still be rectsyncd with this node's config, so a reused pid is never
# signalled.
RPID=""
running_pid() {
  local pf=$dir/run/${U_BASE[$1]}.pid pid="" args=()
  RPID=""
  [ -f "$pf" ] || return 0
  read -r pid <"$pf" 2>/dev/null || true
  if [[ $pid =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ]; then
    mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || true
    if [[ "${args[*]}" == *rectsyncd*" --config $dir/${U_BASE[$1]}/node.toml"* ]]; then
      RPID=$pid
      return 0
    fi
  fi
  rm -f "$pf"
}

initialised() { [ -f "$dir/${U_BASE[$1]}/node.toml" ]; }

toml_str() { printf '"%s"' "$1"; }
toml_unit() {  # toml_unit FILE: the unit a node.toml names
  local line re="^unit *= *['\"]([^'\"]*)['\"]"
  while IFS= read -r line; do
    if [[ $line =~ $re ]]; then echo "${BASH_REMATCH[1]}"; return 0; fi
  done <"$1"
  return 1
}

# ---- up: cluster_init.sh --------------------------------------------------------------------
# shellcheck source=cluster_init.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster_init.sh"

# ---- start and stop ------------------------------------------------------------------------
# start_daemon INDEX: starts the daemon in its own session (so it outlives this script and the
# terminal); does not wait. Prints nothing if it runs already.
start_daemon() {
  local i=$1 nd log pid
  nd=$dir/${U_BASE[i]}
  log=$dir/logs/${U_BASE[i]}.log
  initialised "$i" || die "unit $(label "$i"): not initialised in $nd; run: $0 --dir $dir up"
  running_pid "$i"
  [ -z "$RPID" ] || return 0
  local sock=$nd/admin.sock
  [ ${#sock} -le 107 ] || die "unit $(label "$i"): admin socket path longer than 107 bytes: $sock; use a shorter --dir"
  mkdir -p "$dir/run" "$dir/logs"
  if [ -f "$log" ]; then mv -f "$log" "$log.1"; fi
  setsid "$RSD" --config "$nd/node.toml" </dev/null >"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/run/${U_BASE[i]}.pid"
  STARTED[$i]=$(now)
  SPID[$i]=$pid
}

# wait_ready INDEX: waits for the "ready" line in the daemon's log. It watches the pid it
# started rather than asking running_pid, which would take a child that has not yet exec'd
# rectsyncd (its cmdline is still this script's) for a stale pid.
wait_ready() {
  local i=$1 log pid=${SPID[$1]} deadline
  log=$dir/logs/${U_BASE[i]}.log
  deadline=$((SECONDS + ready_timeout))
  while ! grep -qx ready "$log" 2>/dev/null; do
    if ! alive "$pid"; then
      echo "---- $log (last 20 lines)" >&2
      tail -n 20 "$log" >&2 || true
      die "unit $(label "$i"): rectsyncd exited during start-up; its log is $log (nodes already started keep running; \`down\` stops them)"
    fi
    [ $SECONDS -lt $deadline ] ||
      die "unit $(label "$i"): rectsyncd (pid $pid) printed no \"ready\" within ${ready_timeout} s; its log is $log"
    sleep 0.05
  done
}

declare -A STARTED=() SPID=()
start_units() {  # start_units INDEX...: start all, then wait for each
  local i t0 pid
  t0=$(now)
  for i in "$@"; do start_daemon "$i"; done
  for i in "$@"; do
    if [ -n "${STARTED[$i]:-}" ]; then
      wait_ready "$i"
      printf '  %-42s ready, pid %s (%s after start)\n' "${U_ID[i]}" "${SPID[$i]}" "$(elapsed "${STARTED[$i]}")"
    else
      running_pid "$i"
      pid=$RPID
      printf '  %-42s running already, pid %s\n' "${U_ID[i]}" "$pid"
    fi
  done
  [ $# -le 1 ] || echo "  all ready in $(elapsed "$t0")"
}

# stop_pids "PID|LABEL|PIDFILE"...: SIGTERM every pid, wait up to $stop_timeout s for all to
# exit, then SIGKILL what is left.
stop_pids() {
  local entry pid lbl pf left deadline t0
  t0=$(now)
  for entry in "$@"; do
    kill -TERM "${entry%%|*}" 2>/dev/null || true
  done
  deadline=$((SECONDS + stop_timeout))
  while :; do
    left=()
    for entry in "$@"; do
      if alive "${entry%%|*}"; then left+=("$entry"); fi
    done
    [ ${#left[@]} -gt 0 ] || break
    if [ $SECONDS -ge $deadline ]; then
      for entry in "${left[@]}"; do
        IFS='|' read -r pid lbl pf <<<"$entry"
        echo "cluster: $lbl (pid $pid) did not stop within ${stop_timeout} s of SIGTERM; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
      done
      sleep 0.2
      break
    fi
    sleep 0.05
  done
  for entry in "$@"; do
    IFS='|' read -r pid lbl pf <<<"$entry"
    rm -f "$pf"
    printf '  %-42s stopped (pid %s)\n' "$lbl" "$pid"
  done
  [ $# -le 1 ] || echo "  all stopped in $(elapsed "$t0")"
}

alive() {  # a zombie counts as dead
  local state
  [ -r "/proc/$1/stat" ] || return 1
  state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null || echo X)
  [ "$state" != Z ] && [ "$state" != X ]
}

# ---- status: cluster_status.sh ------------------------------------------------------------
# shellcheck source=cluster_status.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster_status.sh"

# ---- main ----------------------------------------------------------------------------------
parse_topology "$topology"
topology=$(cd "$(dirname "$topology")" && pwd)/$(basename "$topology")

case $cmd in
  up)
    need_binaries
    mkdir -p "$dir"
    t_up=$(now)
    echo "== initialise ($dir)"
    command -v flock >/dev/null || die "flock (util-linux) is needed: apt-get install -y util-linux"
    level=() depth=${U_DEPTH[${ORDER[0]}]}
    for i in "${ORDER[@]}"; do
      if [ "${U_DEPTH[i]}" != "$depth" ]; then
        init_level "${level[@]}"
        level=() depth=${U_DEPTH[i]}
      fi
      level+=("$i")
    done
    init_level "${level[@]}"
    stale=()
    for i in "${ORDER[@]}"; do
      write_config "$i"
      if [ "$CHANGED" = 1 ] && [ -z "${FRESH[$i]:-}" ] && running_pid "$i" && [ -n "$RPID" ]; then
        stale+=("${U_ID[i]}")
      fi
    done
    if [ ${#stale[@]} -gt 0 ]; then
      echo "  node.toml changed under ${#stale[@]} running daemon(s), which keep their old settings until"
      echo "  restarted (stop UNIT, start UNIT; or down, up): ${stale[*]}"
    fi
    echo "== start"
    start_units "${ORDER[@]}"
    echo "up in $(elapsed "$t_up"); \`$0 --dir $dir status\` shows the links"
    ;;
  down)
    # Every pid file under DIR, whatever the topology: children (deeper ids) first.
    entries=()
    if [ -d "$dir/run" ]; then
      while IFS= read -r pf; do
        [ -n "$pf" ] || continue
        name=${pf##*/} name=${name%.pid} pid="" args=()
        read -r pid <"$pf" 2>/dev/null || true
        if [[ $pid =~ ^[0-9]+$ ]]; then
          mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || true
        fi
        if [[ "${args[*]}" == *rectsyncd*" --config $dir/$name/node.toml"* ]]; then
          entries+=("$pid|$(toml_unit "$dir/$name/node.toml" || echo "$name")|$pf")
        else
          rm -f "$pf"
        fi
      done < <(find "$dir/run" -maxdepth 1 -name '*.pid' | awk -F_ '{print NF, $0}' | sort -rn | cut -d' ' -f2-)
    fi
    if [ ${#entries[@]} -eq 0 ]; then
      echo "no daemon running under $dir"
    else
      stop_pids "${entries[@]}"
    fi
    ;;
  status)
    show_status
    ;;
  start)
    need_binaries
    i=$(find_unit "$arg")
    write_config "$i"
    start_units "$i"
    ;;
  stop)
    i=$(find_unit "$arg")
    running_pid "$i"
    pid=$RPID
    if [ -z "$pid" ]; then
      echo "  $(label "$i") is not running"
    else
      stop_pids "$pid|${U_ID[i]}|$dir/run/${U_BASE[i]}.pid"
    fi
    ;;
  env)
    i=$(find_unit "$arg")
    initialised "$i" || die "unit $(label "$i"): not initialised in $dir/${U_BASE[i]}; run up first"
    printf 'export RECTSYNC_NODE=%q\n' "$dir/${U_BASE[i]}"
    ;;
  dir)
    i=$(find_unit "$arg")
    echo "$dir/${U_BASE[i]}"
    ;;
esac
