// The load balancer's routing over real processes: consistent hashing across proxies and balancers,
// failover and slow start, runtime membership, p2c, retries, outlier ejection, client failover.
import { execFile } from 'node:child_process';
import { expect } from 'chai';
import { binScript, type NodeProcess } from '../../lib/cluster/process.js';
import { Client, type Response } from '../../lib/client/client.js';
import { Nodes, SpecServer, closedPort, keyedKey, metricsOf, open, removeDir, waitFor, writeKeyedDocuments } from './helpers.js';

const KEYS = 10_000;
const key = keyedKey;
const keys = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => key(from + i));

interface ProxyReport {
  healthy: boolean;
  ejected: boolean;
  ejections: number;
  weight: number;
  state: string;
  [field: string]: unknown;
}

const address = (port: number): string => `127.0.0.1:${port}`;
const proxiesOf = async (lbPort: number): Promise<Record<string, ProxyReport>> =>
  (await metricsOf(lbPort)).proxies as Record<string, ProxyReport>;
const totalRequests = async (port: number): Promise<number> => (await metricsOf(port)).total_requests as number;

/**
 * Steady load: `conns` clients, each keeping `depth` GETs in flight on its one connection
 * (pipelined), cycling through `keyList`, until `stop`. Every answer's status is tallied.
 */
class Load {
  readonly statuses = new Map<string, number>();
  answered = 0;
  private stopping = false;
  private readonly running: Promise<void>;

  constructor(lbPort: number, conns: number, depth: number, keyList: readonly string[]) {
    let next = 0;
    const lane = async (client: Client): Promise<void> => {
      while (!this.stopping) {
        const answer = await client.get(keyList[next++ % keyList.length]!);
        this.answered++;
        this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
      }
    };
    this.running = Promise.all(
      Array.from({ length: conns }, async () => {
        const client = new Client({ port: lbPort, timeout: 10_000 });
        try {
          await Promise.all(Array.from({ length: depth }, () => lane(client)));
        } finally {
          client.close();
        }
      }),
    ).then(() => undefined);
  }

  /** Resolves once `count` more answers have come in than when called. */
  more(count: number): Promise<true> {
    const target = this.answered + count;
    return waitFor(`${count} more answers under load`, async () => (this.answered >= target ? true : undefined), 15_000, 10);
  }

  async stop(): Promise<Record<string, number>> {
    this.stopping = true;
    await this.running;
    return Object.fromEntries(this.statuses);
  }
}

describe('load balancer routing (integration)', function () {
  this.timeout(30_000);
  const nodes = new Nodes();
  // One origin for the tests that do not count its fetches; the others start their own.
  const sharedNodes = new Nodes();
  let shared: NodeProcess;
  const clients: Client[] = [];
  const servers: SpecServer[] = [];
  const loads: Load[] = [];
  let dataDir: string;

  before(async function () {
    dataDir = await writeKeyedDocuments(KEYS);
    shared = await sharedNodes.start('origin', ['--port', '0', '--data-dir', dataDir]);
  });

  after(async function () {
    await sharedNodes.stopAll();
    await removeDir(dataDir);
  });

  afterEach(async function () {
    await Promise.all(loads.splice(0).map((load) => load.stop()));
    for (const client of clients.splice(0)) client.close();
    await nodes.stopAll();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  const client = (...ports: number[]): Client => {
    const c = new Client({ addresses: ports.map((port) => ({ host: '127.0.0.1', port })), timeout: 10_000 });
    clients.push(c);
    return c;
  };

  const load = (lbPort: number, conns: number, depth: number, keyList: readonly string[]): Load => {
    const l = new Load(lbPort, conns, depth, keyList);
    loads.push(l);
    return l;
  };

  const origin = (...args: string[]): Promise<NodeProcess> => nodes.start('origin', ['--port', '0', '--data-dir', dataDir, ...args]);

  const proxy = (originPort: number, port = 0): Promise<NodeProcess> =>
    nodes.start('proxy', ['--port', String(port), '--origin-port', String(originPort)]);

  const proxies = (originPort: number, count: number): Promise<NodeProcess[]> =>
    Promise.all(Array.from({ length: count }, () => proxy(originPort)));

  const balancer = (members: readonly number[], ...args: string[]): Promise<NodeProcess> =>
    nodes.start('load-balancer', ['--port', '0', ...args, '--proxies', ...members.map(address)]);

  /** Asks each key in turn, one at a time (no load, so bounded loads never spill), and returns the answers. */
  const askEach = async (c: Client, keyList: readonly string[]): Promise<Response[]> => {
    const answers: Response[] = [];
    for (const k of keyList) answers.push(await c.get(k));
    return answers;
  };

  /**
   * Asks every key over `conns` connections, pipelined: each writes `window` request lines at a
   * time and reads their answers (in request order) before the next lines.
   */
  const askAll = async (lbPort: number, keyList: readonly string[], conns: number, window: number): Promise<Response[]> => {
    const answers = new Array<Response>(keyList.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: conns }, async () => {
        const conn = await open(lbPort);
        try {
          for (let from = next; from < keyList.length; from = next) {
            next = Math.min(from + window, keyList.length);
            conn.send(keyList.slice(from, next).map((k) => `GET ${k}\n`).join(''));
            (await conn.reader.readAnswers(next - from)).forEach((answer, i) => (answers[from + i] = answer));
          }
        } finally {
          conn.close();
        }
      }),
    );
    return answers;
  };

  const statusesOf = (answers: readonly Response[]): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
    return counts;
  };

  describe('consistent_hash (the default)', function () {
    /** 200 clients, each on its own connection, ask one cold key at once through a 3-proxy cluster behind a slow origin. */
    const crowd = async (...args: string[]) => {
      const slowOrigin = await origin('--latency', '200');
      const members = await proxies(slowOrigin.port, 3);
      const lb = await balancer(members.map((p) => p.port), ...args);
      const answers = await Promise.all(Array.from({ length: 200 }, () => client(lb.port).get('k/42')));
      expect(statusesOf(answers)).to.deep.equal({ OK: 200 });
      for (const answer of answers) expect(answer.data).to.deep.equal({ key: 'k/42' });
      const served = new Set(answers.map((a) => a.node));
      expect(members.map((p) => p.port)).to.include.members([...served]);
      return { served, fetches: await totalRequests(slowOrigin.port) };
    };

    it('sends 200 concurrent cold requests for one key to one proxy, which fetches it from the origin once', async function () {
      // The crowd would overload its proxy past the bound, but a key whose request its proxy has
      // not answered yet stays there: the proxy coalesces the crowd into one origin fetch.
      const { served, fetches } = await crowd();
      expect(served.size).to.equal(1);
      expect(fetches).to.equal(1);
    });

    /** All 10k keys asked once, pipelined over 4 connections, through a fresh 3-proxy cluster: the answers and the origin's fetch count. */
    const coldPass = async (...args: string[]) => {
      const o = await origin();
      const members = await proxies(o.port, 3);
      const lb = await balancer(members.map((p) => p.port), ...args);
      const all = keys(0, KEYS);
      const cold = await askAll(lb.port, all, 4, 64);
      expect(statusesOf(cold)).to.deep.equal({ OK: KEYS });
      cold.forEach((answer, i) => expect(answer.data).to.deep.equal({ key: all[i] }));
      const perProxy = await Promise.all(members.map(async (p) => (await metricsOf(p.port)).origin_fetches as number));
      for (const n of perProxy) expect(n, 'every proxy holds a share of the keys').to.be.above(KEYS / 6);
      const fetches = await totalRequests(o.port);
      expect(perProxy.reduce((sum, n) => sum + n), 'fetches counted by the proxies').to.equal(fetches);
      return { lb, o, all, cold, fetches };
    };

    it('fetches each of 10k keys pipelined over 4 connections from the origin once across all proxies', async function () {
      expect((await coldPass()).fetches).to.equal(KEYS);
    });

    it('answers 10k keys asked a second time all from cache, each on the proxy that fetched it, under the default bound', async function () {
      // Only a hot key leaves its proxy: pipelined load that is merely uneven moves none.
      const { lb, o, all, cold, fetches } = await coldPass();
      expect(fetches).to.equal(KEYS);
      const warm = await askAll(lb.port, all, 4, 64);
      expect(statusesOf(warm)).to.deep.equal({ OK: KEYS });
      expect(warm.filter((a) => a.cache_hit !== true).map((a) => a.node)).to.deep.equal([]);
      expect(warm.map((a) => a.node)).to.deep.equal(cold.map((a) => a.node));
      expect(await totalRequests(o.port)).to.equal(KEYS);
    });

    it('routes every key to the same proxy from two balancers given the same proxies, in any order', async function () {
      const members = (await proxies(shared.port, 3)).map((p) => p.port);
      const [first, second] = await Promise.all([balancer(members), balancer([...members].reverse())]);
      const sample = keys(1000, 200);
      const c = client(first!.port);
      const warmed = await askEach(c, sample);
      expect(statusesOf(warmed)).to.deep.equal({ OK: 200 });
      expect(new Set(warmed.map((a) => a.node)).size, 'the keys spread over every proxy').to.equal(3);

      const again = await askEach(client(second!.port), sample);
      expect(again.map((a) => a.node)).to.deep.equal(warmed.map((a) => a.node));
      expect(again.map((a) => a.cache_hit)).to.deep.equal(again.map(() => true));
    });
  });

  describe('a proxy that dies and comes back', function () {
    it('loses no request when a proxy is SIGKILLed under pipelined load, moves only its keys, and ramps it back in with its keys', async function () {
      const members = await proxies(shared.port, 3);
      const ports = members.map((p) => p.port);
      // The kill fails enough forwards in a row to eject the proxy too; a short ejection lets it back within the test.
      const lb = await balancer(ports, '--health-interval', '100', '--rise', '2', '--fall', '2', '--slow-start', '1', '--eject-time', '1');
      const victim = members[1]!;
      const sample = keys(0, 300);
      const c = client(lb.port);
      const before = (await askEach(c, sample)).map((a) => a.node);
      const moved = sample.filter((_k, i) => before[i] === victim.port);
      expect(moved.length, 'the victim owns some of the keys').to.be.above(30);

      const traffic = load(lb.port, 32, 8, keys(0, 3000));
      await traffic.more(3000);
      victim.child.kill('SIGKILL');
      await victim.exited;
      await waitFor('the balancer to mark the killed proxy down', async () => ((await proxiesOf(lb.port))[address(victim.port)]!.healthy ? undefined : true));
      await traffic.more(3000);
      expect(await traffic.stop()).to.have.keys('OK');
      const counters = await metricsOf(lb.port);
      expect(counters.retries, 'the kill did hit traffic, retried out of sight').to.be.at.least(1);

      const during = (await askEach(c, sample)).map((a) => a.node);
      sample.forEach((k, i) => {
        if (before[i] === victim.port) expect(during[i], k).to.be.oneOf(ports.filter((p) => p !== victim.port));
        else expect(during[i], `${k} stays where it was`).to.equal(before[i]);
      });

      const restarted = await proxy(shared.port, victim.port);
      expect(restarted.port).to.equal(victim.port);
      const weights: number[] = [];
      await waitFor(
        'the restarted proxy to be healthy at full weight',
        async () => {
          const report = (await proxiesOf(lb.port))[address(victim.port)]!;
          if (report.healthy && !report.ejected) weights.push(report.weight);
          return report.healthy && !report.ejected && report.weight === 1 ? true : undefined;
        },
        10_000,
        20,
      );
      const ramp = weights.filter((w) => w < 1);
      expect(ramp.length, `weights seen: ${weights.join(', ')}`).to.be.at.least(1);
      for (const w of ramp) expect(w).to.be.within(0.1, 1);

      const after = (await askEach(c, sample)).map((a) => a.node);
      expect(after).to.deep.equal(before);
    });
  });

  describe('runtime membership', function () {
    const admin = (lbPort: number, op: string, port: number, token?: string): Promise<Response> =>
      client(lbPort).send({ op, address: address(port), ...(token === undefined ? {} : { token }) });

    it('drains a proxy with zero errors, then adds and removes proxies, all behind the admin token', async function () {
      const o = await origin('--latency', '50');
      const members = await proxies(o.port, 3);
      const lb = await balancer(members.map((p) => p.port), '--admin-token', 'T');
      const drained = members[0]!;
      // Every key is new, so each request waits on the origin: the drained proxy has requests in flight.
      const traffic = load(lb.port, 6, 8, keys(0, KEYS));
      await traffic.more(300);

      expect((await admin(lb.port, 'DRAIN_PROXY', drained.port)).status).to.equal('UNAUTHORIZED');
      expect((await admin(lb.port, 'DRAIN_PROXY', drained.port, 'wrong')).status).to.equal('UNAUTHORIZED');
      // METRICS in the same write, so it is read right after the drain, before any answer can come.
      const conn = await open(lb.port);
      const [drain, during] = await (async () => {
        try {
          conn.send(`${JSON.stringify({ op: 'DRAIN_PROXY', address: address(drained.port), token: 'T', id: 1 })}\n{"op":"METRICS","id":2}\n`);
          return await conn.reader.readAnswers(2);
        } finally {
          conn.close();
        }
      })();
      expect(drain!.status).to.equal('OK');
      expect(drain!.data).to.include({ address: address(drained.port), state: 'draining' });
      expect((drain!.data as { in_flight: number }).in_flight, 'the drained proxy had requests in flight').to.be.at.least(1);
      expect((during!.data as { proxies: Record<string, ProxyReport> }).proxies[address(drained.port)]).to.include({ state: 'draining' });
      await waitFor('the drained proxy to leave', async () => (address(drained.port) in (await proxiesOf(lb.port)) ? undefined : true));
      const served = await totalRequests(drained.port);
      await traffic.more(300);
      expect(await totalRequests(drained.port), 'no request reaches a drained proxy').to.equal(served);

      const added = await proxy(o.port);
      expect((await admin(lb.port, 'ADD_PROXY', added.port)).status).to.equal('UNAUTHORIZED');
      expect((await admin(lb.port, 'ADD_PROXY', members[1]!.port, 'T')).status, 'adding a member twice').to.equal('BAD_REQUEST');
      const add = await admin(lb.port, 'ADD_PROXY', added.port, 'T');
      expect(add.status).to.equal('OK');
      expect((await proxiesOf(lb.port))[address(added.port)]).to.include({ state: 'active' });
      await waitFor('the added proxy to serve traffic', async () => ((await totalRequests(added.port)) > 0 ? true : undefined));

      const removed = members[2]!;
      expect((await admin(lb.port, 'REMOVE_PROXY', removed.port)).status).to.equal('UNAUTHORIZED');
      expect((await admin(lb.port, 'REMOVE_PROXY', removed.port, 'T')).status).to.equal('OK');
      expect(await proxiesOf(lb.port)).to.not.have.property(address(removed.port));
      // A request already sent to it may still be answered: wait until its count holds still under load.
      let last = -1;
      await waitFor('the removed proxy to stop receiving requests', async () => {
        const now = await totalRequests(removed.port);
        await traffic.more(100);
        const stable = now === last;
        last = now;
        return stable ? true : undefined;
      });
      expect(await totalRequests(removed.port)).to.equal(last);
      expect((await admin(lb.port, 'REMOVE_PROXY', removed.port, 'T')).status, 'removing a non-member').to.equal('BAD_REQUEST');

      expect(await traffic.stop()).to.have.keys('OK');
      expect(Object.keys(await proxiesOf(lb.port))).to.have.members([address(members[1]!.port), address(added.port)]);
    });
  });

  describe('admin ops without --admin-token', function () {
    it('refuses PURGE and every membership op, so no one can add a listener of their own and answer GETs', async function () {
      const [member] = await proxies(shared.port, 1);
      const lb = await balancer([member!.port]);
      // A listener that would answer every GET with forged data, were it a proxy.
      const forger = new SpecServer((socket) => socket.on('data', () => socket.write('{"status":"OK","data":"forged"}\n')));
      servers.push(forger);
      const forgerPort = await forger.listen();
      const disabled = { status: 'UNAUTHORIZED', error: 'admin ops are disabled: start the node with --admin-token <token> and send "token":"<token>"' };
      const c = client(lb.port);
      expect(await c.send({ op: 'ADD_PROXY', address: address(forgerPort) })).to.deep.equal(disabled);
      expect(await c.send({ op: 'ADD_PROXY', address: address(forgerPort), token: '' })).to.deep.equal(disabled);
      expect(await c.send({ op: 'DRAIN_PROXY', address: address(member!.port) })).to.deep.equal(disabled);
      expect(await c.send({ op: 'REMOVE_PROXY', address: address(member!.port), token: 'guess' })).to.deep.equal(disabled);
      expect(await c.send({ op: 'PURGE', prefix: '' })).to.deep.equal(disabled);
      expect(Object.keys(await proxiesOf(lb.port))).to.deep.equal([address(member!.port)]);
      const answers = await Promise.all(keys(0, 50).map((k) => c.get(k)));
      expect(answers.map((a) => a.node)).to.deep.equal(Array(50).fill(member!.port));
    });
  });

  describe('clients with several balancers', function () {
    it('fails over from a dead balancer to a live one, in the library and the CLI', async function () {
      const members = await proxies(shared.port, 2);
      const lb = await balancer(members.map((p) => p.port));
      const dead = await closedPort();
      const answer = await client(dead, lb.port).get('k/1');
      expect(answer.status).to.equal('OK');
      expect(answer.data).to.deep.equal({ key: 'k/1' });

      const cli = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        execFile(
          process.execPath,
          [binScript('client'), '--balancers', address(dead), address(lb.port), '--get', 'k/1'],
          { timeout: 15_000 },
          (err, stdout) => resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? null, stdout }),
        );
      });
      expect(cli.code, cli.stdout).to.equal(0);
      expect(JSON.parse(cli.stdout)).to.include({ status: 'OK' });
    });
  });

  describe('strategies and retries', function () {
    it('routes with p2c when asked to', async function () {
      const members = await proxies(shared.port, 3);
      const lb = await balancer(members.map((p) => p.port), '--strategy', 'p2c');
      const answers = await askAll(lb.port, keys(0, 300), 2, 16);
      expect(statusesOf(answers)).to.deep.equal({ OK: 300 });
      expect(new Set(answers.map((a) => a.node))).to.have.property('size', 3);
      expect((await metricsOf(lb.port)).strategy).to.equal('p2c');
    });

    // Probes are slow enough that only traffic can find the dead proxy.
    const withDeadProxy = async (...args: string[]): Promise<Record<string, number>> => {
      const members = await proxies(shared.port, 2);
      const dead = await closedPort();
      const lb = await balancer([dead, ...members.map((p) => p.port)], '--strategy', 'round_robin', '--health-interval', '60000', ...args);
      return statusesOf(await Promise.all(keys(0, 30).map((k) => client(lb.port).get(k))));
    };

    it('answers PROXY_UNREACHABLE for requests sent to a dead proxy when retries are off', async function () {
      const statuses = await withDeadProxy('--retries', '0');
      expect(statuses.PROXY_UNREACHABLE).to.be.at.least(1);
      expect((statuses.OK ?? 0) + statuses.PROXY_UNREACHABLE!).to.equal(30);
    });

    it('retries requests sent to a dead proxy on the others by default', async function () {
      expect(await withDeadProxy()).to.deep.equal({ OK: 30 });
    });

    it('ejects a proxy that answers garbage after consecutive failures, with no error reaching clients', async function () {
      const members = await proxies(shared.port, 2);
      const garbage = new SpecServer((socket) => socket.on('data', (chunk: Buffer) => socket.write('xx\n'.repeat(chunk.toString().split('\n').length - 1))));
      servers.push(garbage);
      await garbage.listen();
      // Probes are rare and the fall count high, so only outlier ejection can take the proxy out.
      const lb = await balancer([garbage.port, ...members.map((p) => p.port)], '--strategy', 'round_robin', '--eject-after', '3', '--fall', '100', '--health-interval', '60000');
      const c = client(lb.port);
      const answers = await askEach(c, keys(0, 12));
      expect(statusesOf(answers)).to.deep.equal({ OK: 12 });
      const report = (await proxiesOf(lb.port))[address(garbage.port)]!;
      expect(report.ejected).to.equal(true);
      expect(report.ejections).to.be.at.least(1);
      expect(report.reason).to.be.a('string').that.matches(/eject/);
    });
  });
});
