import { expect } from 'chai';
import { seededRandom } from '../lib/random.js';

describe('seededRandom', () => {
  it('gives the same sequence for the same seed', () => {
    const a = seededRandom(1234);
    const b = seededRandom(1234);
    expect(Array.from({ length: 1000 }, a)).to.deep.equal(Array.from({ length: 1000 }, b));
  });

  it('gives a different sequence for another seed', () => {
    const a = Array.from({ length: 10 }, seededRandom(1));
    const b = Array.from({ length: 10 }, seededRandom(2));
    expect(a).to.not.deep.equal(b);
  });

  it('stays in [0, 1) and averages about one half', () => {
    const values = Array.from({ length: 100_000 }, seededRandom(99));
    expect(values.reduce((a, b) => Math.min(a, b))).to.be.at.least(0);
    expect(values.reduce((a, b) => Math.max(a, b))).to.be.below(1);
    expect(values.reduce((a, b) => a + b, 0) / values.length).to.be.closeTo(0.5, 0.01);
  });

  it('treats seeds modulo 2^32, so any integer is a usable seed', () => {
    expect(Array.from({ length: 5 }, seededRandom(2 ** 32 + 7))).to.deep.equal(Array.from({ length: 5 }, seededRandom(7)));
  });
});
