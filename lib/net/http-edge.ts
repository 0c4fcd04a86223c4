// The HTTP edge beside a node's TCP edge: GET routes for Prometheus and the stats page, on --metrics-port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a route serves: a body and its content type. */
export interface HttpBody {
  readonly type: string;
  readonly body: string;
}

/** Paths (`/metrics`, `/`) to what each serves; a route that rejects is answered 500 with its message. */
export type HttpRoutes = Readonly<Record<string, () => Promise<HttpBody>>>;

/**
 * A plain node:http server of a few read-only routes, so the actors never see HTTP: each route
 * asks the node's graph for a sample, as the TCP edge hands it requests. GET and HEAD only (else
 * 405 with `Allow`), unknown paths 404, the query string ignored; nothing is cached (`no-store`),
 * since every answer is a live reading.
 */
export class HttpEdge {
  private readonly server: http.Server;

  constructor(
    private readonly host: string,
    private readonly port: number,
    routes: HttpRoutes,
  ) {
    const table = new Map(Object.entries(routes));
    this.server = http.createServer((request, response) => {
      const route = table.get(new URL(request.url ?? '/', 'http://edge').pathname);
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n');
      } else if (route === undefined) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end(`no such page; try ${[...table.keys()].join(' ')}\n`);
      } else {
        route().then(
          ({ type, body }) => response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : body),
          (err: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
        );
      }
    });
    this.server.on('error', () => undefined);
  }

  /** Resolves with the address once listening; rejects when the port cannot be had. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops listening and closes every connection, idle keep-alive ones included. */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    return closed;
  }
}
