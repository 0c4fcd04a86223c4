#!/usr/bin/env bash
# Starts origin, proxies and load balancer in the background; records their PIDs for kill_cluster.sh.
# Settings (environment): ORIGIN_PORT=8000 PROXY_PORTS="8001 8002 8003" LB_PORT=9000
#   STRATEGY=consistent_hash CLUSTER_DIR=.cluster ADMIN_TOKEN=<random>. Extra arguments go to every
#   proxy (e.g. --ttl 5). The admin token (PURGE, membership ops) is written to $CLUSTER_DIR/admin-token, mode 0600.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CLUSTER_DIR:-$root/.cluster}"
origin_port="${ORIGIN_PORT:-8000}"
proxy_ports="${PROXY_PORTS:-8001 8002 8003}"
lb_port="${LB_PORT:-9000}"
strategy="${STRATEGY:-consistent_hash}"
token="${ADMIN_TOKEN:-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')}"

if [ -s "$dir/pids" ]; then
  echo "a cluster started from here is still recorded in $dir/pids; run scripts/kill_cluster.sh first" >&2
  exit 1
fi
[ -f "$root/dist/bin/origin.js" ] || (cd "$root" && npx tsc -b tsconfig.product.json)

proxies=()
for port in $proxy_ports; do proxies+=("127.0.0.1:$port"); done
# peers_of PORT: --peers and the other proxies, as separate words. Each proxy may fill a hot key spilled to it from
# any other (peer fill), never from a place a client names.
peers_of() {
  local others=()
  for other in $proxy_ports; do [ "$other" = "$1" ] || others+=("127.0.0.1:$other"); done
  [ ${#others[@]} -eq 0 ] || echo --peers "${others[@]}"
}

# Everything is checked before anything starts: each node's own --check (its flags, the strategy,
# the extra proxy arguments, that its port is free) says what is wrong in one line. Each problem
# is said once, however many proxies share it.
problems=""
check() {
  local said
  said="$("$@" 2>&1)" || problems+="$said"$'\n'
}
duplicates="$(printf '%s\n' "$origin_port" $proxy_ports "$lb_port" | sort | uniq -d | tr '\n' ' ')"
[ -z "$duplicates" ] || problems+="start_cluster.sh: port ${duplicates% } given to two nodes (ORIGIN_PORT, PROXY_PORTS, LB_PORT)"$'\n'
check "$root/bin/origin" --check --port "$origin_port"
for port in $proxy_ports; do
  check "$root/bin/proxy" --check --port "$port" --origin-port "$origin_port" --admin-token "$token" $(peers_of "$port") "$@"
done
check "$root/bin/load-balancer" --check --port "$lb_port" --strategy "$strategy" --admin-token "$token" --proxies "${proxies[@]}"
if [ -n "$problems" ]; then
  printf '%s' "$problems" | awk '!seen[$0]++' >&2
  exit 1
fi

mkdir -p "$dir"
: > "$dir/pids"
# Only the user who started the cluster may read the token.
rm -f "$dir/admin-token"
(umask 077 && printf '%s\n' "$token" > "$dir/admin-token")

# start NAME TOOL ARGS...: runs one node in the background, records its PID, waits for its ready line.
start() {
  local name="$1" tool="$2"
  shift 2
  "$root/bin/$tool" "$@" > "$dir/$name.log" 2>&1 &
  local pid=$!
  echo "$pid $name" >> "$dir/pids"
  for _ in $(seq 100); do
    if grep -qs "listening on" "$dir/$name.log"; then
      echo "$name: $(grep -o 'listening on .*' "$dir/$name.log")  pid $pid"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "$name did not start:" >&2
  cat "$dir/$name.log" >&2
  "$root/scripts/kill_cluster.sh" >&2
  exit 1
}

start origin origin --port "$origin_port"
for port in $proxy_ports; do
  start "proxy-$port" proxy --port "$port" --origin-port "$origin_port" --admin-token "$token" $(peers_of "$port") "$@"
done
start load-balancer load-balancer --port "$lb_port" --strategy "$strategy" --admin-token "$token" --proxies "${proxies[@]}"
echo "admin token in $dir/admin-token: bin/client --port $lb_port --purge article/1 --token \"\$(cat $dir/admin-token)\""
echo "ready: bin/client --port $lb_port --get article/1; stop with scripts/kill_cluster.sh (logs in $dir)"
