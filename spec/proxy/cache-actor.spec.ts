import { expect } from 'chai';
import { EMPTY, Observable, Subject, map, merge, mergeMap, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { cacheActor, type CacheActorOptions, type CacheInput } from '../../lib/proxy/cache-actor.js';
import type { OriginPort } from '../../lib/proxy/fetcher.js';
import type { Answered, CacheEvent, CacheGauges, Fetched, FetchOutcome, StaleDirectives } from '../../lib/proxy/messages.js';
import type { PurgeRequest } from '../../lib/protocol/request.js';

type Note = { fetch: string; conditional: boolean } | { reply: string; key: string } | { event: CacheEvent } | { gauges: CacheGauges } | { answered: Answered };

/** What the test sends the actor: a GET of a key, or a PURGE. */
type Send = { get: string } | { purge: { key: string } | { prefix: string } };

const DATA = '{"title":"x"}';
/** What the store holds for DATA: the whole answer a fresh hit writes. */
const STORED = `{"status":"OK","data":${DATA},"cache_hit":true,"node":8001}`;
const DATA_2 = '{"title":"y"}';
const OK: FetchOutcome = { kind: 'ok', data: DATA };
const NOT_FOUND = '{"status":"NOT_FOUND","data":"no such key"}';
const BAD_KEY = '{"status":"BAD_REQUEST","error":"key leaves the data folder"}';
const ANSWER: FetchOutcome = { kind: 'answer', answer: NOT_FOUND, notFound: true };
const FAILURE: FetchOutcome = { kind: 'failure', reason: 'origin timed out', cause: 'response-timeout' };
/** What an HTTP origin leaves with an answer that has an ETag. */
const VALIDATOR = { bytes: 10 };
const stale = (directives: Partial<StaleDirectives> = {}): StaleDirectives => ({ whileRevalidate: 0, ifError: 0, strict: false, ...directives });

/**
 * A cache actor wired as the proxy wires it: its fetch orders go to `origin`, whose outcomes come
 * back to its inbox. Emits every fetch order, reply, event and gauge reading, in the order they happen.
 */
function proxy(clock: TestScheduler, sends: Observable<Send>, origin: OriginPort, options: Partial<CacheActorOptions> = {}): Observable<Note> {
  return new Observable<Note>((notes) => {
    const fetched = new Subject<Fetched>();
    const input = (send: Send): CacheInput => {
      if ('get' in send) {
        const key = send.get;
        return { get: { request: { op: 'GET', key }, reply: (reply) => notes.next({ reply: reply.toString(), key }) } };
      }
      const request: PurgeRequest = { op: 'PURGE', ...send.purge };
      const key = 'key' in send.purge ? send.purge.key : `${send.purge.prefix}*`;
      return { purge: { request, reply: (reply) => notes.next({ reply: reply.toString(), key }) } };
    };
    const inbox = merge(sends.pipe(map(input)), fetched.pipe(map((f): CacheInput => ({ fetched: f }))));
    return cacheActor({ node: 8001, ttl: Infinity, maxBytes: 1 << 20, ...options })(inbox, clock)
      .pipe(
        mergeMap((out) => {
          if (!('fetch' in out)) {
            notes.next(out);
            return EMPTY;
          }
          const { key, validator } = out.fetch;
          notes.next({ fetch: key, conditional: validator !== undefined });
          return origin(key, validator).pipe(map((outcome) => ({ key, outcome })));
        }),
      )
      .subscribe((f) => fetched.next(f));
  });
}

/**
 * A note as a marble value: `fetch a`, `miss a`, `hit a`, `stale a` (with `'` when the data is the
 * second version), `purged n`, or the status of any other reply.
 */
function label(note: Note): string {
  if ('fetch' in note) return `${note.conditional ? 'revalidate' : 'fetch'} ${note.fetch}`;
  if ('event' in note) return `event ${note.event}`;
  if ('gauges' in note) return 'gauges';
  if ('answered' in note) return `answered ${note.answered.status}`;
  const reply = JSON.parse(note.reply) as { status: string; data?: unknown; cache_hit?: boolean; stale?: boolean };
  if (reply.status !== 'OK') return `${reply.status} ${note.key}`;
  const data = reply.data as { purged?: number; title?: string };
  if (data.purged !== undefined) return `purged ${data.purged}`;
  const kind = reply.stale ? 'stale' : reply.cache_hit ? 'hit' : 'miss';
  return `${kind} ${note.key}${data.title === 'y' ? "'" : ''}`;
}

const onlyFetchesAndReplies = (notes: Observable<Note>) =>
  notes.pipe(
    mergeMap((note) => ('fetch' in note || 'reply' in note ? [label(note)] : [])),
  );

/**
 * Origin answers in marbles: o is OK data, p OK with the second version of the data, f a failure,
 * n NOT_FOUND, r the origin refusing the key (BAD_REQUEST), t OK with the origin's ttl of 5 ms,
 * T OK with a ttl of 50 ms, z OK with a ttl of 0. An HTTP origin's answers, each fresh for 10 ms:
 * v with a validator, V with a validator and stale-while-revalidate 20, g with stale-while-revalidate
 * 20, i with stale-if-error 30, q strict (must-revalidate); k no-cache with a validator (fresh for 0);
 * N a 304 fresh for 10 ms more, K a 304 of a no-cache entry.
 */
const OUTCOMES: Record<string, FetchOutcome> = {
  o: OK,
  p: { kind: 'ok', data: DATA_2 },
  f: FAILURE,
  n: ANSWER,
  r: { kind: 'answer', answer: BAD_KEY, notFound: false },
  t: { kind: 'ok', data: DATA, ttl: 5 },
  T: { kind: 'ok', data: DATA, ttl: 50 },
  z: { kind: 'ok', data: DATA, ttl: 0 },
  v: { kind: 'ok', data: DATA, ttl: 10, stale: stale(), validator: VALIDATOR },
  V: { kind: 'ok', data: DATA, ttl: 10, stale: stale({ whileRevalidate: 20 }), validator: VALIDATOR },
  g: { kind: 'ok', data: DATA, ttl: 10, stale: stale({ whileRevalidate: 20 }) },
  i: { kind: 'ok', data: DATA, ttl: 10, stale: stale({ ifError: 30 }) },
  q: { kind: 'ok', data: DATA, ttl: 10, stale: stale({ strict: true }) },
  k: { kind: 'ok', data: DATA, ttl: 0, stale: stale({ strict: true }), validator: VALIDATOR },
  N: { kind: 'not_modified', ttl: 10, stale: stale(), validator: VALIDATOR },
  K: { kind: 'not_modified', ttl: 0, stale: stale({ strict: true }), validator: VALIDATOR },
};

/**
 * What is sent, in the input marbles: a b c are GETs of those keys; P purges key a; u v w are GETs
 * of user/1, user/2 and item/1; U purges the prefix `user/`, E the empty prefix (every key).
 */
const SENDS: Record<string, Send> = {
  a: { get: 'a' },
  b: { get: 'b' },
  c: { get: 'c' },
  P: { purge: { key: 'a' } },
  u: { get: 'user/1' },
  v: { get: 'user/2' },
  w: { get: 'item/1' },
  U: { purge: { prefix: 'user/' } },
  E: { purge: { prefix: '' } },
};

/**
 * What the output marbles show. Upper case is a fetch order, lower case a reply:
 * A B C fetch a b c; a b c answered from the origin; h a hit on a; s a stale answer for a;
 * H and S the same with the second version of the data, m a miss with it; e ORIGIN_FAILURE for a;
 * R a conditional fetch of a (revalidation);
 * n NOT_FOUND for a; r BAD_REQUEST for a; 0 1 2 3 a purge answer with that count;
 * U V W fetch user/1 user/2 item/1; u v w their misses, x y z their hits.
 */
const NOTES: Record<string, string> = {
  A: 'fetch a',
  R: 'revalidate a',
  B: 'fetch b',
  C: 'fetch c',
  a: 'miss a',
  b: 'miss b',
  c: 'miss c',
  h: 'hit a',
  s: 'stale a',
  H: "hit a'",
  S: "stale a'",
  m: "miss a'",
  e: 'ORIGIN_FAILURE a',
  n: 'NOT_FOUND a',
  r: 'BAD_REQUEST a',
  0: 'purged 0',
  1: 'purged 1',
  2: 'purged 2',
  3: 'purged 3',
  U: 'fetch user/1',
  V: 'fetch user/2',
  W: 'fetch item/1',
  u: 'miss user/1',
  v: 'miss user/2',
  w: 'miss item/1',
  x: 'hit user/1',
  y: 'hit user/2',
  z: 'hit item/1',
};

describe('cache actor', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /**
   * Runs what is sent (a cold marble of SENDS) against an origin whose n-th fetch of a key answers
   * as the n-th marble of `origin` (the last one repeats), and compares the fetch orders and replies.
   * The TestScheduler is the actor's clock.
   */
  function expectTimeline(sends: string, origin: string[], notes: string, options: Partial<CacheActorOptions> = {}): void {
    scheduler.run(({ cold, expectObservable }) => {
      const answers = origin.map((marbles) => cold(marbles, OUTCOMES));
      const fetches = new Map<string, number>();
      const port: OriginPort = (key) => {
        const n = fetches.get(key) ?? 0;
        fetches.set(key, n + 1);
        return answers[Math.min(n, answers.length - 1)]!;
      };
      const run = proxy(scheduler, cold(sends, SENDS), port, options);
      expectObservable(onlyFetchesAndReplies(run)).toBe(notes, NOTES);
    });
  }

  /** Sends gets for `keys` at once and returns the replies, as they arrive, in the order they do. */
  function replies(keys: string[], origin: OriginPort, options: Partial<CacheActorOptions> = {}): string[] {
    const texts: string[] = [];
    const gets = new Subject<string>();
    proxy(scheduler, gets.pipe(map((get) => ({ get }))), origin, options).subscribe((n) => 'reply' in n && texts.push(n.reply));
    for (const key of keys) gets.next(key);
    return texts;
  }

  /** Starts an actor fed by hand; `outcomes[i]` answers the i-th fetch, whatever its key. */
  function manual(options: Partial<CacheActorOptions> = {}) {
    const outcomes: Subject<FetchOutcome>[] = [];
    const origin: OriginPort = () => {
      const outcome = new Subject<FetchOutcome>();
      outcomes.push(outcome);
      return outcome;
    };
    const sends = new Subject<Send>();
    const notes: Note[] = [];
    proxy(scheduler, sends, origin, options).subscribe((n) => notes.push(n));
    return { outcomes, send: (send: Send) => sends.next(send), notes };
  }

  describe('timing misses for metrics', () => {
    const answered = (notes: Note[]): Answered[] => notes.flatMap((n) => ('answered' in n ? [n.answered] : []));

    it('reports each waiter of a fetch with how long it waited on the clock and the status it got', () => {
      const actor = manual();
      actor.send({ get: 'a' });
      scheduler.frame = 5;
      actor.send({ get: 'a' });
      scheduler.frame = 12;
      actor.outcomes[0]!.next(OK);
      expect(answered(actor.notes)).to.deep.equal([{ status: 'OK', waits: [12, 7] }]);
    });

    it('reports NOT_FOUND, the status of a refused key, and ORIGIN_FAILURE as the waiters got them', () => {
      const actor = manual();
      actor.send({ get: 'a' });
      actor.outcomes[0]!.next(ANSWER);
      actor.send({ get: 'b' });
      actor.outcomes[1]!.next({ kind: 'answer', answer: BAD_KEY, notFound: false });
      actor.send({ get: 'c' });
      actor.outcomes[2]!.next(FAILURE);
      expect(answered(actor.notes).map((a) => a.status)).to.deep.equal(['NOT_FOUND', 'BAD_REQUEST', 'ORIGIN_FAILURE']);
    });

    it('reports nothing for a hit, which metrics counts from its event', () => {
      const actor = manual();
      actor.send({ get: 'a' });
      actor.outcomes[0]!.next(OK);
      const before = answered(actor.notes).length;
      actor.send({ get: 'a' });
      expect(answered(actor.notes)).to.have.length(before);
    });
  });

  describe('misses and hits', () => {
    it('emits one fetch order on a miss and answers when the origin does', () => {
      expectTimeline('-a', ['---o|'], '-A--a');
    });

    it('serves a hit without asking the origin', () => {
      expectTimeline('-a-----a', ['---o|'], '-A--a--h');
    });

    it('fetches different keys separately', () => {
      expectTimeline('-ab', ['--o|'], '-ABab');
    });

    it('fetches again at the first get after the entry is older than ttl', () => {
      // Stored at 2 with a 10 ms ttl: a hit at 12, expired at 13.
      expectTimeline('-a 10ms aa', ['-o|'], '-Aa 9ms hAa', { ttl: 10 });
    });

    it('keeps entries until evicted when ttl is Infinity', () => {
      expectTimeline('-a 99999ms a', ['-o|'], '-Aa 99998ms h', { ttl: Infinity });
    });

    it('stores nothing when ttl is 0: every get after an answer fetches again', () => {
      expectTimeline('-a-a-a', ['-o|'], '-AaAaAa', { ttl: 0 });
    });

    it('still coalesces when ttl is 0: the waiters of one fetch all get its answer', () => {
      expectTimeline('-aaa', ['---o|'], '-A--(aaa)', { ttl: 0 });
    });

    it('keeps nothing for stale-if-error when ttl is 0', () => {
      expectTimeline('-a-a', ['-o|', '-f|'], '-AaAe', { ttl: 0, staleIfError: 100 });
    });

    it('evicts the least recently used entry past its capacity, a get counting as a use', () => {
      // Capacity 2. `a` is read at 5, so storing `c` at 8 evicts `b`, and `b` is fetched again at 11.
      expectTimeline('-a-b-a-c-a-b', ['-o|'], '-AaBbh-Cch-Bb', { maxEntries: 2 });
    });

    it('answers a miss with the data, cache_hit false and its node', () => {
      expect(replies(['article/1'], () => of(OK))).to.deep.equal(['{"status":"OK","data":{"title":"x"},"cache_hit":false,"node":8001}']);
    });

    it('answers a hit with the stored text, cache_hit true and its node', () => {
      const [, hit] = replies(['article/1', 'article/1'], () => of(OK), { node: 8002 });
      expect(hit).to.equal('{"status":"OK","data":{"title":"x"},"cache_hit":true,"node":8002}');
    });

    it('answers a failed fetch ORIGIN_FAILURE with the reason', () => {
      expect(replies(['a'], () => of(FAILURE))).to.deep.equal(['{"status":"ORIGIN_FAILURE","error":"origin timed out"}']);
    });
  });

  describe('coalescing', () => {
    it('turns many concurrent misses for one key into exactly one fetch, and answers every waiter', () => {
      expectTimeline('-aaaaa', ['------o|'], '-A-----(aaaaa)');
    });

    it('coalesces misses that arrive at the same instant', () => {
      expectTimeline('-(aaa)', ['--o|'], '-A-(aaa)');
    });

    it('gives every coalesced waiter the same answer text', () => {
      const origin = new Subject<FetchOutcome>();
      const answered = replies(['a', 'a', 'a'], () => origin);
      expect(answered).to.deep.equal([]);
      origin.next(OK);
      expect(answered).to.deep.equal(Array(3).fill('{"status":"OK","data":{"title":"x"},"cache_hit":false,"node":8001}'));
    });

    it('answers every coalesced waiter ORIGIN_FAILURE when the fetch fails, and fetches again at the next get', () => {
      expectTimeline('-aaa 5ms a', ['--f|', '-o|'], '-A-(eee)-Aa');
    });

    it('does not store a failure', () => {
      expectTimeline('-a---a', ['-f|', '-o|'], '-Ae--Aa');
    });

    it('starts a new fetch for a miss after the previous fetch landed', () => {
      expectTimeline('-a--a', ['-z|'], '-Aa-Aa');
    });

    it('counts each waiter beyond the first as coalesced', () => {
      const { outcomes, send, notes } = manual();
      send({ get: 'a' });
      send({ get: 'a' });
      send({ get: 'a' });
      outcomes[0]!.next(OK);
      const events = notes.flatMap((n) => ('event' in n ? [n.event] : []));
      expect(events).to.deep.equal(['miss', 'origin_fetch', 'miss', 'coalesced', 'miss', 'coalesced']);
      expect(outcomes).to.have.length(1);
    });
  });

  describe('grace', () => {
    // ttl 10, grace 20: stored at 2, fresh until 12, served stale at once until 32.
    const options = { ttl: 10, grace: 20 };

    it('answers a value past its TTL at once, marked stale, and refreshes it in the background', () => {
      expectTimeline('-a 11ms a', ['-o|', '-----p|'], '-Aa 10ms (sA)', options);
    });

    it('starts exactly one background fetch however many requests arrive during it, then serves fresh hits', () => {
      // The refresh ordered at 13 lands at 20, after the get of that instant: stale answers at 13
      // and 17 to 20, fresh hits of the new value from 21.
      expectTimeline('-a 11ms a---aaaaaa', ['-o|', '-------p|'], '-Aa 10ms (sA)ssssHH', options);
    });

    it('answers a stale value with the stored text, cache_hit true and "stale":true', () => {
      const { outcomes, send, notes } = manual(options);
      scheduler.run(() => {
        send({ get: 'a' });
        outcomes[0]!.next(OK);
        scheduler.schedule(() => send({ get: 'a' }), 11);
      });
      const texts = notes.flatMap((n) => ('reply' in n ? [n.reply] : []));
      expect(texts[1]).to.equal('{"status":"OK","data":{"title":"x"},"cache_hit":true,"node":8001,"stale":true}');
    });

    it('serves the value stale up to grace past its TTL', () => {
      // Stored at 2, fresh until 12: still stale at 32.
      expectTimeline('-a 30ms a', ['-o|', '-p|'], '-Aa 29ms (sA)', options);
    });

    it('makes a request later than grace past the TTL wait for the origin', () => {
      // Stored at 2, fresh until 12: a miss at 33.
      expectTimeline('-a 31ms a', ['-o|', '-p|'], '-Aa 30ms Am', options);
    });

    it('serves stale values again after a background refresh fails', () => {
      // The refresh from 13 fails at 14; the value is still in grace, so 17 is stale and refreshes again.
      expectTimeline('-a 11ms a---a', ['-o|', '-f|', '-p|'], '-Aa 10ms (sA)(sA)', options);
    });

    it('makes a miss during a background refresh wait for it rather than fetch again', () => {
      // grace 5: stale until 17; the refresh from 13 lands at 25; the miss at 20 waits on it.
      expectTimeline('-a 11ms a------a', ['-o|', '------------p|'], '-Aa 10ms (sA) 8ms m', { ttl: 10, grace: 5 });
    });

    it('never serves a value stale without grace', () => {
      expectTimeline('-a 11ms a', ['-o|', '-----p|'], '-Aa 10ms A----m', { ttl: 10 });
    });

    it('counts a grace answer as a hit and as stale_served', () => {
      const { outcomes, send, notes } = manual(options);
      scheduler.run(() => {
        send({ get: 'a' });
        outcomes[0]!.next(OK);
        scheduler.schedule(() => send({ get: 'a' }), 11);
      });
      const events = notes.flatMap((n) => ('event' in n ? [n.event] : []));
      expect(events).to.deep.equal(['miss', 'origin_fetch', 'hit', 'stale_served', 'origin_fetch']);
    });
  });

  describe('stale-if-error', () => {
    // ttl 10, staleIfError 20: stored at 2, fresh until 12, served stale on failure until 32.
    const options = { ttl: 10, staleIfError: 20 };

    it('answers a value expired less than staleIfError ago, marked stale, when the origin fails', () => {
      expectTimeline('-a 17ms a', ['-o|', '-f|'], '-Aa 16ms As', options);
    });

    it('answers every waiter of the failed fetch with the stale value', () => {
      expectTimeline('-a 17ms aa', ['-o|', '--f|'], '-Aa 16ms A-(ss)', options);
    });

    it('still answers stale when the failure lands exactly staleIfError past the TTL', () => {
      // Fresh until 12; the failure lands at 32.
      expectTimeline('-a 29ms a', ['-o|', '-f|'], '-Aa 28ms As', options);
    });

    it('answers ORIGIN_FAILURE once the value expired more than staleIfError ago', () => {
      // Fresh until 12; the failure lands at 33.
      expectTimeline('-a 30ms a', ['-o|', '-f|'], '-Aa 29ms Ae', options);
    });

    it('does not serve a stale value while the origin answers', () => {
      expectTimeline('-a 17ms a', ['-o|', '-p|'], '-Aa 16ms Am', options);
    });

    it('answers ORIGIN_FAILURE without stale-if-error', () => {
      expectTimeline('-a 17ms a', ['-o|', '-f|'], '-Aa 16ms Ae', { ttl: 10 });
    });

    it('counts a failure answered stale as an origin error and stale_served for each waiter', () => {
      const { outcomes, send, notes } = manual(options);
      scheduler.run(() => {
        send({ get: 'a' });
        outcomes[0]!.next(OK);
        scheduler.schedule(() => {
          send({ get: 'a' });
          send({ get: 'a' });
          outcomes[1]!.next(FAILURE);
        }, 15);
      });
      const events = notes.flatMap((n) => ('event' in n ? [n.event] : []));
      expect(events.slice(2)).to.deep.equal(['miss', 'origin_fetch', 'miss', 'coalesced', 'origin_error', 'stale_served', 'stale_served']);
    });
  });

  describe('an origin answer that is not stored replaces what was', () => {
    it('does not serve in grace a value the origin has since answered NOT_FOUND for', () => {
      // Stale at 13 refreshes; the origin says NOT_FOUND at 14; the get at 17 must ask the origin.
      expectTimeline('-a 11ms a---a', ['-o|', '-n|'], '-Aa 10ms (sA)An', { ttl: 10, grace: 20 });
    });

    it('does not serve on error a value the origin has since answered NOT_FOUND for', () => {
      expectTimeline('-a 11ms a-a', ['-o|', '-n|', '-f|'], '-Aa 10ms AnAe', { ttl: 10, staleIfError: 20 });
    });

    it('does not serve in grace an old value once the origin answered with ttl 0', () => {
      expectTimeline('-a 11ms a---a', ['-o|', '-z|', '-p|'], '-Aa 10ms (sA)Am', { ttl: 10, grace: 20 });
    });
  });

  describe('negative TTL', () => {
    it('passes an origin answer such as NOT_FOUND through without caching it by default', () => {
      expectTimeline('-a--a', ['-n|'], '-An-An');
    });

    it('caches NOT_FOUND for negativeTtl, then fetches again', () => {
      // Stored at 2 for 10 ms: answered from cache at 12, fetched again at 13.
      expectTimeline('-a 10ms aa', ['-n|'], '-An 9ms nAn', { negativeTtl: 10 });
    });

    it('answers a cached NOT_FOUND with the exact text the origin sent', () => {
      const texts = replies(['gone', 'gone'], () => of(ANSWER), { negativeTtl: 1000 });
      expect(texts).to.deep.equal([NOT_FOUND, NOT_FOUND]);
    });

    it('counts a cached NOT_FOUND as a hit and a negative hit', () => {
      const { outcomes, send, notes } = manual({ negativeTtl: 1000 });
      send({ get: 'a' });
      outcomes[0]!.next(ANSWER);
      send({ get: 'a' });
      const events = notes.flatMap((n) => ('event' in n ? [n.event] : []));
      expect(events).to.deep.equal(['miss', 'origin_fetch', 'hit', 'negative_hit']);
    });

    it('never caches the origin refusing a key', () => {
      expectTimeline('-a--a', ['-r|'], '-Ar-Ar', { negativeTtl: 1000 });
    });

    it('stores NOT_FOUND under negativeTtl, not under ttl', () => {
      expectTimeline('-a 10ms aa', ['-n|'], '-An 9ms nAn', { ttl: 1000, negativeTtl: 10 });
    });

    it('does not serve a NOT_FOUND in grace', () => {
      expectTimeline('-a 10ms a', ['-n|', '-o|'], '-An 9ms Aa', { negativeTtl: 5, grace: 100 });
    });
  });

  describe('per-key TTL from the origin', () => {
    it("lets the origin's ttl win over a longer ttl of the actor", () => {
      // ttl 5 from the origin, stored at 2: a hit at 7, fetched again at 8.
      expectTimeline('-a 5ms aa', ['-t|', '-o|'], '-Aa 4ms hAa', { ttl: 1000 });
    });

    it("lets the origin's ttl win over a shorter ttl of the actor", () => {
      expectTimeline('-a 50ms aa', ['-T|', '-o|'], '-Aa 49ms hAa', { ttl: 5 });
    });

    it("expires a key with the origin's ttl even when the actor keeps entries forever", () => {
      expectTimeline('-a 5ms aa', ['-t|', '-o|'], '-Aa 4ms hAa', { ttl: Infinity });
    });

    it("caches a key for the origin's ttl when the actor's ttl is 0", () => {
      expectTimeline('-a 5ms aa', ['-t|', '-o|'], '-Aa 4ms hAa', { ttl: 0 });
    });

    it('does not store a value the origin gave a ttl of 0', () => {
      expectTimeline('-a-a', ['-z|'], '-AaAa', { ttl: 1000 });
    });

    it('answers a value with a ttl of 0 to every waiter of its fetch', () => {
      expectTimeline('-aa', ['--z|'], '-A-(aa)', { ttl: 1000 });
    });

    it("gives grace past the origin's ttl", () => {
      expectTimeline('-a 6ms a', ['-t|', '-----p|'], '-Aa 5ms (sA)', { ttl: 1000, grace: 10 });
    });
  });

  describe('purge', () => {
    it('removes one key and answers {"purged":1}, so the next get fetches again', () => {
      expectTimeline('-a--P-a', ['-o|'], '-Aa-1-Aa');
    });

    it('answers {"purged":0} for a key it does not hold', () => {
      expectTimeline('-P', ['-o|'], '-0');
    });

    it('answers a purge with OK and the count', () => {
      const { send, notes } = manual();
      send({ purge: { key: 'a' } });
      expect(notes.flatMap((n) => ('reply' in n ? [n.reply] : []))).to.deep.equal(['{"status":"OK","data":{"purged":0}}']);
    });

    it("answers a fetch in flight when a purge arrives, but does not store that fetch's answer", () => {
      // Fetch from 1 lands at 5; the purge at 3 finds nothing stored; the get at 7 fetches again.
      expectTimeline('-a-P---a', ['----o|'], '-A-0-a-A---a');
    });

    it('removes every key under a prefix and counts them', () => {
      expectTimeline('-u-v-w-U-u-v-w', ['-o|'], '-UuVvWw2-UuVvz');
    });

    it('removes every key for the empty prefix', () => {
      expectTimeline('-u-v-w-E-u-v-w', ['-o|'], '-UuVvWw3-UuVvWw');
    });

    it("does not store the answer of a fetch in flight under a purged prefix", () => {
      expectTimeline('-u-U---u', ['----o|'], '-U-0-u-U---u');
    });

    it('leaves fetches in flight under other prefixes alone', () => {
      expectTimeline('-w-U---w', ['----o|'], '-W-0-w-z');
    });

    it('reports the store size after a purge', () => {
      const { outcomes, send, notes } = manual();
      send({ get: 'a' });
      outcomes[0]!.next(OK);
      send({ purge: { key: 'a' } });
      const gauges = notes.flatMap((n) => ('gauges' in n ? [n.gauges] : []));
      expect(gauges.at(-2)).to.deep.equal({ entries: 1, bytes: 'a'.length + STORED.length, evictions: 0 });
      expect(gauges.at(-1)).to.deep.equal({ entries: 0, bytes: 0, evictions: 0 });
    });
  });

  describe('byte bound', () => {
    it('keeps bytes within maxBytes however much is inserted, and counts the evictions', () => {
      const { outcomes, send, notes } = manual({ maxBytes: 824 });
      // Each entry is a 3-byte key and a 65-byte stored answer: 68 bytes, so 12 fit in 824.
      for (let i = 0; i < 100; i++) {
        send({ get: `k${String(i).padStart(2, '0')}` });
        outcomes[i]!.next(OK);
      }
      const gauges = notes.flatMap((n) => ('gauges' in n ? [n.gauges] : []));
      expect(STORED.length).to.equal(65);
      expect(gauges.every((g) => g.bytes <= 824)).to.equal(true);
      expect(gauges.at(-1)).to.deep.equal({ entries: 12, bytes: 816, evictions: 88 });
    });

    it('keeps the most recently stored keys when it evicts for room', () => {
      const { outcomes, send, notes } = manual({ maxBytes: 824 });
      for (let i = 0; i < 100; i++) {
        send({ get: `k${String(i).padStart(2, '0')}` });
        outcomes[i]!.next(OK);
      }
      const before = notes.length;
      send({ get: 'k99' });
      send({ get: 'k88' });
      send({ get: 'k87' });
      const after = notes.slice(before).flatMap((n) => ('reply' in n ? [label(n)] : 'fetch' in n ? [label(n)] : []));
      expect(after).to.deep.equal(['hit k99', 'hit k88', 'fetch k87']);
    });
  });

  describe('an HTTP origin: revalidation and per-entry rules', () => {
    // Stored at 2, fresh for 10 ms (until 12); entries with a validator are kept 100 ms more.
    const keep = { keep: 100 };

    it('revalidates a stale entry that has a validator, and a 304 answers its waiter from the kept data', () => {
      expectTimeline('-a 11ms a-a', ['-v|', '-N|'], '-Aa 10ms Rah', keep);
    });

    it('fetches a stale entry in full when it has no validator', () => {
      expectTimeline('-a 11ms a', ['-i|'], '-Aa 10ms Aa', keep);
    });

    it('fetches a stale entry with a validator in full when keep is 0', () => {
      expectTimeline('-a 11ms a', ['-v|'], '-Aa 10ms Aa', { keep: 0 });
    });

    it('revalidates a no-cache entry before each use, coalescing the requests that arrive meanwhile', () => {
      expectTimeline('-a-a-(aa)', ['-k|', '-K|'], '-AaRaR(aa)', keep);
    });

    it('answers after a 304 with the kept data, cache_hit false, and counts a revalidation and a not_modified', () => {
      const { outcomes, send, notes } = manual(keep);
      scheduler.run(() => {
        send({ get: 'a' });
        outcomes[0]!.next(OUTCOMES.v!);
        scheduler.schedule(() => {
          send({ get: 'a' });
          outcomes[1]!.next(OUTCOMES.N!);
        }, 11);
      });
      const texts = notes.flatMap((n) => ('reply' in n ? [n.reply] : []));
      expect(texts[1]).to.equal('{"status":"OK","data":{"title":"x"},"cache_hit":false,"node":8001}');
      const events = notes.flatMap((n) => ('event' in n ? [n.event] : []));
      expect(events.slice(2)).to.deep.equal(['miss', 'origin_fetch', 'revalidation', 'not_modified']);
    });

    it('fetches in full for the waiters when the entry was purged while it was revalidated', () => {
      const { outcomes, send, notes } = manual(keep);
      scheduler.run(() => {
        send({ get: 'a' });
        outcomes[0]!.next(OUTCOMES.v!);
        scheduler.schedule(() => {
          send({ get: 'a' });
          send({ purge: { key: 'a' } });
          outcomes[1]!.next(OUTCOMES.N!);
          outcomes[2]!.next(OK);
        }, 11);
      });
      const seen = notes.flatMap((n) => ('fetch' in n || 'reply' in n ? [label(n)] : []));
      expect(seen).to.deep.equal(['fetch a', 'miss a', 'revalidate a', 'purged 1', 'fetch a', 'miss a']);
    });

    it('serves stale for the origin\'s stale-while-revalidate without --grace, refreshing in the background', () => {
      expectTimeline('-a 11ms a', ['-g|', '-o|'], '-Aa 10ms (sA)', keep);
    });

    it('refreshes conditionally in the background of a stale answer when the entry has a validator', () => {
      expectTimeline('-a 11ms a 4ms a', ['-V|', '-N|'], '-Aa 10ms (sR)-h', keep);
    });

    it('serves stale for the origin\'s stale-if-error without --stale-if-error when the origin fails', () => {
      expectTimeline('-a 11ms a', ['-i|', '-f|'], '-Aa 10ms As', keep);
    });

    it('serves nothing stale in its own --grace when the origin is strict', () => {
      expectTimeline('-a 11ms a', ['-q|', '-o|'], '-Aa 10ms Aa', { ...keep, grace: 100 });
    });

    it('serves nothing stale on its own --stale-if-error when the origin is strict', () => {
      expectTimeline('-a 11ms a', ['-q|', '-f|'], '-Aa 10ms Ae', { ...keep, staleIfError: 100 });
    });

    it('serves a no-cache entry neither in grace nor on error, unless the origin allows it', () => {
      expectTimeline('-a-a', ['-k|', '-f|'], '-AaRe', { ...keep, grace: 100, staleIfError: 100 });
    });

    it('extends the proxy grace and stale-if-error rather than shortening them', () => {
      // --grace 50 beats the origin's stale-while-revalidate of 20: still stale at 42.
      expectTimeline('-a 40ms a', ['-g|', '-o|'], '-Aa 39ms (sA)', { ...keep, grace: 50 });
    });
  });

  describe('events and gauges', () => {
    it('tells the metrics actor about misses, coalescing, fetches, hits and origin errors', () => {
      const { outcomes, send, notes } = manual();
      send({ get: 'a' });
      send({ get: 'a' });
      outcomes[0]!.next(OK);
      send({ get: 'a' });
      send({ get: 'b' });
      outcomes[1]!.next(FAILURE);
      const events = notes.flatMap((n) => ('event' in n ? [n.event] : []));
      expect(events).to.deep.equal(['miss', 'origin_fetch', 'miss', 'coalesced', 'hit', 'miss', 'origin_fetch', 'origin_error']);
    });

    it('reports entries, bytes and evictions after a fetch is stored', () => {
      const { outcomes, send, notes } = manual({ maxEntries: 1 });
      send({ get: 'a' });
      outcomes[0]!.next(OK);
      send({ get: 'b' });
      outcomes[1]!.next(OK);
      const gauges = notes.flatMap((n) => ('gauges' in n ? [n.gauges] : []));
      expect(gauges.at(-1)).to.deep.equal({ entries: 1, bytes: 1 + STORED.length, evictions: 1 });
    });
  });
});
