// The HTTP-origin stage of `npm run bench` (issue 16): an HTTP JSON API taking 50 ms per answer behind
// one of our proxies (bin/proxy --origin-url) and, in the same run, behind nginx with proxy_cache and
// proxy_cache_lock; for many cold keys and for one cold key asked many times at once, how long until
// every request is answered and how many reached the origin.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import { binScript } from '../../lib/cluster/process.js';
import { isoTime, realClock } from '../../lib/time/clock.js';
import type { Fleet, Started } from './fleet.js';
import { keepAliveAgent, timedHttpGets } from './http-gets.js';
import { HTTP_CASES, HTTP_SUBJECTS, httpCell, httpTargets, type HttpCase, type HttpCell, type HttpOriginResult, type HttpRound, type HttpSubject } from './http-origin-report.js';
import { originCountsOf, resetOrigin } from './json-origin.js';
import { ensureNginx, startNginx } from './nginx.js';
import { LineConnections } from './line-conns.js';
import { askLine, type Timed } from './timed-gets.js';
import { allAnsweredMs, summarizeAnswers } from './trouble-figures.js';
import { statusesText } from './trouble-report.js';

const run = promisify(execFile);

export { HTTP_CASES, HTTP_SUBJECTS };

export interface HttpOriginOptions {
  subjects: readonly HttpSubject[];
  cases: readonly HttpCase[];
  /** Requests sent at once per round. */
  requests: number;
  /** Client connections per subject, one request at a time on each. */
  conns: number;
  /** The origin's ms per answer, and the max-age (s) it sends. */
  delayMs: number;
  maxAgeS: number;
  rounds: number;
  /**
   * Unmeasured runs of the same shape, on other keys, before each measured one: they open the
   * clients' connections and the subject's to the origin, and bring a JIT-compiled subject to
   * its steady state, so a round measures the cache and not the process's first requests.
   */
  warmRuns: number;
  /**
   * nginx's upstream `keepalive`: idle connections to the origin its worker keeps between
   * requests. Its docs advise a number small enough to leave the origin room for new
   * connections; our pool keeps every connection it opened (up to --origin-max-connections).
   */
  nginxKeepalive: number;
  /** Milliseconds after a round's start when its unanswered requests are given up (NO_ANSWER). */
  deadlineMs: number;
  /** bench/scripts/install-nginx.sh, run when nginx is missing; undefined never installs. */
  installScript?: string;
  /** The command line quoted in the report. */
  command: string;
  log: (line: string) => void;
}

export const HTTP_DEFAULTS = { requests: 1000, conns: 1000, delayMs: 50, maxAgeS: 60, rounds: 3, warmRuns: 5, nginxKeepalive: 64, deadlineMs: 30_000 };

const BASE = '/base/';
// One nginx worker beside one Node proxy process: one event loop each.
const NGINX_WORKERS = 1;

/** Undefined when `bin/proxy --help` lists `--origin-url`; otherwise why the dproxy side cannot run. */
export async function originUrlSupport(): Promise<string | undefined> {
  try {
    const { stdout } = await run(process.execPath, [binScript('proxy'), '--help'], { timeout: 30_000 });
    return stdout.includes('--origin-url') ? undefined : 'bin/proxy --help lists no --origin-url (no HTTP origin support in this build)';
  } catch (err) {
    return `bin/proxy --help failed: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** The keys of a run: `requests` distinct ones (`<prefix>cold-1`...), or one (`<prefix>hot`) `requests` times. */
export function keysFor(which: HttpCase, requests: number, prefix = ''): string[] {
  return Array.from({ length: requests }, (_, i) => (which === 'cold-keys' ? `${prefix}cold-${i + 1}` : `${prefix}hot`));
}

/**
 * Where nginx's folder goes: /dev/shm when this machine has it writable, so that its cache sits in
 * memory as ours does, else the system's temp folder.
 */
export async function memoryFolder(): Promise<string> {
  try {
    await access(SHM, constants.W_OK);
    return SHM;
  } catch {
    return os.tmpdir();
  }
}

const SHM = '/dev/shm';

/** The nginx binary found, and the folder its runs' folders go under. */
interface NginxPlace {
  binary: string;
  parent: string;
}

/**
 * Runs each case's rounds, subjects alternating within a round, every round on fresh processes.
 * A subject that cannot be had is a row saying why; one whose round fails stops there and says so.
 */
export async function runHttpOrigin(o: HttpOriginOptions, fleet: Fleet): Promise<HttpOriginResult> {
  const startedAt = isoTime(realClock);
  const settings = { requests: o.requests, conns: o.conns, delayMs: o.delayMs, maxAgeS: o.maxAgeS, rounds: o.rounds, warmRuns: o.warmRuns, deadlineMs: o.deadlineMs, nginxWorkers: NGINX_WORKERS, nginxKeepalive: o.nginxKeepalive };
  const unavailable = new Map<HttpSubject, string>();
  const subjects: HttpOriginResult['subjects'] = {};
  const nginx: NginxPlace = { binary: '', parent: await memoryFolder() };
  if (o.subjects.includes('dproxy')) {
    const why = await originUrlSupport();
    if (why !== undefined) unavailable.set('dproxy', `not available: ${why}`);
    subjects.dproxy = `one proxy, \`bin/proxy --origin-url http://127.0.0.1:<port>${BASE}\`, its defaults otherwise; clients speak the line protocol`;
  }
  if (o.subjects.includes('nginx')) {
    const found = await ensureNginx(o.installScript, o.log);
    if (found.available) nginx.binary = found.path;
    else unavailable.set('nginx', `not available: ${found.reason}`);
    subjects.nginx =
      `${found.available ? `nginx ${found.version}` : 'nginx'}, ${NGINX_WORKERS} worker, proxy_cache with proxy_cache_lock on, proxy_cache_valid 200 ${o.maxAgeS}s,` +
      ` keepalive ${o.nginxKeepalive} to the origin, its cache folder under ${nginx.parent}; clients speak HTTP/1.1 (node:http keep-alive agent)`;
  }

  const cells: HttpCell[] = [];
  for (const which of o.cases) {
    const rounds = new Map<HttpSubject, HttpRound[]>(o.subjects.map((s) => [s, []]));
    const failed = new Map<HttpSubject, string>();
    for (let round = 0; round < o.rounds; round++) {
      const order = round % 2 === 0 ? o.subjects : [...o.subjects].reverse();
      for (const subject of order) {
        if (unavailable.has(subject) || failed.has(subject)) continue;
        try {
          const r = await oneRound(subject, which, o, fleet, nginx);
          rounds.get(subject)!.push(r);
          o.log(`http origin, ${which}, ${subject}, round ${round + 1}: all answered after ${r.allAnsweredMs.toFixed(0)} ms, ${r.answers.ok}/${r.answers.requests} OK, origin requests ${r.originRequests}`);
        } catch (err) {
          o.log(`http origin, ${which}, ${subject}: ${(err as Error).message}`);
          failed.set(subject, `failed: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
    for (const subject of o.subjects) {
      const why = unavailable.get(subject) ?? failed.get(subject);
      cells.push(why === undefined ? httpCell(subject, which, rounds.get(subject)!) : { subject, case: which, unavailable: why });
    }
  }
  return { startedAt, command: o.command, settings, subjects, cells, targets: httpTargets(settings, cells) };
}

/**
 * One round of one subject: a fresh origin and subject, and the clients' connections. `warmRuns`
 * runs of the same shape, each on keys of its own, open those connections and warm the processes
 * (JIT, connections to the origin), unmeasured. Then every request at once over the connections already
 * open, on keys nothing has seen, and the origin's count of what reached it since.
 */
async function oneRound(subject: HttpSubject, which: HttpCase, o: HttpOriginOptions, fleet: Fleet, nginx: NginxPlace): Promise<HttpRound> {
  const started: Started[] = [];
  const closers: Array<() => void> = [];
  try {
    const origin = await fleet.node('json-origin', 'bench-json-origin', ['--port', '0', '--delay', String(o.delayMs), '--max-age', String(o.maxAgeS), '--base', BASE]);
    started.push(origin);
    const conns = Math.min(o.conns, o.requests);
    let ask: (keys: readonly string[]) => Promise<Timed[]>;
    let front: Started;
    if (subject === 'dproxy') {
      front = await fleet.node('proxy', 'proxy', ['--port', '0', '--origin-url', `http://127.0.0.1:${origin.port}${BASE}`]);
      started.push(front);
      const lines = await LineConnections.open(front.port, conns);
      closers.push(() => lines.close());
      ask = (keys) => lines.run(keys, o.deadlineMs);
    } else {
      front = await startNginx(fleet, nginx.binary, {
        origin: { host: '127.0.0.1', port: origin.port },
        base: BASE,
        dir: await fleet.tempDir('nginx', nginx.parent),
        validS: o.maxAgeS,
        workers: NGINX_WORKERS,
        keepalive: o.nginxKeepalive,
        // Its clients' connections and one to the origin per cold key in flight, with room to spare.
        workerConnections: o.conns + o.requests + 256,
        ...(process.getuid?.() === 0 ? { user: os.userInfo().username } : {}),
      });
      started.push(front);
      const agent = keepAliveAgent(conns);
      closers.push(() => agent.destroy());
      ask = (keys) => timedHttpGets({ port: front.port, requests: keys.map((key) => ({ key, path: BASE + encodeURIComponent(key) })), agent, deadlineMs: o.deadlineMs });
    }
    for (let run = 1; run <= o.warmRuns; run++) {
      const warm = summarizeAnswers(await ask(keysFor(which, o.requests, `warm${run}-`)));
      if (warm.ok !== warm.requests) throw new Error(`warm-up run ${run}: ${statusesText(warm)}`);
    }
    await resetOrigin(origin.port);
    const before = subject === 'dproxy' ? await originFetchesOf(front) : undefined;
    const results = await ask(keysFor(which, o.requests));
    const counts = await originCountsOf(origin.port);
    const after = subject === 'dproxy' ? await originFetchesOf(front) : undefined;
    return {
      allAnsweredMs: allAnsweredMs(results),
      answers: summarizeAnswers(results),
      originRequests: counts.gets,
      origin: { gets: counts.gets, maxInFlight: counts.maxInFlight, maxBusyConnections: counts.maxBusyConnections, maxConnections: counts.maxConnections },
      ...(before === undefined || after === undefined ? {} : { subjectFetches: after - before }),
    };
  } finally {
    for (const close of closers) close();
    await Promise.all(started.reverse().map((s) => fleet.stop(s)));
  }
}

/** The proxy's METRICS `origin_fetches`, or undefined when it reports none. */
async function originFetchesOf(proxy: Started): Promise<number | undefined> {
  const fetches = ((await askLine(proxy.port, 'METRICS')).data as Record<string, unknown> | undefined)?.origin_fetches;
  return typeof fetches === 'number' ? fetches : undefined;
}
