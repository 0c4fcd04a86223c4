// bin/bench-cache: the proxy's cache actor in one process, no sockets: hit ratio and origin fetches
// per unique key on a Zipf stream at a fixed cache size, and hit-path throughput.
import { Command } from 'commander';
import { Subject, type Observable } from 'rxjs';
import { integer, kebabFlags, nonNegative } from '../lib/cli/options.js';
import { seededRandom } from '../lib/bench/random.js';
import { zipfSampler } from '../lib/bench/zipf.js';
import { cacheActor, type CacheInput, type CacheOutput } from '../lib/proxy/cache-actor.js';
import { monotonicMs, realClock } from '../lib/time/clock.js';

const options = new Command('bench-cache')
  .option('--keys <n>', 'keyspace', integer(1), 100_000)
  .option('--zipf-s <s>', 'Zipf exponent', nonNegative, 1.0)
  .option('--capacity <entries>', 'cache size in entries', integer(1), 10_000)
  .option('--requests <n>', 'requests in the hit-ratio run', integer(1), 1_000_000)
  .option('--hit-requests <n>', 'requests in each hit-path round', integer(1), 1_000_000)
  .option('--rounds <n>', 'hit-path rounds; the median is reported', integer(1), 5)
  .option('--seed <n>', 'random seed', integer(0), 1)
  .option('--json', 'print one JSON object')
  .parse(kebabFlags(process.argv))
  .opts<{ keys: number; zipfS: number; capacity: number; requests: number; hitRequests: number; rounds: number; seed: number; json?: boolean }>();

const VALUE = JSON.stringify({ id: 1, title: 'x'.repeat(40), body: 'y'.repeat(200) });

/** A cache actor whose origin answers every fetch at once; returns a function that sends one GET. */
function harness(capacity: number): { get: (key: string) => void; fetches: () => number } {
  const inbox = new Subject<CacheInput>();
  let fetches = 0;
  const out: Observable<CacheOutput> = cacheActor({ node: 1, ttl: 0, maxEntries: capacity, maxBytes: 1 << 30 })(inbox, realClock);
  out.subscribe((o) => {
    if ('fetch' in o) {
      fetches++;
      inbox.next({ fetched: { key: o.fetch.key, outcome: { kind: 'ok', data: VALUE } } });
    }
  });
  const reply = (): void => undefined;
  return { get: (key) => inbox.next({ get: { request: { op: 'GET', key }, reply } }), fetches: () => fetches };
}

const random = seededRandom(options.seed);
const sample = zipfSampler(options.keys, options.zipfS, random);

// Hit ratio on a Zipf stream at a fixed cache size.
const ratio = harness(options.capacity);
const seen = new Set<number>();
for (let i = 0; i < options.requests; i++) {
  const k = sample();
  seen.add(k);
  ratio.get(`k/${k}`);
}
const hitRatio = 1 - ratio.fetches() / options.requests;
const fetchesPerUniqueKey = ratio.fetches() / seen.size;

// Hit path: every key warm, requests drawn from the same stream restricted to the warm set.
const hot = harness(options.capacity);
const warmKeys = Array.from({ length: options.capacity }, (_, k) => `k/${k}`);
for (const key of warmKeys) hot.get(key);
const stream = Array.from({ length: options.hitRequests }, () => warmKeys[sample() % options.capacity]!);
const rates: number[] = [];
for (let round = 0; round < options.rounds; round++) {
  const start = monotonicMs();
  for (const key of stream) hot.get(key);
  rates.push(options.hitRequests / ((monotonicMs() - start) / 1000));
}
rates.sort((a, b) => a - b);
const result = {
  keys: options.keys,
  zipfS: options.zipfS,
  capacity: options.capacity,
  requests: options.requests,
  hitRatio: Number(hitRatio.toFixed(4)),
  uniqueKeys: seen.size,
  originFetches: ratio.fetches(),
  originFetchesPerUniqueKey: Number(fetchesPerUniqueKey.toFixed(3)),
  hitPathOpsPerSec: Math.round(rates[Math.floor(rates.length / 2)]!),
  hitPathFetches: hot.fetches() - options.capacity,
};
if (options.json === true) process.stdout.write(JSON.stringify(result) + '\n');
else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(26)} ${v}\n`);
