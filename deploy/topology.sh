#!/usr/bin/env bash
# Reading a topology file (deploy/topology.toml explains its format) into the arrays
# deploy/cluster.sh works from; sourced by cluster.sh, which provides die().

# ---- the topology ------------------------------------------------------------------------
# Units by index in file order: U_ID U_NAME U_LEVEL U_PORT ("" = not listening) U_PARENT
# (index of the parent unit, "" for the root) U_PARENT_ID (the parent's unit id, as given or
# implied) U_SET (node.toml settings, one "key = value" a line) U_LINE (line of [[unit]]).
U_ID=() U_BASE=() U_DEPTH=() U_NAME=() U_LEVEL=() U_PORT=() U_LISTEN=() U_PARENT=() U_PARENT_ID=() U_SET=() U_LINE=()
D_SET=""
host=127.0.0.1
base_port=7400
declare -A BY_ID=()
declare -A U_KEYS=()   # "index key" -> 1, to refuse a key given twice in one table

# node.toml settings a topology may set; cluster.sh writes unit, listen, parent, parent_unit and
# plaintext itself, and a loopback cluster has no TLS.
SETTING_KEYS=(yellow_days sync_writes max_clock_skew_ms advertise attest_interval_ms
  push_interval_ms pull_wait_ms backoff_min_ms backoff_max_ms batch_records max_message_mb
  call_timeout_ms)
MANAGED_KEYS=" unit listen parent parent_unit plaintext admin_socket tls_cert tls_key tls_ca "

re_blank='^[[:space:]]*(#.*)?$'
re_unit='^[[:space:]]*\[\[[[:space:]]*unit[[:space:]]*\]\][[:space:]]*(#.*)?$'
re_defaults='^[[:space:]]*\[[[:space:]]*defaults[[:space:]]*\][[:space:]]*(#.*)?$'
re_kv='^[[:space:]]*([A-Za-z0-9_-]+)[[:space:]]*=[[:space:]]*(.*)$'
re_str='^"([^"\\]*)"[[:space:]]*(#.*)?$'
re_int='^(-?(0|[1-9][0-9]*))[[:space:]]*(#.*)?$'
re_bool='^(true|false)[[:space:]]*(#.*)?$'
re_unit_id='^[0-9a-z_-]{1,32}(/[0-9a-z_-]{1,32}){0,7}$'

parse_topology() {
  local file=$1 line n=0 section='' key rest val raw kind i where
  [ -f "$file" ] || die "no topology file $file"
  local defaults_seen=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%$'\r'}
    where="$file:$n"
    [[ $line =~ $re_blank ]] && continue
    if [[ $line =~ $re_unit ]]; then
      section=unit
      i=${#U_ID[@]}
      U_ID[i]="" U_NAME[i]="" U_LEVEL[i]="" U_PORT[i]="" U_LISTEN[i]=true U_PARENT[i]=""
      U_PARENT_ID[i]="" U_SET[i]="" U_LINE[i]=$n
      continue
    fi
    if [[ $line =~ $re_defaults ]]; then
      [ "$defaults_seen" = 0 ] || die "$where: [defaults] given twice"
      [ "$section" = "" ] || die "$where: [defaults] must come before the first [[unit]]"
      defaults_seen=1 section=defaults
      continue
    fi
    [[ $line =~ ^[[:space:]]*\[ ]] && die "$where: unknown table ${line%%#*}(only [defaults] and [[unit]])"
    [[ $line =~ $re_kv ]] || die "$where: expected KEY = VALUE, [defaults] or [[unit]], got: $line"
    key=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
    if [[ $rest =~ $re_str ]]; then kind=string val=${BASH_REMATCH[1]} raw="\"$val\""
    elif [[ $rest =~ $re_int ]]; then kind=integer val=${BASH_REMATCH[1]} raw=$val
    elif [[ $rest =~ $re_bool ]]; then kind=boolean val=${BASH_REMATCH[1]} raw=$val
    else die "$where: $key: the value must be a \"string\" (no escapes), an integer or true/false"
    fi
    [ -n "$section" ] || die "$where: $key outside [defaults] or [[unit]]"
    local tkey=defaults
    [ "$section" = unit ] && tkey=$i
    [ -z "${U_KEYS[$tkey $key]:-}" ] || die "$where: $key given twice in one table"
    U_KEYS[$tkey $key]=1
    want() { [ "$kind" = "$1" ] || die "$where: $key must be a $1"; }
    if [ "$section" = defaults ]; then
      case $key in
        host) want string; host=$val ;;
        base_port) want integer; base_port=$val ;;
        *) check_setting "$where" "$key"; D_SET+="$key = $raw"$'\n' ;;
      esac
    else
      case $key in
        id) want string; U_ID[i]=$val ;;
        name) want string; U_NAME[i]=$val ;;
        level) want string; U_LEVEL[i]=$val ;;
        port) want integer; U_PORT[i]=$val ;;
        listen) want boolean; U_LISTEN[i]=$val ;;
        parent) want string; U_PARENT_ID[i]=$val ;;
        *) check_setting "$where" "$key"; U_SET[i]+="$key = $raw"$'\n' ;;
      esac
    fi
  done <"$file"
  [ ${#U_ID[@]} -gt 0 ] || die "$file: no [[unit]]"
  validate_topology "$file"
}

check_setting() {  # check_setting WHERE KEY
  if [[ $MANAGED_KEYS == *" $2 "* ]]; then
    die "$1: $2 is written by cluster.sh (from id, port, listen, parent) or not for a loopback cluster; it cannot be set here"
  fi
  local k
  for k in "${SETTING_KEYS[@]}"; do [ "$k" != "$2" ] || return 0; done
  die "$1: $2 is not a unit key (id name level port listen parent) nor a node.toml setting cluster.sh knows (${SETTING_KEYS[*]})"
}

validate_topology() {
  local file=$1 i j id where p roots=() seg
  case $host in
    127.*|localhost|::1) ;;
    *) die "$file: host \"$host\" is not a loopback address; cluster.sh runs plaintext links, which are loopback-only" ;;
  esac
  [[ $base_port =~ ^[0-9]+$ ]] || die "$file: base_port must be a port number"
  local -A port_of=() by_base=()
  for i in "${!U_ID[@]}"; do
    where="$file:${U_LINE[i]}"
    id=${U_ID[i]}
    [ -n "$id" ] || die "$where: [[unit]] without id"
    [[ $id =~ $re_unit_id ]] ||
      die "$where: id \"$id\": a unit id is 1 to 8 segments of 0-9 a-z _ - (at most 32 each) joined by /"
    [ -n "${U_NAME[i]}" ] || die "$where: unit $id has no name"
    case ${U_LEVEL[i]} in
      city|county|township|village|department) ;;
      '') die "$where: unit $id has no level" ;;
      *) die "$where: unit $id: level \"${U_LEVEL[i]}\" is not city, county, township, village or department" ;;
    esac
    [ -z "${BY_ID[$id]:-}" ] || die "$where: unit $id is given twice (also line ${U_LINE[${BY_ID[$id]}]})"
    BY_ID[$id]=$i
    U_BASE[i]=${id//\//_}
    [ -z "${by_base[${U_BASE[i]}]:-}" ] ||
      die "$where: units $id and ${by_base[${U_BASE[i]}]} would share the directory ${U_BASE[i]}"
    by_base[${U_BASE[i]}]=$id
    if [ "${U_LISTEN[i]}" = true ]; then
      [ -n "${U_PORT[i]}" ] || U_PORT[i]=$((base_port + i))
      p=${U_PORT[i]}
      { [ "$p" -ge 1 ] && [ "$p" -le 65535 ]; } || die "$where: unit $id: port $p is not 1..65535"
      [ -z "${port_of[$p]:-}" ] || die "$where: unit $id: port $p is also the port of ${port_of[$p]}"
      port_of[$p]=$id
    else
      [ -z "${U_PORT[i]}" ] || die "$where: unit $id has a port but listen = false"
    fi
  done
  for i in "${!U_ID[@]}"; do
    where="$file:${U_LINE[i]}"
    id=${U_ID[i]}
    if [ -n "${U_PARENT_ID[i]}" ]; then
      p=${U_PARENT_ID[i]}
      [ -n "${BY_ID[$p]:-}" ] || die "$where: unit $id: parent $p is not a unit of this topology"
      [[ $id == "$p"/* ]] || die "$where: unit $id: parent $p is not above it in the id path"
    else
      p=${id%/*}
      [ "$p" != "$id" ] || p=""
      if [ -z "$p" ] || [ -z "${BY_ID[$p]:-}" ]; then
        roots+=("$id")
        continue
      fi
      U_PARENT_ID[i]=$p
    fi
    j=${BY_ID[$p]}
    U_PARENT[i]=$j
    [ "${U_LISTEN[j]}" = true ] ||
      die "$where: unit $id syncs to $p, which has listen = false; give $p a port"
  done
  [ ${#roots[@]} -eq 1 ] ||
    die "$file: exactly one unit may lack a parent (the root); these do: ${roots[*]}. Add the missing units above them or set parent = \"...\""
  ROOT=${BY_ID[${roots[0]}]}
  # Parents first: a parent lies above its child in the id path, so fewer segments first.
  ORDER=()
  for i in "${!U_ID[@]}"; do
    seg=${U_ID[i]//[^\/]/}
    U_DEPTH[i]=${#seg}
    ORDER+=("${#seg} $i")
  done
  mapfile -t ORDER < <(printf '%s\n' "${ORDER[@]}" | sort -s -n -k1,1 | cut -d' ' -f2)
}

addr_of() {  # addr_of INDEX
  case $host in *:*) echo "[$host]:${U_PORT[$1]}" ;; *) echo "$host:${U_PORT[$1]}" ;; esac
}
label() { echo "${U_ID[$1]} ${U_NAME[$1]}"; }

find_unit() {  # find_unit NAME-OR-ID-OR-DIR -> index on stdout
  local q=$1 i hits=()
  q=${q%/}
  for i in "${!U_ID[@]}"; do
    if [ "${U_ID[i]}" = "$q" ] || [ "${U_BASE[i]}" = "$q" ] || [ "${U_NAME[i]}" = "$q" ] ||
       [ "$dir/${U_BASE[i]}" = "$q" ]; then
      hits+=("$i")
    fi
  done
  [ ${#hits[@]} -gt 0 ] || die "no unit \"$1\" in $topology (give a unit id, directory name or name)"
  [ ${#hits[@]} -eq 1 ] || die "\"$1\" names more than one unit; give the unit id"
  echo "${hits[0]}"
}

