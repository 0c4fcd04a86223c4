// The keepalive cache of idle connections: most recently used reused first, least recently used closed first.
import { expect } from 'chai';
import { KeepaliveCache } from '../../lib/net/keepalive.js';

describe('KeepaliveCache', () => {
  it('gives back the most recently rested connection that is usable', () => {
    const cache = new KeepaliveCache<string>(4);
    for (const c of ['a', 'b', 'c']) cache.rest(c);
    expect(cache.take(() => true)).to.equal('c');
    expect(cache.take((c) => c !== 'b')).to.equal('a');
    expect(cache.take(() => false)).to.equal(undefined);
    expect(cache.length).to.equal(1);
  });

  it('lets the least recently used go once more than its size are idle', () => {
    const cache = new KeepaliveCache<string>(2);
    cache.rest('a');
    cache.rest('b');
    expect(cache.surplus()).to.deep.equal([]);
    cache.rest('c');
    cache.rest('d');
    expect(cache.surplus()).to.deep.equal(['a', 'b']);
    expect(cache.take(() => true)).to.equal('d');
  });

  it('makes a connection that rests again the most recently used', () => {
    const cache = new KeepaliveCache<string>(2);
    cache.rest('a');
    cache.rest('b');
    cache.rest('a');
    cache.rest('c');
    expect(cache.surplus()).to.deep.equal(['b']);
  });

  it('keeps none with size 0, and forgets a connection removed', () => {
    const cache = new KeepaliveCache<string>(0);
    cache.rest('a');
    cache.rest('b');
    cache.remove('a');
    expect(cache.surplus()).to.deep.equal(['b']);
    expect(cache.length).to.equal(0);
  });
});
