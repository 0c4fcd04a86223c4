import { expect } from 'chai';
import { medianRss, rssGrowth, rssPath, type RssSample } from '../lib/resident.js';

const samples = (values: readonly number[], everyMs = 1000): RssSample[] => values.map((rssMiB, i) => ({ atMs: i * everyMs, rssMiB }));

describe('medianRss', () => {
  it('takes the middle sample of an odd count, in order of size', () => {
    expect(medianRss(samples([50, 10, 30]), 0, 2000)).to.equal(30);
  });

  it('takes the mean of the middle two of an even count', () => {
    expect(medianRss(samples([10, 40, 20, 30]), 0, 3000)).to.equal(25);
  });

  it('reads only the samples inside the window, both ends included', () => {
    expect(medianRss(samples([100, 10, 20, 30, 100]), 1000, 3000)).to.equal(20);
  });

  it('is undefined for a window with no sample', () => {
    expect(medianRss(samples([10, 20]), 5000, 6000)).to.equal(undefined);
  });
});

describe('rssGrowth', () => {
  it('compares the median just after warm-up with the median at the end, in percent to one decimal', () => {
    // Warm-up to 2 s; windows of 2 s: [2 s, 4 s] holds 60, 61, 59 and [8 s, 10 s] holds 66, 65, 67.
    const run = samples([10, 40, 60, 61, 59, 62, 63, 64, 66, 65, 67]);
    expect(rssGrowth(run, 2000, 10_000, 2000)).to.deep.equal({ startMiB: 60, endMiB: 66, growthPercent: 10 });
  });

  it('is not moved by one sample taken at a peak', () => {
    const run = samples([60, 60, 90, 60, 60, 60, 60, 60, 90, 60, 60]);
    expect(rssGrowth(run, 0, 10_000, 4000)!.growthPercent).to.equal(0);
  });

  it('reports shrinking as negative growth', () => {
    expect(rssGrowth(samples([80, 80, 60, 60]), 0, 3000, 1000)).to.deep.equal({ startMiB: 80, endMiB: 60, growthPercent: -25 });
  });

  it('is undefined when either window has no sample', () => {
    expect(rssGrowth(samples([60, 61]), 0, 10_000, 2000)).to.equal(undefined);
  });
});

describe('rssPath', () => {
  it('gives the median within 2 s of each of the evenly spaced times, from the first to the last', () => {
    const run = samples([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
    expect(rssPath(run, 0, 10_000, 3)).to.deep.equal([20, 60, 100]);
  });

  it('leaves a gap where no sample was taken', () => {
    expect(rssPath(samples([10, 20], 1000), 0, 20_000, 2)).to.deep.equal([15, undefined]);
  });
});
