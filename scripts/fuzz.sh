#!/usr/bin/env bash
# npm run fuzz [-- --seconds N] [--seed S] [--runs N]: the fuzz property of
# spec/integration/fuzz.spec.ts against the origin, a proxy and the balancer, each for N seconds
# (default 60), or for exactly --runs streams. Prints each node's counts; on a failure, mocha
# prints fast-check's shrunk counterexample and its seed, and the exit status is non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
runs=""
seed=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "fuzz: unknown argument $1 (use --seconds N, --seed S, --runs N)" >&2; exit 2 ;;
  esac
done
case "$seconds$runs$seed" in
  *[!0-9-]*) echo "fuzz: --seconds, --runs and --seed take integers" >&2; exit 2 ;;
esac
# A seed of our own, printed first, so that any run can be replayed.
seed="${seed:-$(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 2147483647 ))}"
npx tsc -b . bench
if [ -n "$runs" ]; then
  echo "fuzzing origin, proxy and load balancer: $runs streams each, seed $seed (replay: npm run fuzz -- --runs $runs --seed $seed)"
  export FUZZ_RUNS="$runs"
else
  echo "fuzzing origin, proxy and load balancer: $seconds s each, seed $seed (replay: npm run fuzz -- --seconds $seconds --seed $seed)"
  export FUZZ_SECONDS="$seconds"
fi
export FUZZ_SEED="$seed"
exec npx mocha --no-config --reporter ./scripts/summary-reporter.cjs --timeout 0 dist/spec/integration/fuzz.spec.js
