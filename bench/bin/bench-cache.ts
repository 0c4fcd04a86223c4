// bench/bin/bench-cache: the proxy's cache actor in one process, no sockets: hit ratio and origin fetches
// per unique key on a Zipf stream at a fixed cache size, and hit-path throughput, optionally side
// by side with a baseline checkout (bench/scripts/bench-cache-baseline.sh builds one from a commit).
import { Command } from 'commander';
import { FOREVER, integer, kebabFlags, nonNegative, ttlSeconds } from '../../lib/cli/options.js';
import { seededRandom } from '../lib/random.js';
import { zipfSampler } from '../lib/zipf.js';
import type * as HitPath from '../lib/hit-path.js';
import { monotonicMs } from '../../lib/time/clock.js';

const options = new Command('bench-cache')
  .description("measures the proxy's cache actor in one process, no sockets: hit ratio and origin fetches on a Zipf stream, and hit-path throughput")
  .option('--keys <n>', 'keyspace', integer(1), 100_000)
  .option('--zipf-s <s>', 'Zipf exponent', nonNegative, 1.0)
  .option('--capacity <entries>', 'cache size in entries', integer(1), 10_000)
  .option('--ttl <seconds>', `seconds a value is fresh; "${FOREVER}" = until evicted`, ttlSeconds, 30)
  .option('--requests <n>', 'requests in the hit-ratio run', integer(1), 1_000_000)
  .option('--hit-requests <n>', 'requests in each hit-path round', integer(1), 250_000)
  .option('--rounds <n>', 'hit-path rounds; the median is reported', integer(1), 40)
  .option('--baseline <dir>', 'a built checkout whose cache actor runs in alternate rounds (its dist/ and node_modules/)')
  .option('--seed <n>', 'random seed', integer(0), 1)
  .option('--json', 'print one JSON object')
  .parse(kebabFlags(process.argv))
  .opts<{ keys: number; zipfS: number; capacity: number; ttl: number; requests: number; hitRequests: number; rounds: number; baseline?: string; seed: number; json?: boolean }>();

// Each subject loads its own instance of the harness module, so no inline cache of one skews the other.
const harnessModule = async (subject: string): Promise<typeof HitPath> =>
  (await import(new URL(`../lib/hit-path.js?subject=${subject}`, import.meta.url).href)) as typeof HitPath;
const { cacheHarness, median } = await harnessModule('ours');
const actorOptions = { node: 1, ttl: options.ttl * 1000, maxEntries: options.capacity, maxBytes: 2 ** 30 };

const random = seededRandom(options.seed);
const sample = zipfSampler(options.keys, options.zipfS, random);

// Hit ratio on a Zipf stream at a fixed cache size.
const ratio = await cacheHarness(actorOptions);
const seen = new Set<number>();
for (let i = 0; i < options.requests; i++) {
  const k = sample();
  seen.add(k);
  ratio.get(`k/${k}`);
}
const hitRatio = 1 - ratio.fetches() / options.requests;
const fetchesPerUniqueKey = ratio.fetches() / seen.size;

// Hit path: every key warm, requests drawn from the same stream restricted to the warm set.
const warmKeys = Array.from({ length: options.capacity }, (_, k) => `k/${k}`);
const stream = Array.from({ length: options.hitRequests }, () => warmKeys[sample() % options.capacity]!);
const subjects = [{ name: 'ours', harness: await cacheHarness(actorOptions), rates: [] as number[] }];
if (options.baseline !== undefined) {
  const baseline = await harnessModule('baseline');
  subjects.push({ name: 'baseline', harness: await baseline.cacheHarness(actorOptions, options.baseline), rates: [] });
}
for (const { harness } of subjects) for (const key of warmKeys) harness.get(key);
const fetchesWhenWarm = subjects.map(({ harness }) => harness.fetches());
// Rounds alternate which subject goes first; the machine's speed drifts, so only paired rounds compare.
const ratios: number[] = [];
for (let round = 0; round < options.rounds; round++) {
  const order = round % 2 === 0 ? subjects : [...subjects].reverse();
  for (const { harness, rates } of order) {
    const start = monotonicMs();
    for (const key of stream) harness.get(key);
    rates.push(options.hitRequests / ((monotonicMs() - start) / 1000));
  }
  if (subjects.length === 2) ratios.push(subjects[0]!.rates[round]! / subjects[1]!.rates[round]!);
}

const result = {
  keys: options.keys,
  zipfS: options.zipfS,
  capacity: options.capacity,
  ttl: options.ttl === Infinity ? FOREVER : options.ttl,
  requests: options.requests,
  hitRatio: Number(hitRatio.toFixed(4)),
  uniqueKeys: seen.size,
  originFetches: ratio.fetches(),
  originFetchesPerUniqueKey: Number(fetchesPerUniqueKey.toFixed(3)),
  hitPathOpsPerSec: Math.round(median(subjects[0]!.rates)),
  // Every hit-path request found its key: no fetch after the warm-up.
  hitPathFetches: subjects[0]!.harness.fetches() - fetchesWhenWarm[0]!,
  ...(subjects.length === 2
    ? {
        baselineOpsPerSec: Math.round(median(subjects[1]!.rates)),
        baselineFetches: subjects[1]!.harness.fetches() - fetchesWhenWarm[1]!,
        hitPathRatio: Number(median(ratios).toFixed(3)),
      }
    : {}),
};
if (options.json === true) process.stdout.write(JSON.stringify(result) + '\n');
else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(26)} ${v}\n`);
