import { expect } from 'chai';
import { hashKey, mix, unit } from '../../../lib/balancer/strategies/hash.js';

/** The inverse of an odd number modulo 2^32, by Newton's iteration (each step doubles the correct bits). */
function inverse(a: number): number {
  let y = a;
  for (let i = 0; i < 5; i++) y = Math.imul(y, 2 - Math.imul(a, y));
  return y >>> 0;
}

/** The inverse of murmur3's fmix32, to find the input that mixes to a chosen output. */
function unmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, inverse(0xc2b2ae35));
  h ^= (h >>> 13) ^ (h >>> 26);
  h = Math.imul(h, inverse(0x85ebca6b));
  h ^= h >>> 16;
  return h >>> 0;
}

describe('routing hashes', () => {
  describe('hashKey', () => {
    it('is 32-bit FNV-1a: the published test vectors', () => {
      expect(hashKey('')).to.equal(0x811c9dc5);
      expect(hashKey('a')).to.equal(0xe40c292c);
      expect(hashKey('foobar')).to.equal(0xbf9cf968);
    });

    // Balancers in different processes and versions must agree, so these values may never change.
    it('gives the same values in every process for keys and proxy addresses', () => {
      expect(hashKey('article/1')).to.equal(0x64a3f889);
      expect(hashKey('127.0.0.1:8001')).to.equal(0x6bb5d237);
    });

    it('hashes UTF-16 code units, so non-ASCII keys have a fixed value too', () => {
      expect(hashKey('café/☕')).to.equal(0xfb1ef5f4);
    });

    it('returns an unsigned 32-bit integer', () => {
      for (const key of ['', 'a', 'article/1', 'x'.repeat(1000), '☕'.repeat(7)]) {
        const h = hashKey(key);
        expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff, `${key}: ${h}`).to.equal(true);
      }
    });
  });

  describe('mix', () => {
    it("is murmur3's fmix32: fixed values", () => {
      expect(mix(0)).to.equal(0);
      expect(mix(1)).to.equal(0x514e28b7);
      expect(mix(0xdeadbeef)).to.equal(0x0de5c6a9);
      expect(mix(0xffffffff)).to.equal(0x81f16f39);
    });

    it('is a bijection: distinct inputs never collide', () => {
      for (const h of [0, 1, 2, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff]) expect(unmix(mix(h))).to.equal(h);
    });
  });

  describe('unit', () => {
    it('stays strictly inside (0, 1) at both ends of the hash range', () => {
      const lowest = unit(0, 0);
      const highest = unit(unmix(0xffffffff), 0);
      expect(mix(unmix(0xffffffff))).to.equal(0xffffffff);
      expect(lowest).to.be.greaterThan(0);
      expect(highest).to.be.lessThan(1);
      expect(Math.log(lowest)).to.be.finite;
      expect(Math.log(highest)).to.be.lessThan(0);
    });

    it('spreads the draws of many keys on one proxy evenly over (0, 1)', () => {
      const proxy = hashKey('127.0.0.1:8001');
      const tenths = new Array<number>(10).fill(0);
      const outside: number[] = [];
      for (let i = 0; i < 10_000; i++) {
        const u = unit(hashKey(`key/${i}`), proxy);
        if (!(u > 0 && u < 1)) outside.push(u);
        else tenths[Math.floor(u * 10)]!++;
      }
      expect(outside).to.deep.equal([]);
      for (const n of tenths) expect(n).to.be.within(900, 1100);
    });

    it('draws independently per proxy for one key', () => {
      const key = hashKey('article/1');
      const draws = ['127.0.0.1:8001', '127.0.0.1:8002', '127.0.0.1:8003'].map((a) => unit(key, hashKey(a)));
      expect(new Set(draws).size).to.equal(3);
      expect(draws[0]).to.equal(unit(key, hashKey('127.0.0.1:8001')));
    });
  });
});
