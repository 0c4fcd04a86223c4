// A fixed list of HTTP/1.1 GETs over a keep-alive agent (node:http), each one's send and answer
// times kept in the shape of timed-gets.ts, so the line protocol's and HTTP's runs summarize alike.
import http from 'node:http';
import { monotonicMs, after, realClock } from '../../lib/time/clock.js';
import type { Timed } from './timed-gets.js';

export interface TimedHttpGetsOptions {
  host?: string;
  port: number;
  /** Asked all at once, in this order; `key` names each in the results, `path` is what is asked. */
  requests: ReadonlyArray<{ key: string; path: string }>;
  /** The caller's agent (see `keepAliveAgent`), whose connections a run reuses and leaves open. */
  agent: http.Agent;
  /** Milliseconds after the start when unanswered requests are given up (NO_ANSWER) and every connection closed. */
  deadlineMs: number;
}

/**
 * An agent of `conns` keep-alive connections at most, one request at a time on each (HTTP/1.1
 * without pipelining), that keeps every one of them open between runs.
 */
export function keepAliveAgent(conns: number): http.Agent {
  const max = Math.max(1, conns);
  return new http.Agent({ keepAlive: true, maxSockets: max, maxFreeSockets: max });
}

/**
 * What an HTTP answer counts as: a 200 whose body parses as JSON is `OK`, another 200 `GARBAGE`,
 * any other code `HTTP_<code>`; `cacheHit` from nginx's `X-Cache-Status` (HIT, or any other value
 * for a miss), undefined without one.
 */
export function classifyHttp(statusCode: number, body: string, cacheStatus: string | undefined): Pick<Timed, 'status' | 'cacheHit'> {
  let status = `HTTP_${statusCode}`;
  if (statusCode === 200) {
    try {
      JSON.parse(body);
      status = 'OK';
    } catch {
      status = 'GARBAGE';
    }
  }
  return cacheStatus === undefined ? { status } : { status, cacheHit: cacheStatus.toUpperCase() === 'HIT' };
}

/**
 * Resolves once every request is answered, or at the deadline (the requests still open then are
 * aborted); never rejects. A request's `sentMs` is when the agent gave it a connection; one whose
 * connection failed stays NO_ANSWER.
 */
export function timedHttpGets(options: TimedHttpGetsOptions): Promise<Timed[]> {
  const results: Timed[] = options.requests.map(({ key }) => ({ key, status: 'NO_ANSWER' }));
  const started = monotonicMs();
  const since = (): number => monotonicMs() - started;
  const open = new Set<http.ClientRequest>();
  let left = results.length;

  return new Promise<Timed[]>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      deadline.unsubscribe();
      for (const req of open) req.destroy();
      resolve(results);
    };
    const deadline = after(realClock, options.deadlineMs, finish);
    if (left === 0) return finish();
    options.requests.forEach(({ path }, i) => {
      const r = results[i]!;
      // A request ends once, answered or failed, whichever the socket reports first.
      let ended = false;
      const settle = (): void => {
        if (ended) return;
        ended = true;
        open.delete(req);
        if (--left === 0) finish();
      };
      const req = http.get({ agent: options.agent, host: options.host ?? '127.0.0.1', port: options.port, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          if (ended) return;
          r.answeredMs = since();
          const cache = res.headers['x-cache-status'];
          Object.assign(r, classifyHttp(res.statusCode ?? 0, Buffer.concat(chunks).toString(), Array.isArray(cache) ? cache[0] : cache));
          settle();
        });
        res.once('error', settle);
      });
      open.add(req);
      req.once('socket', () => (r.sentMs = since()));
      req.once('error', settle);
    });
  });
}
