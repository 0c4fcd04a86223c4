import { expect } from 'chai';
import fc from 'fast-check';
import { Outgoing } from '../../lib/net/outgoing.js';
import type { RequestId } from '../../lib/protocol/request.js';

/** The line an answer makes, worked out the plain way: the id, if any, as the last field. */
function line(answer: string, id?: RequestId): string {
  return id === undefined ? `${answer}\n` : `${answer.slice(0, -1)},"id":${JSON.stringify(id)}}\n`;
}

describe('Outgoing', () => {
  it('joins text answers into one string, each with its id, if any, as the last field', () => {
    const out = new Outgoing();
    out.add('{"status":"OK","data":1}');
    out.add('{"status":"OK","data":2}', 7);
    out.add('{"status":"OK","data":3}', 'r\u00e9q');
    expect(out.take()).to.equal('{"status":"OK","data":1}\n{"status":"OK","data":2,"id":7}\n{"status":"OK","data":3,"id":"r\u00e9q"}\n');
    expect(out.empty).to.equal(true);
  });

  it('joins into one buffer once any answer is bytes, the id replacing the stored closing brace', () => {
    const out = new Outgoing();
    const stored = Buffer.from('{"status":"OK","data":"caf\u00e9"}');
    out.add(stored, 12);
    out.add('{"status":"NOT_FOUND","data":null}');
    out.add(stored);
    const taken = out.take();
    expect(Buffer.isBuffer(taken)).to.equal(true);
    expect(taken.toString()).to.equal(
      '{"status":"OK","data":"caf\u00e9","id":12}\n{"status":"NOT_FOUND","data":null}\n{"status":"OK","data":"caf\u00e9"}\n',
    );
    expect(stored.toString(), 'the stored answer itself is untouched').to.equal('{"status":"OK","data":"caf\u00e9"}');
  });

  it('writes a numeric id into the joined bytes, from 0 up to the largest safe integer', () => {
    const out = new Outgoing();
    const stored = Buffer.from('{"a":1}');
    for (const id of [0, 9, 10, 12345, Number.MAX_SAFE_INTEGER]) out.add(stored, id);
    expect(out.take().toString()).to.equal(
      ['0', '9', '10', '12345', String(Number.MAX_SAFE_INTEGER)].map((id) => `{"a":1,"id":${id}}\n`).join(''),
    );
  });

  it('starts afresh after a take', () => {
    const out = new Outgoing();
    out.add(Buffer.from('{"a":1}'));
    out.take();
    out.add('{"b":2}');
    expect(out.take()).to.equal('{"b":2}\n');
  });

  it('gives the lines worked out the plain way, for any mix of text, bytes, ids and characters (property)', () => {
    const answer = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 })).map((data) => JSON.stringify({ status: 'OK', data }));
    const id = fc.option(
      fc.oneof(
        fc.nat(),
        fc.maxSafeNat(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string({ maxLength: 10 }),
        fc.string({ unit: 'grapheme', maxLength: 5 }),
      ),
      { nil: undefined },
    );
    const entry = fc.record({ answer, id, bytes: fc.boolean() });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 12 }), (entries) => {
        const out = new Outgoing();
        for (const e of entries) out.add(e.bytes ? Buffer.from(e.answer) : e.answer, e.id);
        const taken = out.take();
        expect(Buffer.isBuffer(taken)).to.equal(entries.some((e) => e.bytes));
        expect(taken.toString()).to.equal(entries.map((e) => line(e.answer, e.id)).join(''));
      }),
      { numRuns: 2000 },
    );
  });
});
