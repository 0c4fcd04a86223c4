#!/bin/sh
# npm run bench: compiles, then runs the side-by-side benchmark, the origin-trouble scenarios and the HTTP origin beside nginx (bench/bin/bench-compare);
# arguments pass through, e.g. bench/scripts/bench.sh --only balancer,haproxy --modes pipeline --duration 10 --no-origin-trouble --no-http-origin
set -e
cd "$(dirname "$0")/../.."
node_modules/.bin/tsc -b bench
exec node dist/bench/bin/bench-compare.js "$@"
