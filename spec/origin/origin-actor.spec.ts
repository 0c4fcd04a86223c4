import { expect } from 'chai';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Lookup } from '../../lib/origin/data-dir.js';
import { originActor, type OriginMessage, type Source } from '../../lib/origin/origin-actor.js';

const LOOKUPS: Record<string, Lookup> = {
  'article/1': { kind: 'ok', data: '{"title":"x"}' },
  'article/2': { kind: 'ok', data: '{"title":"y"}', ttl: 30 },
  'article/3': { kind: 'ok', data: '1', ttl: 0 },
  '../etc': { kind: 'bad_key', reason: 'key has an empty, "." or ".." segment' },
};

/**
 * Starts the actor with a source that records the virtual time of each lookup. `send` returns a
 * promise of the reply, since a lookup resolves a promise after the virtual wait.
 */
function start(latency: number, now = 0) {
  const clock = new TestScheduler(() => undefined);
  clock.frame = now;
  const inbox = new Subject<OriginMessage>();
  const lookups: { key: string; at: number }[] = [];
  const source: Source = async (key) => {
    lookups.push({ key, at: clock.now() });
    return LOOKUPS[key] ?? { kind: 'not_found' };
  };
  originActor({ source, latency })(inbox, clock).subscribe();
  const send = (request: OriginMessage['request']): Promise<string> =>
    new Promise((resolve) => inbox.next({ request, reply: (r) => resolve(r.toString()) }));
  return { clock, lookups, send };
}

const get = (key: string): OriginMessage['request'] => ({ op: 'GET', key });

describe('origin actor', () => {
  it('answers a GET with the document as OK data', async () => {
    const { send } = start(0);
    expect(await send(get('article/1'))).to.equal('{"status":"OK","data":{"title":"x"}}');
  });

  it('appends the ttl of the document to the OK answer', async () => {
    const { send } = start(0);
    expect(await send(get('article/2'))).to.equal('{"status":"OK","data":{"title":"y"},"ttl":30}');
    expect(await send(get('article/3'))).to.equal('{"status":"OK","data":1,"ttl":0}');
  });

  it('answers a missing key NOT_FOUND with the reason', async () => {
    const { send } = start(0);
    expect(await send(get('nope'))).to.equal('{"status":"NOT_FOUND","data":"no such key"}');
  });

  it('answers an unsafe key BAD_REQUEST with the reason', async () => {
    const { send } = start(0);
    expect(JSON.parse(await send(get('../etc')))).to.deep.equal({ status: 'BAD_REQUEST', error: 'key has an empty, "." or ".." segment' });
  });

  it('looks a key up only after latency ms of virtual time', () => {
    const { clock, lookups, send } = start(100);
    clock.schedule(() => void send(get('article/1')), 20);
    clock.schedule(() => expect(lookups).to.deep.equal([]), 119);
    clock.flush();
    expect(lookups).to.deep.equal([{ key: 'article/1', at: 120 }]);
  });

  it('waits the latency for each request on its own, not one after another', () => {
    const { clock, lookups, send } = start(100);
    void send(get('a'));
    clock.schedule(() => void send(get('b')), 30);
    clock.flush();
    expect(lookups).to.deep.equal([
      { key: 'a', at: 100 },
      { key: 'b', at: 130 },
    ]);
  });

  it('looks a key up at once without latency', () => {
    const { lookups, send } = start(0);
    void send(get('a'));
    expect(lookups).to.deep.equal([{ key: 'a', at: 0 }]);
  });

  it('answers the GETs still waiting when its inbox completes, and only then completes', async () => {
    const clock = new TestScheduler(() => undefined);
    const inbox = new Subject<OriginMessage>();
    const events: string[] = [];
    originActor({ source: async () => ({ kind: 'ok', data: '1' }), latency: 100 })(inbox, clock).subscribe({ complete: () => events.push(`complete at ${clock.now()}`) });
    inbox.next({ request: get('a'), reply: () => events.push(`reply at ${clock.now()}`) });
    inbox.complete();
    expect(events).to.deep.equal([]);
    clock.flush();
    // The lookup's promise settles after the flush: a turn of the event loop lets it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).to.deep.equal(['reply at 100', 'complete at 100']);
  });

  it('answers METRICS with its start time on its clock and GETs counted by outcome', async () => {
    const { send } = start(0, 1_700_000_000_000);
    await send(get('article/1'));
    await send(get('article/2'));
    await send(get('nope'));
    await send(get('../etc'));
    const reply = JSON.parse(await send({ op: 'METRICS' })) as { status: string; data: Record<string, unknown> };
    expect(reply).to.deep.equal({
      status: 'OK',
      data: { start_time: '2023-11-14T22:13:20.000Z', total_requests: 4, requests: 4, found: 2, not_found: 1, bad_key: 1 },
    });
  });

  it('answers METRICS while GETs are still waiting, and counts them as requests already', async () => {
    const { send } = start(1000);
    void send(get('a'));
    const reply = JSON.parse(await send({ op: 'METRICS' })) as { data: Record<string, unknown> };
    expect(reply.data).to.deep.include({ total_requests: 1, found: 0, not_found: 0 });
  });
});
