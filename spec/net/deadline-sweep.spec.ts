// The deadline sweep's arithmetic and its bound on expiries per turn, over stand-in connections.
import { expect } from 'chai';
import { SWEEP_EXPIRIES_PER_TURN, sweepDeadlines, sweepTick } from '../../lib/net/deadline-sweep.js';
import type { PeerConnection } from '../../lib/net/peer-connection.js';

/** A stand-in connection carrying one request due at `deadline`, failed (and counted) once checked past it. */
function carrying(deadline: number, checked: number[], id: number): PeerConnection {
  const c = {
    inFlight: 1,
    owesLateAnswer: false,
    checkDeadlines(now: number): number {
      checked.push(id);
      if (now < deadline || c.inFlight === 0) return 0;
      c.inFlight = 0;
      return 1;
    },
  };
  return c as unknown as PeerConnection;
}

describe('deadline sweep', () => {
  it('ticks at a fortieth of the shorter timeout, within 5 and 50 ms', () => {
    expect(sweepTick(1000, 2000)).to.equal(25);
    expect(sweepTick(1000, 100)).to.equal(5);
    expect(sweepTick(10_000, 60_000)).to.equal(50);
  });

  it('fails at most its limit in one call, oldest first, and says the rest is owed', () => {
    const checked: number[] = [];
    const connections = Array.from({ length: 5 }, (_, i) => carrying(100, checked, i));
    expect(sweepDeadlines(connections, 100, 2)).to.deep.equal({ busy: false, rest: true });
    expect(checked).to.deep.equal([0, 1]);
    expect(sweepDeadlines(connections, 100, 2)).to.deep.equal({ busy: false, rest: true });
    expect(sweepDeadlines(connections, 100, 2)).to.deep.equal({ busy: false, rest: false });
    expect(connections.map((c) => c.inFlight)).to.deep.equal([0, 0, 0, 0, 0]);
  });

  it('counts only requests it failed against the limit, and reports connections still carrying one', () => {
    const checked: number[] = [];
    const connections = [carrying(200, checked, 0), carrying(100, checked, 1), carrying(200, checked, 2), carrying(100, checked, 3)];
    expect(sweepDeadlines(connections, 100, 2)).to.deep.equal({ busy: true, rest: false });
    expect(checked).to.deep.equal([0, 1, 2, 3]);
    expect(connections.map((c) => c.inFlight)).to.deep.equal([1, 0, 1, 0]);
  });

  it('reports a connection that only owes a late answer as busy, so the sweep goes on to its deadline', () => {
    const owing = { inFlight: 0, owesLateAnswer: true, checkDeadlines: (): number => 0 } as unknown as PeerConnection;
    expect(sweepDeadlines([owing], 100)).to.deep.equal({ busy: true, rest: false });
  });

  it('takes a burst of 2,000 deadlines in turns of its default limit', () => {
    const checked: number[] = [];
    const connections = Array.from({ length: 2000 }, (_, i) => carrying(100, checked, i));
    let turns = 1;
    while (sweepDeadlines(connections, 100).rest) turns++;
    expect(turns).to.equal(Math.ceil(2000 / SWEEP_EXPIRIES_PER_TURN));
    expect(connections.every((c) => c.inFlight === 0)).to.equal(true);
  });
});
