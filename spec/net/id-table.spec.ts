import { expect } from 'chai';
import fc from 'fast-check';
import { IdTable } from '../../lib/net/id-table.js';

describe('IdTable', () => {
  it('finds a value once by the id it was given, and refuses ids it never gave', () => {
    const table = new IdTable<string>(4);
    const a = table.add('a')!;
    const b = table.add('b')!;
    expect(table.size).to.equal(2);
    for (const stranger of [-1, 0.5, Number.NaN, b + 4, Number.MAX_SAFE_INTEGER + 2]) expect(table.take(stranger)).to.equal(undefined);
    expect(table.take(b)).to.equal('b');
    expect(table.take(b), 'taken already').to.equal(undefined);
    expect(table.take(a)).to.equal('a');
    expect(table.size).to.equal(0);
  });

  it('holds at most its capacity', () => {
    const table = new IdTable<number>(2);
    expect(table.add(1)).to.be.a('number');
    expect(table.add(2)).to.be.a('number');
    expect(table.add(3)).to.equal(undefined);
    expect(table.size).to.equal(2);
  });

  it('never gives an id twice, so a late answer cannot match the request that reused its slot', () => {
    const table = new IdTable<string>(1);
    const early = table.add('early')!;
    table.take(early);
    const late = table.add('late')!;
    expect(late).to.not.equal(early);
    expect(table.take(early)).to.equal(undefined);
    expect(table.take(late)).to.equal('late');
  });

  it('sweeps out what has expired and empties, oldest first', () => {
    const table = new IdTable<number>(8);
    const ids = [5, 1, 7, 2, 6].map((sentAt) => [table.add(sentAt)!, sentAt] as const);
    table.take(ids[0]![0]);
    table.add(3);
    const swept: number[] = [];
    table.sweep(
      (sentAt) => sentAt <= 3,
      (id, sentAt) => {
        expect(ids.find(([i]) => i === id)?.[1] ?? 3).to.equal(sentAt);
        swept.push(sentAt);
      },
    );
    expect(swept).to.deep.equal([1, 2, 3]);
    expect(table.clear()).to.deep.equal([7, 6]);
    expect(table.size).to.equal(0);
  });

  it('answers as a Map of the ids it gave would, over any run of adds, takes, sweeps and clears (property)', () => {
    const step = fc.oneof(
      fc.constant({ op: 'add' as const }),
      fc.record({ op: fc.constant('take' as const), pick: fc.nat(), stranger: fc.boolean() }),
      fc.record({ op: fc.constant('sweep' as const), below: fc.nat(40) }),
      fc.constant({ op: 'clear' as const }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(step, { maxLength: 60 }), (capacity, steps) => {
        const table = new IdTable<number>(capacity);
        const model = new Map<number, number>();
        const given = new Set<number>();
        let serial = 0;
        for (const s of steps) {
          if (s.op === 'add') {
            const value = serial++;
            const id = table.add(value);
            if (model.size === capacity) {
              expect(id).to.equal(undefined);
              continue;
            }
            expect(given.has(id!), 'a fresh id').to.equal(false);
            given.add(id!);
            model.set(id!, value);
          } else if (s.op === 'take') {
            const ids = [...given];
            const id = s.stranger || ids.length === 0 ? -s.pick - 1 : ids[s.pick % ids.length]!;
            expect(table.take(id)).to.equal(model.get(id));
            model.delete(id);
          } else if (s.op === 'sweep') {
            const swept: Array<[number, number]> = [];
            table.sweep((v) => v < s.below, (id, v) => swept.push([id, v]));
            const expected = [...model].filter(([, v]) => v < s.below);
            expect(swept).to.deep.equal(expected);
            for (const [id] of expected) model.delete(id);
          } else {
            expect(table.clear()).to.deep.equal([...model.values()]);
            model.clear();
          }
          expect(table.size).to.equal(model.size);
        }
      }),
      { numRuns: 500 },
    );
  });
});
