import { expect } from 'chai';
import fc from 'fast-check';
import {
  NOT_EJECTED,
  NO_EJECTION,
  ejectionReason,
  ejectionTime,
  nextEjection,
  type Ejection,
  type EjectionEvent,
  type EjectionPolicy,
} from '../../../lib/balancer/health/ejection.js';

const policy: EjectionPolicy = { consecutive: 3, baseTime: 20, maxTime: 50 };

const answered: EjectionEvent = { kind: 'answered' };
const failed: EjectionEvent = { kind: 'failed' };
const tick: EjectionEvent = { kind: 'tick' };

/** Folds events, each at its own clock time, over a starting standing, as the cluster actor does. */
function fold(events: [EjectionEvent, number][], from: Ejection = NOT_EJECTED, p: EjectionPolicy = policy): Ejection {
  return events.reduce((ejection, [event, now]) => nextEjection(ejection, event, p, now), from);
}

/** Three failures in a row at 5: out until 25. */
const out = fold([[failed, 5], [failed, 5], [failed, 5]]);

describe('outlier ejection', () => {
  it('starts in, with no failures and never ejected', () => {
    expect(NOT_EJECTED).to.deep.equal({ failures: 0, ejected: false, ejections: 0, until: 0 });
  });

  it('stays in through consecutive - 1 failures in a row, counting them', () => {
    expect(fold([[failed, 1], [failed, 2]])).to.deep.equal({ failures: 2, ejected: false, ejections: 0, until: 0 });
  });

  it('ejects on the consecutive-th failure in a row for baseTime from then, starting a fresh count', () => {
    expect(out).to.deep.equal({ failures: 0, ejected: true, ejections: 1, until: 25 });
  });

  it('starts the count again after an answered forward', () => {
    expect(fold([[failed, 1], [failed, 2], [answered, 3], [failed, 4], [failed, 5]]).ejected).to.equal(false);
    expect(fold([[failed, 1], [failed, 2], [answered, 3], [failed, 4], [failed, 5], [failed, 6]]).ejected).to.equal(true);
  });

  it('leaves a standing with no failures as it is on an answer', () => {
    expect(nextEjection(NOT_EJECTED, answered, policy, 7)).to.equal(NOT_EJECTED);
  });

  it('never ejects without a policy', () => {
    const failures = Array.from({ length: 20 }, (_, i): [EjectionEvent, number] => [failed, i]);
    expect(fold(failures, NOT_EJECTED, NO_EJECTION).ejected).to.equal(false);
  });

  it('does not eject an ejected proxy again, nor lengthen its ejection', () => {
    const still = fold([[failed, 10], [failed, 11], [failed, 12]], out);
    expect(still.ejected).to.equal(true);
    expect(still.ejections).to.equal(1);
    expect(still.until).to.equal(25);
  });

  it('keeps a proxy out on a tick before its ejection ends', () => {
    expect(nextEjection(out, tick, policy, 24)).to.equal(out);
  });

  it('takes a proxy back on the first tick at or after its ejection ends, with a fresh count', () => {
    expect(nextEjection(out, tick, policy, 25)).to.deep.equal({ failures: 0, ejected: false, ejections: 1, until: 25 });
    expect(nextEjection(fold([[failed, 10]], out), tick, policy, 30)).to.deep.equal({ failures: 0, ejected: false, ejections: 1, until: 25 });
  });

  it('leaves a proxy that is in as it is on a tick', () => {
    const counting = fold([[failed, 1]]);
    expect(nextEjection(counting, tick, policy, 100)).to.equal(counting);
  });

  it('ejects for baseTime, then twice as long, and so on, up to maxTime', () => {
    expect([1, 2, 3, 4].map((n) => ejectionTime(n, policy))).to.deep.equal([20, 40, 50, 50]);
    const again = fold([[tick, 25], [failed, 30], [failed, 30], [failed, 30]], out);
    expect(again).to.deep.equal({ failures: 0, ejected: true, ejections: 2, until: 70 });
  });

  it('says why it ejected, naming the count of failures', () => {
    expect(ejectionReason(policy)).to.equal('ejected after 3 consecutive failures');
  });

  describe('properties', () => {
    const policies = fc.record({
      consecutive: fc.integer({ min: 0, max: 5 }),
      baseTime: fc.integer({ min: 0, max: 1000 }),
      maxTime: fc.integer({ min: 0, max: 5000 }),
    });
    /** Events at clock times that never go back, as the actor's clock gives them. */
    const timeline = fc
      .array(fc.tuple(fc.constantFrom(answered, failed, tick), fc.integer({ min: 0, max: 100 })), { maxLength: 60 })
      .map((steps) => {
        let now = 0;
        return steps.map(([event, gap]): [EjectionEvent, number] => [event, (now += gap)]);
      });

    /** Each step's standing before and after, with its event and time. */
    const walk = (p: EjectionPolicy, events: [EjectionEvent, number][]) => {
      let ejection = NOT_EJECTED;
      return events.map(([event, now]) => {
        const before = ejection;
        ejection = nextEjection(before, event, p, now);
        return { before, after: ejection, event, now };
      });
    };

    it('never ejects for longer than maxTime, and each ejection lasts base time times its number, capped', () => {
      fc.assert(
        fc.property(policies, timeline, (p, events) => {
          for (const { before, after, now } of walk(p, events)) {
            if (after.ejected && !before.ejected) {
              expect(after.until - now).to.be.at.most(p.maxTime);
              expect(after.until - now).to.equal(Math.min(p.baseTime * after.ejections, p.maxTime));
            }
          }
        }),
      );
    });

    it('ejects only on a failure that ends a run of `consecutive` failures with no answer between', () => {
      fc.assert(
        fc.property(policies, timeline, (p, events) => {
          let run = 0;
          for (const { before, after, event } of walk(p, events)) {
            run = event.kind === 'failed' ? run + 1 : event.kind === 'answered' ? 0 : run;
            if (after.ejected && !before.ejected) {
              expect(event.kind).to.equal('failed');
              expect(p.consecutive).to.be.above(0);
              expect(run).to.be.at.least(p.consecutive);
            }
          }
        }),
      );
    });

    it('takes a proxy back only on a tick at or after its ejection ends, and counts ejections without ever going down', () => {
      fc.assert(
        fc.property(policies, timeline, (p, events) => {
          for (const { before, after, event, now } of walk(p, events)) {
            if (before.ejected && !after.ejected) {
              expect(event.kind).to.equal('tick');
              expect(now).to.be.at.least(before.until);
            }
            if (before.ejected && event.kind === 'tick' && now >= before.until) expect(after.ejected).to.equal(false);
            expect(after.ejections).to.be.at.least(before.ejections);
          }
        }),
      );
    });
  });
});
