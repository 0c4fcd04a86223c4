import { expect } from 'chai';
import { Fleet } from '../lib/fleet.js';
import { originUrlSupport, runHttpOrigin } from '../lib/http-origin.js';

// The HTTP-origin stage end to end at toy size, our side only (nginx need not be installed): real
// origin and proxy processes when bin/proxy takes --origin-url; otherwise the row that says why not.
describe('npm run bench, HTTP origin (smoke)', () => {
  const fleet = new Fleet();
  after(() => fleet.stopAll());

  it('measures one proxy in front of the HTTP origin, or says it is not available and why', async function () {
    this.timeout(60_000);
    const requests = 20;
    const result = await runHttpOrigin(
      { subjects: ['dproxy'], cases: ['cold-keys', 'one-key'], requests, conns: 5, delayMs: 10, maxAgeS: 60, rounds: 1, warmRuns: 1, nginxKeepalive: 64, deadlineMs: 20_000, command: 'smoke', log: () => undefined },
      fleet,
    );
    expect(result.cells.map((c) => `${c.subject} ${c.case}`)).to.deep.equal(['dproxy cold-keys', 'dproxy one-key']);
    // Without nginx in the run the goal has nothing to be judged against.
    expect(result.targets.map((t) => t.met)).to.deep.equal([null, null]);
    const why = await originUrlSupport();
    if (why !== undefined) {
      for (const cell of result.cells) expect(cell.unavailable).to.equal(`not available: ${why}`);
      expect(why).to.contain('--origin-url');
      return;
    }
    const [cold, one] = result.cells;
    for (const cell of [cold!, one!]) {
      const where = `${cell.case}: ${cell.unavailable ?? JSON.stringify(cell.totals)}`;
      expect(cell.totals, where).to.deep.equal({ requests, ok: requests, errors: {} });
      expect(cell.median!.allAnsweredMs, where).to.be.below(Infinity);
    }
    // Each cold key fetched once; the one key once for all its concurrent requests (coalescing).
    expect(cold!.maxOriginRequests).to.equal(requests);
    expect(one!.maxOriginRequests).to.equal(1);
    expect(one!.median!.subjectFetches).to.equal(1);
  });
});
