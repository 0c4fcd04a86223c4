#!/bin/sh
# Hit-path throughput of the cache actor against an earlier commit, in one process, rounds alternating:
#   bench/scripts/bench-cache-baseline.sh <commit> [bench/bin/bench-cache flags]
# Builds <commit> in a temporary worktree (its own npm ci), runs bench/bin/bench-cache --baseline, removes the worktree.
# Only the baseline's product is built (its dist/lib), which `tsc -p .` does at any commit.
set -e
cd "$(dirname "$0")/../.."
commit=${1:?usage: bench/scripts/bench-cache-baseline.sh <commit> [bench-cache flags]}
shift
dir=$(mktemp -d)
trap 'git worktree remove --force "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
git worktree add --detach "$dir" "$commit" >/dev/null
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null && node_modules/.bin/tsc -p .)
node_modules/.bin/tsc -b bench
node dist/bench/bin/bench-cache.js --baseline "$dir" "$@"
