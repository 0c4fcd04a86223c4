// The soak behind bench/bin/bench-soak: an origin, 3 proxies and a balancer under steady mixed load
// (GETs of hot and cold keys, METRICS) while proxies are SIGKILLed and restarted at random. Every
// answer is checked against its key, and each node's RSS is sampled throughout.
import type { Subscription } from 'rxjs';
import { Client } from '../../lib/client/client.js';
import { NODE_FLAGS } from '../../lib/cluster/process.js';
import { statusOf } from '../../lib/protocol/response.js';
import { every, monotonicMs, realClock } from '../../lib/time/clock.js';
import { writeDocuments } from './dataset.js';
import { Fleet, pause, type Started } from './fleet.js';
import { runLoad } from './load.js';
import { residentMemory } from './machine.js';
import { seededRandom } from './random.js';
import { rssGrowth, rssPath, type RssGrowth, type RssSample } from './resident.js';

export interface SoakOptions {
  /** Milliseconds of load, warm-up included. */
  durationMs: number;
  /** Milliseconds after which RSS counts as warmed up: growth is measured from there. */
  warmupMs: number;
  /** GETs a second, open loop, over `conns` persistent connections to the balancer. */
  rate: number;
  conns: number;
  /** Keys `doc/1`..`doc/<keys>`; the first `hotKeys` of them take `hotShare` (0..1) of the GETs. */
  keys: number;
  hotKeys: number;
  hotShare: number;
  /** Milliseconds between METRICS requests to the balancer. */
  metricsEveryMs: number;
  /** Mean milliseconds between proxy kills (each wait drawn from 0.5x to 1.5x). */
  killEveryMs: number;
  /** The proxies' --ttl, in seconds: how often each key goes back to the origin. */
  ttl: number;
  seed: number;
  /** Progress lines, about every 10 s. */
  log: (line: string) => void;
}

/** One node's memory over the run. Proxies restarted by the soak are reported, not held to the bound. */
export interface NodeMemory {
  name: string;
  /** Processes this node has been: 1 when it was never killed. */
  incarnations: number;
  /** True when its growth is held to the bound: it lived through the whole run. */
  gated: boolean;
  /** Over its last incarnation; undefined when that was too short for both windows. */
  rss?: RssGrowth;
  /** MiB at 10 evenly spaced times from the end of warm-up to the end (gated nodes only). */
  path?: (number | undefined)[];
}

export interface SoakReport {
  options: Omit<SoakOptions, 'log'>;
  /** Milliseconds of load actually run, and the width of each RSS window. */
  ranMs: number;
  windowMs: number;
  gets: { requests: number; answered: number; unanswered: number; wrongKey: number; statuses: Record<string, number> };
  metrics: { requests: number; answered: number; statuses: Record<string, number> };
  kills: number;
  restarts: number;
  memory: NodeMemory[];
  /** Examples of answers that carried another key's data, at most 10. */
  wrongExamples: string[];
  /** Why the soak failed; empty when it passed. */
  failures: string[];
}

/** RSS growth after warm-up that fails the soak, in percent. */
export const MAX_RSS_GROWTH_PERCENT = 10;
const SAMPLE_EVERY_MS = 1000;

/**
 * Node flags the soak adds to every node: the young generation starts at the size NODE_FLAGS caps
 * it at. Under sustained load V8 grows it there anyway, but only over minutes (each semi-space
 * from 1 MiB to the cap, a step in RSS each time), and a 10-minute soak then reads that sizing as
 * growth: measured without this flag, RSS rose 10-17% between minute 1 and minute 10 while the
 * live heap after each full collection stayed flat (origin 6.4-6.6 MB, proxy 7.1-7.5 MB, balancer
 * 8.2-8.4 MB, from --trace-gc). A leak grows the old generation, which this leaves alone.
 */
export const SOAK_NODE_ARGS: readonly string[] = NODE_FLAGS.filter((f) => f.startsWith('--max-semi-space-size=')).map((f) => f.replace('--max-', '--min-'));
const DOCUMENT_BYTES = 300;

interface Incarnation {
  started: Started;
  samples: RssSample[];
}

/** Runs the soak on processes `fleet` starts; the caller stops the fleet. */
export async function runSoak(options: SoakOptions, fleet: Fleet): Promise<SoakReport> {
  const dir = await fleet.tempDir('soak');
  await writeDocuments(dir, 'doc/', options.keys, DOCUMENT_BYTES, options.seed);
  // Times of the run count from the start of the load, once every node is up.
  let t0 = monotonicMs();
  const now = (): number => monotonicMs() - t0;
  const lives = new Map<string, Incarnation[]>();
  const start = async (name: string, tool: string, args: readonly string[]): Promise<Started> => {
    const started = await fleet.node(name, tool, args, { nodeArgs: SOAK_NODE_ARGS });
    lives.set(name, [...(lives.get(name) ?? []), { started, samples: [] }]);
    return started;
  };

  const origin = await start('origin', 'origin', ['--port', '0', '--data-dir', dir]);
  const proxyArgs = ['--origin-port', String(origin.port), '--ttl', String(options.ttl)];
  const proxies: Started[] = [];
  for (let i = 1; i <= 3; i++) proxies.push(await start(`proxy-${i}`, 'proxy', ['--port', '0', ...proxyArgs]));
  const lb = await start('balancer', 'load-balancer', [
    '--port', '0', '--health-interval', '200', '--fall', '2', '--rise', '2', '--slow-start', '2', '--eject-time', '2',
    '--proxies', ...proxies.map((p) => `127.0.0.1:${p.port}`),
  ]);

  t0 = monotonicMs();
  const sampler = every(realClock, SAMPLE_EVERY_MS, () => {
    const at = now();
    for (const life of lives.values()) {
      const current = life[life.length - 1]!;
      residentMemory(current.started.pid).then(
        (m) => void current.samples.push({ atMs: at, rssMiB: m.rssMiB }),
        // Killed between the tick and the read: it has no RSS to report.
        () => undefined,
      );
    }
  });

  let stopping = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const nap = (ms: number): Promise<void> => Promise.race([pause(ms), stopped]);

  // proxy-1 is never killed: it keeps every key servable, and lives through the run to be measured.
  let kills = 0;
  let restarts = 0;
  const chaosRandom = seededRandom(options.seed + 1);
  const chaos = (async () => {
    for (;;) {
      await nap(options.killEveryMs * (0.5 + chaosRandom()));
      if (stopping) return;
      const i = 1 + Math.floor(chaosRandom() * 2);
      const victim = proxies[i]!;
      victim.child.kill('SIGKILL');
      await victim.exited;
      await fleet.stop(victim);
      kills++;
      options.log(`  ${Math.round(now() / 1000)} s: SIGKILL ${victim.name} (pid ${victim.pid})`);
      await nap(1000 + chaosRandom() * 2000);
      proxies[i] = await start(victim.name, 'proxy', ['--port', String(victim.port), ...proxyArgs]);
      restarts++;
    }
  })();

  const metricsClient = new Client({ port: lb.port, timeout: 10_000 });
  const metrics = { requests: 0, answered: 0, statuses: {} as Record<string, number> };
  const metricsInFlight = new Set<Promise<void>>();
  const poller: Subscription = every(realClock, options.metricsEveryMs, () => {
    metrics.requests++;
    const asked: Promise<void> = metricsClient.metrics().then((answer) => {
      // The client library turns a lost or late answer into CLIENT_CONNECTION_ERROR.
      if (answer.status !== 'CLIENT_CONNECTION_ERROR') metrics.answered++;
      metrics.statuses[answer.status] = (metrics.statuses[answer.status] ?? 0) + 1;
      metricsInFlight.delete(asked);
    });
    metricsInFlight.add(asked);
  });

  const keyRandom = seededRandom(options.seed);
  const gets = { requests: 0, answered: 0, unanswered: 0, wrongKey: 0, statuses: {} as Record<string, number> };
  const wrongExamples: string[] = [];
  const nextKey = (): string => {
    gets.requests++;
    const hot = keyRandom() < options.hotShare;
    const n = hot ? 1 + Math.floor(keyRandom() * options.hotKeys) : 1 + options.hotKeys + Math.floor(keyRandom() * (options.keys - options.hotKeys));
    return `doc/${n}`;
  };
  const onAnswer = (key: string, answer: string | undefined): void => {
    const status = answer === undefined ? 'NO_ANSWER' : statusOf(answer) ?? 'GARBAGE';
    gets.statuses[status] = (gets.statuses[status] ?? 0) + 1;
    if (answer === undefined) return;
    gets.answered++;
    if (!carriesOwnData(key, answer)) {
      gets.wrongKey++;
      if (wrongExamples.length < 10) wrongExamples.push(`${key}: ${answer.slice(0, 200)}`);
    }
  };

  let lastLog = 0;
  await runLoad({
    host: '127.0.0.1',
    port: lb.port,
    mode: 'persistent',
    depth: 1,
    conns: options.conns,
    durationMs: options.durationMs,
    warmupMs: 0,
    rate: options.rate,
    nextKey,
    onAnswer,
    onProgress: () => {
      if (now() - lastLog < 10_000) return;
      lastLog = now();
      options.log(`  ${Math.round(lastLog / 1000)} s: ${gets.requests} GETs sent, ${gets.answered} answered, ${kills} proxy kills`);
    },
  });
  const ranMs = now();
  stopping = true;
  wake();
  poller.unsubscribe();
  await chaos;
  await Promise.all(metricsInFlight);
  metricsClient.close();
  sampler.unsubscribe();
  gets.unanswered = gets.requests - gets.answered;

  const windowMs = Math.max(3000, Math.round((ranMs - options.warmupMs) / 10));
  const memory: NodeMemory[] = [...lives].map(([name, life]) => {
    const last = life[life.length - 1]!;
    const gated = life.length === 1;
    const from = gated ? options.warmupMs : last.samples[0]?.atMs ?? ranMs;
    const rss = rssGrowth(last.samples, from, ranMs, windowMs);
    return {
      name,
      incarnations: life.length,
      gated,
      ...(rss === undefined ? {} : { rss }),
      ...(gated ? { path: rssPath(last.samples, from, ranMs, 10) } : {}),
    };
  });

  const failures: string[] = [];
  if (gets.unanswered > 0) failures.push(`${gets.unanswered} GETs unanswered`);
  if (metrics.requests !== metrics.answered) failures.push(`${metrics.requests - metrics.answered} METRICS requests unanswered`);
  if (gets.wrongKey > 0) failures.push(`${gets.wrongKey} answers carried another key's data`);
  for (const m of memory.filter((n) => n.gated)) {
    if (m.rss === undefined) failures.push(`${m.name}: too few RSS samples to measure growth`);
    else if (m.rss.growthPercent >= MAX_RSS_GROWTH_PERCENT) failures.push(`${m.name}: RSS grew ${m.rss.growthPercent}% after warm-up (bound ${MAX_RSS_GROWTH_PERCENT}%)`);
  }
  const { log: _log, ...shown } = options;
  return { options: shown, ranMs, windowMs, gets, metrics, kills, restarts, memory, wrongExamples, failures };
}

/**
 * True when an answer to `doc/<n>` carries no document but its own: an OK answer must hold
 * `data.id` = n (bench/lib/dataset.ts writes each document with its number), and any other
 * answer may hold no document at all.
 */
export function carriesOwnData(key: string, answer: string): boolean {
  let parsed: { status?: unknown; data?: unknown };
  try {
    parsed = JSON.parse(answer) as { status?: unknown; data?: unknown };
  } catch {
    // Not JSON: counted as garbage by status, and it carries no document.
    return true;
  }
  const id = typeof parsed.data === 'object' && parsed.data !== null ? (parsed.data as { id?: unknown }).id : undefined;
  if (parsed.status === 'OK') return id === Number(key.slice(key.lastIndexOf('/') + 1));
  return id === undefined;
}

/** The report as the command prints it. */
export function formatSoak(r: SoakReport): string {
  const o = r.options;
  const counts = (c: Record<string, number>): string => Object.entries(c).map(([s, n]) => `${s}=${n}`).join(' ') || 'none';
  const lines = [
    `soak: ${Math.round(r.ranMs / 1000)} s of load (warm-up ${o.warmupMs / 1000} s), ${o.rate} GET/s over ${o.conns} connections, ` +
      `${Math.round(o.hotShare * 100)}% of GETs on ${o.hotKeys} hot keys of ${o.keys}, METRICS every ${o.metricsEveryMs} ms, ` +
      `proxies with --ttl ${o.ttl}, one SIGKILLed about every ${o.killEveryMs / 1000} s (seed ${o.seed}); nodes started with ${SOAK_NODE_ARGS.join(' ')}`,
    `GET      requests ${r.gets.requests}, answered ${r.gets.answered}, unanswered ${r.gets.unanswered}, with another key's data ${r.gets.wrongKey}`,
    `GET      answers by status: ${counts(r.gets.statuses)}`,
    `METRICS  requests ${r.metrics.requests}, answered ${r.metrics.answered}; by status: ${counts(r.metrics.statuses)}`,
    `proxies  ${r.kills} SIGKILLed, ${r.restarts} restarted`,
    `RSS (MiB): median of the first ${Math.round(r.windowMs / 1000)} s after warm-up -> median of the last ${Math.round(r.windowMs / 1000)} s`,
    ...r.memory.map((m) => {
      const rss = m.rss === undefined ? 'too short to measure' : `${m.rss.startMiB.toFixed(1)} -> ${m.rss.endMiB.toFixed(1)}  ${m.rss.growthPercent >= 0 ? '+' : ''}${m.rss.growthPercent}%`;
      return `  ${m.name.padEnd(9)} ${rss}${m.gated ? '' : `  (killed ${m.incarnations - 1}x; its last process, from its start; not held to the bound)`}`;
    }),
    `RSS (MiB) at 10 even steps from the end of warm-up to the end:`,
    ...r.memory.filter((m) => m.path !== undefined).map((m) => `  ${m.name.padEnd(9)} ${m.path!.map((v) => (v === undefined ? '-' : v.toFixed(1))).join(' ')}`),
    ...r.wrongExamples.map((e) => `  wrong: ${e}`),
    r.failures.length === 0 ? 'result: PASS' : `result: FAIL: ${r.failures.join('; ')}`,
  ];
  return lines.join('\n') + '\n';
}
