// A fixed list of GETs sent over persistent connections, each request's send and answer times kept:
// the origin-trouble scenarios read when each request was answered, and with what.
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Subscription } from 'rxjs';
import { LineFramer } from '../../lib/protocol/framing.js';
import { statusOf } from '../../lib/protocol/response.js';
import { after, every, monotonicMs, realClock } from '../../lib/time/clock.js';

export interface TimedGetsOptions {
  host?: string;
  port: number;
  /** Asked in this order; key i goes on connection i mod `conns`. */
  keys: readonly string[];
  conns: number;
  /** Requests in flight per connection at most (closed loop); Infinity sends each connection's share at once. */
  window: number;
  /**
   * Open loop instead: request i is sent i * 1000 / rate ms after the start, whatever is still in
   * flight (`window` then does not apply), so a stalled server meets the same offered load.
   */
  rate?: number;
  /** Milliseconds after the start when unanswered requests are given up (NO_ANSWER) and every connection closed. */
  deadlineMs: number;
}

/** One request: times in ms since the start of the run. */
export interface Timed {
  key: string;
  /** undefined: never sent (the run ended first). */
  sentMs?: number;
  answeredMs?: number;
  /** The answer's status; NO_ANSWER when none came (connection closed, or the deadline passed); GARBAGE for a line without one. */
  status: string;
  /** The answer's `cache_hit`, when it had one. */
  cacheHit?: boolean;
}

/** Answers can be whole documents; a line past this is garbage. */
const MAX_ANSWER = 64 * 1024 * 1024;

/** Resolves once every request is answered, or at the deadline; never rejects. */
export function timedGets(options: TimedGetsOptions): Promise<Timed[]> {
  const results: Timed[] = options.keys.map((key) => ({ key, status: 'NO_ANSWER' }));
  const started = monotonicMs();
  const since = (): number => monotonicMs() - started;
  const conns = Math.max(1, Math.min(options.conns, options.keys.length));
  const shares = Array.from({ length: conns }, () => [] as number[]);
  results.forEach((_r, i) => shares[i % conns]!.push(i));
  let left = results.length;
  const timers: Subscription[] = [];
  const sockets: net.Socket[] = [];

  return new Promise<Timed[]>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      for (const timer of timers) timer.unsubscribe();
      for (const socket of sockets) socket.destroy();
      resolve(results);
    };
    if (left === 0) return finish();
    timers.push(after(realClock, options.deadlineMs, finish));

    const senders = shares.map((share) => {
      const socket = net.connect({ host: options.host ?? '127.0.0.1', port: options.port, noDelay: true });
      sockets.push(socket);
      const framer = new LineFramer(MAX_ANSWER);
      // Answers come in request order on a connection without ids.
      const inFlight: number[] = [];
      let next = 0;
      let connected = false;
      const send = (upTo: number): void => {
        if (!connected) return;
        let batch = '';
        for (; next < upTo && (options.rate !== undefined || inFlight.length < options.window); next++) {
          const i = share[next]!;
          results[i]!.sentMs = since();
          inFlight.push(i);
          batch += `GET ${results[i]!.key}\n`;
        }
        if (batch !== '') socket.write(batch);
      };
      let released = options.rate === undefined ? share.length : 0;
      socket.once('connect', () => {
        connected = true;
        send(released);
      });
      socket.on('data', (chunk: Buffer) => {
        framer.push(chunk, (frame) => {
          const i = inFlight.shift();
          if (i === undefined) return;
          const r = results[i]!;
          r.answeredMs = since();
          const line = 'line' in frame ? frame.line.toString() : '';
          r.status = statusOf(line) ?? 'GARBAGE';
          if (line.includes('"cache_hit":true')) r.cacheHit = true;
          else if (line.includes('"cache_hit":false')) r.cacheHit = false;
          if (--left === 0) finish();
        });
        send(released);
      });
      socket.on('error', () => socket.destroy());
      // What this connection had not had answered never will be: the run need not wait for it.
      socket.on('close', () => {
        left -= inFlight.length + share.length - next;
        inFlight.length = 0;
        next = share.length;
        if (left === 0) finish();
      });
      return {
        share,
        release(upTo: number): void {
          released = upTo;
          send(released);
        },
      };
    });

    const rate = options.rate;
    if (rate !== undefined) {
      let issued = 0;
      timers.push(
        every(realClock, 1, () => {
          const due = Math.min(results.length, Math.floor((since() * rate) / 1000) + 1);
          if (due <= issued) return;
          issued = due;
          // Request i of the whole list is the (i div conns)-th of connection i mod conns.
          senders.forEach((sender, c) => sender.release(Math.floor((issued - c + conns - 1) / conns)));
        }),
      );
    }
  });
}

/**
 * `timedGets` on a worker thread of its own, so that what this process does meanwhile (sending a
 * load, reading a burst of its answers, collecting garbage) does not delay its sends or answers: a
 * latency probe that shares an event loop with the load generator measures the generator too
 * (Gil Tene on coordinated omission; wrk2 keeps its latency timing apart the same way). Rejects
 * only if the worker fails.
 */
export function timedGetsApart(options: TimedGetsOptions): Promise<Timed[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./timed-gets-worker.js', import.meta.url), { workerData: options });
    worker.once('message', (results: Timed[]) => resolve(results));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the timed GETs' worker exited with ${code} before its results`)));
  });
}

/** Sends one line on a fresh connection and resolves with its answer parsed; rejects on close, garbage or after `timeoutMs`. */
export function askLine(port: number, line: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    const framer = new LineFramer(MAX_ANSWER);
    const timer = after(realClock, timeoutMs, () => fail(new Error(`no answer to ${line} from :${port} in ${timeoutMs} ms`)));
    const fail = (err: Error): void => {
      timer.unsubscribe();
      socket.destroy();
      reject(err);
    };
    socket.once('connect', () => socket.write(`${line}\n`));
    socket.on('data', (chunk: Buffer) =>
      framer.push(chunk, (frame) => {
        timer.unsubscribe();
        socket.destroy();
        try {
          resolve(JSON.parse('line' in frame ? frame.line.toString() : '') as Record<string, unknown>);
        } catch {
          reject(new Error(`garbage from :${port} to ${line}`));
        }
      }),
    );
    socket.on('error', (err) => fail(err));
    socket.on('close', () => fail(new Error(`:${port} closed without answering ${line}`)));
  });
}
