import { expect } from 'chai';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CacheStore, type StoreOptions } from '../../lib/cache/store.js';

/** One store operation, as a marble value. */
type Op = { set: string; value: string } | { get: string };
const set = (key: string, value = `"${key}"`): Op => ({ set: key, value });
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

/** What each op yields: `o` for a write, the value read, or `x` for a key that is gone. */
const RESULTS: Record<string, string> = { o: 'ok', v: '"v"', x: 'gone', A: '"a"', B: '"b"', C: '"c"' };

const apply = (store: CacheStore) =>
  map((op: Op): string => {
    if ('set' in op) {
      store.set(op.set, op.value);
      return 'ok';
    }
    return store.get(op.get) ?? 'gone';
  });

describe('CacheStore', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const store = (options: Partial<StoreOptions> = {}) => new CacheStore({ clock: scheduler, ttl: 0, maxBytes: 1 << 20, ...options });

  /** Runs the ops of a marble against a store on virtual time and compares what they yield. */
  function expectTimeline(s: CacheStore, ops: string, yields: string): void {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold(ops, OPS).pipe(apply(s))).toBe(yields, RESULTS);
    });
  }

  it('returns the encoded text it was given', () => {
    const s = store();
    s.set('article/1', '{"title":"x",  "n":1}');
    expect(s.get('article/1')).to.equal('{"title":"x",  "n":1}');
    expect(s.get('article/2')).to.equal(undefined);
  });

  it('serves an entry until it is older than ttl', () => {
    // Stored at 1; still there at 101 (age 100), gone at 102.
    expectTimeline(store({ ttl: 100 }), '-s 99ms gg', '-o 99ms vx');
  });

  it('expires an entry stored at virtual time zero', () => {
    expectTimeline(store({ ttl: 10 }), 's 9ms gg', 'o 9ms vx');
  });

  it('counts ttl from the write, not from the last read', () => {
    expectTimeline(store({ ttl: 10 }), 's 4ms g 4ms gg', 'o 4ms v 4ms vx');
  });

  it('restarts ttl when a key is written again', () => {
    expectTimeline(store({ ttl: 10 }), 's 5ms s 9ms gg', 'o 5ms o 9ms vx');
  });

  it('keeps entries forever when ttl is 0', () => {
    expectTimeline(store({ ttl: 0 }), 's 999999ms g', 'o 999999ms v');
  });

  it('evicts the least recently written entry past maxEntries', () => {
    expectTimeline(store({ maxEntries: 2 }), 'abc(ABC)', 'ooo(xBC)');
  });

  it('counts a read as a use: the entry read most recently survives', () => {
    expectTimeline(store({ maxEntries: 2 }), 'abAc(ABC)', 'ooAo(AxC)');
  });

  it('evicts least recently used entries to stay within maxBytes, counting key and value', () => {
    const s = store({ maxBytes: 10 });
    s.set('a', '12345'); // 6 bytes
    s.set('b', '1234'); // 5 bytes: 11 in all, so `a` goes
    expect(s.get('a')).to.equal(undefined);
    expect(s.get('b')).to.equal('1234');
    expect(s.bytes).to.equal(5);
    expect(s.entries).to.equal(1);
  });

  it('does not store a value larger than maxBytes', () => {
    const s = store({ maxBytes: 10 });
    s.set('k', '1234567890');
    expect(s.get('k')).to.equal(undefined);
    expect(s.entries).to.equal(0);
  });

  it('counts evictions, but not expiries or deletes', () => {
    scheduler.run(() => {
      const s = store({ maxEntries: 1, ttl: 5 });
      s.set('a', '1');
      s.set('b', '2');
      expect(s.evictions).to.equal(1);
      s.delete('b');
      s.set('c', '3');
      scheduler.schedule(() => {
        expect(s.get('c')).to.equal(undefined);
        expect(s.evictions).to.equal(1);
      }, 10);
    });
  });

  it('forgets a deleted entry', () => {
    const s = store();
    s.set('k', 'v');
    expect(s.delete('k')).to.equal(true);
    expect(s.get('k')).to.equal(undefined);
    expect(s.delete('k')).to.equal(false);
  });
});
