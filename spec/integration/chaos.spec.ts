// Chaos under load on real processes, counted exactly: proxies SIGKILLed and SIGSTOPped, the origin
// killed with and without stale-if-error, balancers restarted under the client library. Every
// request is answered once, with its own key's data, and with an error only where no proxy could
// serve it. (A proxy SIGKILLed and restarted under load is in balancer*.spec.ts.)
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Client } from '../../lib/client/client.js';
import { Nodes, exchange, keyedKey, metricsOf, removeDir, sleep, waitFor, writeKeyedDocuments } from './helpers.js';
import { TrackedLoad, clientTransport, outcome, rawTransport, type Tracked } from './tracked-load.js';

const KEYS = 300;
const RATE = 600;
const MAX_REQUESTS = 12_000;
const address = (p: NodeProcess): string => `127.0.0.1:${p.port}`;
/** Keys spread over the whole range, in the same order every run. */
const spread = (n: number): string => keyedKey((n * 7) % KEYS);

interface ProxyReport {
  healthy: boolean;
  ejected: boolean;
}

const proxyReport = async (lb: NodeProcess, proxy: NodeProcess): Promise<ProxyReport> =>
  ((await metricsOf(lb.port)).proxies as Record<string, ProxyReport>)[address(proxy)]!;

describe('chaos under load (integration)', function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  const loads: TrackedLoad[] = [];
  let dataDir: string;

  before(async function () {
    dataDir = await writeKeyedDocuments(KEYS);
  });

  after(() => removeDir(dataDir));

  afterEach(async function () {
    await Promise.all(loads.splice(0).map((l) => l.stop()));
    await nodes.stopAll();
  });

  const origin = (port = 0): Promise<NodeProcess> => nodes.start('origin', ['--port', String(port), '--data-dir', dataDir]);

  const proxies = (o: NodeProcess, ...args: string[]): Promise<NodeProcess[]> =>
    Promise.all([0, 1, 2].map(() => nodes.start('proxy', ['--port', '0', '--origin-port', String(o.port), ...args])));

  const balancer = (members: readonly NodeProcess[], args: readonly string[], port = 0): Promise<NodeProcess> =>
    nodes.start('load-balancer', ['--port', String(port), '--health-interval', '100', ...args, '--proxies', ...members.map(address)]);

  const rawLoad = async (lb: NodeProcess, key = spread): Promise<TrackedLoad> => {
    const load = new TrackedLoad(await rawTransport(lb.port, 8), { rate: RATE, maxRequests: MAX_REQUESTS, key });
    loads.push(load);
    return load;
  };

  const expectClean = (load: TrackedLoad, allowed: (t: Tracked) => readonly string[]): void => {
    expect(load.problems(allowed), JSON.stringify(load.byPhase())).to.deep.equal([]);
  };

  describe('proxies SIGKILLed', function () {
    it('answers every request once with its own key\'s data, all OK, while one proxy and then a second of three is killed', async function () {
      const o = await origin();
      const members = await proxies(o);
      const lb = await balancer(members, ['--fall', '2', '--rise', '2']);
      const load = await rawLoad(lb);
      load.phase = 'all up';
      await load.more(300);
      for (const [i, phase] of [[0, 'one killed'], [1, 'two killed']] as const) {
        const victim = members[i]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        load.phase = phase;
        await waitFor(`the balancer to mark ${phase}`, async () => ((await proxyReport(lb, victim)).healthy ? undefined : true));
        await load.more(600);
      }
      await load.stop();
      // One proxy left can serve every key: no request may fail.
      expectClean(load, () => ['OK']);
      expect(Object.keys(load.byPhase())).to.deep.equal(['all up', 'one killed', 'two killed']);
    });
  });

  describe('a proxy SIGSTOPped', function () {
    it('answers every request once, all OK, while a proxy is stopped for 3 s, and routes to it again after SIGCONT', async function () {
      const o = await origin();
      // Answers the stopped proxy owes are given up on after --request-timeout and retried elsewhere;
      // the late ones it sends after SIGCONT must reach no client.
      const members = await proxies(o, '--origin-timeout', '400');
      const lb = await balancer(members, ['--health-timeout', '300', '--fall', '2', '--rise', '2', '--request-timeout', '1000', '--eject-time', '1', '--slow-start', '1']);
      const victim = members[1]!;
      const load = await rawLoad(lb);
      load.phase = 'all up';
      await load.more(300);
      victim.child.kill('SIGSTOP');
      load.phase = 'stopped';
      try {
        await sleep(3000);
      } finally {
        victim.child.kill('SIGCONT');
      }
      load.phase = 'resumed';
      await waitFor('the balancer to take the proxy back', async () => {
        const report = await proxyReport(lb, victim);
        return report.healthy && !report.ejected ? true : undefined;
      });
      load.phase = 'back';
      await load.more(600);
      await load.stop();
      expectClean(load, () => ['OK']);
      const counters = await metricsOf(lb.port);
      expect(counters.retries, 'the stop held requests, which were retried on the other proxies').to.be.at.least(1);
      const fromVictim = load.sent.filter((t) => t.phase === 'back' && t.answers[0]?.node === victim.port);
      expect(fromVictim.length, 'the resumed proxy serves again').to.be.above(0);
    });
  });

  describe('the origin killed', function () {
    // Cached with --ttl 60: fresh for the whole test.
    const fresh = (n: number): string => keyedKey(n % 50);
    // Cached with a per-key TTL of 1 s (a .meta.json beside each): expired by the time they are asked.
    const expiring = (n: number): string => keyedKey(100 + (n % 50));
    // Never asked before the origin is gone.
    const cold = (n: number): string => keyedKey(200 + (n % 100));
    const classOf = (key: string): 'fresh' | 'expiring' | 'cold' => {
      const i = Number(key.slice(2));
      return i < 100 ? 'fresh' : i < 200 ? 'expiring' : 'cold';
    };

    before(async function () {
      await Promise.all(Array.from({ length: 50 }, (_, n) => writeFile(path.join(dataDir, `${expiring(n)}.meta.json`), '{"ttl":1}')));
    });

    /**
     * Warms every proxy with the fresh and expiring keys, then loads the balancer with fresh keys
     * while the origin is SIGKILLed, with all three kinds once the expiring keys have expired, and
     * with all three again once the origin is back on its port.
     */
    const run = async (proxyArgs: readonly string[]): Promise<TrackedLoad> => {
      const o = await origin();
      const members = await proxies(o, '--ttl', '60', '--origin-timeout', '500', ...proxyArgs);
      const lb = await balancer(members, []);
      const warm = Array.from({ length: 50 }, (_, n) => `GET ${fresh(n)}\nGET ${expiring(n)}\n`).join('');
      for (const p of members) {
        const answers = await exchange(p.port, warm, 100);
        expect(answers.map((a) => a.status)).to.deep.equal(answers.map(() => 'OK'));
      }
      const warmed = performance.now();
      const load = await rawLoad(lb, fresh);
      load.phase = 'origin up';
      await load.more(200);
      o.child.kill('SIGKILL');
      await o.exited;
      load.phase = 'origin killed';
      await load.more(200);
      // The expiring keys' 1 s TTL runs from the warm-up; a margin past it makes them expired for sure.
      await sleep(Math.max(0, warmed + 1500 - performance.now()));
      const mixed = [fresh, expiring, cold];
      load.key = (n) => mixed[n % 3]!(Math.floor(n / 3));
      load.phase = 'origin down';
      await load.more(900);
      // Every request of the phase is answered before the origin is back, so none is answered by it.
      load.phase = 'origin restarting';
      await load.settled('origin down');
      await origin(o.port);
      await waitFor('the proxies to reach the origin again', async () => {
        const answers = await exchange(lb.port, Array.from({ length: 6 }, (_, i) => `GET ${cold(50 + i)}\n`).join(''), 6);
        return answers.every((a) => a.status === 'OK') ? true : undefined;
      });
      load.phase = 'origin back';
      await load.more(600);
      await load.stop();
      return load;
    };

    /** Counts of each outcome per kind of key while the origin was down. */
    const whileDown = (load: TrackedLoad): Record<string, Record<string, number>> => {
      const counts: Record<string, Record<string, number>> = {};
      for (const t of load.sent.filter((s) => s.phase === 'origin down' && s.answers.length > 0)) {
        const kind = (counts[classOf(t.key)] ??= {});
        kind[outcome(t.answers[0]!)] = (kind[outcome(t.answers[0]!)] ?? 0) + 1;
      }
      return counts;
    };

    it('without stale-if-error: cached fresh keys stay OK, expired and uncached keys get ORIGIN_FAILURE, all OK again once it is back', async function () {
      const load = await run([]);
      expectClean(load, (t) => {
        if (t.phase === 'origin down' && classOf(t.key) !== 'fresh') return ['ORIGIN_FAILURE'];
        // A fetch begun before the origin came back may still fail while it restarts.
        if (t.phase === 'origin restarting') return classOf(t.key) === 'fresh' ? ['OK'] : ['OK', 'ORIGIN_FAILURE'];
        return ['OK'];
      });
      expect(Object.keys(whileDown(load)).sort()).to.deep.equal(['cold', 'expiring', 'fresh']);
    });

    it('with --stale-if-error: fresh keys stay OK, expired keys are served stale, only uncached keys get ORIGIN_FAILURE', async function () {
      const load = await run(['--stale-if-error', '60']);
      expectClean(load, (t) => {
        const kind = classOf(t.key);
        if (t.phase === 'origin down') return kind === 'fresh' ? ['OK'] : kind === 'expiring' ? ['OK stale'] : ['ORIGIN_FAILURE'];
        if (t.phase === 'origin restarting') return kind === 'fresh' ? ['OK'] : kind === 'expiring' ? ['OK', 'OK stale'] : ['OK', 'ORIGIN_FAILURE'];
        return ['OK'];
      });
      expect(Object.keys(whileDown(load)).sort()).to.deep.equal(['cold', 'expiring', 'fresh']);
    });
  });

  describe('balancers restarted under the client library', function () {
    const clients = (...lbs: NodeProcess[]): Client[] =>
      Array.from({ length: 4 }, () => new Client({ addresses: lbs.map((lb) => ({ host: '127.0.0.1', port: lb.port })), timeout: 10_000 }));

    const clientLoad = (cs: readonly Client[]): TrackedLoad => {
      const load = new TrackedLoad(clientTransport(cs), { rate: 400, maxRequests: MAX_REQUESTS, key: spread });
      loads.push(load);
      return load;
    };

    /** SIGTERM (a drain: exit 0 once what it read is answered), then the same balancer again on its port. */
    const restart = async (lb: NodeProcess, members: readonly NodeProcess[], args: readonly string[]): Promise<NodeProcess> => {
      expect(await lb.stop()).to.equal(0);
      const again = await balancer(members, args, lb.port);
      expect(again.port).to.equal(lb.port);
      return again;
    };

    it('with one balancer: errors only for requests in flight at the SIGTERM or sent before each client reconnected', async function () {
      const o = await origin();
      const members = await proxies(o);
      const lb = await balancer(members, []);
      const cs = clients(lb);
      const load = clientLoad(cs);
      load.phase = 'up';
      await load.more(300);
      const caught = load.inFlight();
      load.phase = 'restarting';
      await restart(lb, members, []);
      // Each client reconnects when it next sends; until then it may still fail a request.
      for (const c of cs) await waitFor('a client to reconnect', async () => ((await c.get(keyedKey(1))).status === 'OK' ? true : undefined));
      load.phase = 'restarted';
      await load.more(300);
      await load.stop();
      expectClean(load, (t) => (caught.has(t) || t.phase === 'restarting' ? ['OK', 'CLIENT_CONNECTION_ERROR'] : ['OK']));
      const during = load.byPhase().restarting ?? {};
      expect(during.CLIENT_CONNECTION_ERROR ?? 0, 'the restart left the clients with no balancer for a while').to.be.above(0);
    });

    it('with two balancers: every request OK while each in turn is restarted, the clients failing over and back', async function () {
      const o = await origin();
      const members = await proxies(o);
      let first = await balancer(members, []);
      let second = await balancer(members, []);
      const load = clientLoad(clients(first, second));
      load.phase = 'both up';
      await load.more(300);
      load.phase = 'first restarting';
      first = await restart(first, members, []);
      await load.more(300);
      load.phase = 'second restarting';
      second = await restart(second, members, []);
      await load.more(300);
      await load.stop();
      expectClean(load, () => ['OK']);
      const served = async (lb: NodeProcess): Promise<number> => (await metricsOf(lb.port)).requests as number;
      expect(await served(first), 'the clients came back to the restarted first balancer').to.be.above(0);
    });
  });
});
