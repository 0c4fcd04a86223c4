// Raw-socket helpers for the integration specs: connect, write bytes, read answer lines, poll.
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNode, type NodeProcess } from '../../lib/cluster/process.js';

const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The sample data shipped with the project (article/1..300, user/1..100, product/1..50). */
export const sampleData = path.join(repoRoot, 'data');

/**
 * The statuses of PROTOCOL.md's status table, read from the file itself, so a status added there
 * is accepted here without a second list to keep in step.
 */
export function protocolStatuses(): ReadonlySet<string> {
  const text = readFileSync(path.join(repoRoot, 'PROTOCOL.md'), 'utf8');
  const table = text.slice(text.indexOf('| status | who sends it | meaning |'));
  const statuses = new Set<string>();
  for (const row of table.split('\n').slice(2)) {
    const status = /^\| `([A-Z_]+)` \|/.exec(row)?.[1];
    if (status === undefined) break;
    statuses.add(status);
  }
  if (statuses.size === 0) throw new Error('PROTOCOL.md has no status table');
  return statuses;
}

/** `k/<i>`: the keys of `writeKeyedDocuments`. */
export const keyedKey = (i: number): string => `k/${i}`;

/**
 * A fresh folder holding `k/0.json`..`k/<count-1>.json`, each a tiny document naming its key
 * (`{"key":"k/7"}`), so an answer shows which key it was read for. In memory (/dev/shm) where
 * the system has it: creating and reading thousands of files on disk can take longer than a test.
 * Remove it with `removeDir`.
 */
export async function writeKeyedDocuments(count: number): Promise<string> {
  const dir = existsSync('/dev/shm') ? await mkdtemp('/dev/shm/dproxy-spec-') : await tempDir();
  await mkdir(path.join(dir, 'k'));
  for (let i = 0; i < count; i += 500) {
    const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) => keyedKey(i + j));
    await Promise.all(batch.map((k) => writeFile(path.join(dir, `${k}.json`), JSON.stringify({ key: k }))));
  }
  return dir;
}

/** A parsed answer line. */
export interface Answer {
  status: string;
  data?: unknown;
  error?: string;
  id?: unknown;
  [field: string]: unknown;
}

/**
 * Reads newline-terminated lines from a socket as they come. Every wait is bounded, so a
 * missing answer fails the test with a message instead of hanging it.
 */
export class LineReader {
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter?: () => void;
  private ended = false;
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffered += text;
      for (let nl = this.buffered.indexOf('\n'); nl !== -1; nl = this.buffered.indexOf('\n')) {
        this.lines.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** The next `count` lines; rejects if the socket closes or the deadline passes first. */
  async read(count: number, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (this.ended) throw new Error(`connection closed after ${this.lines.length} of ${count} lines`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`got ${this.lines.length} of ${count} lines in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.lines.splice(0, count);
  }

  async readAnswers(count: number, timeoutMs?: number): Promise<Answer[]> {
    return (await this.read(count, timeoutMs)).map((line) => JSON.parse(line) as Answer);
  }

  async readAnswer(timeoutMs?: number): Promise<Answer> {
    return (await this.readAnswers(1, timeoutMs))[0]!;
  }

  /**
   * Every line not yet read, once the peer has closed the connection; rejects if it is still open
   * after `timeoutMs`. Bytes after the last newline, if any, are in `partial`.
   */
  async untilClosed(timeoutMs = 10_000): Promise<string[]> {
    if (!(await this.closesWithin(timeoutMs))) {
      throw new Error(`the connection was still open after ${timeoutMs} ms, with ${this.lines.length} lines read`);
    }
    return this.lines.splice(0);
  }

  /** What came after the last newline: an answer cut short, if anything. */
  get partial(): string {
    return this.buffered;
  }

  /** True once the peer has closed the connection (waits at most `timeoutMs`). */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    // The timer is cleared once the race is decided, so a long wait keeps no process alive.
    return Promise.race([this.closed.then(() => true), timedOut]).finally(() => clearTimeout(timer));
  }

  /** Lines received and not yet read. */
  get unread(): number {
    return this.lines.length;
  }

  private wake(): void {
    this.waiter?.();
  }
}

export function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** An open connection with a reader on it; `send` writes raw bytes or text as given. */
export interface RawConnection {
  socket: net.Socket;
  reader: LineReader;
  send(bytes: string | Buffer): void;
  close(): void;
}

export async function open(port: number): Promise<RawConnection> {
  const socket = await connect(port);
  const reader = new LineReader(socket);
  return {
    socket,
    reader,
    send: (bytes) => void socket.write(bytes),
    close: () => void socket.destroy(),
  };
}

/** Writes `bytes` on a fresh connection, reads `count` answer lines, closes. */
export async function exchange(port: number, bytes: string | Buffer, count = 1): Promise<Answer[]> {
  const conn = await open(port);
  try {
    conn.send(bytes);
    return await conn.reader.readAnswers(count);
  } finally {
    conn.close();
  }
}

/** One request line (newline added) on a fresh connection, one answer back. */
export async function ask(port: number, line: string): Promise<Answer> {
  return (await exchange(port, `${line}\n`, 1))[0]!;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Waits (at most 5 s) until `check` holds, letting sockets move in between. */
export async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await sleep(10);
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

/** Data of an OK answer to METRICS on a fresh connection. */
export async function metricsOf(port: number): Promise<Record<string, unknown>> {
  const answer = await ask(port, 'METRICS');
  if (answer.status !== 'OK') throw new Error(`METRICS answered ${JSON.stringify(answer)}`);
  return answer.data as Record<string, unknown>;
}

/** Running, as opposed to gone or a zombie waiting for its parent to reap it. */
export async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A fresh empty folder under the system's temp folder; remove it with `removeDir`. */
export function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'dproxy-spec-'));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * Tracks the processes a spec starts so an after hook stops each by its handle.
 * `start` is startNode plus bookkeeping; `stopAll` stops everything still running.
 */
export class Nodes {
  private readonly started: NodeProcess[] = [];

  async start(tool: string, args: readonly string[]): Promise<NodeProcess> {
    const node = await startNode(tool, args);
    this.started.push(node);
    return node;
  }

  /** An origin on the sample data, one proxy in front of it and a balancer in front of that, each on port 0. */
  async startChain(): Promise<{ origin: NodeProcess; proxy: NodeProcess; balancer: NodeProcess }> {
    const origin = await this.start('origin', ['--port', '0']);
    const proxy = await this.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
    const balancer = await this.start('load-balancer', ['--port', '0', '--proxies', `127.0.0.1:${proxy.port}`]);
    return { origin, proxy, balancer };
  }

  async stopAll(): Promise<void> {
    const nodes = this.started.splice(0).reverse();
    await Promise.all(nodes.map((node) => node.stop(2000)));
  }
}

/** Calls `onLine` with each newline-ended line a spec server's socket receives, without the newline. */
export function onLines(socket: net.Socket, onLine: (line: string) => void): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    buffered += text;
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      onLine(line);
    }
  });
}

/** A port nothing listens on: bound once to learn a free number, then released. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A TCP server written in a spec (a fake origin or proxy). Tracks its sockets so `close`
 * really ends everything, and starts on an ephemeral port.
 */
export class SpecServer {
  readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(onConnection: (socket: net.Socket) => void) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => this.sockets.delete(socket));
      onConnection(socket);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export { sleep };

export interface Manners {
  /** false plays early versions of origin_server.py, which end an answer by closing instead. */
  newline?: boolean;
  /** Close this long after answering rather than at once, so the connection looks reusable for a while. */
  closeDelayMs?: number;
  /** Answer this long after reading the line (default at once). */
  answerDelayMs?: number;
}

/**
 * A peer in the style of the original origin_server.py / proxy_node.py: one read per connection,
 * one answer line, then close. Anything it reads after the first line is never answered. A first
 * line that is not `METHOD argument` or `METRICS` is a violation (the original origin crashes on it).
 */
export class OneShotPeer extends SpecServer {
  readonly seen: string[] = [];
  readonly violations: string[] = [];
  connections = 0;

  constructor(answer: (line: string, port: number) => object, manners: Manners = {}) {
    const { newline = true, closeDelayMs = 0, answerDelayMs = 0 } = manners;
    super((socket: net.Socket) => {
      this.connections++;
      socket.once('data', (chunk: Buffer) => {
        const line = chunk.toString('utf8').split('\n')[0]!.replace(/\r$/, '');
        this.seen.push(line);
        if (!/^(METRICS|[A-Z]+ \S+)$/.test(line)) {
          this.violations.push(line);
          socket.destroy();
          return;
        }
        const reply = (): void => {
          socket.write(JSON.stringify(answer(line, this.port)) + (newline ? '\n' : ''));
          if (closeDelayMs === 0) socket.end();
          else setTimeout(() => socket.end(), closeDelayMs);
        };
        if (answerDelayMs === 0) reply();
        else setTimeout(reply, answerDelayMs);
      });
    });
  }
}
