import { expect } from 'chai';
import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { proxyGraph, type ProxyGraphOptions } from '../../lib/proxy/graph.js';
import type { FetchOutcome } from '../../lib/proxy/messages.js';
import type { Request } from '../../lib/protocol/request.js';

/**
 * The proxy's graph on a virtual clock over an in-memory origin that answers every key `{"v":1}`
 * after 10 ms; `ask` sends a request at the current frame and records its reply with the frame.
 */
function start(adminToken?: string) {
  const clock = new TestScheduler(() => undefined);
  const fetched: string[] = [];
  const origin = (key: string): Observable<FetchOutcome> => {
    fetched.push(key);
    return new Observable<FetchOutcome>((subscriber) => clock.schedule(() => subscriber.next({ kind: 'ok', data: '{"v":1}' }), 10));
  };
  const graph = proxyGraph({ clock, adminToken, cache: { node: 8001, ttl: Infinity, maxBytes: 1 << 20 } }, origin);
  const replies: { at: number; reply: Record<string, unknown> }[] = [];
  const ask = (request: Request): void =>
    graph.accept({ request, reply: (r) => replies.push({ at: clock.now(), reply: JSON.parse(r.toString()) as Record<string, unknown> }) });
  return { clock, graph, fetched, replies, ask };
}

describe('proxy graph', () => {
  it('routes GET to the cache: a miss is fetched through the origin port, the next GET is a hit', () => {
    const { clock, fetched, replies, ask } = start();
    ask({ op: 'GET', key: 'a' });
    clock.flush();
    ask({ op: 'GET', key: 'a' });
    expect(fetched).to.deep.equal(['a']);
    expect(replies).to.deep.equal([
      { at: 10, reply: { status: 'OK', data: { v: 1 }, cache_hit: false, node: 8001 } },
      { at: 10, reply: { status: 'OK', data: { v: 1 }, cache_hit: true, node: 8001 } },
    ]);
  });

  it('routes METRICS to the metrics actor, which heard the cache', () => {
    const { clock, replies, ask } = start();
    ask({ op: 'GET', key: 'a' });
    clock.flush();
    ask({ op: 'GET', key: 'a' });
    ask({ op: 'METRICS' });
    expect(replies[2]!.reply.data).to.deep.include({ total_requests: 2, hits: 1, misses: 1, origin_fetches: 1, entries: 1 });
  });

  it('routes PURGE to the cache only with the admin token', () => {
    const { clock, fetched, replies, ask } = start('s3cret');
    ask({ op: 'GET', key: 'a' });
    clock.flush();
    ask({ op: 'PURGE', key: 'a' });
    ask({ op: 'PURGE', key: 'a', token: 's3cret' });
    ask({ op: 'GET', key: 'a' });
    expect(replies.slice(1, 3).map((r) => r.reply)).to.deep.equal([
      { status: 'UNAUTHORIZED', error: 'admin token required' },
      { status: 'OK', data: { purged: 1 } },
    ]);
    expect(fetched).to.deep.equal(['a', 'a']);
  });

  it('refuses PURGE when started without an admin token, and the cache keeps the key', () => {
    const { clock, fetched, replies, ask } = start();
    ask({ op: 'GET', key: 'a' });
    clock.flush();
    ask({ op: 'PURGE', key: 'a', token: 'guess' });
    ask({ op: 'GET', key: 'a' });
    expect(replies[1]!.reply).to.deep.equal({
      status: 'UNAUTHORIZED',
      error: 'admin ops are disabled: start the node with --admin-token <token> and send "token":"<token>"',
    });
    expect(replies[2]!.reply).to.deep.include({ status: 'OK', cache_hit: true });
    expect(fetched).to.deep.equal(['a']);
  });

  it("answers the balancer's admin ops WRONG_METHOD", () => {
    const { replies, ask } = start();
    ask({ op: 'DRAIN_PROXY', address: '127.0.0.1:8001' });
    expect(replies).to.deep.equal([{ at: 0, reply: { status: 'WRONG_METHOD', data: 'unknown method DRAIN_PROXY' } }]);
  });

  describe('peer fill', () => {
    const OWNER = '127.0.0.1:8002';

    /**
     * The graph with OWNER as its one peer, over an origin (answering `{"v":1}` after 10 ms) and a
     * peer port whose answer for each key the spec scripts (after 5 ms), both counting their calls.
     */
    function peered(peerAnswer: (key: string) => FetchOutcome, cache: Partial<ProxyGraphOptions['cache']> = {}) {
      const clock = new TestScheduler(() => undefined);
      const fromOrigin: string[] = [];
      const fromPeer: string[] = [];
      const origin = (key: string): Observable<FetchOutcome> => {
        fromOrigin.push(key);
        return new Observable<FetchOutcome>((subscriber) => clock.schedule(() => subscriber.next({ kind: 'ok', data: '{"v":1}' }), 10));
      };
      const peer = (address: string, key: string): Observable<FetchOutcome> => {
        fromPeer.push(`${address} ${key}`);
        return new Observable<FetchOutcome>((subscriber) => clock.schedule(() => subscriber.next(peerAnswer(key)), 5));
      };
      const graph = proxyGraph({ clock, adminToken: 'T', cache: { node: 8001, ttl: 30_000, maxBytes: 1 << 20, peers: [OWNER], ...cache } }, origin, peer);
      const replies: { at: number; reply: Record<string, unknown> }[] = [];
      const ask = (request: Request): void =>
        graph.accept({ request, reply: (r) => replies.push({ at: clock.now(), reply: JSON.parse(r.toString()) as Record<string, unknown> }) });
      const metrics = (): Record<string, unknown> => {
        ask({ op: 'METRICS' });
        return replies.pop()!.reply.data as Record<string, unknown>;
      };
      return { clock, fromOrigin, fromPeer, replies, ask, metrics };
    }

    it('fills a miss spilled from a peer from that peer, once for all its waiters, and counts it as a peer fill', () => {
      const { clock, fromOrigin, fromPeer, replies, ask, metrics } = peered(() => ({ kind: 'ok', data: '{"v":2}' }));
      ask({ op: 'GET', key: 'a', fill: OWNER });
      ask({ op: 'GET', key: 'a', fill: OWNER });
      clock.flush();
      ask({ op: 'GET', key: 'a' });
      expect(fromPeer).to.deep.equal([`${OWNER} a`]);
      expect(fromOrigin).to.deep.equal([]);
      expect(replies).to.deep.equal([
        { at: 5, reply: { status: 'OK', data: { v: 2 }, cache_hit: false, node: 8001 } },
        { at: 5, reply: { status: 'OK', data: { v: 2 }, cache_hit: false, node: 8001 } },
        { at: 5, reply: { status: 'OK', data: { v: 2 }, cache_hit: true, node: 8001 } },
      ]);
      expect(metrics()).to.deep.include({ misses: 2, coalesced: 1, origin_fetches: 0, peer_fills: 1 });
    });

    it('goes to the origin when the peer fails, and counts an origin fetch', () => {
      const { clock, fromOrigin, fromPeer, replies, ask, metrics } = peered(() => ({ kind: 'failure', reason: 'peer refused', cause: 'conn-failure' }));
      ask({ op: 'GET', key: 'a', fill: OWNER });
      clock.flush();
      expect(fromPeer).to.deep.equal([`${OWNER} a`]);
      expect(fromOrigin).to.deep.equal(['a']);
      expect(replies).to.deep.equal([{ at: 15, reply: { status: 'OK', data: { v: 1 }, cache_hit: false, node: 8001 } }]);
      expect(metrics()).to.deep.include({ origin_fetches: 1, peer_fills: 0 });
    });

    it('ignores a fill naming an address that is not a peer, and goes to the origin', () => {
      const { clock, fromOrigin, fromPeer, ask } = peered(() => ({ kind: 'ok', data: '{"poisoned":true}' }));
      ask({ op: 'GET', key: 'a', fill: '127.0.0.1:6666' });
      clock.flush();
      expect(fromPeer).to.deep.equal([]);
      expect(fromOrigin).to.deep.equal(['a']);
    });

    it("keeps a filled entry no longer than the peer's ttl says its own stays fresh", () => {
      const { clock, fromOrigin, replies, ask } = peered(() => ({ kind: 'ok', data: '{"v":2}', ttl: 20 }));
      ask({ op: 'GET', key: 'a', fill: OWNER });
      clock.schedule(() => ask({ op: 'GET', key: 'a' }), 25);
      clock.schedule(() => ask({ op: 'GET', key: 'a' }), 26);
      clock.flush();
      // Filled at 5, fresh for the owner's 20 ms, not our 30 s: a hit at 25, a miss at 26.
      expect(replies.map((r) => [r.at, r.reply.cache_hit])).to.deep.equal([
        [5, false],
        [25, true],
        [36, false],
      ]);
      expect(fromOrigin).to.deep.equal(['a']);
    });

    it('trusts a peer added by ADD_PEER with the admin token, and only then', () => {
      const { clock, fromPeer, replies, ask } = peered(() => ({ kind: 'ok', data: '{"v":2}' }), { peers: [] });
      ask({ op: 'ADD_PEER', address: OWNER });
      ask({ op: 'GET', key: 'a', fill: OWNER });
      ask({ op: 'ADD_PEER', address: OWNER, token: 'T' });
      ask({ op: 'GET', key: 'b', fill: OWNER });
      clock.flush();
      expect(replies.slice(0, 2).map((r) => r.reply)).to.deep.equal([
        { status: 'UNAUTHORIZED', error: 'admin token required' },
        { status: 'OK', data: { address: OWNER, peers: [OWNER] } },
      ]);
      expect(fromPeer).to.deep.equal([`${OWNER} b`]);
    });

    describe('as the owner, answering a peer', () => {
      it("adds the entry's fresh time left as ttl (seconds) to a hit, and the full ttl to a miss it fetched", () => {
        const { clock, replies, ask } = peered(() => ({ kind: 'failure', reason: 'unused', cause: 'conn-failure' }));
        ask({ op: 'GET', key: 'a', peer: true });
        clock.schedule(() => ask({ op: 'GET', key: 'a', peer: true }), 510);
        clock.schedule(() => ask({ op: 'GET', key: 'a' }), 520);
        clock.flush();
        expect(replies.map((r) => r.reply)).to.deep.equal([
          { status: 'OK', data: { v: 1 }, cache_hit: false, node: 8001, ttl: 30 },
          { status: 'OK', data: { v: 1 }, cache_hit: true, node: 8001, ttl: 29.5 },
          { status: 'OK', data: { v: 1 }, cache_hit: true, node: 8001 },
        ]);
      });

      it('marks a stale answer in grace with ttl 0, so the filler serves it without storing it', () => {
        const { clock, replies, ask } = peered(() => ({ kind: 'failure', reason: 'unused', cause: 'conn-failure' }), { ttl: 100, grace: 1000 });
        ask({ op: 'GET', key: 'a' });
        clock.schedule(() => ask({ op: 'GET', key: 'a', peer: true }), 200);
        clock.flush();
        expect(replies[1]!.reply).to.deep.include({ stale: true, ttl: 0 });
      });

      it('does not fill a peer GET from a peer, nor make it wait on a fill from one: it answers ORIGIN_FAILURE at once', () => {
        const { clock, fromPeer, replies, ask } = peered(() => ({ kind: 'ok', data: '{"v":2}' }));
        ask({ op: 'GET', key: 'a', fill: OWNER });
        ask({ op: 'GET', key: 'a', peer: true });
        ask({ op: 'GET', key: 'b', fill: OWNER, peer: true });
        clock.flush();
        expect(replies.map((r) => [r.at, r.reply.status])).to.deep.equal([
          [0, 'ORIGIN_FAILURE'],
          [5, 'OK'],
          [10, 'OK'],
        ]);
        expect(fromPeer).to.deep.equal([`${OWNER} a`]);
      });
    });
  });
});
