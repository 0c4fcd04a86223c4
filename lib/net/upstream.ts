// An upstream link: pooled, persistent connections to one peer, following PROTOCOL.md's interop rule.
import net from 'node:net';
import type { Subscription } from 'rxjs';
import { LineFramer } from '../protocol/framing.js';
import { every, onNextTurn, type Clock } from '../time/clock.js';

/** Why a request over a link got no answer. */
export type LinkFailure = 'refused' | 'reset' | 'timeout' | 'garbage' | 'closed';

export type LinkCallback = (failure: LinkFailure | null, answer: string) => void;

export interface LinkOptions {
  host: string;
  port: number;
  clock: Clock;
  /** Persistent connections kept to the peer. */
  poolSize?: number;
  /** Requests in flight on one connection once it has proven it pipelines. */
  pipelineDepth?: number;
  /** Connections at once to a peer that answers one request per connection. */
  oneShotConnections?: number;
  connectTimeout?: number;
  requestTimeout?: number;
  maxAnswerBytes?: number;
}

interface Job {
  line: string;
  callback: LinkCallback;
  sentAt: number;
  resent: boolean;
}

/**
 * Sends request lines to one peer and matches answers in order (text-form requests are
 * answered in order by every peer). A fresh connection carries one request at a time until it
 * has answered two; then it pipelines. When a connection that has answered closes with requests
 * unanswered, they are resent once on a fresh connection and the peer is treated as answering
 * one request per connection (the original Python nodes) until it next refuses a connection.
 */
export class UpstreamLink {
  private readonly waiting: Job[] = [];
  private readonly connections = new Set<PeerConnection>();
  private oneShot = false;
  private sweeper?: Subscription;
  private closed = false;
  readonly poolSize: number;
  readonly pipelineDepth: number;
  readonly oneShotConnections: number;
  readonly connectTimeout: number;
  readonly requestTimeout: number;

  constructor(readonly options: LinkOptions) {
    this.poolSize = options.poolSize ?? 4;
    this.pipelineDepth = options.pipelineDepth ?? 64;
    this.oneShotConnections = options.oneShotConnections ?? 64;
    this.connectTimeout = options.connectTimeout ?? 1000;
    this.requestTimeout = options.requestTimeout ?? 2000;
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** True once the peer has shown it closes after each answer. */
  get answersOnePerConnection(): boolean {
    return this.oneShot;
  }

  /** Sends one line (no newline) and calls back once with the answer line or the failure. */
  request(line: string, callback: LinkCallback): void {
    if (this.closed) {
      callback('closed', '');
      return;
    }
    this.waiting.push({ line, callback, sentAt: 0, resent: false });
    this.pump();
  }

  close(): void {
    this.closed = true;
    this.sweeper?.unsubscribe();
    this.sweeper = undefined;
    for (const job of this.waiting.splice(0)) job.callback('closed', '');
    for (const c of this.connections) c.destroy('closed');
  }

  /** Called by a connection that lost its socket; its unanswered jobs come back here. */
  lost(connection: PeerConnection, unanswered: Job[], failure: LinkFailure, peerHungUp: boolean): void {
    this.connections.delete(connection);
    if (failure === 'refused') this.oneShot = false;
    else if (peerHungUp && unanswered.length > 0) this.oneShot = true;
    const retry: Job[] = [];
    for (const job of unanswered) {
      if (job.resent || this.closed || failure === 'refused' || failure === 'timeout' || failure === 'garbage') {
        job.callback(failure, '');
      } else {
        job.resent = true;
        retry.push(job);
      }
    }
    this.waiting.unshift(...retry);
    this.pump();
  }

  /** Called by a connection with spare capacity. */
  pump(): void {
    while (this.waiting.length > 0 && !this.closed) {
      const connection = this.pick();
      if (connection === undefined) break;
      connection.send(this.waiting.shift()!);
    }
    this.watchTimeouts();
  }

  private pick(): PeerConnection | undefined {
    let best: PeerConnection | undefined;
    for (const c of this.connections) {
      // A pooled connection opened before the link learned the peer is one-shot will be closed by
      // the peer once it has answered; a request (above all a resent one) must not go there.
      if (this.oneShot && !c.single) continue;
      if (!c.canTake(this.oneShot ? 0 : this.pipelineDepth)) continue;
      if (best === undefined || c.inFlight < best.inFlight) best = c;
      if (c.inFlight === 0) break;
    }
    if (best !== undefined && best.inFlight === 0) return best;
    const limit = this.oneShot ? this.oneShotConnections : this.poolSize;
    if (this.connections.size < limit) {
      const fresh = new PeerConnection(this, this.oneShot);
      this.connections.add(fresh);
      return fresh;
    }
    return best;
  }

  // One sweep per link replaces a timer per request; it runs only while work is outstanding.
  private watchTimeouts(): void {
    if (this.sweeper !== undefined || this.closed) return;
    const clock = this.options.clock;
    const tick = Math.max(5, Math.min(this.connectTimeout, this.requestTimeout) / 8);
    this.sweeper = every(clock, tick, () => {
      const now = clock.now();
      let busy = this.waiting.length > 0;
      for (const c of this.connections) {
        c.checkDeadlines(now);
        busy ||= c.inFlight > 0;
      }
      if (!busy) {
        this.sweeper?.unsubscribe();
        this.sweeper = undefined;
      }
    });
  }
}

class PeerConnection {
  private readonly socket: net.Socket;
  private readonly jobs: Job[] = [];
  private readonly framer: LineFramer;
  private connected = false;
  private answered = 0;
  private dead = false;
  private readonly openedAt: number;
  // Requests of one event-loop turn leave in one write, not one syscall each.
  private outgoing: string[] = [];

  constructor(
    private readonly link: UpstreamLink,
    readonly single: boolean,
  ) {
    const { host, port, clock } = link.options;
    this.openedAt = clock.now();
    this.framer = new LineFramer(link.options.maxAnswerBytes ?? 64 * 1024 * 1024);
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('connect', () => {
      this.connected = true;
      for (const job of this.jobs) this.queue(job.line);
    });
    this.socket.on('data', (chunk: Buffer) => this.framer.push(chunk, (frame) => this.onFrame(frame)));
    this.socket.on('end', () => this.framer.end((frame) => this.onFrame(frame)));
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && !this.connected) this.destroy('refused');
      else this.destroy('reset', true);
    });
    this.socket.on('close', () => this.destroy('reset', true));
  }

  get inFlight(): number {
    return this.jobs.length;
  }

  /** A fresh connection takes one request at a time until it has answered two. */
  canTake(depth: number): boolean {
    if (this.dead) return false;
    if (this.single) return this.jobs.length === 0 && this.answered === 0;
    return this.answered >= 2 ? this.jobs.length < depth : this.jobs.length === 0;
  }

  send(job: Job): void {
    job.sentAt = this.link.options.clock.now();
    this.jobs.push(job);
    if (this.connected) this.queue(job.line);
  }

  private queue(line: string): void {
    if (this.outgoing.length === 0) onNextTurn(() => this.flush());
    this.outgoing.push(line, '\n');
  }

  private flush(): void {
    if (this.dead || this.outgoing.length === 0) return;
    this.socket.write(this.outgoing.join(''));
    this.outgoing = [];
  }

  checkDeadlines(now: number): void {
    if (this.dead) return;
    if (!this.connected && this.jobs.length > 0 && now - this.openedAt >= this.link.connectTimeout) {
      this.destroy('timeout');
      return;
    }
    const oldest = this.jobs[0];
    if (oldest !== undefined && now - oldest.sentAt >= this.link.requestTimeout) {
      // Answers are matched in order, so a connection with a lost answer cannot be trusted again.
      const late = this.jobs.shift()!;
      late.callback('timeout', '');
      this.destroy('reset', false);
    }
  }

  /** `byPeer`: the peer closed a connection that had answered, which teaches the link it is one-shot. */
  destroy(failure: LinkFailure, byPeer = false): void {
    if (this.dead) return;
    this.dead = true;
    this.socket.destroy();
    this.link.lost(this, this.jobs.splice(0), failure, byPeer && this.answered > 0);
  }

  private onFrame(frame: { line: Buffer } | { tooLong: true }): void {
    const job = this.jobs.shift();
    if (job === undefined || 'tooLong' in frame) {
      if (job !== undefined) job.callback('garbage', '');
      this.destroy('garbage');
      return;
    }
    let answer = frame.line.toString('utf8');
    if (answer.endsWith('\r')) answer = answer.slice(0, -1);
    if (!answer.startsWith('{') || !answer.endsWith('}')) {
      job.callback('garbage', '');
      this.destroy('garbage');
      return;
    }
    this.answered++;
    job.callback(null, answer);
    if (this.single) {
      this.dead = true;
      this.socket.end();
      this.link.lost(this, [], 'closed', false);
      return;
    }
    this.link.pump();
  }
}
