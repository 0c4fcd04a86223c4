// The client library: one persistent connection, JSON requests with ids, a promise per answer.
import net from 'node:net';
import type { Subscription } from 'rxjs';
import { LineFramer } from '../protocol/framing.js';
import { Status } from '../protocol/status.js';
import { after, realClock, type Clock } from '../time/clock.js';

/** A response as it came off the wire: `status` always, then whatever the node sent. */
export interface Response {
  status: string;
  data?: unknown;
  error?: string;
  [field: string]: unknown;
}

export interface ClientOptions {
  host?: string;
  port: number;
  /** Milliseconds to wait for each answer. */
  timeout?: number;
  clock?: Clock;
}

interface Waiter {
  resolve(response: Response): void;
  timer: Subscription;
}

/**
 * Requests are pipelined on one connection and matched by id, so answers may arrive in any
 * order. Failures never reject: they resolve as CLIENT_CONNECTION_ERROR responses, like every
 * other status, so callers handle one shape.
 */
export class Client {
  private socket?: net.Socket;
  private connecting?: Promise<net.Socket>;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private readonly clock: Clock;

  constructor(private readonly options: ClientOptions) {
    this.clock = options.clock ?? realClock;
  }

  get(key: string): Promise<Response> {
    return this.send({ op: 'GET', key });
  }

  metrics(): Promise<Response> {
    return this.send({ op: 'METRICS' });
  }

  /** Sends any JSON request object; `id` is set by the client. */
  async send(request: Record<string, unknown>): Promise<Response> {
    let socket: net.Socket;
    try {
      socket = await this.connect();
    } catch (err) {
      return connectionError(`cannot reach ${this.target}: ${(err as Error).message}`);
    }
    const id = this.nextId++;
    return new Promise<Response>((resolve) => {
      const timer = after(this.clock, this.options.timeout ?? 10_000, () => {
        this.waiters.delete(id);
        resolve(connectionError(`no answer from ${this.target} within ${this.options.timeout ?? 10_000} ms`));
      });
      this.waiters.set(id, { resolve, timer });
      socket.write(JSON.stringify({ ...request, id }) + '\n');
    });
  }

  close(): void {
    this.socket?.end();
    this.fail('client closed');
  }

  private get target(): string {
    return `${this.options.host ?? '127.0.0.1'}:${this.options.port}`;
  }

  private connect(): Promise<net.Socket> {
    if (this.socket !== undefined && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.options.host ?? '127.0.0.1', port: this.options.port, noDelay: true });
      const framer = new LineFramer(64 * 1024 * 1024);
      socket.once('connect', () => {
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
        this.connecting = undefined;
        reject(err);
        this.fail(`connection to ${this.target} failed: ${err.message}`);
      });
      socket.on('close', () => {
        this.connecting = undefined;
        this.fail(`connection to ${this.target} closed`);
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
    const waiter = typeof response.id === 'number' ? this.waiters.get(response.id) : undefined;
    if (waiter === undefined) return;
    this.waiters.delete(response.id as number);
    waiter.timer.unsubscribe();
    delete response.id;
    waiter.resolve(response);
  }

  private fail(reason: string): void {
    for (const [id, waiter] of this.waiters) {
      this.waiters.delete(id);
      waiter.timer.unsubscribe();
      waiter.resolve(connectionError(reason));
    }
  }
}

function connectionError(error: string): Response {
  return { status: Status.CLIENT_CONNECTION_ERROR, error };
}
