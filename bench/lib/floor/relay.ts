// The floor's relay: each request line goes round-robin to an upstream over one persistent,
// pipelined connection per upstream; answers go back to each client in its request order. Writes
// are batched per turn of the event loop, as our nodes' are, so the floor differs from them in
// framework and design only.
import net from 'node:net';
import type { RunningNode } from '../../../lib/net/lifecycle.js';
import { onNextTurn } from '../../../lib/time/clock.js';

export interface RelayOptions {
  host: string;
  port: number;
  upstreams: ReadonlyArray<{ host: string; port: number }>;
}

const NL = 0x0a;
const UNREACHABLE = Buffer.from('{"status":"PROXY_UNREACHABLE","error":"upstream connection lost"}\n');

/** One request of one client: filled with the answer line (newline included) when it comes. */
interface Slot {
  answer: Buffer | undefined;
  readonly client: Client;
}

/** A client connection: its slots in request order, written out as the oldest ones fill. */
class Client {
  readonly slots: Slot[] = [];
  private head = 0;
  closed = false;
  /** Set on shutdown: the connection is ended once every request on it is answered. */
  ending = false;

  constructor(readonly socket: net.Socket) {}

  add(): Slot {
    const slot: Slot = { answer: undefined, client: this };
    this.slots.push(slot);
    return slot;
  }

  private scheduled = false;

  /** Some slot was answered: flush at the end of this turn, once however many were. */
  wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    onNextTurn(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Writes every answered slot at the front, in one write. */
  flush(): void {
    const out: Buffer[] = [];
    while (this.head < this.slots.length && this.slots[this.head]!.answer !== undefined) out.push(this.slots[this.head++]!.answer!);
    if (this.head > 1024) {
      this.slots.splice(0, this.head);
      this.head = 0;
    }
    if (this.closed) return;
    if (out.length > 0) this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    if (this.ending && this.head === this.slots.length) this.socket.end();
  }
}

/** One upstream connection: the slots sent on it, answered first in, first out. */
class Upstream {
  private socket: net.Socket | undefined;
  private waiting: Slot[] = [];
  private head = 0;
  private tail: Buffer | undefined;
  private queued = '';

  constructor(private readonly address: { host: string; port: number }) {}

  /** Queues lines; everything queued in one turn of the event loop goes out in one write. */
  send(lines: string, slots: Slot[]): void {
    for (const slot of slots) this.waiting.push(slot);
    if (this.queued === '') onNextTurn(() => this.flush());
    this.queued += lines;
  }

  private flush(): void {
    (this.socket ??= this.connect()).write(this.queued);
    this.queued = '';
  }

  close(): void {
    this.socket?.destroy();
  }

  private connect(): net.Socket {
    const socket = net.connect({ ...this.address, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.answer(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.lost(socket));
    return socket;
  }

  private answer(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(NL); nl !== -1; nl = chunk.indexOf(NL, start)) {
      let line = chunk.subarray(start, nl + 1);
      if (this.tail !== undefined) {
        line = Buffer.concat([this.tail, line]);
        this.tail = undefined;
      }
      start = nl + 1;
      const slot = this.waiting[this.head++];
      if (slot === undefined) continue;
      slot.answer = line;
      slot.client.wake();
    }
    if (start < chunk.length) this.tail = this.tail === undefined ? Buffer.from(chunk.subarray(start)) : Buffer.concat([this.tail, chunk.subarray(start)]);
    if (this.head > 1024) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The floor does not retry: requests caught on a lost connection fail, the next ones reconnect. */
  private lost(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.tail = undefined;
    const failed = this.waiting.slice(this.head);
    this.waiting = [];
    this.head = 0;
    for (const slot of failed) {
      slot.answer = UNREACHABLE;
      slot.client.wake();
    }
  }
}

export async function startRelay(options: RelayOptions): Promise<RunningNode> {
  const upstreams = options.upstreams.map((address) => new Upstream(address));
  const clients = new Set<Client>();
  let next = 0;
  const server = net.createServer({ noDelay: true }, (socket) => {
    const client = new Client(socket);
    clients.add(client);
    let tail = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const lines = (tail + text).split('\n');
      tail = lines.pop()!;
      // Per upstream, the lines of this chunk and their slots, sent in one write.
      const batches = upstreams.map(() => ({ lines: '', slots: [] as Slot[] }));
      for (const line of lines) {
        const batch = batches[next]!;
        next = (next + 1) % upstreams.length;
        batch.lines += `${line}\n`;
        batch.slots.push(client.add());
      }
      batches.forEach((batch, i) => batch.slots.length > 0 && upstreams[i]!.send(batch.lines, batch.slots));
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      client.closed = true;
      clients.delete(client);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    address: server.address() as net.AddressInfo,
    drain: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          for (const upstream of upstreams) upstream.close();
          resolve();
        });
        for (const client of clients) {
          client.ending = true;
          client.flush();
        }
      }),
  };
}
