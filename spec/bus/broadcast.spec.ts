import { expect } from 'chai';
import fc from 'fast-check';
import { Subject, filter, map, type Observer, type Subscription } from 'rxjs';
import { Broadcast } from '../../lib/bus/broadcast.js';

/** An observer that writes what it hears, tagged with its name, into `log`. */
function recorder(name: string, log: string[]): Observer<number> {
  return {
    next: (v) => log.push(`${name}:${v}`),
    error: (e) => log.push(`${name}:error ${String(e)}`),
    complete: () => log.push(`${name}:complete`),
  };
}

describe('Broadcast', () => {
  it('hands each message to every subscriber, in the order they subscribed', () => {
    const log: string[] = [];
    const b = new Broadcast<number>();
    b.subscribe(recorder('a', log));
    b.subscribe(recorder('b', log));
    b.next(1);
    b.next(2);
    expect(log).to.deep.equal(['a:1', 'b:1', 'a:2', 'b:2']);
  });

  it('gives a late subscriber only what comes after it, and nothing to one that left', () => {
    const log: string[] = [];
    const b = new Broadcast<number>();
    const a = b.subscribe(recorder('a', log));
    b.next(1);
    b.subscribe(recorder('b', log));
    a.unsubscribe();
    b.next(2);
    expect(log).to.deep.equal(['a:1', 'b:2']);
  });

  it('delivers a message to the subscribers it found: one that leaves or joins during a delivery is not given it', () => {
    const log: string[] = [];
    const b = new Broadcast<number>();
    let second: Subscription | undefined;
    b.subscribe({
      next: (v) => {
        log.push(`a:${v}`);
        if (v === 1) {
          second?.unsubscribe();
          b.subscribe(recorder('c', log));
        }
      },
    });
    second = b.subscribe(recorder('b', log));
    b.next(1);
    b.next(2);
    expect(log).to.deep.equal(['a:1', 'a:2', 'c:2']);
  });

  it('completes every subscriber once, ignores messages after, and completes a later subscriber at once', () => {
    const log: string[] = [];
    const b = new Broadcast<number>();
    b.subscribe(recorder('a', log));
    b.complete();
    b.next(1);
    b.complete();
    b.subscribe(recorder('b', log));
    expect(log).to.deep.equal(['a:complete', 'b:complete']);
  });

  it('passes an error on to every subscriber and to a later one', () => {
    const log: string[] = [];
    const b = new Broadcast<number>();
    b.subscribe(recorder('a', log));
    b.error('boom');
    b.subscribe(recorder('b', log));
    expect(log).to.deep.equal(['a:error boom', 'b:error boom']);
  });

  it('works under RxJS operators like any Observable', () => {
    const seen: number[] = [];
    const b = new Broadcast<number>();
    b.pipe(
      filter((v) => v % 2 === 0),
      map((v) => v * 10),
    ).subscribe((v) => seen.push(v));
    for (let v = 1; v <= 5; v++) b.next(v);
    expect(seen).to.deep.equal([20, 40]);
  });

  it('behaves as an RxJS Subject for any sequence of subscribes, unsubscribes, messages and endings (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('subscribe' as const) }),
      fc.record({ kind: fc.constant('unsubscribe' as const), which: fc.nat(7) }),
      fc.record({ kind: fc.constant('next' as const), value: fc.integer() }),
      fc.record({ kind: fc.constant('complete' as const) }),
      fc.record({ kind: fc.constant('error' as const) }),
    );
    type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
    const run = (target: Observer<number> & { subscribe(o: Observer<number>): Subscription }, ops: Op[]): string[] => {
      const log: string[] = [];
      const subs: Subscription[] = [];
      for (const o of ops) {
        if (o.kind === 'subscribe') subs.push(target.subscribe(recorder(`s${subs.length}`, log)));
        else if (o.kind === 'unsubscribe') subs[o.which % Math.max(1, subs.length)]?.unsubscribe();
        else if (o.kind === 'next') target.next(o.value);
        else if (o.kind === 'complete') target.complete();
        else target.error('e');
      }
      return log;
    };
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        expect(run(new Broadcast<number>(), ops)).to.deep.equal(run(new Subject<number>(), ops));
      }),
      { numRuns: 2000 },
    );
  });
});
