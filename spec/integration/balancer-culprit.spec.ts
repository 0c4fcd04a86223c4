// The right culprit, on real processes: a proxy that answers (an ORIGIN_FAILURE, or a slow miss the
// balancer gives up on with PROXY_TIMEOUT) stays healthy, in turn and unejected, and its requests
// go to no other proxy; a proxy that does not answer at all still goes down by its probes.
import net from 'node:net';
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, SpecServer, exchange, metricsOf, onLines, sampleData, type Answer } from './helpers.js';

interface ProxyReport {
  healthy: boolean;
  ejected: boolean;
  reason: string | null;
  requests: number;
  failures: number;
  timeouts: number;
}

const address = (p: NodeProcess): string => `127.0.0.1:${p.port}`;

/**
 * An origin that answers `GET warm/<n>` at once and never answers any other line: a dead
 * origin behind a live socket, for every key but the warm ones.
 */
class SilentOrigin extends SpecServer {
  readonly seen: string[] = [];

  constructor() {
    super((socket: net.Socket) =>
      onLines(socket, (line) => {
        this.seen.push(line);
        if (line.startsWith('GET warm/')) socket.write(`${JSON.stringify({ status: 'OK', data: { key: line.slice(4) } })}\n`);
      }),
    );
  }
}

describe('the right culprit at the balancer (integration)', function () {
  this.timeout(30_000);
  const nodes = new Nodes();
  const servers: SpecServer[] = [];

  afterEach(async function () {
    await nodes.stopAll();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const silentOrigin = async (): Promise<SilentOrigin> => {
    const origin = new SilentOrigin();
    servers.push(origin);
    await origin.listen();
    return origin;
  };

  const proxy = (originPort: number, ...args: string[]): Promise<NodeProcess> =>
    nodes.start('proxy', ['--port', '0', '--origin-port', String(originPort), ...args]);

  // Ejection and fall as strict as they go where the test allows: a single failure held against a
  // proxy would take it out. Probes every 100 ms, so they run all through each test.
  const balancer = (members: readonly NodeProcess[], ...args: string[]): Promise<NodeProcess> =>
    nodes.start('load-balancer', ['--port', '0', '--health-interval', '100', '--eject-after', '1', ...args, '--proxies', ...members.map(address)]);

  /** `keys` as GETs pipelined on one connection, each with its key as its id; the answers in the order of `keys`. */
  const getAll = async (port: number, keys: readonly string[]): Promise<Answer[]> => {
    const answers = await exchange(port, keys.map((key) => `{"op":"GET","key":"${key}","id":"${key}"}\n`).join(''), keys.length);
    // Answers to requests with ids may overtake one another.
    return keys.map((key) => answers.find((a) => a.id === key) ?? { status: 'MISSING', id: key });
  };

  const reportsOf = async (lb: NodeProcess, members: readonly NodeProcess[]): Promise<ProxyReport[]> => {
    const proxies = (await metricsOf(lb.port)).proxies as Record<string, ProxyReport>;
    return members.map((m) => proxies[address(m)]!);
  };

  it('relays ORIGIN_FAILURE from a proxy whose origin never answers, and keeps that proxy healthy, unejected, with no retry', async function () {
    const origin = await silentOrigin();
    const p = await proxy(origin.port, '--origin-timeout', '200');
    const lb = await balancer([p]);
    const keys = Array.from({ length: 8 }, (_, i) => `cold/${i}`);
    const answers = await getAll(lb.port, keys);
    expect(answers.map((a) => [a.id, a.status, a.error])).to.deep.equal(keys.map((key) => [key, 'ORIGIN_FAILURE', 'origin timed out']));
    expect(origin.seen, 'the proxy asked the origin').to.include('GET cold/0');
    const [report] = await reportsOf(lb, [p]);
    expect(report).to.deep.include({ healthy: true, ejected: false, reason: null, failures: 0, timeouts: 0, requests: 8 });
    expect(await metricsOf(lb.port)).to.deep.include({ requests: 8, retries: 0, errors: 0, forward_failures: 0, forward_timeouts: 0 });
  });

  it('answers PROXY_TIMEOUT for a miss slower than --request-timeout, retries it nowhere, and still serves a cached key from that proxy', async function () {
    const origin = await silentOrigin();
    // A proxy answers a cold key here only after an origin timeout of 1 s (not retried): far past the balancer's 300 ms.
    const members = [await proxy(origin.port, '--origin-timeout', '1000'), await proxy(origin.port, '--origin-timeout', '1000')];
    const lb = await balancer(members, '--request-timeout', '300');
    const [warm] = await getAll(lb.port, ['warm/1']);
    expect(warm!.status).to.equal('OK');
    const owner = members.findIndex((m) => m.port === warm!.node);
    expect(owner, 'the warm key was answered by one of the proxies').to.be.at.least(0);

    const keys = Array.from({ length: 6 }, (_, i) => `cold/${i}`);
    const answers = await getAll(lb.port, keys);
    expect(answers.map((a) => [a.id, a.status, a.error])).to.deep.equal(
      keys.map((key) => [key, 'PROXY_TIMEOUT', 'the proxy did not answer within 300 ms (--request-timeout)']),
    );

    const [cached] = await getAll(lb.port, ['warm/1']);
    expect(cached).to.deep.include({ status: 'OK', cache_hit: true, node: members[owner]!.port });

    const reports = await reportsOf(lb, members);
    for (const report of reports) expect(report).to.deep.include({ healthy: true, ejected: false, reason: null, failures: 0 });
    expect(reports.reduce((sum, r) => sum + r.timeouts, 0)).to.equal(6);
    // 8 GETs, 8 forwards: not one was sent on to the other proxy.
    expect(reports.reduce((sum, r) => sum + r.requests, 0)).to.equal(8);
    expect(await metricsOf(lb.port)).to.deep.include({ requests: 8, retries: 0, errors: 6, forward_failures: 0, forward_timeouts: 6 });
  });

  it('takes a SIGSTOPped proxy down by its probes, and retries what timed out on it elsewhere: every GET is OK', async function () {
    const origin = await nodes.start('origin', ['--port', '0', '--data-dir', sampleData]);
    const members = [await proxy(origin.port), await proxy(origin.port)];
    // The probes find a hung proxy (2 x 100 ms apart, 200 ms each) well within the 1.5 s a request may take.
    const lb = await balancer(members, '--strategy', 'round_robin', '--health-timeout', '200', '--fall', '2', '--eject-after', '0', '--request-timeout', '1500');
    expect((await getAll(lb.port, ['article/1', 'article/2'])).map((a) => a.status)).to.deep.equal(['OK', 'OK']);
    const victim = members[0]!;
    victim.child.kill('SIGSTOP');
    try {
      const keys = Array.from({ length: 6 }, (_, i) => `article/${10 + i}`);
      const answers = await getAll(lb.port, keys);
      expect(answers.map((a) => [a.id, a.status, a.node])).to.deep.equal(keys.map((key) => [key, 'OK', members[1]!.port]));
      const [stopped] = await reportsOf(lb, [victim]);
      expect(stopped).to.deep.include({ healthy: false, reason: 'probe timeout', failures: 0 });
      expect(stopped!.timeouts, 'the requests it held timed out').to.be.at.least(1);
      const counters = await metricsOf(lb.port);
      expect(counters.retries, 'each was retried on the other proxy').to.equal(stopped!.timeouts);
      expect(counters.errors).to.equal(0);
    } finally {
      victim.child.kill('SIGCONT');
    }
  });
});
