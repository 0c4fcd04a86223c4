// A scripted origin for the origin-trouble scenarios: answers `GET <key>` after a delay the bench sets,
// one request at a time and in order on each connection, and counts what it was asked.
import net from 'node:net';
import type { Subscription } from 'rxjs';
import type { RunningNode } from '../../lib/net/lifecycle.js';
import { after, realClock } from '../../lib/time/clock.js';
import { serveForBursts } from './listen.js';

/** What the origin has seen since it started or since its last `RESET`. */
export interface OriginCounts {
  /** GET lines received. */
  gets: number;
  /** GET lines received per key (a leading `/` dropped, as the protocol does). */
  keys: Record<string, number>;
  /** GETs received and not yet answered, now and at most at once. */
  inFlight: number;
  maxInFlight: number;
  /** Connections with a GET received and not yet answered: what an in-order origin works on at once. */
  maxBusyConnections: number;
  /** Connections open that have carried a GET (the bench's own METRICS asks are not counted), now and at most at once. */
  connections: number;
  maxConnections: number;
  /** GETs whose connection closed before they were answered. */
  abandoned: number;
}

/**
 * The counting half of the scripted origin, apart from sockets and timers: each connection is a
 * number the server gives it, counted from its first GET; every GET is `received`, then
 * `answered` or abandoned by `closed`.
 */
export class OriginTally {
  private readonly perKey = new Map<string, number>();
  /** Unanswered GETs per open connection. */
  private readonly pending = new Map<number, number>();
  private gets = 0;
  private inFlight = 0;
  private maxInFlight = 0;
  private busy = 0;
  private maxBusy = 0;
  private maxConnections = 0;
  private abandoned = 0;

  /** Counts a GET of `key` arriving on `conn`; a leading `/` is dropped, as the protocol does. */
  received(conn: number, key: string): void {
    const name = key.startsWith('/') ? key.slice(1) : key;
    this.perKey.set(name, (this.perKey.get(name) ?? 0) + 1);
    this.gets++;
    const before = this.pending.get(conn) ?? 0;
    this.pending.set(conn, before + 1);
    this.maxConnections = Math.max(this.maxConnections, this.pending.size);
    if (before === 0) this.busy++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.maxBusy = Math.max(this.maxBusy, this.busy);
  }

  /** The oldest unanswered GET on `conn` was answered. */
  answered(conn: number): void {
    const before = this.pending.get(conn) ?? 0;
    if (before === 0) return;
    this.pending.set(conn, before - 1);
    if (before === 1) this.busy--;
    this.inFlight--;
  }

  /** `conn` closed: its unanswered GETs never will be. */
  closed(conn: number): void {
    const left = this.pending.get(conn);
    if (left === undefined) return;
    this.pending.delete(conn);
    if (left > 0) this.busy--;
    this.inFlight -= left;
    this.abandoned += left;
  }

  /** Zeroes the counts; the maxima restart from what is open and in flight now. */
  reset(): void {
    this.perKey.clear();
    this.gets = 0;
    this.abandoned = 0;
    this.maxInFlight = this.inFlight;
    this.maxBusy = this.busy;
    this.maxConnections = this.pending.size;
  }

  snapshot(): OriginCounts {
    return {
      gets: this.gets,
      keys: Object.fromEntries(this.perKey),
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      maxBusyConnections: this.maxBusy,
      connections: this.pending.size,
      maxConnections: this.maxConnections,
      abandoned: this.abandoned,
    };
  }
}

export interface ScriptedOriginOptions {
  host: string;
  port: number;
  /** Milliseconds each GET takes, from the moment the connection starts on it. */
  delayMs: number;
}

const GET = /^GET (\S+)$/;
const DELAY = /^DELAY (\d+)$/;

/**
 * Starts the origin. Each connection takes its lines one at a time, in order, as a simple line
 * server or an HTTP/1.1 server without pipelining does: a GET is answered `{"status":"OK","data":{"key":"<key>"}}`
 * `delayMs` after the connection started on it, so GETs pipelined on one connection wait for
 * each other. Lines for the bench alone, answered in their turn without delay:
 * `DELAY <ms>` sets the delay of every GET not yet started; `METRICS` answers
 * `{"status":"OK","data":<OriginCounts>}`; `RESET` zeroes the counts. Anything else is `WRONG_METHOD`.
 */
export async function startScriptedOrigin(options: ScriptedOriginOptions): Promise<RunningNode> {
  const tally = new OriginTally();
  let delayMs = options.delayMs;
  let nextConn = 0;
  const sockets = new Set<net.Socket>();

  const server = net.createServer({ noDelay: true }, (socket) => {
    const conn = nextConn++;
    const queue: string[] = [];
    let working: Subscription | undefined;
    let tail = '';
    sockets.add(socket);

    const answer = (line: string): string => {
      const get = GET.exec(line);
      if (get !== null) {
        tally.answered(conn);
        const key = get[1]!.startsWith('/') ? get[1]!.slice(1) : get[1]!;
        return `{"status":"OK","data":{"key":${JSON.stringify(key)}}}\n`;
      }
      const delay = DELAY.exec(line);
      if (delay !== null) {
        delayMs = Number(delay[1]);
        return `{"status":"OK","data":{"delay_ms":${delayMs}}}\n`;
      }
      if (line === 'METRICS') return `{"status":"OK","data":${JSON.stringify(tally.snapshot())}}\n`;
      if (line === 'RESET') {
        tally.reset();
        return '{"status":"OK","data":{"reset":true}}\n';
      }
      return `{"status":"WRONG_METHOD","data":${JSON.stringify(`unknown method ${line.split(' ')[0]!.slice(0, 64)}`)}}\n`;
    };

    // Control lines and GETs at zero delay are answered on the spot; a GET with a delay holds the
    // connection until its timer fires, and the lines after it wait.
    const work = (): void => {
      while (working === undefined && queue.length > 0 && !socket.destroyed) {
        const line = queue[0]!;
        if (GET.test(line) && delayMs > 0) {
          working = after(realClock, delayMs, () => {
            working = undefined;
            queue.shift();
            socket.write(answer(line));
            work();
          });
          return;
        }
        queue.shift();
        socket.write(answer(line));
      }
    };

    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const lines = (tail + text).split('\n');
      tail = lines.pop()!;
      for (const raw of lines) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        const get = GET.exec(line);
        if (get !== null) tally.received(conn, get[1]!);
        queue.push(line);
      }
      work();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      working?.unsubscribe();
      working = undefined;
      queue.length = 0;
      tally.closed(conn);
      sockets.delete(socket);
    });
  });

  return serveForBursts(server, options.port, options.host, () => {
    for (const socket of sockets) socket.destroy();
  });
}
