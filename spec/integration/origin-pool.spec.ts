// The proxy's pool of origin connections over real processes: no request waits behind another at an origin that answers in order, a slow origin costs a timeout, misses waiting at the cap cost cached keys nothing.
import { expect } from 'chai';
import { Nodes, SpecServer, metricsOf, onLines, open, waitFor, type Answer, type RawConnection } from './helpers.js';

/**
 * An origin that answers the lines of each connection in order, one at a time, as most HTTP/1.1
 * and simple line servers do: `latency(key)` ms after it starts on one, or, when that is
 * undefined, only once `release()` is called. It counts what it holds at once.
 */
class InOrderOrigin extends SpecServer {
  /** Requests read. */
  requests = 0;
  /** Requests read and not yet answered, now and at most. */
  working = 0;
  maxWorking = 0;
  /** Connections open, now and at most. */
  connections = 0;
  maxConnections = 0;
  private readonly held: Array<() => void> = [];
  private released = false;

  constructor(public latency: (key: string) => number | undefined) {
    super((socket) => {
      this.maxConnections = Math.max(this.maxConnections, ++this.connections);
      socket.once('close', () => this.connections--);
      const lines: string[] = [];
      let busy = false;
      const next = (): void => {
        if (busy || lines.length === 0) return;
        busy = true;
        const key = lines.shift()!.slice('GET '.length);
        const answer = (): void => {
          this.working--;
          busy = false;
          if (!socket.destroyed) socket.write(`${JSON.stringify({ status: 'OK', data: { key } })}\n`);
          next();
        };
        const ms = this.latency(key);
        if (ms !== undefined) setTimeout(answer, ms);
        else if (this.released) answer();
        else this.held.push(answer);
      };
      onLines(socket, (line) => {
        this.requests++;
        this.maxWorking = Math.max(this.maxWorking, ++this.working);
        lines.push(line);
        next();
      });
    });
  }

  /** Requests held for `release()`. */
  get holding(): number {
    return this.held.length;
  }

  /** Answers every held request, and every later one at once. */
  release(): void {
    this.released = true;
    for (const answer of this.held.splice(0)) answer();
  }
}

/** Sends `keys` as GET lines on a fresh connection, in one write; read the answers from its reader. */
async function sendGets(port: number, keys: readonly string[]): Promise<RawConnection> {
  const connection = await open(port);
  connection.send(keys.map((k) => `GET ${k}\n`).join(''));
  return connection;
}

const range = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}/${i}`);

describe('origin pool (integration)', function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  const servers: SpecServer[] = [];
  const connections: RawConnection[] = [];

  afterEach(async () => {
    for (const c of connections.splice(0)) c.close();
    await nodes.stopAll();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function originAndProxy(latency: (key: string) => number | undefined, ...proxyArgs: string[]): Promise<{ origin: InOrderOrigin; port: number }> {
    const origin = new InOrderOrigin(latency);
    await origin.listen();
    servers.push(origin);
    const proxy = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port), ...proxyArgs]);
    return { origin, port: proxy.port };
  }

  async function answersTo(port: number, keys: readonly string[]): Promise<Answer[]> {
    const connection = await sendGets(port, keys);
    connections.push(connection);
    return connection.reader.readAnswers(keys.length, 30_000);
  }

  const okFor = (keys: readonly string[], cacheHit: boolean): Pick<Answer, 'status' | 'data' | 'cache_hit'>[] =>
    keys.map((key) => ({ status: 'OK', data: { key }, cache_hit: cacheHit }));
  const statusDataHit = (answers: Answer[]): Pick<Answer, 'status' | 'data' | 'cache_hit'>[] =>
    answers.map(({ status, data, cache_hit }) => ({ status, data, cache_hit }));

  it('sends 100 concurrent cold keys to an origin answering in order at once, each on a connection of its own', async () => {
    const { origin, port } = await originAndProxy(() => 50);
    const keys = range('cold', 100);
    expect(statusDataHit(await answersTo(port, keys))).to.deep.equal(okFor(keys, false));
    expect(origin.requests).to.equal(100);
    // Pipelined on a few connections, an in-order origin would hold at most one request per connection.
    expect(origin.maxConnections).to.be.greaterThan(16);
    expect(origin.maxWorking).to.be.greaterThan(16);
  });

  it('opens no more origin connections than --origin-max-connections, and queues the misses past them', async () => {
    const { origin, port } = await originAndProxy(() => 20, '--origin-max-connections', '4');
    const keys = range('capped', 40);
    expect(statusDataHit(await answersTo(port, keys))).to.deep.equal(okFor(keys, false));
    expect(origin.requests).to.equal(40);
    expect(origin.maxConnections).to.equal(4);
    expect(origin.maxWorking).to.equal(4);
  });

  it('answers every miss ORIGIN_FAILURE while the origin is slower than --origin-timeout, and the next misses OK once it is fast', async () => {
    let slow = true;
    const { port } = await originAndProxy(() => (slow ? 1000 : 5), '--origin-timeout', '200');
    const late = range('late', 20);
    const failures = await answersTo(port, late);
    expect(failures).to.deep.equal(late.map(() => ({ status: 'ORIGIN_FAILURE', error: 'origin timed out' })));
    slow = false;
    const next = range('next', 20);
    expect(statusDataHit(await answersTo(port, next))).to.deep.equal(okFor(next, false));
  });

  it('answers cached keys while 2,000 misses wait at a slow origin, the pool full, then answers every miss', async () => {
    const { origin, port } = await originAndProxy((key) => (key.startsWith('cached/') ? 0 : undefined), '--origin-timeout', '60000');
    const cached = range('cached', 50);
    expect(statusDataHit(await answersTo(port, cached))).to.deep.equal(okFor(cached, false));

    const misses = range('miss', 2000);
    const missConnections: RawConnection[] = [];
    for (let i = 0; i < misses.length; i += 100) missConnections.push(await sendGets(port, misses.slice(i, i + 100)));
    connections.push(...missConnections);
    await waitFor('the origin to hold the default cap of 1024 misses', async () => (origin.holding === 1024 ? true : undefined), 30_000);

    const hits: Answer[] = [];
    for (let i = 0; i < 10; i++) hits.push(...(await answersTo(port, cached.slice(i * 5, i * 5 + 5).flatMap((k) => [k, k, k, k]))));
    expect(hits).to.have.length(200);
    expect(hits.every((a) => a.status === 'OK' && a.cache_hit === true)).to.equal(true);
    expect(missConnections.map((c) => c.reader.unread)).to.deep.equal(missConnections.map(() => 0));
    expect(origin.maxWorking).to.equal(1024);

    origin.release();
    const answered = (await Promise.all(missConnections.map((c) => c.reader.readAnswers(100, 30_000)))).flat();
    expect(statusDataHit(answered)).to.deep.equal(okFor(misses, false));
  });
  it('answers cached keys through the balancer while 2,000 misses wait at a slow origin, the proxy healthy and unblamed', async () => {
    const { origin, port } = await originAndProxy((key) => (key.startsWith('cached/') ? 0 : undefined), '--origin-timeout', '60000');
    const lb = await nodes.start('load-balancer', ['--port', '0', '--request-timeout', '120000', '--eject-after', '1', '--proxies', `127.0.0.1:${port}`]);
    const cached = range('cached', 50);
    expect(statusDataHit(await answersTo(lb.port, cached))).to.deep.equal(okFor(cached, false));

    const misses = range('miss', 2000);
    const missConnections: RawConnection[] = [];
    for (let i = 0; i < misses.length; i += 100) missConnections.push(await sendGets(lb.port, misses.slice(i, i + 100)));
    connections.push(...missConnections);
    await waitFor('the origin to hold the default cap of 1024 misses', async () => (origin.holding === 1024 ? true : undefined), 30_000);

    const hits: Answer[] = [];
    for (let i = 0; i < 10; i++) hits.push(...(await answersTo(lb.port, cached.slice(i * 5, i * 5 + 5).flatMap((k) => [k, k, k, k]))));
    expect(statusDataHit(hits)).to.deep.equal(okFor(cached.flatMap((k) => [k, k, k, k]), true));
    expect(missConnections.map((c) => c.reader.unread)).to.deep.equal(missConnections.map(() => 0));
    const report = Object.values((await metricsOf(lb.port)).proxies as Record<string, Record<string, unknown>>)[0];
    expect(report).to.deep.include({ healthy: true, ejected: false, failures: 0, timeouts: 0 });

    origin.release();
    const answered = (await Promise.all(missConnections.map((c) => c.reader.readAnswers(100, 30_000)))).flat();
    expect(statusDataHit(answered)).to.deep.equal(okFor(misses, false));
    expect(await metricsOf(lb.port)).to.deep.include({ retries: 0, errors: 0, forward_failures: 0, forward_timeouts: 0 });
  });
});
