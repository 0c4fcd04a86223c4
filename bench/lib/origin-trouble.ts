// The origin-trouble stage of `npm run bench` (issue 14): a scripted slow, in-order or dead origin
// behind our proxies and balancers, and what cached and cold traffic see. Five scenarios, each on
// fresh processes on loopback, each bounded in requests and time.
import { introducePeers } from '../../lib/cluster/peers.js';
import { isoTime, realClock } from '../../lib/time/clock.js';
import { pause, type Fleet, type Started } from './fleet.js';
import { runLoad } from './load.js';
import { seededRandom } from './random.js';
import type { OriginCounts } from './scripted-origin.js';
import { startProxies } from './subjects.js';
import { askLine, timedGets, timedGetsApart, type Timed } from './timed-gets.js';
import { allAnsweredMs, fetchesPerKey, sharesOf, summarizeAnswers } from './trouble-figures.js';
import { troubleTargets, type FanInResult, type FetchesResult, type HotKeyResult, type IsolationResult, type OriginSeen, type OriginTrouble, type Skipped, type TimeoutResult } from './trouble-report.js';
import { fetchAll } from './warm.js';
import { uniformSampler } from './zipf.js';

export const SCENARIOS = ['isolation', 'fan-in', 'fetches', 'hot-key', 'timeout'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface TroubleOptions {
  scenarios: readonly Scenario[];
  /** 1: keys warm at the proxies, misses waiting, the slow origin's ms, cached GETs a second and for how long (ms), when the misses are given up (ms after sent). */
  cachedKeys: number;
  misses: number;
  slowMs: number;
  probeRate: number;
  probeMs: number;
  missDeadlineMs: number;
  /** 2: concurrent cold GETs at one proxy. */
  fanIn: number;
  /** 2, 3, 4: the origin's ms per answer. */
  delayMs: number;
  /** 3: keys, and how often each is asked. */
  fetchKeys: number;
  fetchRounds: number;
  /** 4: ms of hot-key load. */
  hotMs: number;
  /** 5: misses, the origin's ms, the proxy's --origin-timeout. */
  timeoutMisses: number;
  timeoutSlowMs: number;
  originTimeoutMs: number;
  /** How long past what it should take a run waits for answers before counting the rest NO_ANSWER, in ms. */
  graceMs: number;
  seed: number;
  /** The command line quoted in the report. */
  command: string;
  log: (line: string) => void;
}

export const DEFAULTS: Omit<TroubleOptions, 'scenarios' | 'command' | 'log'> = {
  cachedKeys: 200,
  misses: 2000,
  slowMs: 2000,
  probeRate: 200,
  probeMs: 5000,
  missDeadlineMs: 15_000,
  fanIn: 100,
  delayMs: 50,
  fetchKeys: 3000,
  fetchRounds: 3,
  hotMs: 3000,
  timeoutMisses: 100,
  timeoutSlowMs: 3000,
  originTimeoutMs: 1000,
  graceMs: 10_000,
  seed: 1,
};

const PROXIES = 3;
// The admin token of the scenarios' proxies, for ADD_PEER; nothing else uses it.
const PEER_TOKEN = 'bench-origin-trouble';
/** issue 14's shape: 8 connections x 16 pipelined over the two balancers, so 4 each. */
const FETCH_CONNS_PER_BALANCER = 4;
const FETCH_DEPTH = 16;
const HOT_CONNS = 16;
const HOT_DEPTH = 16;
// Three of the balancer's default probe intervals (--health-interval 1000).
const HOT_SETTLE_MS = 3000;
const MISS_CONNS = 16;
const PROBE_CONNS = 4;
/** A bound on the fetches scenario's asks, which should take a few seconds. */
const FETCH_DEADLINE_MS = 60_000;

/** Runs the chosen scenarios one after the other; a scenario that fails is reported skipped, with why. */
export async function runOriginTrouble(options: TroubleOptions, fleet: Fleet): Promise<OriginTrouble> {
  const startedAt = isoTime(realClock);
  const want = new Set(options.scenarios);
  const run = async <T>(scenario: Scenario, body: (scope: Scope) => Promise<T>): Promise<T | Skipped | undefined> => {
    if (!want.has(scenario)) return undefined;
    const scope = new Scope(fleet);
    try {
      return await body(scope);
    } catch (err) {
      options.log(`origin trouble, ${scenario}: ${(err as Error).message}`);
      return { skipped: `failed: ${(err as Error).message.split('\n')[0]}` };
    } finally {
      await scope.stop();
    }
  };
  const result = {
    startedAt,
    command: options.command,
    graceMs: options.graceMs,
    isolation: await run('isolation', (scope) => isolation(options, scope)),
    fanIn: await run('fan-in', (scope) => fanIn(options, scope)),
    fetches: await run('fetches', (scope) => fetches(options, scope)),
    hotKey: await run('hot-key', (scope) => hotKey(options, scope)),
    timeout: await run('timeout', (scope) => timeout(options, scope)),
  };
  const defined = Object.fromEntries(Object.entries(result).filter(([, v]) => v !== undefined)) as Omit<OriginTrouble, 'targets'>;
  return { ...defined, targets: troubleTargets(defined) };
}

/** The processes of one scenario, stopped by PID when it ends however it ends. */
class Scope {
  private readonly started: Started[] = [];

  constructor(private readonly fleet: Fleet) {}

  async origin(delayMs: number): Promise<Started> {
    return this.track(await this.fleet.node('scripted-origin', 'bench-scripted-origin', ['--port', '0', '--delay', String(delayMs)]));
  }

  /**
   * Proxies on the bench's flags: nothing expires during a scenario, so a key once fetched is
   * cached and fresh. Introduced to each other as peers (by ADD_PEER, their ports being known
   * only once they listen), as `bin/cluster` makes its own peers, so a hot key spilled from its
   * owner is filled from it.
   */
  async proxies(origin: Started): Promise<Started[]> {
    const proxies = await startProxies(this.fleet, origin.port, PROXIES, () => ({}), ['--admin-token', PEER_TOKEN]);
    for (const p of proxies) this.track(p);
    await introducePeers(proxies.map((p) => `127.0.0.1:${p.port}`), PEER_TOKEN);
    return proxies;
  }

  async proxy(origin: Started, extra: readonly string[] = []): Promise<Started> {
    const [proxy] = await startProxies(this.fleet, origin.port, 1, () => ({}), extra);
    return this.track(proxy!);
  }

  /** A balancer over `proxies`; `strategy` undefined leaves the default. */
  async balancer(name: string, proxies: readonly Started[], strategy?: string): Promise<Started> {
    const args = ['--port', '0', ...(strategy === undefined ? [] : ['--strategy', strategy]), '--proxies', ...proxies.map((p) => `127.0.0.1:${p.port}`)];
    return this.track(await this.fleet.node(name, 'load-balancer', args));
  }

  stopOne(started: Started): Promise<void> {
    return this.fleet.stop(started);
  }

  async stop(): Promise<void> {
    await Promise.all(this.started.splice(0).reverse().map((s) => this.fleet.stop(s)));
  }

  private track(started: Started): Started {
    this.started.push(started);
    return started;
  }
}

async function originCounts(origin: Started): Promise<OriginCounts> {
  const answer = await askLine(origin.port, 'METRICS');
  return answer.data as OriginCounts;
}

async function setDelay(origin: Started, ms: number): Promise<void> {
  await askLine(origin.port, `DELAY ${ms}`);
}

function seen(counts: OriginCounts): OriginSeen {
  return { gets: counts.gets, maxInFlight: counts.maxInFlight, maxBusyConnections: counts.maxBusyConnections, maxConnections: counts.maxConnections };
}

const keysOf = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

async function isolation(o: TroubleOptions, scope: Scope): Promise<IsolationResult> {
  const origin = await scope.origin(0);
  const proxies = await scope.proxies(origin);
  const balancer = await scope.balancer('balancer', proxies);
  const cached = keysOf('warm/', o.cachedKeys);
  const warmed = await fetchAll({ port: balancer.port, keys: cached });
  if (warmed.OK !== cached.length) throw new Error(`warming through the balancer: ${JSON.stringify(warmed)}`);
  await setDelay(origin, o.slowMs);
  const pick = uniformSampler(cached.length, seededRandom(o.seed));
  // The cached GETs run on a thread of their own, so the 2,000 misses this process sends and whose
  // answers it reads in a burst do not delay them: they measure the tier, not the bench.
  const probe = (): Promise<Timed[]> => {
    const keys = Array.from({ length: Math.max(1, Math.round((o.probeRate * o.probeMs) / 1000)) }, () => cached[pick()]!);
    return timedGetsApart({ port: balancer.port, keys, conns: PROBE_CONNS, window: Infinity, rate: o.probeRate, deadlineMs: o.probeMs + o.graceMs });
  };
  const without = summarizeAnswers(await probe());
  o.log(`origin trouble, isolation: cached GETs with no misses waiting: p99 ${without.latency?.p99.toFixed(2)} ms, ok ${without.ok}/${without.requests}`);
  await askLine(origin.port, 'RESET');
  const missing = timedGets({ port: balancer.port, keys: keysOf('cold/', o.misses), conns: MISS_CONNS, window: Infinity, deadlineMs: o.missDeadlineMs });
  // The misses reach the proxies and wait on the origin before the first cached GET goes.
  await pause(500);
  const waiting = summarizeAnswers(await probe());
  o.log(`origin trouble, isolation: cached GETs with ${o.misses} misses waiting: p99 ${waiting.latency?.p99.toFixed(2)} ms, ok ${waiting.ok}/${waiting.requests}`);
  const misses = summarizeAnswers(await missing);
  const counts = await originCounts(origin);
  return {
    settings: { proxies: PROXIES, cachedKeys: o.cachedKeys, misses: o.misses, missConns: MISS_CONNS, slowMs: o.slowMs, probeRate: o.probeRate, probeMs: o.probeMs, missDeadlineMs: o.missDeadlineMs },
    without,
    with: waiting,
    misses,
    origin: seen(counts),
  };
}

async function fanIn(o: TroubleOptions, scope: Scope): Promise<FanInResult> {
  const origin = await scope.origin(o.delayMs);
  const proxy = await scope.proxy(origin);
  const results = await timedGets({ port: proxy.port, keys: keysOf('fan/', o.fanIn), conns: o.fanIn, window: 1, deadlineMs: o.fanIn * o.delayMs + o.graceMs });
  const all = allAnsweredMs(results);
  const counts = await originCounts(origin);
  o.log(`origin trouble, fan-in: ${o.fanIn} cold keys answered after ${all.toFixed(0)} ms (origin ${o.delayMs} ms), origin saw at most ${counts.maxInFlight} in flight`);
  return { settings: { requests: o.fanIn, delayMs: o.delayMs }, allAnsweredMs: all, multiple: all / o.delayMs, answers: summarizeAnswers(results), origin: seen(counts) };
}

async function fetches(o: TroubleOptions, scope: Scope): Promise<FetchesResult> {
  const origin = await scope.origin(o.delayMs);
  const proxies = await scope.proxies(origin);
  const balancers = [await scope.balancer('balancer-1', proxies, 'consistent_hash'), await scope.balancer('balancer-2', proxies, 'consistent_hash')];
  const keys = keysOf('fetch/', o.fetchKeys);
  // Round by round, each key alternately through each balancer, so every key reaches both.
  const lists: string[][] = balancers.map(() => []);
  for (let round = 0; round < o.fetchRounds; round++) keys.forEach((key, i) => lists[(i + round) % balancers.length]!.push(key));
  const ask = (perBalancer: readonly string[][]) =>
    Promise.all(balancers.map((b, i) => timedGets({ port: b.port, keys: perBalancer[i]!, conns: FETCH_CONNS_PER_BALANCER, window: FETCH_DEPTH, deadlineMs: FETCH_DEADLINE_MS })));
  const answers = summarizeAnswers((await ask(lists)).flat());
  const perKey = fetchesPerKey((await originCounts(origin)).keys, keys);
  o.log(`origin trouble, fetches: ${answers.ok}/${answers.requests} OK; origin fetches per key max ${perKey.max}, mean ${perKey.mean.toFixed(3)}, ${perKey.overOnce} keys more than once`);
  await scope.stopOne(origin);
  const afterKill = summarizeAnswers((await ask(balancers.map((_b, i) => keys.filter((_k, j) => j % balancers.length === i)))).flat());
  o.log(`origin trouble, fetches: origin killed, every key again: ${afterKill.ok}/${afterKill.requests} OK`);
  return {
    settings: { keys: o.fetchKeys, rounds: o.fetchRounds, delayMs: o.delayMs, connsPerBalancer: FETCH_CONNS_PER_BALANCER, depth: FETCH_DEPTH, balancers: balancers.length, proxies: PROXIES },
    answers,
    fetches: perKey,
    afterKill,
  };
}

async function hotKey(o: TroubleOptions, scope: Scope): Promise<HotKeyResult> {
  const origin = await scope.origin(o.delayMs);
  const proxies = await scope.proxies(origin);
  const balancer = await scope.balancer('balancer', proxies, 'consistent_hash');
  // A spill carries its peer fill hint only to a proxy the balancer has seen echo an id, which its
  // probes show within three intervals of its start (docs/architecture.md, "Key affinity"); the
  // hot key is measured in that steady state, not in a fresh balancer's first seconds.
  await pause(HOT_SETTLE_MS);
  const key = 'hot/1';
  // The key's first GET, alone, lands at its owner and names it.
  const first = await askLine(balancer.port, `GET ${key}`);
  if (first.status !== 'OK') throw new Error(`the hot key's first GET: ${JSON.stringify(first)}`);
  const totals = (): Promise<number[]> => Promise.all(proxies.map(async (p) => ((await askLine(p.port, 'METRICS')).data as { total_requests: number }).total_requests));
  const before = await totals();
  const load = await runLoad({ host: '127.0.0.1', port: balancer.port, mode: 'pipeline', conns: HOT_CONNS, depth: HOT_DEPTH, durationMs: o.hotMs, warmupMs: 0, nextKey: () => key });
  const shares = sharesOf(before, await totals());
  const originFetches = (await originCounts(origin)).keys[key] ?? 0;
  const owner = proxies.findIndex((p) => p.port === first.node);
  o.log(`origin trouble, hot key: ${load.rps} req/s; shares ${shares.map((s) => (s * 100).toFixed(1) + '%').join(' ')}; origin fetches ${originFetches}`);
  return {
    settings: { conns: HOT_CONNS, depth: HOT_DEPTH, durationMs: o.hotMs, delayMs: o.delayMs },
    requests: load.requests,
    rps: load.rps,
    errors: load.errors,
    latency: { p50: load.latency.p50, p99: load.latency.p99, max: load.latency.max },
    shares: proxies.map((p, i) => ({ proxy: p.name, share: shares[i]!, owner: i === owner })),
    originFetches,
  };
}

async function timeout(o: TroubleOptions, scope: Scope): Promise<TimeoutResult> {
  const origin = await scope.origin(o.timeoutSlowMs);
  const proxy = await scope.proxy(origin, ['--origin-timeout', String(o.originTimeoutMs)]);
  const deadlineMs = 2 * o.originTimeoutMs + o.graceMs;
  const slow = summarizeAnswers(await timedGets({ port: proxy.port, keys: keysOf('slow/', o.timeoutMisses), conns: o.timeoutMisses, window: 1, deadlineMs }));
  o.log(`origin trouble, timeout: ${o.timeoutMisses} misses at a ${o.timeoutSlowMs} ms origin: p50 ${slow.latency?.p50.toFixed(0)} ms, max ${slow.latency?.max.toFixed(0)} ms`);
  const fastDelayMs = 0;
  await setDelay(origin, fastDelayMs);
  const fast = summarizeAnswers(await timedGets({ port: proxy.port, keys: keysOf('fast/', o.timeoutMisses), conns: o.timeoutMisses, window: 1, deadlineMs }));
  o.log(`origin trouble, timeout: origin fast again: p50 ${fast.latency?.p50.toFixed(0)} ms, max ${fast.latency?.max.toFixed(0)} ms`);
  return { settings: { misses: o.timeoutMisses, slowMs: o.timeoutSlowMs, originTimeoutMs: o.originTimeoutMs, fastDelayMs }, slow, fast };
}
