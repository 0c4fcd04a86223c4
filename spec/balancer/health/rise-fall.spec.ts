import { expect } from 'chai';
import { UP, nextHealth, type Health, type HealthEvent, type HealthPolicy } from '../../../lib/balancer/health/rise-fall.js';

const policy: HealthPolicy = { rise: 2, fall: 3 };

const ok: HealthEvent = { kind: 'probe_ok' };
const probeFailed = (reason = 'probe timeout'): HealthEvent => ({ kind: 'probe_failed', reason });
const trafficFailed = (reason = 'traffic reset'): HealthEvent => ({ kind: 'traffic_failed', reason, refused: false });
const refused: HealthEvent = { kind: 'traffic_failed', reason: 'traffic refused', refused: true };
const answered: HealthEvent = { kind: 'traffic_ok' };

/** Folds events over a starting health, as the cluster actor's scan does. */
function fold(events: HealthEvent[], from: Health = UP, p: HealthPolicy = policy): Health {
  return events.reduce((health, event) => nextHealth(health, event, p), from);
}

const down = fold([probeFailed(), probeFailed(), probeFailed()]);

describe('rise/fall health', () => {
  it('starts up, with no streak and no reason', () => {
    expect(UP).to.deep.equal({ healthy: true, successes: 0, failures: 0, trafficFailures: 0, reason: null });
  });

  it('stays up, unchanged, on good probes', () => {
    expect(nextHealth(UP, ok, policy)).to.equal(UP);
  });

  it('stays up through fall - 1 consecutive failures', () => {
    expect(fold([probeFailed(), probeFailed()])).to.deep.equal({ healthy: true, successes: 0, failures: 2, trafficFailures: 0, reason: null });
  });

  it('goes down on the fall-th consecutive failure, with its reason', () => {
    expect(down).to.deep.equal({ healthy: false, successes: 0, failures: 0, trafficFailures: 0, reason: 'probe timeout' });
  });

  it('resets the failure streak on a good probe', () => {
    const health = fold([probeFailed(), probeFailed(), ok, probeFailed(), probeFailed()]);
    expect(health.healthy).to.equal(true);
    expect(health.failures).to.equal(2);
  });

  it('counts traffic failures and probe failures in one streak', () => {
    const health = fold([trafficFailed(), probeFailed(), trafficFailed('traffic timeout')]);
    expect(health).to.deep.equal({ healthy: false, successes: 0, failures: 0, trafficFailures: 0, reason: 'traffic timeout' });
  });

  it('takes a proxy down at once when traffic is refused', () => {
    expect(nextHealth(UP, refused, policy)).to.deep.equal({ healthy: false, successes: 0, failures: 0, trafficFailures: 0, reason: 'traffic refused' });
  });

  it('takes a proxy down on one failure when fall is 1', () => {
    expect(fold([probeFailed()], UP, { rise: 1, fall: 1 }).healthy).to.equal(false);
  });

  it('stays down through rise - 1 good probes', () => {
    expect(fold([ok], down)).to.deep.equal({ healthy: false, successes: 1, failures: 0, trafficFailures: 0, reason: 'probe timeout' });
  });

  it('comes back up on the rise-th consecutive good probe', () => {
    expect(fold([ok, ok], down)).to.equal(UP);
  });

  it('restarts the success streak of a down proxy on any failure', () => {
    const health = fold([ok, probeFailed('probe refused'), ok], down);
    expect(health).to.deep.equal({ healthy: false, successes: 1, failures: 0, trafficFailures: 0, reason: 'probe refused' });
    expect(fold([ok], health).healthy).to.equal(true);
  });

  it('keeps the latest failure reason while down', () => {
    expect(fold([trafficFailed('traffic closed')], down).reason).to.equal('traffic closed');
  });

  it('needs fall fresh failures to go down again after coming back', () => {
    const back = fold([ok, ok], down);
    expect(fold([probeFailed(), probeFailed()], back).healthy).to.equal(true);
    expect(fold([probeFailed(), probeFailed(), probeFailed()], back).healthy).to.equal(false);
  });

  describe('answered forwards', () => {
    it('keep a proxy up through ok, ok, fail three times over with fall 3: no two failed forwards are in a row', () => {
      const seq = [answered, answered, trafficFailed('traffic garbage')];
      const health = fold([...seq, ...seq, ...seq]);
      expect(health).to.deep.equal({ healthy: true, successes: 0, failures: 1, trafficFailures: 1, reason: null });
    });

    it('leave fall failed forwards in a row to take a proxy down', () => {
      const health = fold([answered, trafficFailed('traffic garbage'), trafficFailed('traffic garbage'), trafficFailed('traffic garbage')]);
      expect(health).to.deep.equal({ healthy: false, successes: 0, failures: 0, trafficFailures: 0, reason: 'traffic garbage' });
    });

    it('clear the failed forwards from the count and leave the failed probes in', () => {
      const cleared = fold([probeFailed(), trafficFailed(), answered]);
      expect(cleared).to.deep.equal({ healthy: true, successes: 0, failures: 1, trafficFailures: 0, reason: null });
      // One failed probe, then two failed forwards since the answer: three toward fall.
      expect(fold([trafficFailed(), trafficFailed('traffic timeout')], cleared)).to.deep.equal({
        healthy: false,
        successes: 0,
        failures: 0,
        trafficFailures: 0,
        reason: 'traffic timeout',
      });
      // A second answer between them leaves one probe and one forward: up.
      expect(fold([trafficFailed(), answered, trafficFailed()], cleared)).to.deep.equal({ healthy: true, successes: 0, failures: 2, trafficFailures: 1, reason: null });
    });

    it('leave a proxy down on fall failed probes however many forwards it answers between them', () => {
      expect(fold([probeFailed(), answered, probeFailed(), answered, probeFailed()]).healthy).to.equal(false);
    });

    it('are cleared with the rest by a good probe', () => {
      expect(fold([trafficFailed(), probeFailed(), ok])).to.equal(UP);
    });

    it('leave a proxy with no failed forward as it is, the same object', () => {
      expect(nextHealth(UP, answered, policy)).to.equal(UP);
      const probed = fold([probeFailed()]);
      expect(nextHealth(probed, answered, policy)).to.equal(probed);
    });

    it('never bring a down proxy back, however many, and leave its streak of good probes as it is: rise good probes do', () => {
      expect(fold([answered, answered, answered, answered], down)).to.equal(down);
      const once = fold([ok], down);
      expect(nextHealth(once, answered, policy)).to.equal(once);
      expect(fold([ok, answered, ok], down)).to.equal(UP);
    });
  });
});
