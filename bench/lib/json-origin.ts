// An HTTP JSON API for the HTTP-origin stage: answers GET <base><key> after a fixed delay with a body
// and a Cache-Control a cache in front may keep, and counts every request that reached it.
import http from 'node:http';
import type net from 'node:net';
import type { RunningNode } from '../../lib/net/lifecycle.js';
import { after, realClock } from '../../lib/time/clock.js';
import { serveForBursts } from './listen.js';
import { OriginTally, type OriginCounts } from './scripted-origin.js';

export interface JsonOriginOptions {
  host: string;
  port: number;
  /** Milliseconds from a request's arrival to its answer. */
  delayMs: number;
  /** The `max-age` of every 200, in seconds. */
  maxAgeS: number;
  /** The path the keys live under, with its leading and trailing `/`, e.g. `/base/`. */
  base: string;
}

/** The control paths, answered at once and never counted. */
export const METRICS_PATH = '/__metrics';
export const RESET_PATH = '/__reset';

/** The body of the 200 for `key`: what a cache in front stores and a client gets back. */
export function documentOf(key: string): { key: string } {
  return { key };
}

/**
 * Starts the origin (HTTP/1.1, keep-alive). `GET <base><key>` is answered `delayMs` after it
 * arrived: 200, `Content-Type: application/json`, `Cache-Control: max-age=<maxAgeS>` and
 * `{"key":"<key>"}`, the key percent-decoded; any other path 404 and any other method 405, after
 * the same delay. Every one of them is counted in an `OriginTally` under its path without the query
 * (leading `/` dropped: `base/<key>`); `GET /__metrics` answers the tally's `OriginCounts` as JSON,
 * `GET /__reset` zeroes it.
 */
export async function startJsonOrigin(options: JsonOriginOptions): Promise<RunningNode> {
  const tally = new OriginTally();
  const connOf = new WeakMap<net.Socket, number>();
  let nextConn = 0;

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === METRICS_PATH) return json(res, 200, tally.snapshot());
    if (req.method === 'GET' && path === RESET_PATH) {
      tally.reset();
      return json(res, 200, { reset: true });
    }
    const conn = connOf.get(req.socket) ?? -1;
    tally.received(conn, path);
    const timer = after(realClock, options.delayMs, () => {
      tally.answered(conn);
      if (req.method !== 'GET') return json(res, 405, { error: `method ${req.method} not allowed` });
      if (!path.startsWith(options.base) || path.length === options.base.length) return json(res, 404, { error: 'not found' });
      let key: string;
      try {
        key = decodeURIComponent(path.slice(options.base.length));
      } catch {
        return json(res, 404, { error: 'not found' });
      }
      json(res, 200, documentOf(key), { 'cache-control': `max-age=${options.maxAgeS}` });
    });
    res.once('close', () => timer.unsubscribe());
    req.resume();
  });
  // A cache keeps its idle origin connections for a minute (nginx's keepalive_timeout); Node's 5 s
  // default would close them under it between rounds.
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket: net.Socket) => {
    const conn = nextConn++;
    connOf.set(socket, conn);
    socket.setNoDelay(true);
    socket.once('close', () => tally.closed(conn));
  });

  return serveForBursts(server, options.port, options.host, () => server.closeAllConnections());
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The origin's counts, read over HTTP from its metrics path; rejects after `timeoutMs` or on anything but a 200 of JSON. */
export function originCountsOf(port: number, timeoutMs = 10_000): Promise<OriginCounts> {
  return control<OriginCounts>(port, METRICS_PATH, timeoutMs);
}

/** Zeroes the origin's counts (its reset path); rejects as `originCountsOf` does. */
export async function resetOrigin(port: number, timeoutMs = 10_000): Promise<void> {
  await control<unknown>(port, RESET_PATH, timeoutMs);
}

function control<T>(port: number, path: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${path} at :${port} answered ${res.statusCode}`));
        try {
          resolve(JSON.parse(text) as T);
        } catch {
          reject(new Error(`${path} at :${port} answered garbage`));
        }
      });
    });
    req.once('timeout', () => req.destroy(new Error(`no answer from ${path} at :${port} in ${timeoutMs} ms`)));
    req.once('error', reject);
  });
}
