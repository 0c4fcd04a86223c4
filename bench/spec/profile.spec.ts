import { expect } from 'chai';
import { busyShare, topSelfTime, type CpuProfile } from '../lib/profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

describe('topSelfTime', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('flush', 'file:///repo/dist/lib/net/server.js', 190) },
      { id: 4, callFrame: frame('(garbage collector)') },
      { id: 5, callFrame: frame('', 'file:///repo/node_modules/rxjs/dist/cjs/internal/Subject.js', 58) },
      { id: 6, callFrame: frame('flush', 'file:///repo/dist/lib/net/server.js', 190) },
    ],
    startTime: 0,
    endTime: 20_000,
    samples: [2, 3, 3, 4, 5, 6, 2, 2],
    timeDeltas: [5000, 1000, 1000, 1000, 500, 500, 5000, 5000],
  };

  it('sums self time per function, merging nodes of the same function, largest first, idle left out', () => {
    expect(topSelfTime(profile)).to.deep.equal([
      { name: 'flush', location: 'lib/net/server.js:191', selfMs: 2.5, percent: 62.5 },
      { name: '(garbage collector)', location: '', selfMs: 1, percent: 25 },
      { name: '(anonymous)', location: 'node_modules/rxjs/dist/cjs/internal/Subject.js:59', selfMs: 0.5, percent: 12.5 },
    ]);
  });

  it('keeps only the first `count`', () => {
    expect(topSelfTime(profile, 1).map((f) => f.name)).to.deep.equal(['flush']);
  });

  it('gives the busy share of the wall time', () => {
    expect(busyShare(profile)).to.equal(0.2);
  });
});
