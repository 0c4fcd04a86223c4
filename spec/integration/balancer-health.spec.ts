// The balancer's health and round robin over real processes, with proxies scripted to fail some
// forwards: failures that are not in a row never take a proxy down, and retries leave round
// robin's rotation to first attempts.
import net from 'node:net';
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Client } from '../../lib/client/client.js';
import { Nodes, SpecServer, metricsOf } from './helpers.js';

interface ProxyReport {
  healthy: boolean;
  reason: string | null;
  requests: number;
  failures: number;
  [field: string]: unknown;
}

/**
 * A proxy played by the spec: it answers each GET line, text or JSON (echoing the id), with an OK
 * answer naming its port, except the lines `fails` picks by their number (1, 2, ...) over all its
 * connections, which it answers with a line that is not JSON: a failed forward (`garbage`).
 */
class ScriptedProxy extends SpecServer {
  gets = 0;

  constructor(fails: (n: number) => boolean) {
    super((socket: net.Socket) => {
      let buffered = '';
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let answers = '';
        for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          answers += this.answer(line, fails);
        }
        if (answers !== '') socket.write(answers);
      });
    });
  }

  private answer(line: string, fails: (n: number) => boolean): string {
    const json = line.startsWith('{') ? (JSON.parse(line) as { op?: string; key?: string; id?: unknown }) : undefined;
    const op = json?.op ?? line.split(' ')[0];
    if (op !== 'GET') return `${JSON.stringify({ status: 'OK', data: {} })}\n`;
    if (fails(++this.gets)) return 'xx\n';
    const answer: Record<string, unknown> = { status: 'OK', data: { key: json?.key ?? line.slice(4), node: this.port } };
    if (json?.id !== undefined) answer.id = json.id;
    return `${JSON.stringify(answer)}\n`;
  }
}

describe('load balancer health and rotation (integration)', function () {
  this.timeout(30_000);
  const nodes = new Nodes();
  const servers: ScriptedProxy[] = [];
  const clients: Client[] = [];

  afterEach(async function () {
    for (const client of clients.splice(0)) client.close();
    await nodes.stopAll();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const scripted = async (fails: (n: number) => boolean): Promise<ScriptedProxy> => {
    const server = new ScriptedProxy(fails);
    servers.push(server);
    await server.listen();
    return server;
  };

  // Probes every minute: none during a test, so only forwards count toward fall.
  const balancer = (members: readonly ScriptedProxy[], ...args: string[]): Promise<NodeProcess> =>
    nodes.start('load-balancer', ['--port', '0', '--strategy', 'round_robin', '--health-interval', '60000', '--eject-after', '0', ...args, '--proxies', ...members.map((m) => `127.0.0.1:${m.port}`)]);

  /** `count` GETs, one at a time; the statuses tallied. */
  const getInTurn = async (lbPort: number, count: number): Promise<Record<string, number>> => {
    const client = new Client({ port: lbPort, timeout: 10_000 });
    clients.push(client);
    const statuses: Record<string, number> = {};
    for (let i = 0; i < count; i++) {
      const { status } = await client.get(`k/${i}`);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    return statuses;
  };

  const reportOf = async (lbPort: number, proxy: ScriptedProxy): Promise<ProxyReport> =>
    ((await metricsOf(lbPort)).proxies as Record<string, ProxyReport>)[`127.0.0.1:${proxy.port}`]!;

  it('keeps up a proxy whose every third forward fails with --fall 3: ok, ok, fail is never three in a row', async function () {
    const flaky = await scripted((n) => n % 3 === 0);
    const steady = await scripted(() => false);
    const lb = await balancer([flaky, steady], '--fall', '3');
    // Round robin: 30 first attempts to each; the flaky one's 10 failures are retried on the other.
    expect(await getInTurn(lb.port, 60)).to.deep.equal({ OK: 60 });
    expect(flaky.gets).to.equal(30);
    expect(await reportOf(lb.port, flaky)).to.deep.include({ healthy: true, reason: null, requests: 30, failures: 10 });
  });

  it('still takes it down on three failed forwards in a row', async function () {
    // Its 3rd, 4th and 5th GETs fail: down on the 5th, after which it gets no more.
    const failing = await scripted((n) => n >= 3 && n <= 5);
    const steady = await scripted(() => false);
    const lb = await balancer([failing, steady], '--fall', '3');
    expect(await getInTurn(lb.port, 30)).to.deep.equal({ OK: 30 });
    expect(failing.gets).to.equal(5);
    expect(await reportOf(lb.port, failing)).to.deep.include({ healthy: false, reason: 'traffic garbage', requests: 5, failures: 3 });
  });

  it('gives each of 3 proxies 100 of 300 first attempts under round robin while one always fails, its retries to the next', async function () {
    const first = await scripted(() => false);
    const failing = await scripted(() => true);
    const third = await scripted(() => false);
    // Health and the retry budget wide open, so the failing proxy stays in turn and every failure is retried.
    const lb = await balancer([first, failing, third], '--fall', '1000', '--retry-budget', '100');
    expect(await getInTurn(lb.port, 300)).to.deep.equal({ OK: 300 });
    expect([first.gets, failing.gets, third.gets]).to.deep.equal([100, 100, 200]);
    const metrics = await metricsOf(lb.port);
    expect(metrics).to.deep.include({ current_index: 0, requests: 300, retries: 100 });
    const proxies = metrics.proxies as Record<string, ProxyReport>;
    expect([first, failing, third].map((p) => proxies[`127.0.0.1:${p.port}`]!.requests)).to.deep.equal([100, 100, 200]);
  });
});
