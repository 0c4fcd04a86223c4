#!/bin/sh
# Hit-path throughput of the cache actor against an earlier commit, in one process, rounds alternating:
#   scripts/bench-cache-baseline.sh <commit> [bin/bench-cache flags]
# Builds <commit> in a temporary worktree (its own npm ci), runs bin/bench-cache --baseline, removes the worktree.
set -e
cd "$(dirname "$0")/.."
commit=${1:?usage: scripts/bench-cache-baseline.sh <commit> [bench-cache flags]}
shift
dir=$(mktemp -d)
trap 'git worktree remove --force "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
git worktree add --detach "$dir" "$commit" >/dev/null
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null && node_modules/.bin/tsc -p .)
node_modules/.bin/tsc -p .
node dist/bin/bench-cache.js --baseline "$dir" "$@"
