// A node:http origin for the HTTP-origin specs: answers as each test says, records every request and connection.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';

/** One request the origin received. */
export interface Seen {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
}

export type Handler = (request: http.IncomingMessage, response: http.ServerResponse, seen: number) => void;

/** Answers 200 with `data` as JSON and the given headers. */
export function json(response: http.ServerResponse, data: unknown, headers: http.OutgoingHttpHeaders = {}, status = 200): void {
  const body = JSON.stringify(data);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  response.end(body);
}

/** A certificate and its key, in PEM, for an HTTPS origin. */
export interface Tls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * An HTTP origin on an ephemeral port of 127.0.0.1, HTTPS with `tls`. `handler` may be replaced
 * between requests; the default echoes the path it was asked for (`{"path":"/base/a"}`) with
 * `Cache-Control: max-age=60`. `close` ends every connection, so nothing a test started outlives it.
 */
export class HttpTestOrigin {
  readonly seen: Seen[] = [];
  /** Connections accepted since start, open now, and open at once at most. */
  connections = 0;
  open = 0;
  maxOpen = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    public handler: Handler = (request, response) => json(response, { path: request.url }, { 'cache-control': 'max-age=60' }),
    private readonly tls?: Tls,
  ) {
    const serve = (request: http.IncomingMessage, response: http.ServerResponse): void => {
      this.seen.push({ path: request.url ?? '', headers: request.headers });
      this.handler(request, response, this.seen.length);
    };
    this.server = tls === undefined ? http.createServer(serve) : https.createServer({ cert: tls.cert, key: tls.key }, serve);
    this.server.on('connection', (socket: Socket) => {
      this.connections++;
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      this.sockets.add(socket);
      socket.once('close', () => {
        this.open--;
        this.sockets.delete(socket);
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** The origin's URL with `basePath`, for --origin-url. */
  url(basePath = '/'): string {
    return `${this.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.port}${basePath}`;
  }

  /** Requests seen for `path`. */
  count(path: string): number {
    return this.seen.filter((s) => s.path === path).length;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
