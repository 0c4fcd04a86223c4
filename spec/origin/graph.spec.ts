import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { originGraph } from '../../lib/origin/graph.js';
import type { Request } from '../../lib/protocol/request.js';

/** The origin's graph on a virtual clock, over a source that knows one key; `send` resolves with the reply. */
function start() {
  const clock = new TestScheduler(() => undefined);
  const graph = originGraph({ clock, latency: 0, source: async (key) => (key === 'article/1' ? { kind: 'ok', data: '{"title":"x"}' } : { kind: 'not_found' }) });
  const send = (request: Request): Promise<string> => new Promise((resolve) => graph.accept({ request, reply: (r) => resolve(r.toString()) }));
  return { graph, send };
}

describe('origin graph', () => {
  it('routes GET to the origin actor', async () => {
    const { send } = start();
    expect(await send({ op: 'GET', key: 'article/1' })).to.equal('{"status":"OK","data":{"title":"x"}}');
  });

  it('routes METRICS to the origin actor, which counts the GETs it served', async () => {
    const { send } = start();
    await send({ op: 'GET', key: 'article/1' });
    const reply = JSON.parse(await send({ op: 'METRICS' })) as { data: Record<string, unknown> };
    expect(reply.data).to.deep.include({ total_requests: 1, found: 1 });
  });

  it('answers PURGE WRONG_METHOD: the origin holds no cache', async () => {
    const { send } = start();
    expect(await send({ op: 'PURGE', key: 'a' })).to.equal('{"status":"WRONG_METHOD","data":"unknown method PURGE"}');
  });

  it('answers the balancer\'s admin ops WRONG_METHOD too', async () => {
    const { send } = start();
    expect(await send({ op: 'ADD_PROXY', address: '127.0.0.1:8001' })).to.equal('{"status":"WRONG_METHOD","data":"unknown method ADD_PROXY"}');
  });
});
