// The server edge's bounds over real loopback sockets, on a clock that moves only when told:
// the idle rule (complete lines count, bytes of an unfinished one do not), the connection limit,
// and connections released when they close.
import { expect } from 'chai';
import type { Inbound } from '../../lib/bus/inbound.js';
import { ServerEdge, type ServerOptions } from '../../lib/net/server.js';
import { open, until, type RawConnection } from '../integration/helpers.js';
import { ManualClock } from './manual-clock.js';

/**
 * Writes `bytes` and waits until the edge, in this same process, has read them: loopback puts
 * written bytes in the peer's receive buffer at once, and the event loop's next poll phase reads
 * them, which comes before its second check phase from here.
 */
async function delivered(conn: RawConnection, bytes: string): Promise<void> {
  await new Promise<void>((resolve) => conn.socket.write(bytes, () => resolve()));
  for (let turn = 0; turn < 3; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('server edge bounds', () => {
  let edge: ServerEdge;
  let clock: ManualClock;
  let port: number;
  let conns: RawConnection[];
  // Requests whose key starts with `slow/` wait here until the spec answers them.
  let held: Inbound[];

  async function start(options: Partial<ServerOptions>): Promise<void> {
    clock = new ManualClock();
    held = [];
    edge = new ServerEdge({ host: '127.0.0.1', port: 0, clock, ...options }, (message) => {
      const request = message.request;
      if (request.op === 'GET' && request.key.startsWith('slow/')) held.push(message);
      else message.reply('{"status":"OK","data":null}');
    });
    port = (await edge.listen()).port;
  }

  async function connect(): Promise<RawConnection> {
    const conn = await open(port);
    conns.push(conn);
    return conn;
  }

  const closed = (conn: RawConnection) => conn.reader.closesWithin(2000);

  beforeEach(() => (conns = []));
  afterEach(async () => {
    for (const conn of conns) conn.close();
    await edge.drain();
  });

  describe('--idle-timeout', () => {
    it('closes a connection that drips bytes of a line it never ends, one timeout after it opened', async () => {
      await start({ idleTimeout: 1000 });
      const conn = await connect();
      await until('the edge holds the connection', () => edge.metrics.connections === 1);
      // A byte every 100 ms: under the old rule each one restarted the timer.
      for (let i = 0; i < 9; i++) {
        await delivered(conn, 'G');
        clock.advance(100);
      }
      expect(edge.metrics.idle_closed, 'closed before the timeout').to.equal(0);
      await delivered(conn, 'E');
      clock.advance(100);
      expect(await closed(conn)).to.equal(true);
      expect(edge.metrics).to.deep.equal({ connections: 0, connections_refused: 0, idle_closed: 1 });
    });

    it('keeps a connection that sends complete lines closer together than the timeout, and closes it once they stop', async () => {
      await start({ idleTimeout: 1000 });
      const conn = await connect();
      for (let i = 0; i < 10; i++) {
        conn.send('METRICS\n');
        expect((await conn.reader.readAnswer()).status).to.equal('OK');
        clock.advance(900);
      }
      expect(edge.metrics.idle_closed).to.equal(0);
      clock.advance(200);
      expect(await closed(conn)).to.equal(true);
      expect(edge.metrics.idle_closed).to.equal(1);
    });

    it('never closes a connection while its request is pending, and counts the timeout from the answer', async () => {
      await start({ idleTimeout: 1000 });
      const conn = await connect();
      conn.send('GET slow/1\n');
      await until('the request reaches the actors', () => held.length === 1);
      clock.advance(5000);
      expect(edge.metrics.idle_closed).to.equal(0);
      held[0]!.reply('{"status":"OK","data":"late"}');
      expect(await conn.reader.readAnswer()).to.deep.equal({ status: 'OK', data: 'late' });
      clock.advance(900);
      expect(edge.metrics.idle_closed).to.equal(0);
      clock.advance(200);
      expect(await closed(conn)).to.equal(true);
    });

    it('does not count the unfinished line sent after a complete one', async () => {
      await start({ idleTimeout: 1000 });
      const conn = await connect();
      conn.send('METRICS\nGET art');
      await conn.reader.readAnswer();
      clock.advance(500);
      await delivered(conn, 'icle/');
      clock.advance(500);
      await delivered(conn, '1');
      clock.advance(100);
      expect(await closed(conn)).to.equal(true);
    });
  });

  describe('--max-connections', () => {
    it('refuses the connection over the limit with one TOO_MANY_CONNECTIONS line and serves the others', async () => {
      await start({ maxConnections: 2 });
      const first = await connect();
      const second = await connect();
      await until('the edge holds both', () => edge.metrics.connections === 2);
      const third = await connect();
      third.send('METRICS\n');
      expect(await third.reader.readAnswer()).to.deep.equal({
        status: 'TOO_MANY_CONNECTIONS',
        error: 'too many connections (--max-connections 2); try again later',
      });
      expect(await closed(third)).to.equal(true);
      expect(third.reader.unread).to.equal(0);
      for (const conn of [first, second]) {
        conn.send('METRICS\n');
        expect((await conn.reader.readAnswer()).status).to.equal('OK');
      }
      expect(edge.metrics).to.deep.equal({ connections: 2, connections_refused: 1, idle_closed: 0 });
    });

    it('accepts again once a connection has closed', async () => {
      await start({ maxConnections: 1 });
      const first = await connect();
      await until('the edge holds it', () => edge.metrics.connections === 1);
      first.close();
      await until('the edge let it go', () => edge.metrics.connections === 0);
      const next = await connect();
      next.send('METRICS\n');
      expect((await next.reader.readAnswer()).status).to.equal('OK');
      expect(edge.metrics.connections_refused).to.equal(0);
    });
  });

  it('lets go of every connection whose client closed with a line unfinished', async () => {
    await start({});
    const many = await Promise.all(Array.from({ length: 300 }, () => connect()));
    for (const conn of many) conn.send(`GET ${'a'.repeat(1000)}`);
    await until('the edge holds all 300', () => edge.metrics.connections === 300);
    for (const conn of many) conn.close();
    await until('the edge let them all go', () => edge.metrics.connections === 0);
  });
});
