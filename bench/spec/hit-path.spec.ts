import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheHarness, median } from '../lib/hit-path.js';

const BENCH_CACHE = fileURLToPath(new URL('../bin/bench-cache.js', import.meta.url));

describe('bench/bin/bench-cache harness', () => {
  it('fetches a key once, then answers it from cache, reading every byte of each answer', async () => {
    const harness = await cacheHarness({ node: 7, ttl: Infinity, maxEntries: 10, maxBytes: 1 << 20 });
    harness.get('a');
    const afterMiss = harness.bytes();
    harness.get('a');
    expect(harness.fetches()).to.equal(1);
    // The hit answers what the miss did with "cache_hit":true, one byte shorter than false.
    expect(harness.bytes() - afterMiss).to.equal(afterMiss - 1);
  });

  it('takes the median of an odd and of an even count', () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(3);
  });

  it('runs end to end against a baseline (here the same checkout) with no fetch once warm', async function () {
    this.timeout(30_000);
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [
      BENCH_CACHE, '--json', '--keys', '2000', '--capacity', '200', '--requests', '2000',
      '--hit-requests', '2000', '--rounds', '3', '--baseline', root,
    ]);
    const result = JSON.parse(stdout) as Record<string, number>;
    expect(result.hitPathFetches).to.equal(0);
    expect(result.baselineFetches).to.equal(0);
    expect(result.originFetches).to.be.within(1, 2000);
    expect(result.hitPathRatio).to.be.above(0);
  });
});
