// Every node's edge bounds on real processes: --idle-timeout against a client that drips bytes
// (slowloris), --max-connections, and connections released when their clients close.
import { expect } from 'chai';
import { Client } from '../../lib/client/client.js';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, closedPort, metricsOf, open, sleep, waitFor, type RawConnection } from './helpers.js';

/** How each node is started with its edge bounds: the node under test is the last one started. */
const setups: { node: string; start: (nodes: Nodes, bounds: string[]) => Promise<NodeProcess> }[] = [
  { node: 'origin', start: (nodes, bounds) => nodes.start('origin', ['--port', '0', ...bounds]) },
  {
    node: 'proxy',
    start: async (nodes, bounds) => {
      const origin = await nodes.start('origin', ['--port', '0']);
      return nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port), ...bounds]);
    },
  },
  {
    node: 'load balancer',
    // No proxy needs to answer: the specs ask the balancer itself (METRICS).
    start: async (nodes, bounds) => nodes.start('load-balancer', ['--port', '0', '--proxies', `127.0.0.1:${await closedPort()}`, ...bounds]),
  },
];

const IDLE_MS = 1500;

for (const { node, start } of setups) {
  describe(`${node}: --idle-timeout and --max-connections (integration)`, function () {
    const nodes = new Nodes();
    const conns: RawConnection[] = [];
    let port: number;

    before(async function () {
      port = (await start(nodes, ['--idle-timeout', String(IDLE_MS), '--max-connections', '3'])).port;
    });

    afterEach(async function () {
      for (const conn of conns.splice(0)) conn.close();
      // A METRICS connection of the poll may itself be refused while the node is still closing them.
      await waitFor('the node to let go of the connections', async () => {
        const data = await metricsOf(port).catch(() => undefined);
        return data?.connections === 1 ? true : undefined;
      });
    });

    after(() => nodes.stopAll());

    async function connect(): Promise<RawConnection> {
      const conn = await open(port);
      conns.push(conn);
      return conn;
    }

    async function metricsOn(conn: RawConnection): Promise<Record<string, unknown>> {
      conn.send('METRICS\n');
      const answer = await conn.reader.readAnswer();
      expect(answer.status).to.equal('OK');
      return answer.data as Record<string, unknown>;
    }

    it('closes a client that drips one byte of a line every 150 ms and never ends it', async function () {
      const before = (await metricsOf(port)).idle_closed as number;
      const conn = await connect();
      let dripping = true;
      void conn.reader.closed.then(() => (dripping = false));
      const drip = (async () => {
        for (let i = 0; dripping && i < 100; i++) {
          conn.send('G');
          await sleep(150);
        }
      })();
      expect(await conn.reader.closesWithin(10_000), 'closed by the node').to.equal(true);
      await drip;
      expect((await metricsOf(port)).idle_closed).to.equal(before + 1);
    });

    it('keeps a client that sends a complete line every 300 ms for longer than the timeout', async function () {
      const conn = await connect();
      const before = (await metricsOn(conn)).idle_closed;
      const lines = Math.ceil((2 * IDLE_MS) / 300);
      for (let i = 0; i < lines; i++) {
        await sleep(300);
        await metricsOn(conn);
      }
      // metricsOn fails if the connection was closed; and no other was closed for idleness either.
      expect((await metricsOn(conn)).idle_closed).to.equal(before);
    });

    it('refuses the connection over --max-connections with one line and closes it, while the first ones are served', async function () {
      // The first connection waits until it is the only one (the specs' METRICS connections gone),
      // so that the next two are the last the limit lets in.
      const first = await connect();
      const { connections_refused: refused } = await waitFor('the only connection', async () => {
        const data = await metricsOn(first);
        return data.connections === 1 ? data : undefined;
      });
      const held = [first, await connect(), await connect()];
      for (const conn of held) await metricsOn(conn);
      const extra = await connect();
      extra.send('METRICS\n');
      expect(await extra.reader.readAnswer()).to.deep.equal({
        status: 'TOO_MANY_CONNECTIONS',
        error: 'too many connections (--max-connections 3); try again later',
      });
      expect(await extra.reader.closesWithin(5000)).to.equal(true);
      const client = new Client({ port, timeout: 5000 });
      expect((await client.metrics()).status, 'what the client library reports').to.equal('TOO_MANY_CONNECTIONS');
      client.close();
      for (const conn of held) {
        const data = await metricsOn(conn);
        expect(data.connections).to.equal(3);
        expect(data.connections_refused).to.equal((refused as number) + 2);
      }
    });
  });

  describe(`${node}: connections closed with unfinished lines (integration)`, function () {
    const nodes = new Nodes();
    let port: number;

    before(async function () {
      port = (await start(nodes, [])).port;
    });

    after(() => nodes.stopAll());

    it('holds 2,000 connections with a partial line each, and lets go of every one once they close', async function () {
      const conns: RawConnection[] = [];
      for (let i = 0; i < 2000; i++) conns.push(await open(port));
      for (const conn of conns) conn.send(`GET ${'a'.repeat(2000)}`);
      expect((await metricsOf(port)).connections).to.equal(2001);
      for (const conn of conns) conn.close();
      const left = await waitFor('the node to let go of them', async () => {
        const data = await metricsOf(port);
        return data.connections === 1 ? data : undefined;
      });
      expect(left.idle_closed).to.equal(0);
    });
  });
}
