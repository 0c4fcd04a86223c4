import { expect } from 'chai';
import { OriginTally, startScriptedOrigin, type OriginCounts } from '../lib/scripted-origin.js';
import type { RunningNode } from '../../lib/net/lifecycle.js';
import { ask, open, waitFor } from '../../spec/integration/helpers.js';

describe('scripted origin', () => {
  describe('OriginTally', () => {
    it('counts GETs per key, a leading slash dropped', () => {
      const tally = new OriginTally();
      tally.received(0, 'a');
      tally.received(1, '/a');
      tally.received(1, 'b');
      const counts = tally.snapshot();
      expect(counts.gets).to.equal(3);
      expect(counts.keys).to.deep.equal({ a: 2, b: 1 });
    });

    it('keeps the most GETs in flight at once and the most connections busy at once', () => {
      const tally = new OriginTally();
      tally.received(0, 'a');
      tally.received(0, 'b');
      tally.received(1, 'c');
      tally.answered(0);
      tally.answered(0);
      tally.received(2, 'd');
      const counts = tally.snapshot();
      expect(counts.inFlight).to.equal(2);
      expect(counts.maxInFlight).to.equal(3);
      // Connection 0 had two in flight but is one connection an in-order origin works on.
      expect(counts.maxBusyConnections).to.equal(2);
      expect(counts.connections).to.equal(3);
      expect(counts.maxConnections).to.equal(3);
    });

    it('counts the unanswered GETs of a closed connection as abandoned, no longer in flight', () => {
      const tally = new OriginTally();
      tally.received(0, 'a');
      tally.received(0, 'b');
      tally.received(1, 'c');
      tally.closed(0);
      const counts = tally.snapshot();
      expect(counts.abandoned).to.equal(2);
      expect(counts.inFlight).to.equal(1);
      expect(counts.connections).to.equal(1);
      tally.answered(1);
      expect(tally.snapshot().inFlight).to.equal(0);
    });

    it('ignores an answer on a connection with nothing in flight, and a close of one it never saw', () => {
      const tally = new OriginTally();
      tally.answered(4);
      tally.closed(5);
      expect(tally.snapshot()).to.deep.include({ inFlight: 0, abandoned: 0, connections: 0 });
    });

    it('resets the counts, the maxima restarting from what is in flight now', () => {
      const tally = new OriginTally();
      tally.received(0, 'a');
      tally.received(1, 'b');
      tally.received(1, 'c');
      tally.answered(1);
      tally.reset();
      const counts = tally.snapshot();
      expect(counts).to.deep.include({ gets: 0, keys: {}, inFlight: 2, maxInFlight: 2, maxBusyConnections: 2, connections: 2, maxConnections: 2 });
    });
  });

  describe('server', () => {
    let origin: RunningNode;
    let port: number;

    beforeEach(async () => {
      origin = await startScriptedOrigin({ host: '127.0.0.1', port: 0, delayMs: 0 });
      port = origin.address.port;
    });

    afterEach(() => origin.drain());

    const metrics = async (): Promise<OriginCounts> => (await ask(port, 'METRICS')).data as OriginCounts;

    it('answers pipelined GETs in order with the key asked, and counts them', async () => {
      const conn = await open(port);
      conn.send('GET k/1\nGET /k/2\r\nGET k/1\n');
      const answers = await conn.reader.readAnswers(3);
      expect(answers).to.deep.equal([
        { status: 'OK', data: { key: 'k/1' } },
        { status: 'OK', data: { key: 'k/2' } },
        { status: 'OK', data: { key: 'k/1' } },
      ]);
      conn.close();
      expect(await metrics()).to.deep.include({ gets: 3, keys: { 'k/1': 2, 'k/2': 1 }, inFlight: 0 });
    });

    it('holds the lines after a slow GET on its connection while other connections are answered', async () => {
      expect((await ask(port, 'DELAY 60000')).data).to.deep.equal({ delay_ms: 60000 });
      const slow = await open(port);
      slow.send('GET k/1\nMETRICS\n');
      const counts = await waitFor('the GET to arrive', async () => {
        const m = await metrics();
        return m.gets === 1 ? m : undefined;
      });
      expect(counts).to.deep.include({ inFlight: 1, maxBusyConnections: 1, connections: 1 });
      expect(slow.reader.unread).to.equal(0);
      slow.close();
      const after = await waitFor('the close to be seen', async () => {
        const m = await metrics();
        return m.connections === 0 ? m : undefined;
      });
      expect(after).to.deep.include({ inFlight: 0, abandoned: 1 });
    });

    it('zeroes its counts on RESET', async () => {
      await ask(port, 'GET k/1');
      expect((await ask(port, 'RESET')).status).to.equal('OK');
      expect(await metrics()).to.deep.include({ gets: 0, keys: {} });
    });

    it('answers WRONG_METHOD to any other line, counting no GET', async () => {
      const answer = await ask(port, 'PURGE k/1');
      expect(answer).to.deep.equal({ status: 'WRONG_METHOD', data: 'unknown method PURGE' });
      expect((await metrics()).gets).to.equal(0);
    });
  });
});
