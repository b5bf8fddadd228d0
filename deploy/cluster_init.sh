# Sourced by cluster.sh (not run on its own): `up`'s first half, initialising each node of
# the topology (keygen on the child, enroll at its parent, init) and writing the topology's
# settings into its node.toml. Uses cluster.sh's globals (dir, bin, the U_* arrays of
# topology.sh) and helpers (step, die, initialised, toml_str, toml_unit, now, elapsed).
# ---- up: initialise ------------------------------------------------------------------------
declare -A FRESH=()   # units initialised in this run
FRESH_DIR=""          # init_unit, run in a subshell, marks them here

init_unit() {
  local i=$1 nd pi pd pk enr t0 what
  nd=$dir/${U_BASE[i]}
  t0=$(now)
  if initialised "$i"; then
    local unit
    unit=$(toml_unit "$nd/node.toml" || true)
    [ "$unit" = "${U_ID[i]}" ] ||
      die "unit $(label "$i"): $nd/node.toml is for unit \"$unit\"; remove $nd or use another --dir"
    pi=${U_PARENT[i]}
    if [ -n "$pi" ] && [ -n "${FRESH[$pi]:-}" ]; then
      die "unit $(label "$i"): its parent ${U_ID[pi]} was just created anew, so the enrolment $nd holds is void; remove $nd and the directories of the units below it, then run up again"
    fi
    printf '  %-42s initialised already\n' "${U_ID[i]}"
    return 0
  fi
  mkdir -p "$nd"
  chmod 700 "$nd"
  local listen_args=()
  if [ "${U_LISTEN[i]}" = true ]; then listen_args=(--listen "$(addr_of "$i")"); fi
  if [ "$i" = "$ROOT" ]; then
    step "$i" "init --root" "$RS" --node "$nd" init --root --unit "${U_ID[i]}" --name "${U_NAME[i]}" \
      --level "${U_LEVEL[i]}" "${listen_args[@]}" --plaintext
    what="init --root"
  else
    pi=${U_PARENT[i]}
    pd=$dir/${U_BASE[pi]}
    initialised "$pi" || die "unit $(label "$i"): its parent ${U_ID[pi]} is not initialised"
    step "$i" "keygen" "$RS" --node "$nd" keygen
    pk=$OUT
    [[ $pk =~ ^[0-9a-f]{64}$ ]] || die "unit $(label "$i"): keygen printed \"$pk\", not a public key"
    # The enrolment file is kept (with the key it was issued for), so an init that failed can
    # be retried without a second UnitEnrolled at the parent.
    mkdir -p "$dir/enrollments"
    enr=$dir/enrollments/${U_BASE[i]}.enrollment
    if [ -s "$enr" ] && [ "$(cat "$enr.pub" 2>/dev/null || true)" = "$pk" ]; then
      what="enrolment kept from an earlier run"
    else
      rm -f "$enr" "$enr.pub"
      # Siblings are initialised in parallel; the lock keeps their enrolments from opening the
      # parent's database at once when its daemon is not running.
      step "$i" "enroll at its parent ${U_ID[pi]}" flock "$dir/enrollments/.${U_BASE[pi]}.lock" \
        "$RS" --node "$pd" --author cluster.sh enroll \
        --unit "${U_ID[i]}" --name "${U_NAME[i]}" --level "${U_LEVEL[i]}" --public-key "$pk" \
        --out "$enr.tmp"
      mv "$enr.tmp" "$enr"
      echo "$pk" >"$enr.pub"
      what="enrolled by ${U_ID[pi]}"
    fi
    local parent_unit_args=()
    [ "${U_PARENT_ID[i]}" = "${U_ID[i]%/*}" ] || parent_unit_args=(--parent-unit "${U_PARENT_ID[i]}")
    step "$i" "init --enrollment" "$RS" --node "$nd" init --enrollment "$enr" "${listen_args[@]}" \
      --parent "$(addr_of "$pi")" --plaintext "${parent_unit_args[@]}"
    what="keygen, $what, init"
  fi
  : >"$FRESH_DIR/$i"
  printf '  %-42s %s (%s)\n' "${U_ID[i]}" "$what" "$(elapsed "$t0")"
}

# init_level INDEX...: initialises these units, all at one depth, in parallel; prints each
# one's line in order and fails naming every unit that failed.
init_level() {
  local i k tmp pids=() units=("$@") failed=()
  tmp=$(mktemp -d)
  FRESH_DIR=$tmp
  for i in "${units[@]}"; do
    (init_unit "$i") >"$tmp/$i.out" 2>"$tmp/$i.err" &
    pids+=("$!")
  done
  for k in "${!pids[@]}"; do
    i=${units[k]}
    if wait "${pids[k]}"; then
      cat "$tmp/$i.out"
      if [ -f "$tmp/$i" ]; then FRESH[$i]=1; fi
    else
      cat "$tmp/$i.out" "$tmp/$i.err" >&2
      failed+=("${U_ID[i]}")
    fi
  done
  rm -rf "$tmp"
  [ ${#failed[@]} -eq 0 ] || die "initialisation failed for ${failed[*]} (see above)"
}

# Rewrites the keys cluster.sh owns in node.toml: listen, parent, parent_unit and plaintext
# always, and the topology's settings (each line marked "# cluster.sh", so a setting removed
# from the topology goes away too). Other lines, such as an operator's edits, are kept.
# Sets CHANGED=1 when the file changed.
CHANGED=0
write_config() {
  local i=$1 f tmp key line want=""
  f=$dir/${U_BASE[i]}/node.toml
  if [ "${U_LISTEN[i]}" = true ]; then want+="listen = $(toml_str "$(addr_of "$i")")"$'\n'; fi
  if [ "$i" != "$ROOT" ]; then
    want+="parent = $(toml_str "$(addr_of "${U_PARENT[i]}")")"$'\n'
    [ "${U_PARENT_ID[i]}" = "${U_ID[i]%/*}" ] ||
      want+="parent_unit = $(toml_str "${U_PARENT_ID[i]}")"$'\n'
  fi
  if [ "${U_LISTEN[i]}" = true ] || [ "$i" != "$ROOT" ]; then want+="plaintext = true"$'\n'; fi
  # RECTSYNC_CONSOLE_BASE=PORT: every unit serves its web console on PORT + its index.
  if [ -n "${RECTSYNC_CONSOLE_BASE:-}" ]; then
    want+="console_listen = $(toml_str "127.0.0.1:$((RECTSYNC_CONSOLE_BASE + i))")"$'\n'
  fi
  # Unit settings override defaults.
  local -A seen=()
  local settings=""
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    key=${line%% *}
    seen[$key]=1
    settings+="$line"$'\n'
  done <<<"${U_SET[i]}"
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    key=${line%% *}
    [ -n "${seen[$key]:-}" ] || settings+="$line"$'\n'
  done <<<"$D_SET"
  want+=$settings
  # Drop owned keys, marked lines and every key about to be written; append the wanted lines.
  local drop="listen parent parent_unit plaintext console_listen"
  while IFS= read -r line; do
    if [ -n "$line" ]; then drop+=" ${line%% *}"; fi
  done <<<"$settings"
  tmp=$f.tmp
  {
    while IFS= read -r line || [ -n "$line" ]; do
      [[ $line == *"# cluster.sh" ]] && continue
      key=""
      [[ $line =~ ^[[:space:]]*([A-Za-z0-9_-]+)[[:space:]]*= ]] && key=${BASH_REMATCH[1]}
      [ -n "$key" ] && [[ " $drop " == *" $key "* ]] && continue
      printf '%s\n' "$line"
    done <"$f"
    while IFS= read -r line; do
      if [ -n "$line" ]; then printf '%s  # cluster.sh\n' "$line"; fi
    done <<<"$want"
  } >"$tmp" || die "unit $(label "$i"): cannot write $tmp"
  if cmp -s "$tmp" "$f"; then
    rm -f "$tmp"
    CHANGED=0
  else
    chmod --reference="$f" "$tmp" 2>/dev/null || true
    mv "$tmp" "$f"
    CHANGED=1
  fi
}
