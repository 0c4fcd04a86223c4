// The side-by-side runner behind `npm run bench`: starts every subject, drives the same load at each
// in turn, mode by mode, and measures the half-load tail and a full proxy's memory.
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '../../lib/client/client.js';
import { isoTime, monotonicMs, realClock } from '../../lib/time/clock.js';
import { writeDocuments } from './dataset.js';
import { pause, type Fleet, type NodeToolOptions, type Started } from './fleet.js';
import { ensureHaproxy, startHaproxy, type Availability } from './haproxy.js';
import { runLoad, type LoadResult } from './load.js';
import { cpuTime, describeMachine, residentMemory, syscalls } from './machine.js';
import { busyShare, readProfile, topSelfTime } from './profile.js';
import { seededRandom } from './random.js';
import { evaluateTargets, medianCell, type CellResult, type Round, type Comparison, type HalfLoadResult, type MemoryResult } from './report.js';
import { MODES, SUBJECTS, startBalancer, startFloor, startOrigin, startProxies, type ModeName, type Subject } from './subjects.js';
import { fetchAll } from './warm.js';
import { uniformSampler } from './zipf.js';

export interface CompareOptions {
  durationMs: number;
  warmupMs: number;
  /**
   * Before a mode's first round, each subject runs that mode's load this long, unmeasured: the JIT
   * compiles for the new traffic and the heap grows to it, so rounds measure the steady state.
   */
  settleMs: number;
  subjects: readonly Subject[];
  modes: readonly ModeName[];
  /** Keys `bench/k1..bench/k<keyspace>`, each a small document. */
  keyspace: number;
  seed: number;
  /** Measurements per cell, subjects interleaved; the median by req/s is reported. */
  rounds: number;
  halfLoad: boolean;
  memory: boolean;
  /** bench/scripts/install-haproxy.sh, or undefined to never install. */
  installScript?: string;
  /** When set, every node process runs under `node --cpu-prof` and writes its profile here. */
  cpuProfDir?: string;
  /** The command line quoted in the report. */
  command: string;
  log: (line: string) => void;
}

const PREFIX = 'bench/k';
const DOC_BYTES = 512;
const PROXIES = 3;
/** The memory target: a proxy holding this much in values (distinct documents of VALUE_BYTES). */
const MEMORY_VALUES = 64 * 1024 * 1024;
const VALUE_BYTES = 16 * 1024;

export async function runComparison(options: CompareOptions, fleet: Fleet): Promise<Comparison> {
  const { log } = options;
  const want = new Set(options.subjects);
  const node = (name: string): NodeToolOptions =>
    options.cpuProfDir === undefined ? {} : { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir, '--cpu-prof-name', `${name}.cpuprofile`] };
  const startedAt = isoTime(realClock);
  const machine = await describeMachine();
  const loadAtStart = os.loadavg()[0]!;

  const dataDir = await fleet.tempDir('data');
  const keys = await writeDocuments(dataDir, PREFIX, options.keyspace, DOC_BYTES, options.seed);
  const memoryKeys = options.memory ? await writeDocuments(dataDir, 'mem/m', MEMORY_VALUES / VALUE_BYTES, VALUE_BYTES, options.seed) : [];
  log(`data: ${keys.length} documents of ${DOC_BYTES} bytes${options.memory ? ` + ${memoryKeys.length} of ${VALUE_BYTES}` : ''} in ${dataDir}`);

  /** The process each subject's load goes to. */
  const targets = new Map<Subject, Started>();
  // The processes each subject's front sends its requests on to, whose CPU the front's load also costs.
  const behind = new Map<Subject, readonly Started[]>();
  const unavailable = new Map<Subject, string>();
  const attempt = async (subjects: Subject[], start: () => Promise<void>): Promise<void> => {
    if (!subjects.some((s) => want.has(s))) return;
    try {
      await start();
    } catch (err) {
      // The first failure is the reason: a later "no proxies" only repeats it.
      for (const s of subjects) if (!unavailable.has(s)) unavailable.set(s, `failed to start: ${(err as Error).message.split('\n')[0]}`);
    }
  };

  let origin: Started | undefined;
  let proxies: Started[] = [];
  await attempt(['balancer', 'haproxy', 'proxy', 'proxy-metrics'], async () => {
    origin = await startOrigin(fleet, dataDir, node('origin'));
    proxies = await startProxies(fleet, origin.port, PROXIES, node);
    for (const proxy of proxies) {
      const counts = await fetchAll({ port: proxy.port, keys });
      if (counts.OK !== keys.length) throw new Error(`warming ${proxy.name}: ${JSON.stringify(counts)}`);
    }
    log(`ours: origin :${origin.port}, proxies ${proxies.map((p) => `:${p.port}`).join(' ')} (warm: ${keys.length} keys each)`);
    targets.set('proxy', proxies[0]!);
  });
  await attempt(['proxy-metrics'], async () => {
    if (origin === undefined) throw new Error('our origin is not running');
    const [proxy] = await startProxies(fleet, origin.port, 1, () => node('proxy-metrics'), ['--metrics-port', '0']);
    const counts = await fetchAll({ port: proxy!.port, keys });
    if (counts.OK !== keys.length) throw new Error(`warming proxy-metrics: ${JSON.stringify(counts)}`);
    targets.set('proxy-metrics', proxy!);
    log(`ours: proxy with --metrics-port :${proxy!.port} (warm)`);
  });
  await attempt(['balancer'], async () => {
    if (proxies.length === 0) throw new Error('our proxies are not running');
    const balancer = await startBalancer(fleet, proxies, node('balancer'));
    targets.set('balancer', balancer);
    behind.set('balancer', proxies);
    log(`ours: balancer :${balancer.port}`);
  });
  let haproxy: Availability | undefined;
  if (want.has('haproxy')) {
    haproxy = await ensureHaproxy(options.installScript, log);
    if (!haproxy.available) unavailable.set('haproxy', `not available: ${haproxy.reason}`);
    else {
      const binary = haproxy.path;
      await attempt(['haproxy'], async () => {
        if (proxies.length === 0) throw new Error('our proxies are not running');
        const started = await startHaproxy(fleet, binary, await fleet.tempDir('haproxy'), proxies.map((p) => ({ host: '127.0.0.1', port: p.port })));
        targets.set('haproxy', started);
        behind.set('haproxy', proxies);
        log(`haproxy ${haproxy?.available === true ? haproxy.version : ''}: :${started.port} (pid ${started.pid})`);
      });
    }
  }
  await attempt(['relay', 'line-server'], async () => {
    const floor = await startFloor(fleet, dataDir, PROXIES, node);
    targets.set('relay', floor.relay);
    behind.set('relay', floor.servers);
    targets.set('line-server', floor.servers[0]!);
    log(`floor: relay :${floor.relay.port}, line servers ${floor.servers.map((s) => `:${s.port}`).join(' ')}`);
  });

  // Rounds interleave the subjects, so a burst of noise on a shared machine hits one round of
  // each, and the median round stands for the cell.
  const cells: CellResult[] = [];
  // The subjects asked for that started, in table order, each with the process its load goes to.
  const fronts = SUBJECTS.flatMap((subject): [Subject, Started][] => {
    const front = targets.get(subject);
    return want.has(subject) && front !== undefined ? [[subject, front]] : [];
  });
  for (const mode of options.modes) {
    const runs = new Map<Subject, Round[]>();
    if (options.settleMs > 0) {
      for (const [subject, front] of fronts) {
        const settled = await loadAt(options, front, { ...MODES[mode], durationMs: options.settleMs, warmupMs: 0 });
        log(`${subject.padEnd(11)} ${MODES[mode].label.padEnd(14)} settling  ${String(settled.rps).padStart(7)} req/s  ok ${settled.ok}/${settled.requests}  (not measured)`);
      }
    }
    for (let round = 1; round <= options.rounds; round++) {
      for (const [subject, front] of fronts) {
        const run = await measure(options, front, behind.get(subject) ?? [], { ...MODES[mode] });
        runs.set(subject, [...(runs.get(subject) ?? []), run]);
        const { result } = run;
        log(
          `${subject.padEnd(11)} ${MODES[mode].label.padEnd(14)} round ${round}/${options.rounds} ${String(result.rps).padStart(7)} req/s  ` +
            `p50 ${result.latency.p50.toFixed(2)} ms  p99 ${result.latency.p99.toFixed(2)} ms  ok ${result.ok}/${result.requests}  load generator ${Math.round(run.cpu * 100)}% CPU` +
            (run.cpuPerRequest === undefined ? '' : `  ${subject} CPU/request: ${run.cpuPerRequest.userUs.toFixed(1)} + ${run.cpuPerRequest.systemUs.toFixed(1)} µs`) +
            (run.syscallsPerRequest === undefined ? '' : `  syscalls/request: ${run.syscallsPerRequest.reads.toFixed(2)} reads ${run.syscallsPerRequest.writes.toFixed(2)} writes`),
        );
      }
    }
    for (const subject of SUBJECTS) {
      if (!want.has(subject)) continue;
      const rounds = runs.get(subject);
      cells.push(rounds === undefined ? { subject, mode, unavailable: unavailable.get(subject) ?? 'not available' } : medianCell(subject, mode, rounds));
    }
  }

  let halfLoad: Comparison['halfLoad'];
  if (want.has('balancer') && options.halfLoad) {
    const peak = Math.max(0, ...cells.filter((c) => c.subject === 'balancer' && c.result !== undefined).map((c) => c.result!.rps));
    const balancer = targets.get('balancer');
    if (balancer === undefined || peak === 0) halfLoad = { skipped: 'the balancer has no peak figure in this run' };
    else {
      const rate = Math.round(peak / 2);
      // One long run rather than rounds: the tail needs many samples.
      const paced = { mode: 'persistent', conns: 16, depth: 1, rate, durationMs: options.durationMs * options.rounds } as const;
      const { result } = await measure(options, balancer, [], paced);
      log(`balancer at half peak: ${result.rps} req/s (asked ${rate}), p50 ${result.latency.p50.toFixed(2)} ms, p99 ${result.latency.p99.toFixed(2)} ms`);
      // The floor at the same rate: how much of that tail this machine adds whatever the design.
      const relay = targets.get('relay');
      const floor = relay === undefined ? undefined : (await measure(options, relay, [], paced)).result;
      if (floor !== undefined) log(`relay at the same rate: ${floor.rps} req/s, p50 ${floor.latency.p50.toFixed(2)} ms, p99 ${floor.latency.p99.toFixed(2)} ms`);
      halfLoad = { peak, rate, result, ...(floor === undefined ? {} : { floor }) } satisfies HalfLoadResult;
    }
  }

  let memory: Comparison['memory'];
  if (options.memory) {
    const originPort = origin?.port;
    memory =
      originPort === undefined
        ? { skipped: 'our origin is not running' }
        : await measureMemory(fleet, originPort, memoryKeys, node('proxy-memory'), log).catch((err: Error) => ({ skipped: err.message.split('\n')[0]! }));
  }

  const comparison: Comparison = {
    startedAt,
    machine,
    loadAverage: { start: loadAtStart, end: os.loadavg()[0]! },
    command: options.command,
    settings: {
      durationS: options.durationMs / 1000,
      warmupS: options.warmupMs / 1000,
      settleS: options.settleMs / 1000,
      keyspace: options.keyspace,
      seed: options.seed,
      rounds: options.rounds,
      subjects: [...options.subjects],
      modes: [...options.modes],
    },
    ...(haproxy === undefined ? {} : { haproxy }),
    cells,
    ...(halfLoad === undefined ? {} : { halfLoad }),
    ...(memory === undefined ? {} : { memory }),
    targets: [],
  };
  comparison.targets = evaluateTargets(comparison);
  if (options.cpuProfDir !== undefined) {
    // Profiles are written as each process exits.
    await fleet.stopAll();
    comparison.profiles = await profiles(options.cpuProfDir);
  }
  return comparison;
}

/**
 * One round: the same key stream (same seed) against `front`; also the generator's own CPU use,
 * the CPU time and system calls `front` spent per answer, and the CPU time of the processes behind it.
 */
async function measure(
  options: CompareOptions,
  front: Started,
  back: readonly Started[],
  shape: LoadShape,
): Promise<Round> {
  const cpuBefore = process.cpuUsage();
  const wallBefore = monotonicMs();
  // HAProxy uses send/recv, which /proc/<pid>/io does not count: no figure rather than a zero.
  const counted = front.name !== 'haproxy';
  const callsBefore = counted ? await syscalls(front.pid).catch(() => undefined) : undefined;
  const frontBefore = await cpuTime(front.pid).catch(() => undefined);
  const backBefore = await cpuOf(back);
  const result = await loadAt(options, front, shape);
  const used = process.cpuUsage(cpuBefore);
  const cpu = (used.user + used.system) / 1000 / (monotonicMs() - wallBefore);
  const frontAfter = await cpuTime(front.pid).catch(() => undefined);
  const backAfter = await cpuOf(back);
  const callsAfter = counted ? await syscalls(front.pid).catch(() => undefined) : undefined;
  if (result.answered === 0) return { result, cpu };
  const per = (n: number): number => Math.round((n / result.answered) * 100) / 100;
  const microsPer = (ms: number): number => Math.round(((ms * 1000) / result.answered) * 10) / 10;
  return {
    result,
    cpu,
    ...(frontBefore === undefined || frontAfter === undefined
      ? {}
      : {
          cpuPerRequest: {
            userUs: microsPer(frontAfter.userMs - frontBefore.userMs),
            systemUs: microsPer(frontAfter.systemMs - frontBefore.systemMs),
            ...(backBefore === undefined || backAfter === undefined ? {} : { behindUs: microsPer(backAfter - backBefore) }),
          },
        }),
    ...(callsBefore === undefined || callsAfter === undefined
      ? {}
      : { syscallsPerRequest: { reads: per(callsAfter.reads - callsBefore.reads), writes: per(callsAfter.writes - callsBefore.writes) } }),
  };
}

/** How a run loads a front; its duration and warmup default to the comparison's. */
type LoadShape = { mode: 'oneshot' | 'persistent' | 'pipeline'; conns: number; depth: number; rate?: number; durationMs?: number; warmupMs?: number };

/**
 * Runs the comparison's key stream at `front` in `shape`: a round, a settling run or the half-load
 * run. Every run asks for the same keys in the same order (same seed).
 */
function loadAt(options: CompareOptions, front: Started, shape: LoadShape): Promise<LoadResult> {
  const pick = uniformSampler(options.keyspace, seededRandom(options.seed));
  return runLoad({ host: '127.0.0.1', port: front.port, durationMs: options.durationMs, warmupMs: options.warmupMs, ...shape, nextKey: () => `${PREFIX}${pick() + 1}` });
}

/** User + system ms of all of `processes` together; undefined when there are none or one cannot be read. */
async function cpuOf(processes: readonly Started[]): Promise<number | undefined> {
  if (processes.length === 0) return undefined;
  try {
    const times = await Promise.all(processes.map((p) => cpuTime(p.pid)));
    return times.reduce((sum, t) => sum + t.userMs + t.systemMs, 0);
  } catch {
    return undefined;
  }
}

/** A fresh proxy filled with 64 MiB of distinct values, then its resident memory from /proc. */
async function measureMemory(fleet: Fleet, originPort: number, keys: readonly string[], node: NodeToolOptions, log: (line: string) => void): Promise<MemoryResult | { skipped: string }> {
  // Room for every value and key, so nothing is evicted and the cache holds all of them.
  const bound = String(MEMORY_VALUES + 4 * 1024 * 1024);
  const [proxy] = await startProxies(fleet, originPort, 1, () => node, ['--cache-max-bytes', bound]);
  try {
    const counts = await fetchAll({ port: proxy!.port, keys, conns: 4, window: 16, timeoutMs: 120_000 });
    if (counts.OK !== keys.length) return { skipped: `filling the proxy: ${JSON.stringify(counts)}` };
    await pause(1000);
    const resident = await residentMemory(proxy!.pid);
    const client = new Client({ port: proxy!.port });
    const metrics = (await client.metrics()).data as { bytes: number; entries: number; evictions: number };
    client.close();
    const reading: MemoryResult = {
      valuesMiB: Math.round(((keys.length * VALUE_BYTES) / 1024 / 1024) * 10) / 10,
      bytesHeld: metrics.bytes,
      entries: metrics.entries,
      evictions: metrics.evictions,
      ...resident,
    };
    log(`proxy holding ${reading.valuesMiB} MiB of values (${reading.entries} entries, ${reading.bytesHeld} bytes counted): RSS ${reading.rssMiB} MiB, peak ${reading.peakMiB} MiB`);
    return reading;
  } finally {
    await fleet.stop(proxy!);
  }
}

async function profiles(dir: string): Promise<Comparison['profiles']> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  return Promise.all(
    files.map(async (f) => {
      const profile = await readProfile(path.join(dir, f));
      return { process: f.replace(/\.cpuprofile$/, ''), busy: busyShare(profile), top: topSelfTime(profile, 12) };
    }),
  );
}
