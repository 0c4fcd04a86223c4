import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { after, every, isoTime, realClock } from '../../lib/time/clock.js';

describe('clock', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('after runs a function once, exactly ms later on the clock', () => {
    const times: number[] = [];
    scheduler.run(() => {
      after(scheduler, 30, () => times.push(scheduler.now()));
    });
    expect(times).to.deep.equal([30]);
  });

  it('after does nothing once cancelled', () => {
    const times: number[] = [];
    scheduler.run(() => {
      const timer = after(scheduler, 30, () => times.push(scheduler.now()));
      after(scheduler, 29, () => timer.unsubscribe());
    });
    expect(times).to.deep.equal([]);
  });

  it('every runs a function each ms until unsubscribed', () => {
    const times: number[] = [];
    scheduler.run(() => {
      const ticking = every(scheduler, 10, () => times.push(scheduler.now()));
      after(scheduler, 35, () => ticking.unsubscribe());
    });
    expect(times).to.deep.equal([10, 20, 30]);
  });

  it('every can be cancelled before its first tick', () => {
    const times: number[] = [];
    scheduler.run(() => {
      every(scheduler, 10, () => times.push(scheduler.now())).unsubscribe();
    });
    expect(times).to.deep.equal([]);
  });

  it('every ticks on virtual time alone, without waiting', () => {
    let ticks = 0;
    scheduler.run(() => {
      const ticking = every(scheduler, 60_000, () => ticks++);
      after(scheduler, 24 * 3_600_000 + 30_000, () => ticking.unsubscribe());
    });
    expect(ticks).to.equal(24 * 60);
  });

  it('isoTime writes a clock reading as ISO-8601', () => {
    scheduler.run(() => {
      after(scheduler, 1500, () => expect(isoTime(scheduler)).to.equal('1970-01-01T00:00:01.500Z'));
    });
  });

  it('realClock reads the machine time', () => {
    expect(Math.abs(realClock.now() - Date.now())).to.be.lessThan(1000);
  });

  it('realClock reads the machine time once per callback, and afresh in the next', async () => {
    const first = realClock.now();
    // Let the machine's time move on within this callback.
    const moved = Date.now() + 5;
    while (Date.now() < moved);
    expect(realClock.now(), 'the same callback').to.equal(first);
    await new Promise<void>((resolve) => after(realClock, 1, resolve));
    const later = realClock.now();
    expect(later, 'a later callback').to.be.at.least(moved);
    expect(Math.abs(later - Date.now())).to.be.lessThan(1000);
  });

  it('realClock runs timers on the machine time', async () => {
    const fired: number[] = [];
    await new Promise<void>((resolve) => {
      const ticking = every(realClock, 2, () => {
        fired.push(realClock.now());
        if (fired.length === 3) {
          ticking.unsubscribe();
          resolve();
        }
      });
    });
    expect(fired).to.have.length(3);
    expect(fired[2], 'time moves on between callbacks').to.be.greaterThan(fired[0]!);
  });
});
