import { expect } from 'chai';
import { Observable, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { fetcher, type FetcherOptions, type OriginPort, type PeerPort } from '../../lib/proxy/fetcher.js';
import type { FetchOrder, Fetched, FetchOutcome } from '../../lib/proxy/messages.js';

const OK: FetchOutcome = { kind: 'ok', data: '{"title":"x"}' };
const NOT_FOUND: FetchOutcome = { kind: 'answer', answer: '{"status":"NOT_FOUND","data":"no such key"}', notFound: true };
const FAILED: FetchOutcome = { kind: 'failure', reason: 'origin connection lost', cause: 'empty-response' };
const FAILED_AGAIN: FetchOutcome = { kind: 'failure', reason: 'origin unreachable', cause: 'conn-failure' };
const JUNK: FetchOutcome = { kind: 'failure', reason: 'origin answered garbage', cause: 'junk-response' };
const TIMED_OUT: FetchOutcome = { kind: 'failure', reason: 'origin timed out', cause: 'response-timeout' };
const ERROR_STATUS: FetchOutcome = { kind: 'failure', reason: 'origin answered 503', cause: 'error-status' };

/**
 * Origin answers in marbles: o OK, n NOT_FOUND; failures f (connection lost) and g (unreachable),
 * j (garbage), t (timed out), e (an error status).
 */
const OUTCOMES: Record<string, FetchOutcome> = { o: OK, n: NOT_FOUND, f: FAILED, g: FAILED_AGAIN, j: JUNK, t: TIMED_OUT, e: ERROR_STATUS };
/** Orders in marbles: a and b fetch those keys. */
const ORDERS: Record<string, FetchOrder> = { a: { key: 'a' }, b: { key: 'b' } };
/** Output in marbles: upper case the OK of a key, lower case its failure (f, g, t, e), n NOT_FOUND. */
const FETCHED: Record<string, Fetched> = {
  A: { key: 'a', outcome: OK },
  B: { key: 'b', outcome: OK },
  f: { key: 'a', outcome: FAILED },
  g: { key: 'a', outcome: FAILED_AGAIN },
  t: { key: 'a', outcome: TIMED_OUT },
  e: { key: 'a', outcome: ERROR_STATUS },
  n: { key: 'a', outcome: NOT_FOUND },
};

describe('fetcher', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /**
   * Runs orders through a fetcher on virtual time against an origin whose n-th call for a key
   * answers as the n-th marble of `origin` (or of `origin[key]`; the last one repeats); returns the
   * virtual times of the origin calls, by key.
   */
  function expectTimeline(
    orders: string,
    origin: string[] | Record<string, string[]>,
    fetched: string,
    options: FetcherOptions,
  ): Record<string, number[]> {
    const calls: Record<string, number[]> = {};
    scheduler.run(({ cold, expectObservable }) => {
      const port: OriginPort = (key) => {
        const times = (calls[key] ??= []);
        times.push(scheduler.now());
        const answers = Array.isArray(origin) ? origin : origin[key]!;
        return cold(answers[Math.min(times.length - 1, answers.length - 1)]!, OUTCOMES);
      };
      expectObservable(fetcher(port, options)(cold(orders, ORDERS), scheduler)).toBe(fetched, FETCHED);
    });
    return calls;
  }

  it('delivers a successful fetch as it comes and does not retry it', () => {
    const calls = expectTimeline('a', ['--o|'], '--A', { retryBackoff: 100, random: () => 0.5 });
    expect(calls).to.deep.equal({ a: [0] });
  });

  it('does not retry an answer such as NOT_FOUND', () => {
    const calls = expectTimeline('a', ['-n|'], '-n', { retryBackoff: 100, random: () => 0.5 });
    expect(calls).to.deep.equal({ a: [0] });
  });

  it('retries a failed fetch once, backoff * (0.5 + random()) virtual ms after the failure', () => {
    // Fails at 1; 100 * (0.5 + 0.25) = 75 ms later, at 76, asks again; the answer lands at 77.
    const calls = expectTimeline('a', ['-f|', '-o|'], '- 76ms A', { retryBackoff: 100, random: () => 0.25 });
    expect(calls).to.deep.equal({ a: [0, 76] });
  });

  describe('retry-on', () => {
    for (const [marble, cause] of [['g', 'conn-failure'], ['f', 'empty-response'], ['j', 'junk-response']] as const) {
      it(`retries a ${cause} failure by default`, () => {
        const calls = expectTimeline('a', [`-${marble}|`, '-o|'], '- 76ms A', { retryBackoff: 100, random: () => 0.25 });
        expect(calls).to.deep.equal({ a: [0, 76] });
      });
    }

    it('does not retry a timed-out fetch by default: it is delivered at once, the origin asked once', () => {
      const calls = expectTimeline('a', ['---t|', '-o|'], '---t', { retryBackoff: 100, random: () => 0.25 });
      expect(calls).to.deep.equal({ a: [0] });
    });

    it('does not retry an error status by default', () => {
      const calls = expectTimeline('a', ['-e|', '-o|'], '-e', { retryBackoff: 100, random: () => 0.25 });
      expect(calls).to.deep.equal({ a: [0] });
    });

    it('retries a timed-out fetch when retryOn names response-timeout', () => {
      const calls = expectTimeline('a', ['---t|', '-o|'], '--- 76ms A', { retryOn: ['response-timeout'], retryBackoff: 100, random: () => 0.25 });
      expect(calls).to.deep.equal({ a: [0, 78] });
    });

    it('retries an error status when retryOn names error-status', () => {
      const calls = expectTimeline('a', ['-e|', '-o|'], '- 76ms A', { retryOn: ['error-status'], retryBackoff: 100, random: () => 0.25 });
      expect(calls).to.deep.equal({ a: [0, 76] });
    });

    it('retries only the causes retryOn names: response-timeout alone leaves a refused connection unretried', () => {
      const calls = expectTimeline('a', ['-g|', '-o|'], '-g', { retryOn: ['response-timeout'], retryBackoff: 100, random: () => 0.25 });
      expect(calls).to.deep.equal({ a: [0] });
    });

    for (const [marble, cause] of [['g', 'conn-failure'], ['f', 'empty-response'], ['t', 'response-timeout'], ['e', 'error-status']] as const) {
      it(`retries not even a ${cause} failure when retryOn is empty (--origin-retry-on none)`, () => {
        const calls = expectTimeline('a', [`-${marble}|`, '-o|'], `-${marble}`, { retryOn: [], retryBackoff: 100, random: () => 0.25 });
        expect(calls).to.deep.equal({ a: [0] });
      });
    }

    it('keeps to the budget for timeouts it retries: past it, a timeout is delivered without a retry', () => {
      const calls: Record<string, number[]> = {};
      scheduler.run(({ cold, expectObservable }) => {
        const port: OriginPort = (key) => {
          const times = (calls[key] ??= []);
          times.push(scheduler.now());
          return cold(times.length === 1 ? '-t|' : '-o|', OUTCOMES);
        };
        const options: FetcherOptions = {
          retryOn: ['response-timeout'],
          retryBackoff: 100,
          random: () => 0,
          retryBudget: { percent: 50, windowMs: 10_000, minRetries: 1 },
        };
        expectObservable(fetcher(port, options)(cold('(ab)', ORDERS), scheduler)).toBe('-b 50ms A', { A: FETCHED.A, b: { key: 'b', outcome: TIMED_OUT } });
      });
      expect(calls).to.deep.equal({ a: [0, 51], b: [0] });
    });

    it('spends none of the budget on a failure it does not retry', () => {
      // One retry per window: the timeout of a is not retried, so the refused b still gets it.
      const calls: Record<string, number[]> = {};
      scheduler.run(({ cold, expectObservable }) => {
        const port: OriginPort = (key) => {
          const times = (calls[key] ??= []);
          times.push(scheduler.now());
          return cold(times.length > 1 ? '-o|' : key === 'a' ? '-t|' : '-g|', OUTCOMES);
        };
        const options: FetcherOptions = { retryBackoff: 100, random: () => 0, retryBudget: { percent: 0, windowMs: 10_000, minRetries: 1 } };
        expectObservable(fetcher(port, options)(cold('a 9ms b', ORDERS), scheduler)).toBe('-t 60ms B', FETCHED);
      });
      expect(calls).to.deep.equal({ a: [0], b: [10, 61] });
    });
  });

  it('spreads retries between half and one and a half times the backoff', () => {
    const low = expectTimeline('a', ['-f|', '-o|'], '- 51ms A', { retryBackoff: 100, random: () => 0 });
    expect(low).to.deep.equal({ a: [0, 51] });
  });

  it('reads random() for the jitter of each retry', () => {
    const draws = [0, 0.5];
    const calls = expectTimeline('ab', ['-f|', '-o|'], '- 51ms A 50ms B', {
      retryBackoff: 100,
      random: () => draws.shift()!,
    });
    // a fails at 1 and waits 50 ms; b fails at 2 and waits 100 ms.
    expect(calls).to.deep.equal({ a: [0, 51], b: [1, 102] });
  });

  it('delivers a second failure as the failure, without a third try', () => {
    const calls = expectTimeline('a', ['-f|', '-g|', '-o|'], '- 76ms g', { retryBackoff: 100, random: () => 0.25 });
    expect(calls).to.deep.equal({ a: [0, 76] });
  });

  it('sends nothing for a failed fetch until the backoff is over', () => {
    const calls = expectTimeline('a', ['-f|', '-o|'], '- 1001ms A', { retryBackoff: 1000, random: () => 0.5 });
    expect(calls).to.deep.equal({ a: [0, 1001] });
  });

  it('waits for the retry on the clock it is given, not on the real one', () => {
    // Outside run mode a TestScheduler is only a clock: nothing else reads virtual time.
    const clock = new TestScheduler(() => undefined);
    const calls: number[] = [];
    const outcomes = [FAILED, OK];
    const port: OriginPort = () => {
      calls.push(clock.now());
      return of(outcomes[calls.length - 1]!);
    };
    const fetched: Fetched[] = [];
    fetcher(port, { retryBackoff: 100, random: () => 0.25 })(of({ key: 'a' }), clock).subscribe((f) => fetched.push(f));
    expect(fetched).to.deep.equal([]);
    clock.flush();
    expect(calls).to.deep.equal([0, 75]);
    expect(fetched).to.deep.equal([{ key: 'a', outcome: OK }]);
  });

  it('retries within its budget only: past it, a failure is delivered without a retry', () => {
    // A budget of 50% of fetches, at least 1: orders a and b fail at 1. The first failure takes the
    // one retry that 2 fetches allow; the second is delivered as it came.
    const calls: Record<string, number[]> = {};
    scheduler.run(({ cold, expectObservable }) => {
      const port: OriginPort = (key) => {
        const times = (calls[key] ??= []);
        times.push(scheduler.now());
        return cold(times.length === 1 ? '-f|' : '-o|', OUTCOMES);
      };
      const options: FetcherOptions = { retryBackoff: 100, random: () => 0, retryBudget: { percent: 50, windowMs: 10_000, minRetries: 1 } };
      const failedB: Fetched = { key: 'b', outcome: FAILED };
      expectObservable(fetcher(port, options)(cold('(ab)', ORDERS), scheduler)).toBe('-b 50ms A', { A: FETCHED.A, b: failedB });
    });
    expect(calls).to.deep.equal({ a: [0, 51], b: [0] });
  });

  it('retries again once the window has passed and the budget refilled', () => {
    const calls: Record<string, number[]> = {};
    scheduler.run(({ cold, expectObservable }) => {
      const port: OriginPort = (key) => {
        const times = (calls[key] ??= []);
        times.push(scheduler.now());
        return cold('-f|', OUTCOMES);
      };
      // No share of fetches, one retry per 1 s window: a at 0 is retried, b at 10 is not, c at 2 s is.
      const options: FetcherOptions = { retryBackoff: 100, random: () => 0, retryBudget: { percent: 0, windowMs: 1000, minRetries: 1 } };
      const orders = cold('a 9ms b 1989ms c', { a: { key: 'a' }, b: { key: 'b' }, c: { key: 'c' } });
      const failed = (key: string): Fetched => ({ key, outcome: FAILED });
      expectObservable(fetcher(port, options)(orders, scheduler)).toBe('- 10ms b 40ms a 1999ms c', { a: failed('a'), b: failed('b'), c: failed('c') });
    });
    expect(calls).to.deep.equal({ a: [0, 51], b: [10], c: [2000, 2051] });
  });

  it('lets other keys through while one waits for its retry', () => {
    const calls = expectTimeline('ab', { a: ['-f|', '-o|'], b: ['-o|'] }, '--B 74ms A', { retryBackoff: 100, random: () => 0.25 });
    expect(calls).to.deep.equal({ a: [0, 76], b: [1] });
  });

  it('completes once the orders have ended and every fetch has answered, the retries included', () => {
    const calls = expectTimeline('ab|', { a: ['-f|', '-o|'], b: ['-o|'] }, '--B 74ms (A|)', { retryBackoff: 100, random: () => 0.25 });
    expect(calls).to.deep.equal({ a: [0, 76], b: [1] });
  });

  it('completes at once on orders that end with nothing in flight', () => {
    expectTimeline('--|', ['-o|'], '--|', {});
  });

  it('drops every fetch in flight, and a retry waiting, when unsubscribed', () => {
    const asked: string[] = [];
    const ended: string[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const port: OriginPort = (key) => {
        asked.push(`${key} at ${scheduler.now()}`);
        const answer = cold(key === 'a' ? '-f|' : '---- 100ms o|', OUTCOMES);
        return new Observable<FetchOutcome>((subscriber) => {
          const inner = answer.subscribe(subscriber);
          return () => {
            ended.push(`${key} at ${scheduler.now()}`);
            inner.unsubscribe();
          };
        });
      };
      // a fails at 1 (its call ends at 2) and would be retried at 76; b, asked at 1, would answer at 105.
      expectObservable(fetcher(port, { retryBackoff: 100, random: () => 0.25 })(cold('ab', ORDERS), scheduler), '50ms !').toBe('');
    });
    expect(asked).to.deep.equal(['a at 0', 'b at 1']);
    expect(ended).to.deep.equal(['a at 2', 'b at 50']);
  });

  it('passes on an error of the orders', () => {
    expectTimeline('a#', ['---o|'], '-#', {});
  });

  describe('an order naming a peer', () => {
    /** The fetcher over an origin answering OK and a peer answering as `peer` says, each recording its calls. */
    function run(peer: FetchOutcome): { fetched: Fetched[]; origin: string[]; peers: string[] } {
      const calls = { fetched: [] as Fetched[], origin: [] as string[], peers: [] as string[] };
      const origin: OriginPort = (key) => {
        calls.origin.push(key);
        return of(OK);
      };
      const peers: PeerPort = (address, key) => {
        calls.peers.push(`${address} ${key}`);
        return of(peer);
      };
      scheduler.run(({ cold }) => {
        fetcher(origin, { peers, retryBackoff: 100, random: () => 0.5 })(cold('a', { a: { key: 'a', peer: '127.0.0.1:8002' } }), scheduler).subscribe((f) => calls.fetched.push(f));
      });
      return calls;
    }

    it("is filled from the peer, marked so, and the origin is not asked", () => {
      const filled: FetchOutcome = { kind: 'ok', data: '{"v":2}', ttl: 5000 };
      expect(run(filled)).to.deep.equal({ fetched: [{ key: 'a', outcome: filled, fromPeer: true }], origin: [], peers: ['127.0.0.1:8002 a'] });
    });

    it('takes a NOT_FOUND from the peer as its answer', () => {
      expect(run(NOT_FOUND).fetched).to.deep.equal([{ key: 'a', outcome: NOT_FOUND, fromPeer: true }]);
    });

    it('goes to the origin when the peer fails', () => {
      expect(run(FAILED)).to.deep.equal({ fetched: [{ key: 'a', outcome: OK }], origin: ['a'], peers: ['127.0.0.1:8002 a'] });
    });
  });

  it('passes the validator of a conditional order to the origin, on its retry too', () => {
    const validator = { bytes: 1 };
    const seen: unknown[] = [];
    const notModified: FetchOutcome = { kind: 'not_modified', ttl: 10, stale: { whileRevalidate: 0, ifError: 0, strict: false } };
    const answers = [FAILED, notModified];
    const origin: OriginPort = (_key, given) => {
      seen.push(given);
      return of(answers[seen.length - 1]!);
    };
    const fetched: Fetched[] = [];
    scheduler.run(({ cold }) => {
      fetcher(origin, { retryBackoff: 100, random: () => 0.5 })(cold('a', { a: { key: 'a', validator } }), scheduler).subscribe((f) => fetched.push(f));
    });
    expect(seen).to.deep.equal([validator, validator]);
    expect(fetched).to.deep.equal([{ key: 'a', outcome: notModified }]);
  });
});
