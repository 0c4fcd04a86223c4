// The client library: one persistent connection at a time, JSON requests with ids, a promise per
// answer, failing over between several balancers.
import net from 'node:net';
import type { Subscription } from 'rxjs';
import { LineFramer } from '../protocol/framing.js';
import { Status } from '../protocol/status.js';
import type { Address } from '../protocol/address.js';
import { after, realClock, type Clock } from '../time/clock.js';

/** A response as it came off the wire: `status` always, then whatever the node sent. */
export interface Response {
  status: string;
  data?: unknown;
  error?: string;
  [field: string]: unknown;
}

export interface ClientOptions {
  /** One balancer (`host` defaults to 127.0.0.1)... */
  host?: string;
  port?: number;
  /** ...or several, tried in order: a balancer that cannot be reached or drops the connection is skipped. */
  addresses?: readonly Address[];
  /** Milliseconds to wait for each answer. */
  timeout?: number;
  clock?: Clock;
}

interface Waiter {
  request: Record<string, unknown>;
  resolve(response: Response): void;
  timer: Subscription;
  /** Balancers this request has been sent to. */
  attempts: number;
}

/**
 * Requests are pipelined on one connection and matched by id, so answers may arrive in any
 * order. When the connection fails, unanswered requests are resent to the next balancer (every
 * op of the protocol is idempotent), each at most once per balancer. Failures never reject: they
 * resolve as CLIENT_CONNECTION_ERROR responses, like every other status, so callers handle one shape.
 */
export class Client {
  private socket?: net.Socket;
  private connecting?: Promise<net.Socket>;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private current = 0;
  private closed = false;
  // What the last node said of the connection itself, in a line with no id (a refusal such as
  // TOO_MANY_CONNECTIONS): the answer a request gets when no balancer is left to try.
  private refusal?: Response;
  private readonly clock: Clock;
  private readonly addresses: readonly Address[];

  constructor(private readonly options: ClientOptions) {
    this.clock = options.clock ?? realClock;
    this.addresses = options.addresses ?? [{ host: options.host ?? '127.0.0.1', port: options.port ?? 9000 }];
    if (this.addresses.length === 0) throw new Error('a client needs at least one address');
  }

  get(key: string): Promise<Response> {
    return this.send({ op: 'GET', key });
  }

  metrics(): Promise<Response> {
    return this.send({ op: 'METRICS' });
  }

  /** Sends any JSON request object; `id` is set by the client. */
  send(request: Record<string, unknown>): Promise<Response> {
    return new Promise<Response>((resolve) => {
      const id = this.nextId++;
      const timeout = this.options.timeout ?? 10_000;
      const timer = after(this.clock, timeout, () => {
        this.waiters.delete(id);
        resolve(connectionError(`no answer from ${this.target} within ${timeout} ms`));
      });
      const waiter: Waiter = { request, resolve, timer, attempts: 0 };
      this.waiters.set(id, waiter);
      void this.dispatch(id, waiter);
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.end();
    for (const [id, waiter] of this.waiters) this.settle(id, waiter, connectionError('client closed'));
  }

  private get target(): string {
    const a = this.addresses[this.current]!;
    return `${a.host}:${a.port}`;
  }

  /** Sends one waiting request on the current connection, moving to the next balancer when needed. */
  private async dispatch(id: number, waiter: Waiter): Promise<void> {
    while (this.waiters.get(id) === waiter) {
      if (waiter.attempts >= this.addresses.length || this.closed) {
        this.settle(id, waiter, this.refusal ?? connectionError(`cannot reach ${this.describeAll()}`));
        return;
      }
      const tried = this.current;
      let socket: net.Socket;
      try {
        socket = await this.connect();
      } catch {
        waiter.attempts++;
        // Every request waiting on this connect failed with it; move on once, not once each.
        if (this.current === tried) this.advance();
        continue;
      }
      waiter.attempts++;
      socket.write(JSON.stringify({ ...waiter.request, id }) + '\n');
      return;
    }
  }

  private advance(): void {
    this.current = (this.current + 1) % this.addresses.length;
  }

  private describeAll(): string {
    return this.addresses.map((a) => `${a.host}:${a.port}`).join(', ');
  }

  private connect(): Promise<net.Socket> {
    if (this.socket !== undefined && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const { host, port } = this.addresses[this.current]!;
      const socket = net.connect({ host, port, noDelay: true });
      const framer = new LineFramer(64 * 1024 * 1024);
      let open = false;
      socket.once('connect', () => {
        open = true;
        this.refusal = undefined;
        this.socket = socket;
        this.connecting = undefined;
        resolve(socket);
      });
      socket.on('data', (chunk: Buffer) =>
        framer.push(chunk, (frame) => {
          if ('line' in frame) this.onAnswer(frame.line.toString('utf8'));
        }),
      );
      socket.on('error', (err) => {
        if (open) return;
        this.connecting = undefined;
        reject(err);
      });
      socket.on('close', () => {
        this.connecting = undefined;
        if (!open) return;
        this.socket = undefined;
        // Whatever this balancer left unanswered goes to the next one.
        this.advance();
        for (const [id, waiter] of this.waiters) void this.dispatch(id, waiter);
      });
    });
    return this.connecting;
  }

  private onAnswer(line: string): void {
    let response: Response & { id?: unknown };
    try {
      response = JSON.parse(line) as Response & { id?: unknown };
    } catch {
      return;
    }
    const id = response.id;
    if (id === undefined && response.status !== Status.OK) this.refusal = response;
    const waiter = typeof id === 'number' ? this.waiters.get(id) : undefined;
    if (waiter === undefined) return;
    delete response.id;
    this.settle(id as number, waiter, response);
  }

  private settle(id: number, waiter: Waiter, response: Response): void {
    this.waiters.delete(id);
    waiter.timer.unsubscribe();
    waiter.resolve(response);
  }
}

function connectionError(error: string): Response {
  return { status: Status.CLIENT_CONNECTION_ERROR, error };
}
