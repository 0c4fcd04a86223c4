// The load generator behind bench/bin/bench: connections that send GET lines and time every answer.
import net from 'node:net';
import type { Histogram } from 'hdr-histogram-js';
import type { Subscription } from 'rxjs';
import { LineFramer } from '../../lib/protocol/framing.js';
import { statusOf } from '../../lib/protocol/response.js';
import { after, every, monotonicMs, realClock } from '../../lib/time/clock.js';
import { hitRatio, latencyHistogram, perSecond, recordMs, summarizeLatency, type LatencySummary } from './summary.js';

export type Mode = 'oneshot' | 'persistent' | 'pipeline';
export type { LatencySummary } from './summary.js';

export interface LoadOptions {
  host: string;
  port: number;
  /** oneshot: a new connection per request (the Python client); persistent: one in flight per
   * connection; pipeline: `depth` in flight per connection. */
  mode: Mode;
  depth: number;
  conns: number;
  durationMs: number;
  warmupMs: number;
  /**
   * Requests per second over all connections, sent open-loop on a fixed schedule whatever is
   * still in flight (persistent connections; `mode` and `depth` then do not apply). Latency is
   * timed from each request's write.
   */
  rate?: number;
  nextKey: () => string;
  /** Called about four times a second with the fraction done and the requests answered so far. */
  onProgress?: (fraction: number, answered: number) => void;
  /**
   * Called with every request's key and its answer line, warmup included, as it comes; with
   * `undefined` for a request its connection closed without answering. The soak checks each
   * answer against its key with it.
   */
  onAnswer?: (key: string, answer: string | undefined) => void;
}

export interface LoadResult {
  mode: Mode;
  conns: number;
  depth: number;
  /** The open-loop rate asked for, when there was one. */
  rate?: number;
  durationMs: number;
  /** Answers counted, warmup included (what a server-side counter over the whole run saw). */
  answered: number;
  requests: number;
  rps: number;
  ok: number;
  /** Answers by status other than OK, plus NO_ANSWER for requests the run ended without. */
  errors: Record<string, number>;
  hitRatio: number | null;
  /** Milliseconds. */
  latency: LatencySummary;
}

interface Tally {
  measuring: boolean;
  stopping: boolean;
  answered: number;
  ok: number;
  hits: number;
  misses: number;
  errors: Record<string, number>;
  histogram: Histogram;
}

/** How long a run waits, after its end, for answers still in flight. */
const DRAIN_MS = 5000;
/** Answers can be large (a proxy relays whole documents); a line past this is garbage. */
const MAX_ANSWER = 64 * 1024 * 1024;

/** Runs the load for warmup + duration, then waits (at most 5 s) for answers still in flight. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const tally: Tally = {
    measuring: false,
    stopping: false,
    answered: 0,
    ok: 0,
    hits: 0,
    misses: 0,
    errors: {},
    histogram: latencyHistogram(),
  };
  const total = options.warmupMs + options.durationMs;
  const started = monotonicMs();
  let measuredFrom = started;
  const warm = after(realClock, options.warmupMs, () => {
    tally.measuring = true;
    measuredFrom = monotonicMs();
  });
  const progress = options.onProgress;
  const ticker = progress === undefined ? undefined : every(realClock, 250, () => progress(Math.min(1, (monotonicMs() - started) / total), tally.answered));
  const stop = new Promise<void>((resolve) => after(realClock, total, () => resolve()));
  const workers =
    options.rate !== undefined
      ? [pacedLoad(options, options.rate, tally, stop)]
      : Array.from({ length: options.conns }, () => (options.mode === 'oneshot' ? oneshotWorker(options, tally) : persistentWorker(options, tally, stop)));
  await stop;
  tally.stopping = true;
  const measuredMs = monotonicMs() - measuredFrom;
  let drainTimer: Subscription | undefined;
  await Promise.race([Promise.all(workers), new Promise<void>((resolve) => (drainTimer = after(realClock, DRAIN_MS, () => resolve())))]);
  // A run that drained early leaves no timer behind to hold the process up.
  drainTimer?.unsubscribe();
  ticker?.unsubscribe();
  warm.unsubscribe();
  const h = tally.histogram;
  const result: LoadResult = {
    mode: options.rate !== undefined ? 'persistent' : options.mode,
    conns: options.conns,
    depth: options.mode === 'pipeline' && options.rate === undefined ? options.depth : 1,
    ...(options.rate !== undefined ? { rate: options.rate } : {}),
    durationMs: Math.round(measuredMs),
    answered: tally.answered,
    requests: h.totalCount,
    rps: perSecond(h.totalCount, measuredMs),
    ok: tally.ok,
    errors: tally.errors,
    hitRatio: hitRatio(tally.hits, tally.misses),
    latency: summarizeLatency(h),
  };
  h.destroy();
  return result;
}

function record(tally: Tally, sentAt: number, answer: string | undefined): void {
  tally.answered++;
  if (!tally.measuring) return;
  recordMs(tally.histogram, monotonicMs() - sentAt);
  const status = answer === undefined ? 'NO_ANSWER' : statusOf(answer) ?? 'GARBAGE';
  if (status === 'OK') {
    tally.ok++;
    if (answer!.includes('"cache_hit":true')) tally.hits++;
    else if (answer!.includes('"cache_hit":false')) tally.misses++;
  } else {
    tally.errors[status] = (tally.errors[status] ?? 0) + 1;
  }
}

async function oneshotWorker(options: LoadOptions, tally: Tally): Promise<void> {
  while (!tally.stopping) {
    const sentAt = monotonicMs();
    const key = options.nextKey();
    const answer = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
      const framer = new LineFramer(MAX_ANSWER);
      let done = false;
      const finish = (line: string | undefined): void => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve(line);
      };
      socket.once('connect', () => socket.write(`GET ${key}\n`));
      socket.on('data', (chunk: Buffer) => framer.push(chunk, (f) => finish('line' in f ? f.line.toString() : undefined)));
      socket.on('error', () => finish(undefined));
      socket.on('close', () => finish(undefined));
    });
    record(tally, sentAt, answer);
    options.onAnswer?.(key, answer);
  }
}

/**
 * One persistent connection whose text-form requests are answered in order, so their send
 * times (and keys) queue up first in, first out. `closed` resolves once it is gone, every
 * request recorded (those never answered as NO_ANSWER).
 */
class TimedConnection {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  private readonly sent: number[] = [];
  private readonly keys: string[] = [];
  private head = 0;
  private batch = '';

  constructor(options: LoadOptions, tally: Tally, onAnswer: (conn: TimedConnection) => void) {
    this.socket = net.connect({ host: options.host, port: options.port, noDelay: true });
    const framer = new LineFramer(MAX_ANSWER);
    const answered = (answer: string | undefined): void => {
      record(tally, this.sent[this.head]!, answer);
      options.onAnswer?.(this.keys[this.head]!, answer);
      this.head++;
    };
    this.socket.on('data', (chunk: Buffer) => {
      framer.push(chunk, (f) => answered('line' in f ? f.line.toString() : undefined));
      if (this.head > 4096) {
        this.sent.splice(0, this.head);
        this.keys.splice(0, this.head);
        this.head = 0;
      }
      onAnswer(this);
    });
    this.socket.on('error', () => this.socket.destroy());
    this.closed = new Promise((resolve) =>
      this.socket.on('close', () => {
        while (this.head < this.sent.length) answered(undefined);
        resolve();
      }),
    );
  }

  get inFlight(): number {
    return this.sent.length - this.head;
  }

  /** Queues a request; `flush` writes every queued one at once. */
  queue(key: string, at: number): void {
    this.sent.push(at);
    this.keys.push(key);
    this.batch += `GET ${key}\n`;
  }

  flush(): void {
    if (this.batch === '') return;
    this.socket.write(this.batch);
    this.batch = '';
  }

  /** Half-closes once nothing is in flight. */
  endWhenIdle(): void {
    if (this.inFlight === 0) this.socket.end();
  }
}

function persistentWorker(options: LoadOptions, tally: Tally, stop: Promise<void>): Promise<void> {
  const depth = options.mode === 'pipeline' ? options.depth : 1;
  const fill = (conn: TimedConnection): void => {
    const now = monotonicMs();
    while (!tally.stopping && conn.inFlight < depth) conn.queue(options.nextKey(), now);
    conn.flush();
    if (tally.stopping) conn.endWhenIdle();
  };
  const conn = new TimedConnection(options, tally, fill);
  conn.socket.once('connect', () => fill(conn));
  void stop.then(() => conn.endWhenIdle());
  return conn.closed;
}

/**
 * Open loop: a 1 ms pacer sends whatever the schedule says is due, round-robin over the
 * connections, whether or not earlier requests were answered, so a slow server meets the same
 * offered load as a fast one.
 */
function pacedLoad(options: LoadOptions, rate: number, tally: Tally, stop: Promise<void>): Promise<void> {
  const conns = Array.from({ length: options.conns }, () => new TimedConnection(options, tally, (c) => tally.stopping && c.endWhenIdle()));
  const started = monotonicMs();
  let issued = 0;
  const pacer = every(realClock, 1, () => {
    const now = monotonicMs();
    const due = Math.floor(((now - started) * rate) / 1000);
    for (; issued < due; issued++) conns[issued % conns.length]!.queue(options.nextKey(), now);
    for (const c of conns) c.flush();
  });
  void stop.then(() => {
    pacer.unsubscribe();
    for (const c of conns) c.endWhenIdle();
  });
  return Promise.all(conns.map((c) => c.closed)).then(() => undefined);
}
