import { expect } from 'chai';
import { RestartBackoff } from '../../lib/cluster/backoff.js';

describe('RestartBackoff', () => {
  it('waits 1 s before the first restart, doubling while the node keeps failing, up to 30 s', () => {
    const backoff = new RestartBackoff();
    expect(Array.from({ length: 8 }, () => backoff.next(0))).to.deep.equal([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('starts over at 1 s once the node ran 10 s before it exited, and not before', () => {
    const backoff = new RestartBackoff();
    backoff.next(0);
    backoff.next(500);
    expect(backoff.next(9_999)).to.equal(4000);
    expect(backoff.next(10_000)).to.equal(1000);
    expect(backoff.next(0)).to.equal(2000);
  });

  it('follows the policy it is given', () => {
    const backoff = new RestartBackoff({ initialMs: 100, maxMs: 250, resetAfterMs: 50 });
    expect([backoff.next(0), backoff.next(0), backoff.next(0), backoff.next(50)]).to.deep.equal([100, 200, 250, 100]);
  });
});
