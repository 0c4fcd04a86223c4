// Line-protocol connections opened before a measurement and kept across runs, one GET at a time on
// each: the line-protocol side of the HTTP-origin stage, shaped like an HTTP/1.1 keep-alive agent.
import net from 'node:net';
import { LineFramer } from '../../lib/protocol/framing.js';
import { statusOf } from '../../lib/protocol/response.js';
import { after, monotonicMs, realClock } from '../../lib/time/clock.js';
import type { Timed } from './timed-gets.js';

/** Answers can be whole documents; a line past this is garbage. */
const MAX_ANSWER = 64 * 1024 * 1024;

interface Conn {
  socket: net.Socket;
  framer: LineFramer;
  /** The run's handlers, while a run uses this connection. */
  onLine?: (line: string) => void;
  onClose?: () => void;
}

/**
 * A fixed set of open line-protocol connections (`open`), run after run (`run`), until `close`:
 * the same connections carry a warm-up and the measurement after it.
 */
export class LineConnections {
  private constructor(private readonly conns: Conn[]) {}

  /**
   * Opens `count` connections to `port` and resolves once every one is connected; rejects (every
   * one closed) when one fails or `timeoutMs` passes first.
   */
  static async open(port: number, count: number, host = '127.0.0.1', timeoutMs = 30_000): Promise<LineConnections> {
    const conns: Conn[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const giveUp = after(realClock, timeoutMs, () => reject(new Error(`${count} connections to :${port} not open after ${timeoutMs} ms`)));
        let left = count;
        for (let i = 0; i < count; i++) {
          const socket = net.connect({ host, port, noDelay: true });
          const conn: Conn = { socket, framer: new LineFramer(MAX_ANSWER) };
          conns.push(conn);
          socket.on('data', (chunk: Buffer) => conn.framer.push(chunk, (frame) => conn.onLine?.('line' in frame ? frame.line.toString() : '')));
          socket.on('error', (err) => {
            giveUp.unsubscribe();
            reject(err);
            socket.destroy();
          });
          socket.on('close', () => conn.onClose?.());
          socket.once('connect', () => {
            if (--left > 0) return;
            giveUp.unsubscribe();
            resolve();
          });
        }
      });
    } catch (err) {
      for (const { socket } of conns) socket.destroy();
      throw err;
    }
    return new LineConnections(conns);
  }

  get size(): number {
    return this.conns.length;
  }

  /**
   * Asks `keys`, key i on connection i mod size, each connection sending its next GET once the
   * last is answered. Resolves once every one is answered, or at `deadlineMs` after the start;
   * never rejects. A GET whose connection closed, or still unanswered at the deadline, is
   * NO_ANSWER; after a deadline the connections are closed, since answers may still be due on them.
   */
  run(keys: readonly string[], deadlineMs: number): Promise<Timed[]> {
    const results: Timed[] = keys.map((key) => ({ key, status: 'NO_ANSWER' }));
    const started = monotonicMs();
    const since = (): number => monotonicMs() - started;
    const shares = this.conns.map(() => [] as number[]);
    results.forEach((_r, i) => shares[i % shares.length]!.push(i));
    let left = results.length;

    return new Promise<Timed[]>((resolve) => {
      let done = false;
      const finish = (timedOut: boolean): void => {
        if (done) return;
        done = true;
        deadline.unsubscribe();
        for (const conn of this.conns) {
          conn.onLine = undefined;
          conn.onClose = undefined;
          if (timedOut) conn.socket.destroy();
        }
        resolve(results);
      };
      const deadline = after(realClock, deadlineMs, () => finish(true));
      if (left === 0) return finish(false);
      this.conns.forEach((conn, c) => {
        const share = shares[c]!;
        let next = 0;
        const send = (): void => {
          if (next >= share.length || conn.socket.destroyed) return;
          results[share[next]!]!.sentMs = since();
          conn.socket.write(`GET ${results[share[next]!]!.key}\n`);
        };
        conn.onLine = (line) => {
          const r = results[share[next]!];
          if (r === undefined) return;
          r.answeredMs = since();
          r.status = statusOf(line) ?? 'GARBAGE';
          if (line.includes('"cache_hit":true')) r.cacheHit = true;
          else if (line.includes('"cache_hit":false')) r.cacheHit = false;
          next++;
          if (--left === 0) return finish(false);
          send();
        };
        // What this connection had not had answered never will be.
        conn.onClose = () => {
          left -= share.length - next;
          next = share.length;
          if (left === 0) finish(false);
        };
        if (conn.socket.destroyed) conn.onClose();
        else send();
      });
    });
  }

  /** Closes every connection. */
  close(): void {
    for (const { socket } of this.conns) socket.destroy();
  }
}
