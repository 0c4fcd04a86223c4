// bench/bin/bench-routing: hit ratio and origin fetches per unique key for each balancing strategy in front
// of N proxy caches, against one cache of the combined size. The real strategy operators and cache
// actors, in one process, no sockets: the numbers depend on routing alone.
import { Command } from 'commander';
import { BehaviorSubject, Subject } from 'rxjs';
import { integer, kebabFlags, nonNegative } from '../../lib/cli/options.js';
import { seededRandom } from '../lib/random.js';
import { zipfSampler } from '../lib/zipf.js';
import { cacheHarness } from '../lib/hit-path.js';
import { strategies } from '../../lib/balancer/strategies/registry.js';
import type { RouteRequest } from '../../lib/balancer/messages.js';
import { initialView } from '../../lib/balancer/view.js';

const options = new Command('bench-routing')
  .description('measures hit ratio and origin fetches per key for each balancing strategy in front of N proxy caches, in one process, no sockets')
  .option('--keys <n>', 'keyspace', integer(1), 100_000)
  .option('--zipf-s <s>', 'Zipf exponent', nonNegative, 1.0)
  .option('--proxies <n>', 'proxies', integer(1), 3)
  .option('--capacity <entries>', 'entries each proxy caches', integer(1), 5_000)
  .option('--requests <n>', 'requests', integer(1), 1_000_000)
  .option('--seed <n>', 'random seed', integer(0), 1)
  .option('--json', 'print one JSON object')
  .parse(kebabFlags(process.argv))
  .opts<{ keys: number; zipfS: number; proxies: number; capacity: number; requests: number; seed: number; json?: boolean }>();

/** A proxy's cache actor whose origin answers at once (the hit-path bench's harness); counts origin fetches. */
const cache = (capacity: number) => cacheHarness({ node: 0, ttl: Infinity, maxEntries: capacity, maxBytes: 1 << 30 });

/** The same key stream for every subject. */
function stream(): string[] {
  const sample = zipfSampler(options.keys, options.zipfS, seededRandom(options.seed));
  return Array.from({ length: options.requests }, () => `k/${sample()}`);
}

const keys = stream();
const unique = new Set(keys).size;
const rows: { subject: string; hitRatio: number; fetchesPerUniqueKey: number }[] = [];
const row = (subject: string, fetches: number) =>
  rows.push({ subject, hitRatio: 1 - fetches / keys.length, fetchesPerUniqueKey: fetches / unique });

const single = await cache(options.capacity * options.proxies);
for (const key of keys) single.get(key);
row(`one cache of ${options.capacity * options.proxies}`, single.fetches());

const addresses = Array.from({ length: options.proxies }, (_, i) => `127.0.0.1:${8001 + i}`);
for (const name of ['consistent_hash', 'round_robin', 'p2c', 'least_loaded']) {
  const caches = await Promise.all(addresses.map(() => cache(options.capacity)));
  const requests = new Subject<RouteRequest>();
  const view = new BehaviorSubject(initialView(addresses));
  requests
    .pipe(strategies[name]!(view, { random: seededRandom(options.seed + 1) }))
    .subscribe((routed) => caches[routed.proxy!]!.get(routed.message.request.key));
  const reply = (): void => undefined;
  for (const key of keys) requests.next({ message: { request: { op: 'GET', key }, reply }, tried: [] });
  row(`${name} over ${options.proxies} x ${options.capacity}`, caches.reduce((sum, c) => sum + c.fetches(), 0));
}

if (options.json === true) {
  process.stdout.write(JSON.stringify({ ...options, uniqueKeys: unique, rows }) + '\n');
} else {
  process.stdout.write(`Zipf(${options.zipfS}) over ${options.keys} keys, ${options.requests} requests, ${unique} unique keys\n\n`);
  process.stdout.write('| routing | hit ratio | origin fetches per unique key |\n|---|---|---|\n');
  for (const r of rows) process.stdout.write(`| ${r.subject} | ${r.hitRatio.toFixed(4)} | ${r.fetchesPerUniqueKey.toFixed(3)} |\n`);
}
