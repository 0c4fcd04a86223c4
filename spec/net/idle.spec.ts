// The idle rule and its sweep on virtual time: which connection is closed, and when.
import { expect } from 'chai';
import { Subject, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { idleFor, sweepIdle, sweepInterval, type Sweepable } from '../../lib/net/idle.js';

/**
 * A connection as the server edge keeps it, driven by a marble of what happens on it:
 * `l` a complete line, `r` a request read (pending), `a` its answer. It leaves `connections`
 * when closed, as the edge's do, and `closed` emits then.
 */
class Fake implements Sweepable {
  readonly closed = new Subject<'c'>();
  private since: number;
  private pending = 0;

  constructor(
    private readonly connections: Set<Sweepable>,
    events: Observable<string>,
    scheduler: TestScheduler,
  ) {
    this.since = scheduler.now();
    connections.add(this);
    events.subscribe((event) => {
      const now = scheduler.now();
      if (event === 'l') this.since = now;
      if (event === 'r') this.pending++;
      if (event === 'a' && --this.pending === 0) this.since = now;
    });
  }

  idleFor(now: number): number {
    return idleFor(this.since, this.pending, now);
  }

  close(): void {
    this.connections.delete(this);
    this.closed.next('c');
    this.closed.complete();
  }
}

describe('idle rule', () => {
  it('counts the time since the last sign of use, and nothing while a request is pending', () => {
    expect(idleFor(1000, 0, 1750)).to.equal(750);
    expect(idleFor(1000, 1, 1750)).to.equal(0);
  });

  it('sweeps every tenth of the timeout, at most every second, at least every millisecond', () => {
    expect(sweepInterval(60_000)).to.equal(1000);
    expect(sweepInterval(10_000)).to.equal(1000);
    expect(sweepInterval(300)).to.equal(30);
    expect(sweepInterval(95)).to.equal(10);
    expect(sweepInterval(5)).to.equal(1);
  });
});

describe('idle sweep', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /** Runs one sweep with timeout 100 (sweeps every 10) over the connections `build` makes, for 1 s. */
  function sweep(build: (connections: Set<Sweepable>, helpers: { hot: (marbles: string) => Observable<string> }) => void, timeout = 100): number {
    let closedCount = 0;
    const connections = new Set<Sweepable>();
    scheduler.run(({ hot }) => {
      build(connections, { hot: (marbles) => hot(marbles) });
      const sweeping = sweepIdle(scheduler, timeout, connections, () => closedCount++);
      scheduler.schedule(() => sweeping.unsubscribe(), 1000);
    });
    return closedCount;
  }

  it('closes a connection one timeout after its last complete line, at the first sweep from then', () => {
    sweep((connections, { hot }) => {
      const c = new Fake(connections, hot('l 49ms l'), scheduler);
      scheduler.expectObservable(c.closed).toBe('150ms (c|)');
    });
  });

  it('closes at the sweep after the timeout when the timeout is not a multiple of the sweep', () => {
    sweep((connections, { hot }) => {
      const c = new Fake(connections, hot('l'), scheduler);
      scheduler.expectObservable(c.closed).toBe('100ms (c|)');
    }, 95);
  });

  it('never closes a connection while a request of it is pending, and counts from its answer', () => {
    sweep((connections, { hot }) => {
      const c = new Fake(connections, hot('lr 298ms a'), scheduler);
      scheduler.expectObservable(c.closed).toBe('400ms (c|)');
    });
  });

  it('keeps a connection whose lines come closer together than the timeout', () => {
    sweep((connections, { hot }) => {
      const c = new Fake(connections, hot('l 89ms l 89ms l 89ms l 89ms l 89ms l'), scheduler);
      scheduler.expectObservable(c.closed).toBe('550ms (c|)');
    });
  });

  it('closes each idle connection once, counts them, and leaves the busy one', () => {
    const count = sweep((connections, { hot }) => {
      const quiet = new Fake(connections, hot('l'), scheduler);
      const later = new Fake(connections, hot('r 199ms a'), scheduler);
      const busy = new Fake(connections, hot('r'), scheduler);
      scheduler.expectObservable(quiet.closed).toBe('100ms (c|)');
      scheduler.expectObservable(later.closed).toBe('300ms (c|)');
      scheduler.expectObservable(busy.closed).toBe('');
    });
    expect(count).to.equal(2);
  });

  it('closes nothing once unsubscribed', () => {
    const count = sweep((connections, { hot }) => {
      // Idle from its answer at 950, and due to be closed at 1050, after the sweep stops at 1000.
      const c = new Fake(connections, hot('r 949ms a'), scheduler);
      scheduler.expectObservable(c.closed).toBe('');
    });
    expect(count).to.equal(0);
  });
});
