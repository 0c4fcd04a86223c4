import { expect } from 'chai';
import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { proxyGraph } from '../../lib/proxy/graph.js';
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
});
