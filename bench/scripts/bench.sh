#!/bin/sh
# npm run bench: compiles, then runs the side-by-side benchmark (bin/bench-compare); arguments pass through,
# e.g. scripts/bench.sh --only balancer,haproxy --modes pipeline --duration 10
set -e
cd "$(dirname "$0")/.."
node_modules/.bin/tsc -p .
exec node dist/bin/bench-compare.js "$@"
