import { expect } from 'chai';
import { Subject, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { forwarder, type ForwardPort, type ForwarderOutput } from '../../lib/balancer/forwarder.js';
import type { GetMessage, Routed } from '../../lib/balancer/messages.js';
import type { LinkFailure } from '../../lib/net/upstream.js';
import { after } from '../../lib/time/clock.js';

/** A forward port that records each call and lets the test answer it. */
class FakePort {
  readonly calls: { proxy: number; key: string; done: (failure: LinkFailure | null, answer: string) => void }[] = [];
  readonly port: ForwardPort = (proxy, key, done) => {
    this.calls.push({ proxy, key, done });
  };
}

function message(key = 'article/1'): GetMessage & { replies: string[] } {
  const replies: string[] = [];
  return { request: { op: 'GET', key }, reply: (r) => replies.push(r), replies };
}

type Recorded = ReturnType<typeof message>;

function routed(proxy: number | undefined, tried: number[] = [], m = message()): Routed & { message: Recorded } {
  return { message: m, tried, proxy, cursor: 0 };
}

/** Starts a forwarder on a subject of routed requests and collects what it outputs. */
function start(port: FakePort) {
  const input = new Subject<Routed>();
  const output: ForwarderOutput[] = [];
  forwarder(port.port)(input, new TestScheduler(() => undefined)).subscribe((o) => output.push(o));
  return { input, output };
}

const ANSWER = '{"status":"OK", "data":{"title":"x"},"cache_hit":true,"node":8001}';

describe('forwarder', () => {
  it('sends the key to the chosen proxy', () => {
    const port = new FakePort();
    const { input } = start(port);
    input.next(routed(2, [], message('news/7')));
    expect(port.calls.map(({ proxy, key }) => ({ proxy, key }))).to.deep.equal([{ proxy: 2, key: 'news/7' }]);
  });

  it("relays the proxy's answer unchanged", () => {
    const port = new FakePort();
    const { input } = start(port);
    const r = routed(1);
    input.next(r);
    port.calls[0]!.done(null, ANSWER);
    expect(r.message.replies).to.deep.equal([ANSWER]);
  });

  it("reports 'sent' when it forwards and 'answered' when the proxy answers", () => {
    const port = new FakePort();
    const { input, output } = start(port);
    input.next(routed(1));
    expect(output).to.deep.equal([{ outcome: { kind: 'sent', proxy: 1 } }]);
    port.calls[0]!.done(null, ANSWER);
    expect(output).to.deep.equal([{ outcome: { kind: 'sent', proxy: 1 } }, { outcome: { kind: 'answered', proxy: 1 } }]);
  });

  it("reports a failed forward and sends the request back with the proxy added to 'tried'", () => {
    const port = new FakePort();
    const { input, output } = start(port);
    const r = routed(2, [0]);
    input.next(r);
    port.calls[0]!.done('reset', '');
    expect(output).to.deep.equal([
      { outcome: { kind: 'sent', proxy: 2 } },
      { outcome: { kind: 'failed', proxy: 2, failure: 'reset' } },
      { retry: { message: r.message, tried: [0, 2] } },
    ]);
  });

  it('does not reply to a request whose forward failed, leaving that to the retry', () => {
    const port = new FakePort();
    const { input } = start(port);
    const r = routed(0);
    input.next(r);
    port.calls[0]!.done('timeout', '');
    expect(r.message.replies).to.deep.equal([]);
  });

  it('answers PROXY_ERROR when no proxy could be chosen for a fresh request', () => {
    const port = new FakePort();
    const { input, output } = start(port);
    const r = routed(undefined, []);
    input.next(r);
    expect(r.message.replies).to.deep.equal(['{"status":"PROXY_ERROR","error":"no proxy available"}']);
    expect(port.calls).to.have.length(0);
    expect(output).to.deep.equal([]);
  });

  it('answers PROXY_UNREACHABLE when no proxy is left after failed attempts', () => {
    const port = new FakePort();
    const { input, output } = start(port);
    const r = routed(undefined, [0, 1]);
    input.next(r);
    expect(r.message.replies).to.deep.equal(['{"status":"PROXY_UNREACHABLE","error":"no proxy answered after 2 attempt(s)"}']);
    expect(port.calls).to.have.length(0);
    expect(output).to.deep.equal([]);
  });

  it('keeps forwards independent: a slow proxy does not hold back a fast one', () => {
    const port = new FakePort();
    const { input } = start(port);
    const slow = routed(0);
    const fast = routed(1);
    input.next(slow);
    input.next(fast);
    port.calls[1]!.done(null, ANSWER);
    expect(fast.message.replies).to.deep.equal([ANSWER]);
    expect(slow.message.replies).to.deep.equal([]);
  });

  it('emits outcomes at the time the proxy answers (marble)', () => {
    const scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
    scheduler.run(({ cold, expectObservable }) => {
      // Proxy 0 answers after 3 frames; proxy 1 fails after 2.
      const port: ForwardPort = (proxy, _key, done) => {
        if (proxy === 0) after(scheduler, 3, () => done(null, ANSWER));
        else after(scheduler, 2, () => done('closed', ''));
      };
      const requests = cold<Routed>('-a-b', { a: routed(0), b: routed(1, [0]) });
      const label = (o: ForwarderOutput) =>
        'outcome' in o ? `${o.outcome.kind} ${o.outcome.proxy}` : `retry ${o.retry.tried.join(',')}`;
      const output = forwarder(port)(requests, scheduler).pipe(map(label));
      expectObservable(output).toBe('-s-tA(fr)', {
        s: 'sent 0',
        t: 'sent 1',
        A: 'answered 0',
        f: 'failed 1',
        r: 'retry 0,1',
      });
    });
  });
});
