import { expect } from 'chai';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { operate } from '../../lib/bus/actor.js';

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });
}

describe('operate', () => {
  it('passes each inbox message to the handler init returns, which writes the output', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const inbox = cold('-a-b-|', { a: 1, b: 2 });
      const doubled = operate<number, number>(inbox, (out) => (n) => out.next(n * 2));
      expectObservable(doubled).toBe('-x-y-|', { x: 2, y: 4 });
    });
  });

  it('passes the inbox error through to the output', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const inbox = cold('-a-#', { a: 1 }, new Error('broken'));
      expectObservable(operate<number, number>(inbox, (out) => (n) => out.next(n))).toBe('-a-#', { a: 1 }, new Error('broken'));
    });
  });

  it('runs complete before the output completes, so a last message can leave', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const inbox = cold('-a-b-|', { a: 1, b: 2 });
      const sum = operate<number, number>(inbox, (out) => {
        let total = 0;
        return { next: (n) => (total += n), complete: () => out.next(total) };
      });
      expectObservable(sum).toBe('-----(s|)', { s: 3 });
    });
  });

  it('keeps state per subscription: two runs of one actor do not share it', () => {
    const inbox = new Subject<number>();
    const counted = operate<number, number>(inbox, (out) => {
      let seen = 0;
      return () => out.next(++seen);
    });
    const first: number[] = [];
    const second: number[] = [];
    counted.subscribe((n) => first.push(n));
    inbox.next(0);
    counted.subscribe((n) => second.push(n));
    inbox.next(0);
    expect(first).to.deep.equal([1, 2]);
    expect(second).to.deep.equal([1]);
  });

  it('runs finalize when the output is unsubscribed, and stops reading the inbox', () => {
    const inbox = new Subject<number>();
    let finalized = 0;
    const seen: number[] = [];
    const running = operate<number, never>(inbox, () => ({ next: (n) => seen.push(n), finalize: () => finalized++ })).subscribe();
    inbox.next(1);
    running.unsubscribe();
    inbox.next(2);
    expect(finalized).to.equal(1);
    expect(seen).to.deep.equal([1]);
    expect(inbox.observed).to.equal(false);
  });
});
