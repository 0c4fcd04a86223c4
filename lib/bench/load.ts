// The load generator behind bin/bench: connections that send GET lines and time every answer.
import net from 'node:net';
import * as hdr from 'hdr-histogram-js';
import { LineFramer } from '../protocol/framing.js';
import { statusOf } from '../protocol/response.js';
import { after, monotonicMs, realClock } from '../time/clock.js';

export type Mode = 'oneshot' | 'persistent' | 'pipeline';

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
  nextKey: () => string;
  /** Called about four times a second with the fraction done and the requests answered so far. */
  onProgress?: (fraction: number, answered: number) => void;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadResult {
  mode: Mode;
  conns: number;
  depth: number;
  durationMs: number;
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
  histogram: hdr.Histogram;
}

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
    histogram: hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 }),
  };
  const total = options.warmupMs + options.durationMs;
  const started = monotonicMs();
  let measuredFrom = started;
  const warm = after(realClock, options.warmupMs, () => {
    tally.measuring = true;
    measuredFrom = monotonicMs();
  });
  const progress = options.onProgress;
  let ticking = true;
  const tick = (): void => {
    if (!ticking) return;
    progress?.(Math.min(1, (monotonicMs() - started) / total), tally.answered);
    after(realClock, 250, tick);
  };
  if (progress !== undefined) tick();
  const stop = new Promise<void>((resolve) => after(realClock, total, () => resolve()));
  const workers = Array.from({ length: options.conns }, () => worker(options, tally, stop));
  await stop;
  tally.stopping = true;
  const measuredMs = monotonicMs() - measuredFrom;
  await Promise.race([Promise.all(workers), new Promise<void>((resolve) => after(realClock, 5000, () => resolve()))]);
  ticking = false;
  warm.unsubscribe();
  const h = tally.histogram;
  const ms = (micros: number): number => micros / 1000;
  const requests = h.totalCount;
  const result: LoadResult = {
    mode: options.mode,
    conns: options.conns,
    depth: options.mode === 'pipeline' ? options.depth : 1,
    durationMs: Math.round(measuredMs),
    requests,
    rps: Math.round((requests / measuredMs) * 1000),
    ok: tally.ok,
    errors: tally.errors,
    hitRatio: tally.hits + tally.misses === 0 ? null : tally.hits / (tally.hits + tally.misses),
    latency: {
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      p999: ms(h.getValueAtPercentile(99.9)),
      max: ms(h.maxValue),
    },
  };
  h.destroy();
  return result;
}

function record(tally: Tally, sentAt: number, answer: string | undefined): void {
  tally.answered++;
  if (!tally.measuring) return;
  tally.histogram.recordValue(Math.max(1, Math.round((monotonicMs() - sentAt) * 1000)));
  const status = answer === undefined ? 'NO_ANSWER' : statusOf(answer) ?? 'GARBAGE';
  if (status === 'OK') {
    tally.ok++;
    if (answer!.includes('"cache_hit":true')) tally.hits++;
    else if (answer!.includes('"cache_hit":false')) tally.misses++;
  } else {
    tally.errors[status] = (tally.errors[status] ?? 0) + 1;
  }
}

function worker(options: LoadOptions, tally: Tally, stop: Promise<void>): Promise<void> {
  return options.mode === 'oneshot' ? oneshotWorker(options, tally) : persistentWorker(options, tally, stop);
}

async function oneshotWorker(options: LoadOptions, tally: Tally): Promise<void> {
  while (!tally.stopping) {
    const sentAt = monotonicMs();
    const answer = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
      const framer = new LineFramer(64 * 1024 * 1024);
      let done = false;
      const finish = (line: string | undefined): void => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve(line);
      };
      socket.once('connect', () => socket.write(`GET ${options.nextKey()}\n`));
      socket.on('data', (chunk: Buffer) => framer.push(chunk, (f) => finish('line' in f ? f.line.toString() : undefined)));
      socket.on('error', () => finish(undefined));
      socket.on('close', () => finish(undefined));
    });
    record(tally, sentAt, answer);
  }
}

function persistentWorker(options: LoadOptions, tally: Tally, stop: Promise<void>): Promise<void> {
  const depth = options.mode === 'pipeline' ? options.depth : 1;
  return new Promise<void>((resolve) => {
    const socket = net.connect({ host: options.host, port: options.port, noDelay: true });
    const framer = new LineFramer(64 * 1024 * 1024);
    // Text-form requests are answered in order, so send times queue up FIFO.
    const sent: number[] = [];
    let head = 0;
    const fill = (): void => {
      let batch = '';
      while (!tally.stopping && sent.length - head < depth) {
        sent.push(monotonicMs());
        batch += `GET ${options.nextKey()}\n`;
      }
      if (batch !== '') socket.write(batch);
      if (tally.stopping && sent.length === head) socket.end();
    };
    socket.once('connect', fill);
    socket.on('data', (chunk: Buffer) => {
      framer.push(chunk, (f) => record(tally, sent[head++]!, 'line' in f ? f.line.toString() : undefined));
      if (head > 4096) {
        sent.splice(0, head);
        head = 0;
      }
      fill();
    });
    const finish = (): void => {
      while (head < sent.length) record(tally, sent[head++]!, undefined);
      resolve();
    };
    socket.on('error', () => socket.destroy());
    socket.on('close', finish);
    void stop.then(() => {
      if (sent.length === head) socket.end();
    });
  });
}
