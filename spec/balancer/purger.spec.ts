import { expect } from 'chai';
import { Subject, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { purger, type PurgeMessage, type SendPort } from '../../lib/balancer/purger.js';
import type { LinkFailure } from '../../lib/net/upstream.js';
import type { LinkRequest } from '../../lib/protocol/upstream-request.js';
import type { PurgeRequest } from '../../lib/protocol/request.js';
import { initialView } from '../../lib/balancer/view.js';

const PROXIES = ['127.0.0.1:8001', '127.0.0.1:8002', '127.0.0.1:8003'];

/** A send port that records each request and lets the test answer it. */
class FakePort {
  readonly calls: { proxy: number; request: LinkRequest; done: (failure: LinkFailure | null, answer: Buffer) => void }[] = [];
  readonly port: SendPort = (proxy, request, done) => {
    this.calls.push({ proxy, request, done });
  };

  answer(proxy: number, answer: string): void {
    this.call(proxy).done(null, Buffer.from(answer));
  }

  fail(proxy: number, failure: LinkFailure): void {
    this.call(proxy).done(failure, Buffer.alloc(0));
  }

  private call(proxy: number) {
    const call = this.calls.find((c) => c.proxy === proxy);
    if (call === undefined) throw new Error(`nothing was sent to proxy ${proxy}`);
    return call;
  }
}

/** Starts a purger over `addresses` and returns a way to send it one PURGE and read the replies. */
function start(addresses: readonly string[] = PROXIES) {
  const port = new FakePort();
  const inbox = new Subject<PurgeMessage>();
  purger(of(initialView(addresses)), port.port)(inbox, new TestScheduler(() => undefined)).subscribe();
  const purge = (request: PurgeRequest): string[] => {
    const replies: string[] = [];
    inbox.next({ request, reply: (r) => replies.push(r.toString()) });
    return replies;
  };
  return { port, purge };
}

const purged = (n: number) => `{"status":"OK","data":{"purged":${n}}}`;
const read = (reply: string) => JSON.parse(reply) as { status: string; error?: string; data: { purged: number; proxies: Record<string, unknown> } };

describe('purger', () => {
  it('follows membership: purges added and draining proxies, skips removed ones', () => {
    const port = new FakePort();
    const inbox = new Subject<PurgeMessage>();
    const base = initialView(PROXIES).proxies;
    const view = {
      proxies: [
        { ...base[0]!, membership: 'removed' as const },
        { ...base[1]!, membership: 'draining' as const },
        base[2]!,
        { ...base[2]!, id: 3, address: '127.0.0.1:8004' },
      ],
    };
    purger(of(view), port.port)(inbox, new TestScheduler(() => undefined)).subscribe();
    const replies: string[] = [];
    inbox.next({ request: { op: 'PURGE', key: 'a' }, reply: (r) => replies.push(r.toString()) });
    expect(port.calls.map((c) => c.proxy)).to.deep.equal([1, 2, 3]);
    for (const proxy of [1, 2, 3]) port.answer(proxy, purged(1));
    expect(Object.keys(read(replies[0]!).data.proxies)).to.deep.equal(['127.0.0.1:8002', '127.0.0.1:8003', '127.0.0.1:8004']);
    expect(read(replies[0]!).data.purged).to.equal(3);
  });

  it('sends the PURGE to every proxy', () => {
    const { port, purge } = start();
    purge({ op: 'PURGE', key: 'a' });
    expect(port.calls.map((c) => c.proxy)).to.deep.equal([0, 1, 2]);
  });

  it('sends op, key and token, but not the id, in the JSON form only', () => {
    const { port, purge } = start();
    purge({ op: 'PURGE', key: 'article/1', token: 'T', id: 17 });
    for (const { request } of port.calls) {
      expect(request.text).to.equal(undefined);
      expect(JSON.parse(request.json)).to.deep.equal({ op: 'PURGE', key: 'article/1', token: 'T' });
    }
  });

  it('sends op, prefix and token, including the empty prefix', () => {
    const { port, purge } = start(['127.0.0.1:8001']);
    purge({ op: 'PURGE', prefix: '', token: 'T', id: 'x' });
    expect(JSON.parse(port.calls[0]!.request.json)).to.deep.equal({ op: 'PURGE', prefix: '', token: 'T' });
  });

  it('sends no token when the request has none', () => {
    const { port, purge } = start(['127.0.0.1:8001']);
    purge({ op: 'PURGE', prefix: 'user/' });
    expect(JSON.parse(port.calls[0]!.request.json)).to.deep.equal({ op: 'PURGE', prefix: 'user/' });
  });

  it('answers only once every proxy has answered', () => {
    const { port, purge } = start();
    const replies = purge({ op: 'PURGE', key: 'a' });
    port.answer(0, purged(1));
    port.answer(2, purged(1));
    expect(replies).to.deep.equal([]);
    port.answer(1, purged(0));
    expect(replies).to.have.length(1);
  });

  it('answers OK with the summed count and each proxy\'s result when all purged', () => {
    const { port, purge } = start();
    const replies = purge({ op: 'PURGE', prefix: 'user/' });
    port.answer(2, purged(3));
    port.answer(0, purged(2));
    port.answer(1, purged(0));
    expect(JSON.parse(replies[0]!)).to.deep.equal({
      status: 'OK',
      data: {
        purged: 5,
        proxies: {
          '127.0.0.1:8001': { status: 'OK', purged: 2 },
          '127.0.0.1:8002': { status: 'OK', purged: 0 },
          '127.0.0.1:8003': { status: 'OK', purged: 3 },
        },
      },
    });
  });

  it('answers PROXY_UNREACHABLE, with each proxy\'s result, when a link to one failed', () => {
    const { port, purge } = start();
    const replies = purge({ op: 'PURGE', key: 'a' });
    port.answer(0, purged(1));
    port.fail(1, 'refused');
    port.answer(2, purged(1));
    expect(JSON.parse(replies[0]!)).to.deep.equal({
      status: 'PROXY_UNREACHABLE',
      error: 'purge failed on 1 of 3 proxies',
      data: {
        purged: 2,
        proxies: {
          '127.0.0.1:8001': { status: 'OK', purged: 1 },
          '127.0.0.1:8002': { status: 'PROXY_UNREACHABLE', error: 'proxy refused' },
          '127.0.0.1:8003': { status: 'OK', purged: 1 },
        },
      },
    });
  });

  it('answers UNAUTHORIZED when a proxy refused the token', () => {
    const { port, purge } = start();
    const replies = purge({ op: 'PURGE', key: 'a', token: 'old' });
    port.answer(0, purged(1));
    port.answer(1, '{"status":"UNAUTHORIZED","error":"wrong admin token"}');
    port.answer(2, purged(0));
    const reply = read(replies[0]!);
    expect(reply.status).to.equal('UNAUTHORIZED');
    expect(reply.error).to.equal('purge failed on 1 of 3 proxies');
    expect(reply.data.proxies['127.0.0.1:8002']).to.deep.equal({ status: 'UNAUTHORIZED', error: 'wrong admin token' });
  });

  it('answers with the status of the first failing proxy in the list', () => {
    const { port, purge } = start();
    const replies = purge({ op: 'PURGE', key: 'a' });
    port.fail(2, 'timeout');
    port.answer(1, '{"status":"WRONG_METHOD","data":"unknown method PURGE"}');
    port.answer(0, purged(1));
    const reply = read(replies[0]!);
    expect(reply.status).to.equal('WRONG_METHOD');
    expect(reply.error).to.equal('purge failed on 2 of 3 proxies');
    expect(reply.data.proxies['127.0.0.1:8003']).to.deep.equal({ status: 'PROXY_UNREACHABLE', error: 'proxy timeout' });
  });

  it('answers a proxy answer without a status as that proxy failing, with a status from the table', () => {
    const { port, purge } = start(['127.0.0.1:8001']);
    const replies = purge({ op: 'PURGE', key: 'a' });
    port.answer(0, '{"data":{"purged":1}}');
    const reply = read(replies[0]!);
    expect(reply.status).to.equal('PROXY_UNREACHABLE');
    expect(reply.data.proxies['127.0.0.1:8001']).to.deep.equal({ status: 'PROXY_UNREACHABLE', error: 'proxy answered garbage' });
  });

  it('does not take the status of an answer that only starts like JSON', () => {
    const { port, purge } = start(['127.0.0.1:8001']);
    const replies = purge({ op: 'PURGE', key: 'a' });
    port.answer(0, '{"status":"OK","data":{"purged":1} trailing garbage}');
    const reply = read(replies[0]!);
    expect(reply.status).to.equal('PROXY_UNREACHABLE');
    expect(reply.data.proxies['127.0.0.1:8001']).to.deep.equal({ status: 'PROXY_UNREACHABLE', error: 'proxy answered garbage' });
  });

  it('answers every PURGE once, each with its own proxies\' results', () => {
    const { port, purge } = start(['127.0.0.1:8001']);
    const first = purge({ op: 'PURGE', key: 'a' });
    const second = purge({ op: 'PURGE', key: 'b' });
    port.calls[1]!.done(null, Buffer.from(purged(0)));
    port.calls[0]!.done(null, Buffer.from(purged(1)));
    expect(first.map((r) => read(r).data.purged)).to.deep.equal([1]);
    expect(second.map((r) => read(r).data.purged)).to.deep.equal([0]);
  });

  it('answers at once when there are no proxies', () => {
    const { purge } = start([]);
    expect(purge({ op: 'PURGE', key: 'a' }).map((r) => JSON.parse(r))).to.deep.equal([{ status: 'OK', data: { purged: 0, proxies: {} } }]);
  });
});
