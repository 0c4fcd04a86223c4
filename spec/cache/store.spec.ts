import { expect } from 'chai';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CacheStore, type EntryRules, type StoreOptions } from '../../lib/cache/store.js';

/** The store holds answers as bytes; the specs write and read them as text. */
const bytes = (text: string): Buffer => Buffer.from(text);

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

/** Applies each op; every write is fresh for `freshMs`. */
const apply = (store: CacheStore, freshMs: number) =>
  map((op: Op): string => {
    if ('set' in op) {
      store.set(op.set, bytes(op.body), freshMs);
      return 'ok';
    }
    return store.fresh(op.get)?.toString() ?? 'gone';
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
  function expectTimeline(s: CacheStore, freshMs: number, ops: string, yields: string): void {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold(ops, OPS).pipe(apply(s, freshMs))).toBe(yields, RESULTS);
    });
  }

  it('returns the answer it was given, the very text', () => {
    const s = store();
    s.set('article/1', bytes('{"title":"x",  "n":1}'), Infinity);
    expect(s.fresh('article/1')?.toString()).to.equal('{"title":"x",  "n":1}');
    expect(s.fresh('article/2')?.toString()).to.equal(undefined);
  });

  it('keeps an entry fresh until it is older than its fresh time', () => {
    // Stored at 1; still there at 101 (age 100), gone at 102.
    expectTimeline(store(), 100, '-s 99ms gg', '-o 99ms vx');
  });

  it('forgets an entry stored at virtual time zero', () => {
    expectTimeline(store(), 10, 's 9ms gg', 'o 9ms vx');
  });

  it('counts the fresh time from the write, not from the last read', () => {
    expectTimeline(store(), 10, 's 4ms g 4ms gg', 'o 4ms v 4ms vx');
  });

  it('restarts the fresh time when a key is written again', () => {
    expectTimeline(store(), 10, 's 5ms s 9ms gg', 'o 5ms o 9ms vx');
  });

  it('keeps an entry until evicted when its fresh time is Infinity', () => {
    expectTimeline(store(), Infinity, 's 999999ms g', 'o 999999ms v');
  });

  it('stores nothing when the fresh time is 0: it expires at once', () => {
    expectTimeline(store(), 0, 'sg', 'ox');
  });

  it('drops the older entry of a key written again with a fresh time of 0', () => {
    const s = store();
    s.set('k', bytes('"old"'), Infinity);
    s.set('k', bytes('"new"'), 0);
    expect(s.fresh('k')).to.equal(undefined);
    expect(s.kept('k')).to.equal(undefined);
    expect(s.entries).to.equal(0);
  });

  it('gives each entry its own fresh time', () => {
    const seen: Record<string, string | undefined>[] = [];
    scheduler.run(() => {
      const s = store();
      s.set('short', bytes('1'), 5);
      s.set('long', bytes('2'), 50);
      s.set('forever', bytes('3'), Infinity);
      for (const at of [5, 6, 51]) {
        scheduler.schedule(() => seen.push({ short: s.fresh('short')?.toString(), long: s.fresh('long')?.toString(), forever: s.fresh('forever')?.toString() }), at);
      }
    });
    expect(seen).to.deep.equal([
      { short: '1', long: '2', forever: '3' },
      { short: undefined, long: '2', forever: '3' },
      { short: undefined, long: undefined, forever: '3' },
    ]);
  });

  it('says how long an entry stays fresh: Infinity for one that never expires, 0 for one not held', () => {
    const seen: number[] = [];
    scheduler.run(() => {
      const s = store({ staleWindow: 5 });
      s.set('k', bytes('"v"'), 10);
      s.set('forever', bytes('"v"'), Infinity);
      scheduler.schedule(() => seen.push(s.freshMs('k'), s.freshMs('forever'), s.freshMs('none')), 4);
      scheduler.schedule(() => seen.push(s.freshMs('k')), 12);
    });
    expect(seen).to.deep.equal([6, Infinity, 0, -2]);
  });

  describe('with a stale window', () => {
    /** What `kept` says at each time, for an entry fresh for 10 ms in a store with a 5 ms window. */
    function keptAt(times: number[], negative = false): ({ fresh: string | undefined; staleMs: number; negative: boolean } | undefined)[] {
      const seen: ({ fresh: string | undefined; staleMs: number; negative: boolean } | undefined)[] = [];
      scheduler.run(() => {
        const s = store({ staleWindow: 5 });
        s.set('k', bytes('"v"'), 10, negative);
        for (const at of times) {
          scheduler.schedule(() => {
            const kept = s.kept('k');
            seen.push(kept && { fresh: s.fresh('k')?.toString(), staleMs: kept.staleMs, negative: kept.negative });
          }, at);
        }
      });
      return seen;
    }

    it('keeps an entry the window past its fresh time, no longer fresh, and says how stale it is', () => {
      expect(keptAt([0, 10, 11, 15, 16])).to.deep.equal([
        { fresh: '"v"', staleMs: -10, negative: false },
        { fresh: '"v"', staleMs: 0, negative: false },
        { fresh: undefined, staleMs: 1, negative: false },
        { fresh: undefined, staleMs: 5, negative: false },
        undefined,
      ]);
    });

    it('marks a negative entry as such while it is kept', () => {
      expect(keptAt([0, 12], true).map((k) => k?.negative)).to.deep.equal([true, true]);
    });

    it('keeps an entry whose fresh time is Infinity fresh until evicted', () => {
      scheduler.run(() => {
        const s = store({ staleWindow: 5 });
        s.set('k', bytes('"v"'), Infinity);
        scheduler.schedule(() => expect(s.fresh('k')?.toString()).to.equal('"v"'), 999_999);
      });
    });

    it('keeps nothing, not even for the window, of an entry whose fresh time is 0', () => {
      const s = store({ staleWindow: 5 });
      s.set('k', bytes('"v"'), 0);
      expect(s.kept('k')).to.equal(undefined);
    });
  });

  describe('entries with their own rules (an HTTP origin)', () => {
    const validator = { bytes: 100 };
    const rules = (r: Partial<EntryRules> = {}): EntryRules => ({ grace: 0, staleIfError: 0, keep: 0, ...r });

    /** What `fresh` and `kept` say of `k` at each time, once it is stored fresh for `freshMs` under `r`, in a store with a 5 ms window. */
    function seenAt(times: number[], freshMs: number, r: EntryRules): ({ fresh: boolean; staleMs: number; rules?: EntryRules } | undefined)[] {
      const seen: ({ fresh: boolean; staleMs: number; rules?: EntryRules } | undefined)[] = [];
      scheduler.run(() => {
        const s = store({ staleWindow: 5 });
        s.setRuled('k', bytes('"v"'), freshMs, r);
        for (const at of times) {
          scheduler.schedule(() => {
            const kept = s.kept('k');
            seen.push(kept && { fresh: s.fresh('k') !== undefined, staleMs: kept.staleMs, rules: kept.rules });
          }, at);
        }
      });
      return seen;
    }

    it('keeps an entry for the longest of its grace and stale-if-error past fresh, instead of the store window', () => {
      const r = rules({ grace: 20, staleIfError: 30 });
      expect(seenAt([9, 10, 40, 41], 10, r)).to.deep.equal([
        { fresh: true, staleMs: -1, rules: r },
        { fresh: false, staleMs: 0, rules: r },
        { fresh: false, staleMs: 30, rules: r },
        undefined,
      ]);
    });

    it('keeps an entry with a validator for keep past fresh, and ignores keep without one', () => {
      expect(seenAt([60], 10, rules({ keep: 50, validator }))).to.deep.equal([{ fresh: false, staleMs: 50, rules: rules({ keep: 50, validator }) }]);
      expect(seenAt([11], 10, rules({ keep: 50 }))).to.deep.equal([undefined]);
    });

    it('stores an entry with no fresh time at all (no-cache) when it may be kept, never fresh', () => {
      expect(seenAt([0, 5], 0, rules({ keep: 50, validator })).map((k) => k && { fresh: k.fresh, staleMs: k.staleMs })).to.deep.equal([
        { fresh: false, staleMs: 0 },
        { fresh: false, staleMs: 5 },
      ]);
    });

    it('keeps nothing of an entry with no fresh time and nothing to keep it for', () => {
      const s = store({ staleWindow: 5 });
      s.setRuled('k', bytes('"v"'), 0, rules());
      expect(s.kept('k')).to.equal(undefined);
    });

    it('says how long it stays fresh', () => {
      const seen: number[] = [];
      scheduler.run(() => {
        const s = store();
        s.setRuled('k', bytes('"v"'), 10, rules({ keep: 50, validator }));
        scheduler.schedule(() => seen.push(s.freshMs('k')), 4);
        scheduler.schedule(() => seen.push(s.freshMs('k')), 14);
      });
      expect(seen).to.deep.equal([6, -4]);
    });

    it('counts the validator bytes against the byte bound, and again the same after a refresh', () => {
      const s = store();
      const answer = bytes('"v"');
      s.setRuled('k', answer, 10, rules({ keep: 50, validator }));
      expect(s.bytes).to.equal(1 + 3 + 100);
      s.setRuled('k', answer, 10, rules({ keep: 50, validator: { bytes: 40 } }));
      expect(s.bytes).to.equal(1 + 3 + 40);
      expect(s.entries).to.equal(1);
    });

    it('forgets the rules when the key is written without them, deleted or evicted', () => {
      const s = store({ maxEntries: 1 });
      s.setRuled('a', bytes('1'), 10, rules({ grace: 5 }));
      expect(s.hasRuled).to.equal(true);
      s.set('a', bytes('2'), 10);
      expect(s.kept('a')?.rules).to.equal(undefined);
      expect(s.hasRuled).to.equal(false);
      s.setRuled('a', bytes('1'), 10, rules({ grace: 5 }));
      s.delete('a');
      expect(s.hasRuled).to.equal(false);
      s.setRuled('b', bytes('1'), 10, rules({ grace: 5 }));
      s.set('c', bytes('1'), 10);
      expect(s.hasRuled).to.equal(false);
    });
  });

  it('forgets the negative mark when the key is written again, deleted or evicted', () => {
    const s = store({ maxEntries: 2 });
    s.set('a', bytes('nf'), Infinity, true);
    s.set('b', bytes('nf'), Infinity, true);
    expect([s.isNegative('a'), s.isNegative('b')]).to.deep.equal([true, true]);
    s.set('a', bytes('ok'), Infinity);
    s.delete('b');
    expect([s.isNegative('a'), s.isNegative('b')]).to.deep.equal([false, false]);
    s.set('c', bytes('nf'), Infinity, true);
    s.set('d', bytes('ok'), Infinity);
    s.set('e', bytes('ok'), Infinity); // evicts c
    expect(s.fresh('c')?.toString()).to.equal(undefined);
    expect(s.isNegative('c')).to.equal(false);
  });

  it('evicts the least recently written entry past maxEntries', () => {
    expectTimeline(store({ maxEntries: 2 }), Infinity, 'abc(ABC)', 'ooo(xBC)');
  });

  it('counts a read as a use: the entry read most recently survives', () => {
    expectTimeline(store({ maxEntries: 2 }), Infinity, 'abAc(ABC)', 'ooAo(AxC)');
  });

  it('evicts least recently used entries to stay within maxBytes, counting key and body', () => {
    const s = store({ maxBytes: 10 });
    s.set('a', bytes('12345'), Infinity); // 6 bytes
    s.set('b', bytes('1234'), Infinity); // 5 bytes: 11 in all, so `a` goes
    expect(s.fresh('a')?.toString()).to.equal(undefined);
    expect(s.fresh('b')?.toString()).to.equal('1234');
    expect(s.bytes).to.equal(5);
    expect(s.entries).to.equal(1);
  });

  it('counts bytes in UTF-8, not characters', () => {
    const s = store();
    s.set('é', bytes('"ü"'), Infinity); // 2 + 4 bytes
    expect(s.bytes).to.equal(6);
  });

  it('does not store an entry larger than maxBytes', () => {
    const s = store({ maxBytes: 10 });
    s.set('k', bytes('1234567890'), Infinity);
    expect(s.fresh('k')?.toString()).to.equal(undefined);
    expect(s.entries).to.equal(0);
  });

  it('counts evictions, but not expiries or deletes', () => {
    scheduler.run(() => {
      const s = store({ maxEntries: 1 });
      s.set('a', bytes('1'), 5);
      s.set('b', bytes('2'), 5);
      expect(s.evictions).to.equal(1);
      s.delete('b');
      s.set('c', bytes('3'), 5);
      scheduler.schedule(() => {
        expect(s.fresh('c')?.toString()).to.equal(undefined);
        expect(s.evictions).to.equal(1);
      }, 10);
    });
  });

  it('forgets a deleted entry', () => {
    const s = store();
    s.set('k', bytes('v'), Infinity);
    expect(s.delete('k')).to.equal(true);
    expect(s.fresh('k')?.toString()).to.equal(undefined);
    expect(s.delete('k')).to.equal(false);
  });

  it('does not count an entry past its keep time as deleted', () => {
    scheduler.run(() => {
      const s = store();
      s.set('k', bytes('v'), 5);
      scheduler.schedule(() => expect(s.delete('k')).to.equal(false), 6);
    });
  });

  it('deletes every key starting with a prefix and says how many', () => {
    const s = store();
    const keys = ['user/1', 'user/2', 'users', 'item/user/1'];
    for (const key of keys) s.set(key, bytes('1'), Infinity);
    expect(s.deletePrefix('user/')).to.equal(2);
    expect(keys.map((k) => s.fresh(k)?.toString() !== undefined)).to.deep.equal([false, false, true, true]);
    expect(s.entries).to.equal(2);
    expect(s.bytes).to.equal('users'.length + 1 + 'item/user/1'.length + 1);
  });

  it('deletes every key for the empty prefix', () => {
    const s = store();
    for (const key of ['a', 'b', 'c']) s.set(key, bytes('1'), Infinity);
    expect(s.deletePrefix('')).to.equal(3);
    expect(s.entries).to.equal(0);
    expect(s.bytes).to.equal(0);
  });

  it('does not count entries past their keep time in a prefix delete', () => {
    scheduler.run(() => {
      const s = store();
      s.set('p/old', bytes('1'), 5);
      s.set('p/new', bytes('2'), 50);
      scheduler.schedule(() => expect(s.deletePrefix('p/')).to.equal(1), 10);
    });
  });

  it('does not count purges as evictions', () => {
    const s = store();
    s.set('a', bytes('1'), Infinity);
    s.deletePrefix('');
    expect(s.evictions).to.equal(0);
  });
});
