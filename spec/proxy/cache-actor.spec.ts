import { expect } from 'chai';
import { EMPTY, Observable, Subject, filter, map, merge, mergeMap, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { cacheActor, type CacheActorOptions, type CacheInput } from '../../lib/proxy/cache-actor.js';
import type { OriginPort } from '../../lib/proxy/fetcher.js';
import type { CacheEvent, Fetched, FetchOutcome } from '../../lib/proxy/messages.js';

type Note = { fetch: string } | { reply: string; key: string } | { event: CacheEvent };

const DATA = '{"title":"x"}';
const OK: FetchOutcome = { kind: 'ok', data: DATA };
const NOT_FOUND = '{"status":"NOT_FOUND","data":"no such key"}';
const ANSWER: FetchOutcome = { kind: 'answer', answer: NOT_FOUND };
const FAILURE: FetchOutcome = { kind: 'failure', reason: 'origin timed out' };

/**
 * A cache actor wired as the proxy wires it: its fetch orders go to `origin`, whose outcomes come
 * back to its inbox. Emits every fetch order, reply and event, in the order they happen.
 */
function proxy(
  clock: TestScheduler,
  gets: Observable<string>,
  origin: OriginPort,
  options: Partial<CacheActorOptions> = {},
): Observable<Note> {
  return new Observable<Note>((notes) => {
    const fetched = new Subject<Fetched>();
    const get = (key: string): CacheInput => ({ get: { request: { op: 'GET', key }, reply: (reply) => notes.next({ reply, key }) } });
    const inbox = merge(
      gets.pipe(map(get)),
      fetched.pipe(map((f): CacheInput => ({ fetched: f }))),
    );
    return cacheActor({ node: 8001, ttl: 0, maxBytes: 1 << 20, ...options })(inbox, clock)
      .pipe(
        mergeMap((out) => {
          if ('event' in out) {
            notes.next(out);
            return EMPTY;
          }
          const key = out.fetch.key;
          notes.next({ fetch: key });
          return origin(key).pipe(map((outcome) => ({ key, outcome })));
        }),
      )
      .subscribe((f) => fetched.next(f));
  });
}

/** A note as a marble value: `fetch a`, `hit a`, `miss a`, or the status of any other reply. */
function label(note: Note): string {
  if ('fetch' in note) return `fetch ${note.fetch}`;
  if ('event' in note) return `event ${note.event}`;
  const reply = JSON.parse(note.reply) as { status: string; cache_hit?: boolean };
  if (reply.status === 'OK') return `${reply.cache_hit ? 'hit' : 'miss'} ${note.key}`;
  return `${reply.status} ${note.key}`;
}

const withoutEvents = filter((note: Note) => !('event' in note));

/** Origin answers in marbles: o is OK data, f a failure, n a NOT_FOUND answer. */
const OUTCOMES: Record<string, FetchOutcome> = { o: OK, f: FAILURE, n: ANSWER };

/**
 * What the marbles below show. Upper case is a fetch order, lower case a reply:
 * A B C fetch a b c; a b c answered from the origin; h a hit on a; e ORIGIN_FAILURE for a; n NOT_FOUND for a.
 */
const NOTES: Record<string, string> = {
  A: 'fetch a',
  B: 'fetch b',
  C: 'fetch c',
  a: 'miss a',
  b: 'miss b',
  c: 'miss c',
  h: 'hit a',
  e: 'ORIGIN_FAILURE a',
  n: 'NOT_FOUND a',
};

describe('cache actor', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /**
   * Runs gets (a cold marble of keys) against an origin whose n-th fetch of a key answers as the
   * n-th marble of `origin` (the last one repeats), and compares the fetch orders and replies.
   */
  function expectTimeline(gets: string, origin: string[], notes: string, options: Partial<CacheActorOptions> = {}): void {
    scheduler.run(({ cold, expectObservable }) => {
      const answers = origin.map((marbles) => cold(marbles, OUTCOMES));
      const fetches = new Map<string, number>();
      const port: OriginPort = (key) => {
        const n = fetches.get(key) ?? 0;
        fetches.set(key, n + 1);
        return answers[Math.min(n, answers.length - 1)]!;
      };
      const run = proxy(scheduler, cold<string>(gets), port, options);
      expectObservable(run.pipe(withoutEvents, map(label))).toBe(notes, NOTES);
    });
  }

  /** Sends gets for `keys` at once and returns the replies, as they arrive, in the order they do. */
  function replies(keys: string[], origin: OriginPort, options: Partial<CacheActorOptions> = {}): string[] {
    const texts: string[] = [];
    const gets = new Subject<string>();
    proxy(scheduler, gets, origin, options).subscribe((n) => 'reply' in n && texts.push(n.reply));
    for (const key of keys) gets.next(key);
    return texts;
  }

  it('emits one fetch order on a miss and answers when the origin does', () => {
    expectTimeline('-a', ['---o|'], '-A--a');
  });

  it('serves a hit without asking the origin', () => {
    expectTimeline('-a-----a', ['---o|'], '-A--a--h');
  });

  it('coalesces concurrent misses for one key into one fetch, and every waiter gets the answer', () => {
    expectTimeline('-aaa', ['-----o|'], '-A----(aaa)');
  });

  it('fetches different keys separately', () => {
    expectTimeline('-ab', ['--o|'], '-ABab');
  });

  it('fetches again at the first get after the entry is older than ttl', () => {
    // Stored at 2 with a 10 ms ttl: a hit at 12, expired at 13.
    expectTimeline('-a 10ms aa', ['-o|'], '-Aa 9ms hAa', { ttl: 10 });
  });

  it('answers ORIGIN_FAILURE and does not store the failure', () => {
    expectTimeline('-a---a', ['-f|', '-o|'], '-Ae--Aa');
  });

  it('answers every coalesced waiter ORIGIN_FAILURE when the fetch fails', () => {
    expectTimeline('-aa', ['--f|'], '-A-(ee)');
  });

  it('passes an origin answer such as NOT_FOUND through without caching it', () => {
    expectTimeline('-a--a', ['-n|'], '-An-An');
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

  it('gives every coalesced waiter the same answer', () => {
    const origin = new Subject<FetchOutcome>();
    const answered = replies(['a', 'a', 'a'], () => origin);
    expect(answered).to.deep.equal([]);
    origin.next(OK);
    expect(answered).to.deep.equal(Array(3).fill('{"status":"OK","data":{"title":"x"},"cache_hit":false,"node":8001}'));
  });

  it('relays an origin answer as its exact text', () => {
    expect(replies(['gone'], () => of(ANSWER))).to.deep.equal([NOT_FOUND]);
  });

  it('answers a failed fetch ORIGIN_FAILURE with the reason', () => {
    expect(replies(['a'], () => of(FAILURE))).to.deep.equal(['{"status":"ORIGIN_FAILURE","error":"origin timed out"}']);
  });

  it('tells the metrics actor about misses, coalescing, fetches, hits and origin errors', () => {
    const fetches: Subject<FetchOutcome>[] = [];
    const origin: OriginPort = () => {
      const fetch = new Subject<FetchOutcome>();
      fetches.push(fetch);
      return fetch;
    };
    const gets = new Subject<string>();
    const events: CacheEvent[] = [];
    proxy(scheduler, gets, origin).subscribe((n) => 'event' in n && events.push(n.event));
    gets.next('a');
    gets.next('a');
    fetches[0]!.next(OK);
    gets.next('a');
    gets.next('b');
    fetches[1]!.next(FAILURE);
    expect(events).to.deep.equal(['miss', 'origin_fetch', 'miss', 'coalesced', 'hit', 'miss', 'origin_fetch', 'origin_error']);
  });
});
