import { expect } from 'chai';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CacheStore, type Entry, type StoreOptions } from '../../lib/cache/store.js';

const entry = (body: string, freshUntil = Infinity): Entry => ({ body, negative: false, freshUntil });

/** One store operation, as a marble value. */
type Op = { set: string; body: string } | { get: string };
const set = (key: string, body = `"${key}"`): Op => ({ set: key, body });
const get = (key: string): Op => ({ get: key });

/** The ops used below: `s` writes k, `g` reads it; `a`/`b`/`c` write those keys, `A`/`B`/`C` read them. */
const OPS: Record<string, Op> = {
  s: set('k', '"v"'),
  g: get('k'),
  a: set('a'),
  b: set('b'),
  c: set('c'),
  A: get('a'),
  B: get('b'),
  C: get('c'),
};

/** What each op yields: `o` for a write, the body read, or `x` for a key that is gone. */
const RESULTS: Record<string, string> = { o: 'ok', v: '"v"', x: 'gone', A: '"a"', B: '"b"', C: '"c"' };

/** Applies each op; every write keeps its entry for `keepMs`. */
const apply = (store: CacheStore, keepMs: number) =>
  map((op: Op): string => {
    if ('set' in op) {
      store.set(op.set, entry(op.body), keepMs);
      return 'ok';
    }
    return store.get(op.get)?.body ?? 'gone';
  });

describe('CacheStore', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const store = (options: Partial<StoreOptions> = {}) => new CacheStore({ clock: scheduler, maxBytes: 1 << 20, ...options });

  /** Runs the ops of a marble against a store on virtual time and compares what they yield. */
  function expectTimeline(s: CacheStore, keepMs: number, ops: string, yields: string): void {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold(ops, OPS).pipe(apply(s, keepMs))).toBe(yields, RESULTS);
    });
  }

  it('returns the entry it was given, encoded text and freshness unchanged', () => {
    const s = store();
    const stored: Entry = { body: '{"title":"x",  "n":1}', negative: true, freshUntil: 42 };
    s.set('article/1', stored, 0);
    expect(s.get('article/1')).to.deep.equal(stored);
    expect(s.get('article/2')).to.equal(undefined);
  });

  it('keeps an entry until it is older than its keep time', () => {
    // Stored at 1; still there at 101 (age 100), gone at 102.
    expectTimeline(store(), 100, '-s 99ms gg', '-o 99ms vx');
  });

  it('forgets an entry stored at virtual time zero', () => {
    expectTimeline(store(), 10, 's 9ms gg', 'o 9ms vx');
  });

  it('counts the keep time from the write, not from the last read', () => {
    expectTimeline(store(), 10, 's 4ms g 4ms gg', 'o 4ms v 4ms vx');
  });

  it('restarts the keep time when a key is written again', () => {
    expectTimeline(store(), 10, 's 5ms s 9ms gg', 'o 5ms o 9ms vx');
  });

  it('keeps an entry until evicted when its keep time is 0', () => {
    expectTimeline(store(), 0, 's 999999ms g', 'o 999999ms v');
  });

  it('gives each entry its own keep time', () => {
    const seen: Record<string, string | undefined>[] = [];
    scheduler.run(() => {
      const s = store();
      s.set('short', entry('1'), 5);
      s.set('long', entry('2'), 50);
      s.set('forever', entry('3'), 0);
      for (const at of [5, 6, 51]) {
        scheduler.schedule(() => seen.push({ short: s.get('short')?.body, long: s.get('long')?.body, forever: s.get('forever')?.body }), at);
      }
    });
    expect(seen).to.deep.equal([
      { short: '1', long: '2', forever: '3' },
      { short: undefined, long: '2', forever: '3' },
      { short: undefined, long: undefined, forever: '3' },
    ]);
  });

  it('keeps an entry past its freshUntil: freshness is the caller\'s to judge', () => {
    scheduler.run(() => {
      const s = store();
      s.set('k', entry('"v"', 10), 100);
      scheduler.schedule(() => expect(s.get('k')?.body).to.equal('"v"'), 50);
    });
  });

  it('evicts the least recently written entry past maxEntries', () => {
    expectTimeline(store({ maxEntries: 2 }), 0, 'abc(ABC)', 'ooo(xBC)');
  });

  it('counts a read as a use: the entry read most recently survives', () => {
    expectTimeline(store({ maxEntries: 2 }), 0, 'abAc(ABC)', 'ooAo(AxC)');
  });

  it('evicts least recently used entries to stay within maxBytes, counting key and body', () => {
    const s = store({ maxBytes: 10 });
    s.set('a', entry('12345'), 0); // 6 bytes
    s.set('b', entry('1234'), 0); // 5 bytes: 11 in all, so `a` goes
    expect(s.get('a')).to.equal(undefined);
    expect(s.get('b')?.body).to.equal('1234');
    expect(s.bytes).to.equal(5);
    expect(s.entries).to.equal(1);
  });

  it('counts bytes in UTF-8, not characters', () => {
    const s = store();
    s.set('é', entry('"ü"'), 0); // 2 + 4 bytes
    expect(s.bytes).to.equal(6);
  });

  it('does not store an entry larger than maxBytes', () => {
    const s = store({ maxBytes: 10 });
    s.set('k', entry('1234567890'), 0);
    expect(s.get('k')).to.equal(undefined);
    expect(s.entries).to.equal(0);
  });

  it('counts evictions, but not expiries or deletes', () => {
    scheduler.run(() => {
      const s = store({ maxEntries: 1 });
      s.set('a', entry('1'), 5);
      s.set('b', entry('2'), 5);
      expect(s.evictions).to.equal(1);
      s.delete('b');
      s.set('c', entry('3'), 5);
      scheduler.schedule(() => {
        expect(s.get('c')).to.equal(undefined);
        expect(s.evictions).to.equal(1);
      }, 10);
    });
  });

  it('forgets a deleted entry', () => {
    const s = store();
    s.set('k', entry('v'), 0);
    expect(s.delete('k')).to.equal(true);
    expect(s.get('k')).to.equal(undefined);
    expect(s.delete('k')).to.equal(false);
  });

  it('does not count an entry past its keep time as deleted', () => {
    scheduler.run(() => {
      const s = store();
      s.set('k', entry('v'), 5);
      scheduler.schedule(() => expect(s.delete('k')).to.equal(false), 6);
    });
  });

  it('deletes every key starting with a prefix and says how many', () => {
    const s = store();
    const keys = ['user/1', 'user/2', 'users', 'item/user/1'];
    for (const key of keys) s.set(key, entry('1'), 0);
    expect(s.deletePrefix('user/')).to.equal(2);
    expect(keys.map((k) => s.get(k) !== undefined)).to.deep.equal([false, false, true, true]);
    expect(s.entries).to.equal(2);
    expect(s.bytes).to.equal('users'.length + 1 + 'item/user/1'.length + 1);
  });

  it('deletes every key for the empty prefix', () => {
    const s = store();
    for (const key of ['a', 'b', 'c']) s.set(key, entry('1'), 0);
    expect(s.deletePrefix('')).to.equal(3);
    expect(s.entries).to.equal(0);
    expect(s.bytes).to.equal(0);
  });

  it('does not count entries past their keep time in a prefix delete', () => {
    scheduler.run(() => {
      const s = store();
      s.set('p/old', entry('1'), 5);
      s.set('p/new', entry('2'), 50);
      scheduler.schedule(() => expect(s.deletePrefix('p/')).to.equal(1), 10);
    });
  });

  it('does not count purges as evictions', () => {
    const s = store();
    s.set('a', entry('1'), 0);
    s.deletePrefix('');
    expect(s.evictions).to.equal(0);
  });
});
