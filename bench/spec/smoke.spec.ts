import { expect } from 'chai';
import { runComparison } from '../lib/compare.js';
import { Fleet } from '../lib/fleet.js';

// The side-by-side runner end to end, briefly, against real processes: our origin, proxies and
// balancer, and the floor. It asserts only that every request was answered OK.
describe('npm run bench (smoke)', () => {
  const fleet = new Fleet();
  after(() => fleet.stopAll());

  it('drives every subject but HAProxy in two modes and at half the peak, every request answered OK', async function () {
    this.timeout(60_000);
    const logged: string[] = [];
    const comparison = await runComparison(
      {
        durationMs: 150,
        warmupMs: 50,
        settleMs: 100,
        subjects: ['balancer', 'relay', 'proxy', 'line-server'],
        modes: ['persistent', 'pipeline'],
        keyspace: 50,
        seed: 1,
        rounds: 1,
        halfLoad: true,
        memory: false,
        command: 'smoke',
        log: (line) => void logged.push(line),
      },
      fleet,
    );
    expect(comparison.cells).to.have.length(8);
    for (const cell of comparison.cells) {
      const where = `${cell.subject} ${cell.mode}: ${cell.unavailable ?? JSON.stringify(cell.result?.errors)}`;
      expect(cell.result, where).to.not.equal(undefined);
      expect(cell.result!.requests, where).to.be.above(0);
      expect(cell.result!.ok, where).to.equal(cell.result!.requests);
    }
    // Each subject ran each mode once, unmeasured, before its rounds.
    expect(logged.filter((line) => line.includes('settling'))).to.have.length(8);
    const half = comparison.halfLoad;
    expect(half !== undefined && 'result' in half && half.result.ok === half.result.requests && half.result.requests > 0, JSON.stringify(half)).to.equal(true);
  });
});
