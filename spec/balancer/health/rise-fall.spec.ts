import { expect } from 'chai';
import { UP, nextHealth, type Health, type HealthEvent, type HealthPolicy } from '../../../lib/balancer/health/rise-fall.js';

const policy: HealthPolicy = { rise: 2, fall: 3 };

const ok: HealthEvent = { kind: 'probe_ok' };
const probeFailed = (reason = 'probe timeout'): HealthEvent => ({ kind: 'probe_failed', reason });
const trafficFailed = (reason = 'traffic reset'): HealthEvent => ({ kind: 'traffic_failed', reason, refused: false });
const refused: HealthEvent = { kind: 'traffic_failed', reason: 'traffic refused', refused: true };

/** Folds events over a starting health, as the cluster actor's scan does. */
function fold(events: HealthEvent[], from: Health = UP, p: HealthPolicy = policy): Health {
  return events.reduce((health, event) => nextHealth(health, event, p), from);
}

const down = fold([probeFailed(), probeFailed(), probeFailed()]);

describe('rise/fall health', () => {
  it('starts up, with no streak and no reason', () => {
    expect(UP).to.deep.equal({ healthy: true, successes: 0, failures: 0, reason: null });
  });

  it('stays up, unchanged, on good probes', () => {
    expect(nextHealth(UP, ok, policy)).to.equal(UP);
  });

  it('stays up through fall - 1 consecutive failures', () => {
    expect(fold([probeFailed(), probeFailed()])).to.deep.equal({ healthy: true, successes: 0, failures: 2, reason: null });
  });

  it('goes down on the fall-th consecutive failure, with its reason', () => {
    expect(down).to.deep.equal({ healthy: false, successes: 0, failures: 0, reason: 'probe timeout' });
  });

  it('resets the failure streak on a good probe', () => {
    const health = fold([probeFailed(), probeFailed(), ok, probeFailed(), probeFailed()]);
    expect(health.healthy).to.equal(true);
    expect(health.failures).to.equal(2);
  });

  it('counts traffic failures and probe failures in one streak', () => {
    const health = fold([trafficFailed(), probeFailed(), trafficFailed('traffic timeout')]);
    expect(health).to.deep.equal({ healthy: false, successes: 0, failures: 0, reason: 'traffic timeout' });
  });

  it('takes a proxy down at once when traffic is refused', () => {
    expect(nextHealth(UP, refused, policy)).to.deep.equal({ healthy: false, successes: 0, failures: 0, reason: 'traffic refused' });
  });

  it('takes a proxy down on one failure when fall is 1', () => {
    expect(fold([probeFailed()], UP, { rise: 1, fall: 1 }).healthy).to.equal(false);
  });

  it('stays down through rise - 1 good probes', () => {
    expect(fold([ok], down)).to.deep.equal({ healthy: false, successes: 1, failures: 0, reason: 'probe timeout' });
  });

  it('comes back up on the rise-th consecutive good probe', () => {
    expect(fold([ok, ok], down)).to.equal(UP);
  });

  it('restarts the success streak of a down proxy on any failure', () => {
    const health = fold([ok, probeFailed('probe refused'), ok], down);
    expect(health).to.deep.equal({ healthy: false, successes: 1, failures: 0, reason: 'probe refused' });
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
});
