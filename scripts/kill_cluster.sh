#!/usr/bin/env bash
# Stops exactly the PIDs start_cluster.sh recorded: SIGTERM (nodes drain), then SIGKILL after a grace period.
# Never kills by process name. Settings: CLUSTER_DIR=.cluster GRACE=5 (seconds).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CLUSTER_DIR:-$root/.cluster}"
grace="${GRACE:-5}"
[ -f "$dir/pids" ] || { echo "no cluster recorded in $dir/pids"; exit 0; }

# A PID is ours only while it still runs one of our node scripts (PIDs are reused).
ours() { kill -0 "$1" 2>/dev/null && tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -q "$root/dist/bin/"; }

live=()
while read -r pid name; do
  if ours "$pid"; then
    kill -TERM "$pid" && live+=("$pid") && echo "SIGTERM $name (pid $pid)"
  fi
done < <(tac "$dir/pids")  # the balancer first, so nothing new reaches draining proxies

deadline=$((SECONDS + grace))
while [ "${#live[@]}" -gt 0 ] && [ "$SECONDS" -lt "$deadline" ]; do
  still=()
  for pid in "${live[@]}"; do ours "$pid" && still+=("$pid"); done
  live=("${still[@]+"${still[@]}"}")
  [ "${#live[@]}" -gt 0 ] && sleep 0.1
done
for pid in "${live[@]+"${live[@]}"}"; do
  echo "SIGKILL pid $pid (did not drain within ${grace}s)"
  kill -KILL "$pid" 2>/dev/null
done
rm -f "$dir/pids"
echo "cluster stopped"
