// The load balancer over real TCP: strategies, metrics, failover, recovery, half-close and drain.
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Client, type Response } from '../../lib/client/client.js';
import { Nodes, ask, closedPort, metricsOf, open, sleep, waitFor, type Answer } from './helpers.js';

interface ProxyReport {
  healthy: boolean;
  metrics: Record<string, unknown> | null;
  [field: string]: unknown;
}

const proxiesOf = async (port: number): Promise<Record<string, ProxyReport>> =>
  (await metricsOf(port)).proxies as Record<string, ProxyReport>;

const address = (p: NodeProcess): string => `127.0.0.1:${p.port}`;

describe('load balancer (integration)', function () {
  const nodes = new Nodes();
  let origin: NodeProcess;

  before(async function () {
    origin = await nodes.start('origin', ['--port', '0']);
  });

  after(() => nodes.stopAll());

  const startProxies = async (count: number, originPort = origin.port): Promise<NodeProcess[]> => {
    const out: NodeProcess[] = [];
    for (let i = 0; i < count; i++) out.push(await nodes.start('proxy', ['--port', '0', '--origin-port', String(originPort)]));
    return out;
  };

  const startBalancer = (proxies: readonly string[], ...args: string[]): Promise<NodeProcess> =>
    nodes.start('load-balancer', ['--port', '0', '--health-interval', '100', ...args, '--proxies', ...proxies]);

  describe('round_robin over three proxies', function () {
    let proxies: NodeProcess[];
    let lb: NodeProcess;

    before(async function () {
      proxies = await startProxies(3);
      lb = await startBalancer(proxies.map(address), '--strategy', 'round_robin');
    });

    it('sends consecutive requests to the proxies in list order, wrapping around', async function () {
      const nodesSeen: unknown[] = [];
      for (let i = 1; i <= 9; i++) {
        const answer = await ask(lb.port, `GET article/${i}`);
        expect(answer.status).to.equal('OK');
        expect((answer.data as { id: number }).id).to.equal(i);
        nodesSeen.push(answer.node);
      }
      const ports = proxies.map((p) => p.port);
      const start = ports.indexOf(nodesSeen[0] as number);
      expect(start).to.not.equal(-1);
      expect(nodesSeen).to.deep.equal(Array.from({ length: 9 }, (_, i) => ports[(start + i) % 3]));
    });

    it('relays the proxy answer unchanged apart from the id', async function () {
      const direct = await ask(proxies[0]!.port, 'GET user/5');
      const conn = await open(lb.port);
      try {
        // Enough requests that every proxy serves user/5 at least once, cached or not.
        conn.send(Array.from({ length: 6 }, (_, i) => `{"op":"GET","key":"user/5","id":${i}}\n`).join(''));
        const answers = await conn.reader.readAnswers(6);
        for (const answer of answers) {
          const { id, cache_hit: _hit, node, ...rest } = answer;
          expect(id).to.be.a('number');
          expect(proxies.map((p) => p.port)).to.include(node);
          expect(rest).to.deep.equal({ status: 'OK', data: direct.data });
        }
      } finally {
        conn.close();
      }
    });

    it('reports METRICS with strategy, current_index and each proxy\'s health and polled metrics', async function () {
      const data = await waitFor(
        'every proxy to have been polled',
        async () => {
          const d = await metricsOf(lb.port);
          const reports = Object.values(d.proxies as Record<string, ProxyReport>);
          return reports.every((r) => r.metrics !== null) ? d : undefined;
        },
        5000,
      );
      expect(Object.keys(data).slice(0, 3)).to.deep.equal(['strategy', 'current_index', 'proxies']);
      expect(data.strategy).to.equal('round_robin');
      expect(data.current_index).to.be.a('number').within(0, 2);
      const reports = data.proxies as Record<string, ProxyReport>;
      expect(Object.keys(reports)).to.have.members(proxies.map(address));
      for (const report of Object.values(reports)) {
        expect(report.healthy).to.equal(true);
        expect(Object.keys(report.metrics!).slice(0, 6)).to.deep.equal(['start_time', 'total_requests', 'hit_rate', 'hits', 'misses', 'origin_fetches']);
      }
    });

    it('advances current_index with each routed request', async function () {
      const before = (await metricsOf(lb.port)).current_index as number;
      await ask(lb.port, 'GET product/1');
      expect((await metricsOf(lb.port)).current_index).to.equal((before + 1) % 3);
    });

    it('answers a client that sends one line and half-closes', async function () {
      const conn = await open(lb.port);
      try {
        conn.socket.end('GET article/42\n');
        const answer = await conn.reader.readAnswer();
        expect(answer.status).to.equal('OK');
        expect((answer.data as { id: number }).id).to.equal(42);
        expect(await conn.reader.closesWithin(5000), 'the balancer closes after answering').to.equal(true);
      } finally {
        conn.close();
      }
    });

    it('answers every pipelined line of a half-closing client before closing', async function () {
      const conn = await open(lb.port);
      try {
        conn.socket.end('GET article/43\nMETRICS\nGET user/43\n');
        const answers = await conn.reader.readAnswers(3);
        expect(answers.map((a) => a.status)).to.deep.equal(['OK', 'OK', 'OK']);
        expect((answers[2]!.data as { id: number }).id).to.equal(43);
      } finally {
        conn.close();
      }
    });
  });

  describe('least_loaded', function () {
    let slowOrigin: NodeProcess;
    let slow: NodeProcess;
    let fast: NodeProcess[];
    let lb: NodeProcess;

    before(async function () {
      slowOrigin = await nodes.start('origin', ['--port', '0', '--latency', '1500']);
      [slow] = await startProxies(1, slowOrigin.port);
      fast = await startProxies(2);
      lb = await startBalancer([address(slow!), ...fast.map(address)], '--strategy', 'least_loaded');
    });

    it('reports least_loaded as its strategy', async function () {
      expect((await metricsOf(lb.port)).strategy).to.equal('least_loaded');
    });

    it('sends new requests away from a proxy that is busy with a slow one', async function () {
      // Two clients, 30 distinct keys: round robin would give the slow proxy 10 of them.
      const keys = Array.from({ length: 30 }, (_, i) => `article/${100 + i}`);
      const answers: Answer[] = [];
      const worker = async (): Promise<void> => {
        const client = new Client({ port: lb.port });
        try {
          for (let key = keys.shift(); key !== undefined; key = keys.shift()) answers.push((await client.get(key)) as Answer);
        } finally {
          client.close();
        }
      };
      await Promise.all([worker(), worker()]);
      expect(answers.map((a) => a.status)).to.deep.equal(answers.map(() => 'OK'));
      const onSlow = answers.filter((a) => a.node === slow.port).length;
      expect(onSlow).to.be.at.least(1).and.at.most(4);
      expect(answers.length - onSlow).to.be.at.least(26);
    });
  });

  describe('failover', function () {
    let proxies: NodeProcess[];
    let lb: NodeProcess;

    before(async function () {
      proxies = await startProxies(3);
      lb = await startBalancer(proxies.map(address), '--strategy', 'round_robin', '--rise', '2', '--fall', '2', '--health-timeout', '300');
    });

    it('loses no request when a proxy is SIGKILLed under load, and takes it back once it is restarted', async function () {
      const victim = proxies[1]!;
      const victimAddress = address(victim);
      const statuses = new Map<string, number>();
      let stop = false;
      let sent = 0;
      const worker = async (w: number): Promise<void> => {
        const client = new Client({ port: lb.port, timeout: 5000 });
        try {
          for (let i = 0; !stop; i++) {
            const answer: Response = await client.get(`article/${((w * 75 + i) % 300) + 1}`);
            sent++;
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          }
        } finally {
          client.close();
        }
      };
      const load = Promise.all([0, 1, 2, 3].map(worker));
      try {
        await waitFor('traffic to flow', async () => (sent >= 50 ? true : undefined), 5000, 10);
        victim.child.kill('SIGKILL');
        await victim.exited;
        const killedAt = sent;
        await waitFor('the balancer to mark the proxy down', async () => ((await proxiesOf(lb.port))[victimAddress]!.healthy ? undefined : true), 5000);
        // Keep the load on across the kill for a while longer.
        await waitFor('traffic after the kill', async () => (sent >= killedAt + 200 ? true : undefined), 5000, 10);
        await sleep(500);
      } finally {
        stop = true;
        await load;
      }
      expect(Object.fromEntries(statuses)).to.have.keys('OK');
      // The kill did hit traffic: forwards failed, and were redispatched out of the clients' sight.
      const counters = await metricsOf(lb.port);
      expect(counters.forward_failures).to.be.at.least(1);
      expect(counters.retries).to.be.at.least(1);

      const restarted = await nodes.start('proxy', ['--port', String(victim.port), '--origin-port', String(origin.port)]);
      expect(restarted.port).to.equal(victim.port);
      await waitFor('the balancer to mark the restarted proxy healthy', async () => ((await proxiesOf(lb.port))[victimAddress]!.healthy ? true : undefined), 5000);
      const seen: unknown[] = [];
      for (let i = 0; i < 6; i++) {
        const answer = await ask(lb.port, `GET user/${60 + i}`);
        expect(answer.status).to.equal('OK');
        seen.push(answer.node);
      }
      expect(seen).to.include(victim.port);
      expect((await metricsOf(restarted.port)).total_requests).to.be.at.least(1);
    });
  });

  describe('with every proxy down', function () {
    let lb: NodeProcess;

    before(async function () {
      lb = await startBalancer([`127.0.0.1:${await closedPort()}`, `127.0.0.1:${await closedPort()}`]);
    });

    it('answers PROXY_UNREACHABLE, before and after it has marked them down, and still answers METRICS', async function () {
      const first = await ask(lb.port, 'GET article/1');
      expect(first.status).to.equal('PROXY_UNREACHABLE');
      expect(first.error).to.be.a('string');
      const reports = await waitFor(
        'both proxies to be marked down',
        async () => {
          const r = await proxiesOf(lb.port);
          return Object.values(r).every((p) => !p.healthy) ? r : undefined;
        },
        5000,
      );
      expect(Object.keys(reports)).to.have.length(2);
      const conn = await open(lb.port);
      try {
        conn.send('GET article/2\n{"op":"GET","key":"user/1","id":"u"}\n');
        const answers = await conn.reader.readAnswers(2);
        expect(answers.map((a) => a.status)).to.deep.equal(['PROXY_UNREACHABLE', 'PROXY_UNREACHABLE']);
        expect(answers.find((a) => a.id !== undefined)!.id).to.equal('u');
      } finally {
        conn.close();
      }
    });
  });

  describe('SIGTERM drains in-flight requests', function () {
    /** Sends `count` misses on their own connections and waits until the slow origin holds them all. */
    const inFlight = async (entry: number, slowOrigin: NodeProcess, count: number) => {
      const before = (await metricsOf(slowOrigin.port)).total_requests as number;
      const conns = await Promise.all(Array.from({ length: count }, () => open(entry)));
      conns.forEach((conn, i) => conn.send(`GET article/${250 + i}\n`));
      await waitFor(
        'the requests to reach the origin',
        async () => ((await metricsOf(slowOrigin.port)).total_requests === before + count ? true : undefined),
        5000,
        10,
      );
      return conns;
    };

    const expectAnswered = async (conns: Awaited<ReturnType<typeof inFlight>>): Promise<void> => {
      const answers = await Promise.all(conns.map((c) => c.reader.readAnswer()));
      expect(answers.map((a) => a.status)).to.deep.equal(conns.map(() => 'OK'));
      expect(answers.map((a) => (a.data as { id: number }).id)).to.deep.equal(conns.map((_c, i) => 250 + i));
      for (const conn of conns) conn.close();
    };

    it('on the origin: answers what it has accepted, then exits 0', async function () {
      const slowOrigin = await nodes.start('origin', ['--port', '0', '--latency', '300']);
      const conns = await inFlight(slowOrigin.port, slowOrigin, 4);
      const code = slowOrigin.stop();
      await expectAnswered(conns);
      expect(await code).to.equal(0);
    });

    it('on a proxy: answers its in-flight misses, then exits 0', async function () {
      const slowOrigin = await nodes.start('origin', ['--port', '0', '--latency', '300']);
      const [proxy] = await startProxies(1, slowOrigin.port);
      const conns = await inFlight(proxy!.port, slowOrigin, 4);
      const code = proxy!.stop();
      await expectAnswered(conns);
      expect(await code).to.equal(0);
    });

    it('on the balancer: answers its in-flight requests, then exits 0', async function () {
      const slowOrigin = await nodes.start('origin', ['--port', '0', '--latency', '300']);
      const proxies = await startProxies(2, slowOrigin.port);
      const lb = await startBalancer(proxies.map(address));
      const conns = await inFlight(lb.port, slowOrigin, 4);
      const code = lb.stop();
      await expectAnswered(conns);
      expect(await code).to.equal(0);
    });
  });
});
