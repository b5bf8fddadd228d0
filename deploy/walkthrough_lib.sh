# Sourced by village_walkthrough.sh (not run on its own): how the walkthrough prints (step
# headings, commands as an officer would type them), reads its sample data, runs the CLI
# and the daemons, and waits. Needs from the script: data (the sample file), and before
# the first rs / start_daemon call RS, RSD (the binaries) and author[] (officer per node).
# Stops every daemon it started however the script ends.

# ---- output helpers ----------------------------------------------------------------------
# fd 4 is the terminal's stdout, so commands can be shown even when their output is captured.
exec 4>&1
if [ -t 1 ]; then bold=$'\033[1m' dim=$'\033[2m' plain=$'\033[0m'; else bold='' dim='' plain=''; fi
step_no=0
current_step="0. setup"
heading() {  # heading ZH EN
  step_no=$((step_no + 1))
  current_step="$step_no. $1 · $2"
  printf '\n%s== %d. %s · %s ==%s\n' "$bold" "$step_no" "$1" "$2" "$plain"
}
say() { printf '   %s\n' "$*"; }
# Prints a command the way an officer would type it (from inside the demo directory).
show() {
  local out="$" a special='[][[:space:]"$`\\!*?{}()<>|&;#'"'"']'
  for a in "$@"; do
    if [ -z "$a" ] || [[ $a =~ $special ]]; then a="'${a//\'/\'\\\'\'}'"; fi
    out+=" $a"
  done
  printf '   %s%s%s\n' "$dim" "$out" "$plain" >&4
}
showraw() { printf '   %s$ %s%s\n' "$dim" "$1" "$plain" >&4; }
# Rows of one kind from the sample data, without comments and blank lines.
rows() { grep -v '^#' "$data" | awk -F'\t' -v k="$1" '$1 == k' || true; }
count() { rows "$1" | wc -l; }
# The number after "KEY": in pretty-printed JSON on stdin, at exactly INDENT spaces.
json_num() {  # json_num INDENT KEY
  grep -m 1 "^$1\"$2\": " | sed 's/.*: \([0-9.]*\).*/\1/' || true
}

# The daemons started below are stopped however the script ends.
daemon_pids=()
stop_daemons() {  # children first, so no link is left dangling towards a stopped parent
  local i pid
  for ((i = ${#daemon_pids[@]} - 1; i >= 0; i--)); do
    pid=${daemon_pids[$i]}
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      wait "$pid" 2>/dev/null || true
    fi
  done
  daemon_pids=()
}
on_exit() {
  local rc=$?
  stop_daemons
  [ $rc -eq 0 ] || echo "demo: FAILED (exit $rc) in step $current_step" >&2
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# rs NODE ARGS...: the CLI on node directory NODE (city, county, village), as that unit's
# officer (RECTSYNC_AUTHOR). Prints the command first when SHOW=1.
rs() {
  local node=$1
  shift
  if [ "${SHOW:-0}" = 1 ]; then show rectsync --node "$node" "$@"; fi
  RECTSYNC_AUTHOR=${author[$node]} "$RS" --node "$node" "$@"
}
showif() { [ "$1" = 1 ] && echo 1 || echo 0; }

# Starts rectsyncd for node directory $1 and waits for the "ready" line it prints once its
# ports are open (its log goes to stdout too, so both go to one file).
start_daemon() {
  local node=$1 pid
  show rectsyncd --config "$node/node.toml"
  "$RSD" --config "$node/node.toml" >"$node/rectsyncd.log" 2>&1 &
  pid=$!
  daemon_pids+=("$pid")
  for _ in $(seq 1 100); do
    if grep -qx ready "$node/rectsyncd.log" 2>/dev/null; then
      say "→ pid $pid, 管理套接字 / admin socket $(stat -c '%A' "$node/admin.sock") $node/admin.sock, 日志 / log $node/rectsyncd.log"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$node/rectsyncd.log" >&2; die "rectsyncd for $node exited"; }
    sleep 0.1
  done
  die "rectsyncd for $node was not ready within 10 s"
}

# wait_until DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_until() {
  local what=$1 limit=$2 start=$SECONDS
  shift 2
  until "$@"; do
    [ $((SECONDS - start)) -lt "$limit" ] || die "timed out after ${limit} s waiting until $what"
    sleep 0.2
  done
  say "✓ $what ($((SECONDS - start)) s)"
}

# A free loopback port for the county's sync service.
pick_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free loopback port found"
}
