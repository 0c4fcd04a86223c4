// A request's id comes back exactly as it was sent, through every node: the balancer puts its own
// id on the request it forwards and puts the client's back, digit for digit, on the answer.
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, open } from './helpers.js';

/** Ids as a client may write them, none of which JSON.parse and String() give back unchanged. */
const IDS = ['9007199254740993', '18446744073709551615', '-12', '-0', '1.0', '2.50', '1e3', '"\\u0041"', '"a\\/b"'];

describe('request ids (integration)', function () {
  const nodes = new Nodes();
  const started: Record<string, NodeProcess> = {};

  before(async function () {
    Object.assign(started, await nodes.startChain());
  });

  after(() => nodes.stopAll());

  for (const kind of ['balancer', 'proxy', 'origin']) {
    describe(`on the ${kind}`, function () {
      it('answers each GET with its id as sent, pipelined on one connection', async function () {
        const conn = await open(started[kind]!.port);
        try {
          // article/1..n, so each answer's data says which request it answers.
          conn.send(IDS.map((id, i) => `{"op":"GET","key":"article/${i + 1}","id":${id}}\n`).join(''));
          const lines = await conn.reader.read(IDS.length);
          const byId = new Map(lines.map((line) => [/,"id":(.*)}$/.exec(line)?.[1], JSON.parse(line) as { status: string; data: { id: number } }]));
          expect([...byId.keys()].sort()).to.deep.equal([...IDS].sort());
          for (const [i, id] of IDS.entries()) {
            expect(byId.get(id)!.status, id).to.equal('OK');
            expect(byId.get(id)!.data.id, id).to.equal(i + 1);
          }
        } finally {
          conn.close();
        }
      });

      it('echoes a big id on METRICS and on a rejected request', async function () {
        const conn = await open(started[kind]!.port);
        try {
          conn.send('{"op":"METRICS","id":9007199254740995}\n{"op":"GET","id":9007199254740997}\n');
          const lines = await conn.reader.read(2);
          const ids = lines.map((line) => /,"id":(\d+)}$/.exec(line)?.[1]).sort();
          expect(ids).to.deep.equal(['9007199254740995', '9007199254740997']);
        } finally {
          conn.close();
        }
      });
    });
  }
});
