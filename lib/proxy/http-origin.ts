// The origin port over HTTP: each key a GET under --origin-url on an undici Pool, each answer one fetch outcome.
import { Observable } from 'rxjs';
import { Pool, type Dispatcher } from 'undici';
import { errorResponse } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import { after, type Clock } from '../time/clock.js';
import type { OriginPort } from './fetcher.js';
import type { FailureCause, FetchOutcome } from './messages.js';
import { readHttpAnswer } from './http-answer.js';
import { httpCaching, HttpValidator, type ResponseHeaders } from './http-freshness.js';
import { KEY_LEAVES_BASE, originPath, type OriginUrl } from './origin-url.js';

/** Where the HTTP origin is and how the proxy may use it. */
export interface HttpOriginOptions {
  url: OriginUrl;
  clock: Clock;
  /**
   * Milliseconds a fetch may take, counted from when it is asked (time waiting for a free
   * connection included), as the line-protocol link counts it; also undici's connect, headers and
   * body timeouts, so a stalled connection is given up at the socket too.
   */
  timeout: number;
  /** Connections open to the origin at most, each kept alive and carrying one request at a time. */
  maxConnections: number;
  /** Bytes of a body at most; a longer one is not read on (undici's maxResponseSize) and the fetch fails. */
  maxObjectSize: number;
  /** Milliseconds an answer that says nothing of its freshness stays fresh (--ttl; http-freshness.ts). */
  ttl: number;
  /** Headers every request carries (--origin-header; names in lower case, checked by `parseOriginHeader`). */
  headers?: Readonly<Record<string, string>>;
}

/** The origin port, and the pool to close when the proxy stops. */
export interface HttpOrigin {
  readonly port: OriginPort;
  close(): Promise<void>;
}

const ACCEPT = { accept: 'application/json' } as const;
const timedOut: FetchOutcome = { kind: 'failure', reason: 'origin timed out', cause: 'response-timeout' };

/** A fetch under way: `abort(outcome)` ends it with that outcome now; `abort()` drops it without one; either does nothing once it has ended. */
interface Abortable {
  abort(outcome?: FetchOutcome): void;
}

/**
 * An origin port on undici's Pool: keep-alive connections, at most `maxConnections`, no
 * pipelining (a slow answer holds up only its own request), redirects never followed. A key is
 * turned into a path by `originPath`; one that could leave the base path is answered BAD_REQUEST
 * and never sent. A conditional fetch (a validator given) sends If-None-Match / If-Modified-Since.
 * Answers are mapped by `readHttpAnswer`; a body is read only for a 2xx, and drained otherwise so
 * the connection stays reusable.
 *
 * Failures, with the reasons and causes the line-protocol link gives: `origin unreachable` (refused,
 * no such host), `origin connect timed out` and `origin TLS handshake failed`, all `conn-failure`;
 * `origin timed out`, `response-timeout`; `origin connection lost` (reset, closed mid-answer),
 * `empty-response`; and `origin answered more than N bytes (--max-object-size)`, `junk-response`.
 */
export function httpOrigin(options: HttpOriginOptions): HttpOrigin {
  const { url, clock, timeout, maxObjectSize } = options;
  const pool = new Pool(url.origin, {
    connections: options.maxConnections,
    pipelining: 1,
    connectTimeout: timeout,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    maxResponseSize: maxObjectSize,
  });
  const caching = httpCaching(clock, options.ttl);
  const ask = { ...ACCEPT, ...options.headers };
  const refused: FetchOutcome = { kind: 'answer', answer: errorResponse(Status.BAD_REQUEST, KEY_LEAVES_BASE), notFound: false };

  /**
   * One GET on the pool, through undici's `dispatch` and a handler rather than `pool.request`: no
   * AbortSignal, body stream or promise per fetch, which a cold burst pays for a thousand times
   * over (docs/performance.md, "HTTP origin vs nginx"). Calls `done` once, with the answer, the
   * failure, or the outcome `abort` is given when that comes first; a request still queued for a
   * connection then is dropped as soon as undici hands it one, before anything is sent.
   */
  const dispatch = (path: string, validator: HttpValidator | undefined, done: (outcome: FetchOutcome) => void): Abortable => {
    const headers = validator === undefined ? ask : { ...ask, ...caching.conditional(validator, path) };
    let controller: Dispatcher.DispatchController | undefined;
    let gaveUp: Error | undefined;
    let finished = false;
    let status = 0;
    let answerHeaders: ResponseHeaders = {};
    const chunks: Buffer[] = [];
    const finish = (outcome: FetchOutcome): void => {
      if (finished) return;
      finished = true;
      done(outcome);
    };
    pool.dispatch(
      { path, method: 'GET', headers },
      {
        onRequestStart(c) {
          controller = c;
          if (gaveUp !== undefined) c.abort(gaveUp);
        },
        onResponseStart(_c, statusCode, h) {
          status = statusCode;
          answerHeaders = h;
        },
        onResponseData(_c, chunk) {
          // Only a 2xx body is read; any other is left to drain so the connection stays reusable.
          if (status >= 200 && status < 300) chunks.push(chunk);
        },
        onResponseEnd() {
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          finish(readHttpAnswer(caching, path, { status, headers: answerHeaders, body }, validator));
        },
        onResponseError(_c, err) {
          finish(gaveUp !== undefined ? timedOut : failureOf(err, maxObjectSize));
        },
      },
    );
    return {
      abort(outcome) {
        if (finished) return;
        gaveUp = new Error(outcome === undefined ? 'abandoned' : 'origin timed out');
        if (outcome !== undefined) finish(outcome);
        else finished = true;
        controller?.abort(gaveUp);
      },
    };
  };

  return {
    port: (key, validator) =>
      new Observable<FetchOutcome>((subscriber) => {
        const path = originPath(url, key);
        if (path === undefined) {
          subscriber.next(refused);
          subscriber.complete();
          return undefined;
        }
        // The deadline counts from here, time waiting for a free connection included.
        const deadline = after(clock, timeout, () => request.abort(timedOut));
        const request = dispatch(path, validator instanceof HttpValidator ? validator : undefined, (outcome) => {
          deadline.unsubscribe();
          subscriber.next(outcome);
          subscriber.complete();
        });
        // Unsubscribed before the answer (the proxy stopping): the request is abandoned.
        return () => {
          deadline.unsubscribe();
          request.abort();
        };
      }),
    close: () => pool.destroy(),
  };
}

/** The failure of a fetch that threw, by undici's error codes and the socket's. */
function failureOf(err: unknown, maxObjectSize: number): FetchOutcome {
  const code = codeOf(err) ?? codeOf((err as { cause?: unknown } | null)?.cause) ?? '';
  const failure = (reason: string, cause: FailureCause): FetchOutcome => ({ kind: 'failure', reason, cause });
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return failure('origin connect timed out', 'conn-failure');
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return timedOut;
    case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      return failure(`origin answered more than ${maxObjectSize} bytes (--max-object-size)`, 'junk-response');
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return failure('origin unreachable', 'conn-failure');
    default:
      return code.includes('CERT') || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')
        ? failure('origin TLS handshake failed', 'conn-failure')
        : failure('origin connection lost', 'empty-response');
  }
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
