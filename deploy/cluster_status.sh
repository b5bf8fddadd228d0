# Sourced by cluster.sh (not run on its own): `status`, a line per unit and, for a running
# node, its sync links (rectsync status). Uses cluster.sh's globals and running_pid.
# ---- status --------------------------------------------------------------------------------
have_jq() {
  command -v jq >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "cluster: installing jq (for status)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq >/dev/null 2>&1 ||
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq >/dev/null 2>&1; } || true
  fi
  command -v jq >/dev/null 2>&1
}

# Prints one line per sync link from `rectsync --json status` output in file $1 (exit status in
# $1.rc); without jq, the text of `rectsync status` indented.
link_lines() {
  local out=$1 rc
  rc=$(cat "$out.rc" 2>/dev/null || echo 1)
  if [ "$rc" != 0 ]; then
    echo "      rectsync status failed (exit $rc): $(tr '\n' ' ' <"$out")"
    return 0
  fi
  if [ "$USE_JQ" = 0 ]; then
    tail -n +2 "$out" | sed 's/^/    /'
    return 0
  fi
  jq -r '
    def secs($ms): ($ms / 100 | floor) as $d | "\($d / 10 | floor).\($d % 10) s";
    .now_ms as $now_ms
    | def ago($t): if $t == 0 then "never" else "\(secs($now_ms - $t)) ago" end;
    (.links | sort_by(.direction != "parent", .peer)[]
      | "      \(if .direction == "parent" then "↑ parent" else "↓ child " end) \(.peer)"
        + (if .address == "" then "" else " @ \(.address)" end)
        + "  contact \(ago(.last_contact_ms))"
        + (if .direction == "parent" then
             "  sent \(.records_sent)  pending \(.pending)  lag \(secs(.lag_ms))"
           else "" end)
        + "  received \(.records_received)"
        + (if .refusals > 0 then "  REFUSED \(.refusals): \(.last_refusal)" else "" end)
        + (if .last_error != "" then "  error: \(.last_error)" else "" end)),
    (if (.links | length) == 0 then "      (no sync links yet)" else empty end),
    (if (.forks | length) > 0 then "      FORKS: \(.forks | length) (rectsync status shows them)" else empty end),
    (if .skewed_records > 0 then "      records with skewed clocks: \(.skewed_records)" else empty end)
  ' "$out" 2>/dev/null || sed 's/^/      /' "$out"
}

# Sets PADDED to $1 padded to display width $2 (CJK characters are two columns wide).
PADDED=""
pad() {
  local s=$1 w=$2 bytes chars width LC_ALL=C
  bytes=${#s}
  LC_ALL=C.UTF-8
  chars=${#s}
  width=$((chars + (bytes - chars) / 2))
  printf -v PADDED '%s%*s' "$s" $((w > width ? w - width : 0)) ''
}

show_status() {
  local i pid state port n_run=0 n_all=0 tmp col1 col2
  local -A pid_of=() states=()
  USE_JQ=0
  if have_jq; then USE_JQ=1; fi
  tmp=$(mktemp -d)
  # Ask every running node at once; print in topology order afterwards.
  for i in "${!U_ID[@]}"; do
    running_pid "$i"
    pid_of[$i]=$RPID
    if [ -n "$RPID" ]; then
      states[$i]=running
      if [ "$USE_JQ" = 1 ]; then
        { rc=0; timeout 10 "$RS" --node "$dir/${U_BASE[i]}" --json status >"$tmp/$i" 2>&1 || rc=$?; echo $rc >"$tmp/$i.rc"; } &
      else
        { rc=0; timeout 10 "$RS" --node "$dir/${U_BASE[i]}" --lang en status >"$tmp/$i" 2>&1 || rc=$?; echo $rc >"$tmp/$i.rc"; } &
      fi
    elif initialised "$i"; then states[$i]=stopped
    else states[$i]=not-init
    fi
  done
  wait
  echo "cluster $dir ($topology)"
  for i in "${!U_ID[@]}"; do
    n_all=$((n_all + 1))
    state=${states[$i]} pid=${pid_of[$i]:--} port=${U_PORT[i]:--}
    [ "$state" != running ] || n_run=$((n_run + 1))
    pad "${U_ID[i]}" 36; col1=$PADDED
    pad "${U_NAME[i]}" 10; col2=$PADDED
    printf '%s %s %-8s %-7s %s\n' "$col1" "$col2" "$state" "$pid" "$port"
    if [ "$state" = running ]; then link_lines "$tmp/$i"; fi
  done
  rm -rf "$tmp"
  echo "$n_run of $n_all nodes running"
}
