// Paced GET load that keeps every request and every answer it got, for the chaos specs: a request
// must be answered exactly once, with its own key's data, and with an outcome its phase allows.
import net from 'node:net';
import { Client } from '../../lib/client/client.js';
import { waitFor, type Answer } from './helpers.js';

/** One request of the load and every answer that came for it. */
export interface Tracked {
  readonly n: number;
  readonly key: string;
  /** The load's phase when the request was sent. */
  readonly phase: string;
  readonly answers: Answer[];
}

/** How requests travel: raw JSON lines with ids on sockets, or the client library. */
export interface Transport {
  send(request: Tracked, onAnswer: (answer: Answer) => void): void;
  /** What came back that no request was waiting for, or a connection lost under the load. */
  readonly strays: string[];
  close(): void;
}

/**
 * `conns` connections to `port`, each request a JSON line with a numeric id, answers matched by
 * the id they echo. A second answer to one id is kept, so that it shows as a duplicate. A
 * connection is never reopened: losing one fails the spec through the requests left unanswered.
 */
export async function rawTransport(port: number, conns: number): Promise<Transport> {
  const waiting = new Map<number, (answer: Answer) => void>();
  const strays: string[] = [];
  let closing = false;
  const sockets = await Promise.all(
    Array.from({ length: conns }, () =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(socket));
        socket.once('error', reject);
      }),
    ),
  );
  for (const socket of sockets) {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('close', () => void (closing || strays.push('a connection to the balancer closed under load')));
    socket.on('data', (text: string) => {
      buffered += text;
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let answer: Answer;
        try {
          answer = JSON.parse(line) as Answer;
        } catch {
          strays.push(`not JSON: ${line.slice(0, 200)}`);
          continue;
        }
        const onAnswer = typeof answer.id === 'number' ? waiting.get(answer.id) : undefined;
        if (onAnswer === undefined) strays.push(`an answer for no request sent: ${line.slice(0, 200)}`);
        else onAnswer(answer);
      }
    });
  }
  let next = 0;
  return {
    strays,
    send(request, onAnswer) {
      waiting.set(request.n, onAnswer);
      sockets[next++ % sockets.length]!.write(`${JSON.stringify({ op: 'GET', key: request.key, id: request.n })}\n`);
    },
    close() {
      closing = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** `clients` instances of the client library (lib/client/client.ts), used in turn. */
export function clientTransport(clients: readonly Client[]): Transport {
  let next = 0;
  return {
    strays: [],
    send(request, onAnswer) {
      void clients[next++ % clients.length]!.get(request.key).then((answer) => onAnswer(answer as Answer));
    },
    close() {
      for (const client of clients) client.close();
    },
  };
}

export interface LoadOptions {
  /** Requests a second, sent on schedule whether or not earlier ones were answered. */
  rate: number;
  /** The most requests the load sends in all, whatever the spec waits for. */
  maxRequests: number;
  /** The key of the n-th request (n from 0). */
  key: (n: number) => string;
}

/** GETs sent at a steady rate until stopped, each tracked to its answers. */
export class TrackedLoad {
  /** Stamped on each request when it is sent; the spec moves it along as it does things. */
  phase = 'start';
  key: (n: number) => string;
  readonly sent: Tracked[] = [];
  answered = 0;
  private readonly pacer: NodeJS.Timeout;

  constructor(
    private readonly transport: Transport,
    options: LoadOptions,
  ) {
    this.key = options.key;
    const started = performance.now();
    // Every 5 ms, whatever the schedule says is due: steady over a second, not 1 ms exact.
    this.pacer = setInterval(() => {
      const due = Math.min(options.maxRequests, Math.floor(((performance.now() - started) * options.rate) / 1000));
      while (this.sent.length < due) this.send();
    }, 5);
  }

  /** Resolves once `count` more answers have come than when called. */
  more(count: number): Promise<true> {
    const target = this.answered + count;
    return waitFor(`${count} more answers under load (${this.answered} of ${this.sent.length} so far)`, async () => (this.answered >= target ? true : undefined), 20_000, 10);
  }

  /** Resolves once every request sent in `phase` has been answered (the load goes on meanwhile). */
  settled(phase: string): Promise<true> {
    return waitFor(`the answers to every request sent in phase ${phase}`, async () => (this.sent.every((t) => t.phase !== phase || t.answers.length > 0) ? true : undefined), 20_000, 10);
  }

  /** The requests sent and not answered yet. */
  inFlight(): Set<Tracked> {
    return new Set(this.sent.filter((t) => t.answers.length === 0));
  }

  /** Stops sending, waits (at most 15 s) for every request sent to be answered, then closes the transport. */
  async stop(): Promise<void> {
    clearInterval(this.pacer);
    await waitFor('the last answers', async () => (this.sent.every((t) => t.answers.length > 0) ? true : undefined), 15_000, 20).catch(() => undefined);
    this.transport.close();
  }

  /** Outcomes (see `outcome`) counted per phase. */
  byPhase(): Record<string, Record<string, number>> {
    const counts: Record<string, Record<string, number>> = {};
    for (const t of this.sent) {
      const phase = (counts[t.phase] ??= {});
      const o = t.answers.length === 0 ? 'NO_ANSWER' : outcome(t.answers[0]!);
      phase[o] = (phase[o] ?? 0) + 1;
    }
    return counts;
  }

  /**
   * What went wrong, empty when nothing did: requests unanswered or answered twice, answers for no
   * request, answers carrying another key's data (or an OK without its key's), and outcomes the
   * request's phase does not allow. Lists at most 10 requests per kind of wrong.
   */
  problems(allowed: (t: Tracked) => readonly string[]): string[] {
    const wrong = new Map<string, string[]>();
    const note = (kind: string, t: Tracked): void => {
      const list = wrong.get(kind) ?? [];
      list.push(`#${t.n} ${t.key} (${t.phase}): ${t.answers.map((a) => JSON.stringify(a).slice(0, 160)).join(' | ')}`);
      wrong.set(kind, list);
    };
    for (const t of this.sent) {
      if (t.answers.length === 0) note('unanswered', t);
      if (t.answers.length > 1) note('answered more than once', t);
      for (const answer of t.answers) {
        const key = (answer.data as { key?: unknown } | null | undefined)?.key;
        if ((answer.status === 'OK' || key !== undefined) && key !== t.key) note("answered without its own key's data", t);
        if (!allowed(t).includes(outcome(answer))) note(`an outcome its phase does not allow (${allowed(t).join(', ')})`, t);
      }
    }
    const problems = [...wrong].map(([kind, list]) => `${list.length} ${kind}: ${list.slice(0, 10).join('; ')}`);
    return [...problems, ...this.transport.strays.slice(0, 10)];
  }

  private send(): void {
    const n = this.sent.length;
    const tracked: Tracked = { n, key: this.key(n), phase: this.phase, answers: [] };
    this.sent.push(tracked);
    this.transport.send(tracked, (answer) => {
      if (tracked.answers.length === 0) this.answered++;
      tracked.answers.push(answer);
    });
  }
}

/** An answer's status, with ` stale` when it was served stale: `OK`, `OK stale`, `ORIGIN_FAILURE`, ... */
export function outcome(answer: Answer): string {
  return answer.stale === true ? `${answer.status} stale` : answer.status;
}

/**
 * GETs for `keys`, the i-th sent through `transports[i % transports.length]`, keeping `window` of
 * them unanswered at once (a pipelined load of `window / connections` per connection), until all
 * are answered. Resolves with every answer in key order; rejects after `timeoutMs` with how many
 * were answered.
 */
export async function askPipelined(transports: readonly Transport[], keys: readonly string[], window: number, timeoutMs = 30_000): Promise<Answer[]> {
  const answers: Answer[] = new Array<Answer>(keys.length);
  let sent = 0;
  let answered = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${answered} of ${keys.length} answered in ${timeoutMs} ms`)), timeoutMs);
    const next = (): void => {
      if (answered === keys.length) {
        clearTimeout(timer);
        resolve();
        return;
      }
      if (sent === keys.length) return;
      const n = sent++;
      const tracked: Tracked = { n, key: keys[n]!, phase: 'pipelined', answers: [] };
      transports[n % transports.length]!.send(tracked, (answer) => {
        if (answers[n] !== undefined) return;
        answers[n] = answer;
        answered++;
        next();
      });
    };
    for (let i = 0; i < Math.min(window, keys.length); i++) next();
  });
  return answers;
}
