// The keepalive cache of idle connections: most recently used reused first, least recently used closed first, a batch a purge.
import { expect } from 'chai';
import { KEEPALIVE_PURGE_BATCH, KEEPALIVE_PURGE_TICK_MS, KeepaliveCache } from '../../lib/net/keepalive.js';
import { ManualClock } from './manual-clock.js';

describe('KeepaliveCache', () => {
  /** A cache of `size` on a manual clock, and the connections its purge closed, in order. */
  function cacheOf(size: number): { cache: KeepaliveCache<string>; clock: ManualClock; closed: string[] } {
    const clock = new ManualClock();
    const closed: string[] = [];
    return { cache: new KeepaliveCache<string>(size, clock, (c) => closed.push(c)), clock, closed };
  }

  it('gives back the most recently rested connection that is usable', () => {
    const { cache } = cacheOf(4);
    for (const c of ['a', 'b', 'c']) cache.rest(c);
    expect(cache.take(() => true)).to.equal('c');
    expect(cache.take((c) => c !== 'b')).to.equal('a');
    expect(cache.take(() => false)).to.equal(undefined);
    expect(cache.length).to.equal(1);
  });

  it('closes the least recently used past its size at the next purge, not before', () => {
    const { cache, clock, closed } = cacheOf(2);
    cache.rest('a');
    cache.rest('b');
    clock.advance(KEEPALIVE_PURGE_TICK_MS);
    expect(closed).to.deep.equal([]);
    cache.rest('c');
    cache.rest('d');
    clock.advance(KEEPALIVE_PURGE_TICK_MS - 1);
    expect(closed).to.deep.equal([]);
    expect(cache.length).to.equal(4);
    clock.advance(1);
    expect(closed).to.deep.equal(['a', 'b']);
    expect(cache.take(() => true)).to.equal('d');
  });

  it('closes at most a batch a purge, and stops purging at its size', () => {
    const { cache, clock, closed } = cacheOf(1);
    const names = Array.from({ length: KEEPALIVE_PURGE_BATCH + 3 }, (_, i) => `c${i}`);
    for (const c of names) cache.rest(c);
    clock.advance(KEEPALIVE_PURGE_TICK_MS);
    expect(closed).to.deep.equal(names.slice(0, KEEPALIVE_PURGE_BATCH));
    clock.advance(KEEPALIVE_PURGE_TICK_MS);
    expect(closed).to.deep.equal(names.slice(0, -1));
    expect(cache.length).to.equal(1);
    clock.advance(10 * KEEPALIVE_PURGE_TICK_MS);
    expect(closed).to.have.length(names.length - 1);
  });

  it('lets a connection taken before the purge be, and closes only what is still past its size', () => {
    const { cache, clock, closed } = cacheOf(1);
    for (const c of ['a', 'b', 'c']) cache.rest(c);
    expect(cache.take((c) => c === 'a')).to.equal('a');
    clock.advance(KEEPALIVE_PURGE_TICK_MS);
    expect(closed).to.deep.equal(['b']);
  });

  it('makes a connection that rests again the most recently used', () => {
    const { cache, clock, closed } = cacheOf(2);
    cache.rest('a');
    cache.rest('b');
    cache.rest('a');
    cache.rest('c');
    clock.advance(KEEPALIVE_PURGE_TICK_MS);
    expect(closed).to.deep.equal(['b']);
  });

  it('keeps none with size 0, forgets a connection removed, and closes nothing once stopped', () => {
    const { cache, clock, closed } = cacheOf(0);
    cache.rest('a');
    cache.rest('b');
    cache.remove('a');
    clock.advance(KEEPALIVE_PURGE_TICK_MS);
    expect(closed).to.deep.equal(['b']);
    expect(cache.length).to.equal(0);
    cache.rest('c');
    cache.stop();
    clock.advance(KEEPALIVE_PURGE_TICK_MS);
    expect(closed).to.deep.equal(['b']);
  });
});
