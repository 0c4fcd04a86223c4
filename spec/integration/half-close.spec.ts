// A client that ends its sending side: every line it sent is answered, a last one without its
// newline too (`printf 'GET article/1' | nc`), and then the node closes the connection.
import { expect } from 'chai';
import { alive, ask, Nodes, open, type Answer, type RawConnection } from './helpers.js';
import type { NodeProcess } from '../../lib/cluster/process.js';

const MAX_LINE = 64 * 1024;

describe('half-close (integration)', function () {
  const nodes = new Nodes();
  const started: Record<string, NodeProcess> = {};

  before(async function () {
    Object.assign(started, await nodes.startChain());
  });

  after(() => nodes.stopAll());

  for (const kind of ['origin', 'proxy', 'balancer']) {
    describe(`on the ${kind}`, function () {
      let port: number;

      before(function () {
        port = started[kind]!.port;
      });

      /**
       * Sends `bytes`, ends the sending side, and returns every answer the node wrote before it
       * closed the connection; fails if the node does not close it.
       */
      async function sendAndEnd(bytes: string | Buffer): Promise<Answer[]> {
        const conn: RawConnection = await open(port);
        try {
          conn.socket.end(bytes);
          expect(await conn.reader.closesWithin(5000), 'the node closes the connection once it has answered').to.equal(true);
          return await conn.reader.readAnswers(conn.reader.unread);
        } finally {
          conn.close();
        }
      }

      const idOf = (answer: Answer): unknown => (answer.data as { id?: unknown } | null)?.id;

      it('answers a last line without a newline once, then closes', async () => {
        const answers = await sendAndEnd('GET article/1');
        expect(answers.map((a) => a.status)).to.deep.equal(['OK']);
        expect(idOf(answers[0]!)).to.equal(1);
      });

      it('answers a last JSON line without a newline with its id', async () => {
        const answers = await sendAndEnd('{"op":"GET","key":"user/4","id":"last"}');
        expect(answers).to.have.length(1);
        expect(answers[0]!.id).to.equal('last');
        expect(idOf(answers[0]!)).to.equal(4);
      });

      it('answers a last line ending in a carriage return as the same request', async () => {
        const answers = await sendAndEnd('GET article/7\r');
        expect(answers.map(idOf)).to.deep.equal([7]);
      });

      it('answers several lines and then a partial last line, all in order', async () => {
        const answers = await sendAndEnd('GET article/1\nGET article/2\nGET user/3');
        expect(answers.map((a) => a.status)).to.deep.equal(['OK', 'OK', 'OK']);
        expect(answers.map(idOf)).to.deep.equal([1, 2, 3]);
      });

      it('answers a bad last line without a newline like any bad line', async () => {
        const answers = await sendAndEnd('GET article/1\nFETCH article/2');
        expect(answers.map((a) => a.status)).to.deep.equal(['OK', 'WRONG_METHOD']);
      });

      it('answers every complete line of a client that half-closes after them', async () => {
        const answers = await sendAndEnd('GET article/5\nGET article/6\n');
        expect(answers.map(idOf)).to.deep.equal([5, 6]);
      });

      it('answers an over-long partial last line with "line too long" alone', async () => {
        const answers = await sendAndEnd(Buffer.alloc(MAX_LINE + 1, 0x61));
        expect(answers).to.deep.equal([{ status: 'BAD_REQUEST', error: 'line too long' }]);
      });

      it('survives a client that sends a partial line and resets the connection', async () => {
        const conn = await open(port);
        conn.send('GET article/1');
        conn.socket.resetAndDestroy();
        await conn.reader.closed;
        expect(conn.reader.unread, 'nothing reaches a reset connection').to.equal(0);
        const answer = await ask(port, 'GET article/8');
        expect(answer.status, 'a new client is still served').to.equal('OK');
        expect(idOf(answer)).to.equal(8);
        expect(await alive(started[kind]!.child.pid!)).to.equal(true);
      });
    });
  }
});
