// Asks a node for every key once, over a few pipelined connections: warms a cache before a hit-only
// run, fills one before a memory reading.
import net from 'node:net';
import type { Subscription } from 'rxjs';
import { LineFramer } from '../../lib/protocol/framing.js';
import { statusOf } from '../../lib/protocol/response.js';
import { after, realClock } from '../../lib/time/clock.js';

export interface FetchAllOptions {
  host?: string;
  port: number;
  keys: readonly string[];
  conns?: number;
  /** Requests in flight per connection. */
  window?: number;
  timeoutMs?: number;
}

/** Counts of answers by status. Rejects when the node closes early or the deadline passes. */
export async function fetchAll(options: FetchAllOptions): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const conns = Math.max(1, Math.min(options.conns ?? 8, options.keys.length));
  const shares = Array.from({ length: conns }, (_, c) => options.keys.filter((_key, i) => i % conns === c));
  const sockets: net.Socket[] = [];
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: Subscription | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = after(realClock, timeoutMs, () => reject(new Error(`fetchAll: not every key answered in ${timeoutMs} ms`)));
  });
  const one = (keys: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: options.host ?? '127.0.0.1', port: options.port, noDelay: true });
      sockets.push(socket);
      const framer = new LineFramer(64 * 1024 * 1024);
      const window = options.window ?? 32;
      let sent = 0;
      let answered = 0;
      const send = (): void => {
        let batch = '';
        for (; sent < keys.length && sent - answered < window; sent++) batch += `GET ${keys[sent]}\n`;
        if (batch !== '') socket.write(batch);
      };
      socket.once('connect', send);
      socket.on('data', (chunk: Buffer) => {
        framer.push(chunk, (frame) => {
          answered++;
          const status = 'line' in frame ? statusOf(frame.line.toString()) ?? 'GARBAGE' : 'TOO_LONG';
          counts[status] = (counts[status] ?? 0) + 1;
        });
        if (answered === keys.length) {
          socket.end();
          resolve();
        } else send();
      });
      socket.on('error', (err) => reject(err));
      socket.on('close', () => answered < keys.length && reject(new Error(`fetchAll: connection closed after ${answered} of ${keys.length} answers`)));
    });
  try {
    await Promise.race([Promise.all(shares.map(one)), deadline]);
    return counts;
  } finally {
    timer?.unsubscribe();
    for (const socket of sockets) socket.destroy();
  }
}
