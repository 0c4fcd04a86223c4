import { expect } from 'chai';
import { Subject, map, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { balancerGraph, type BalancerGraphOptions, type ProxyPorts } from '../../lib/balancer/graph.js';
import type { ProbeResult } from '../../lib/balancer/messages.js';
import type { LinkFailure } from '../../lib/net/upstream.js';
import type { Request } from '../../lib/protocol/request.js';

const PROXIES = ['127.0.0.1:8001', '127.0.0.1:8002', '127.0.0.1:8003'];

/** Probes every 100 ms, each failed after 50; down after 2 failures; no ejection, no slow start. */
const OPTIONS: Omit<BalancerGraphOptions, 'clock'> = {
  proxies: PROXIES,
  strategy: 'round_robin',
  healthInterval: 100,
  healthTimeout: 50,
  rise: 2,
  fall: 2,
  hashBalanceFactor: 125,
  retries: 2,
  requestTimeout: 50,
  retryBudget: 20,
  slowStart: 0,
  ejectAfter: 0,
  ejectTime: 0,
};

/** What the in-memory proxies do: each forward's failure (null: it answers) and when (ms, default 1), each probe's result. */
interface Script {
  forward?(proxy: number, key: string): LinkFailure | null;
  /** Virtual ms a forward takes to be answered or to fail; 1 unless told. */
  answerAfter?(proxy: number, key: string): number;
  probeOk?(proxy: number): boolean;
}

/** A forward the spec saw: the key, the proxy it went to, and when (virtual ms); a spilled one's owner as `fill`. */
interface Forward {
  key: string;
  proxy: number;
  at: number;
  fill?: number;
}

/**
 * The balancer's graph on the scheduler with in-memory proxy ports: a proxy answers a forward
 * 1 ms later (or the script's answerAfter) with `{"status":"OK","data":"<key>","node":<its port>}` or fails as the script says,
 * answers a probe at once, and answers a PURGE 1 ms later with one key purged. The graph is
 * closed at 1 s, which stops its probes so the scheduler can finish.
 */
function start(scheduler: TestScheduler, script: Script, options: Partial<BalancerGraphOptions> = {}) {
  const forwards: Forward[] = [];
  const purges: number[] = [];
  const ports: ProxyPorts = {
    forward: (proxy, key, done, fill) => {
      forwards.push(fill === undefined ? { key, proxy, at: scheduler.now() } : { key, proxy, at: scheduler.now(), fill });
      const failure = script.forward?.(proxy, key) ?? null;
      const answer = failure === null ? Buffer.from(`{"status":"OK","data":${JSON.stringify(key)},"node":${8001 + proxy}}`) : Buffer.alloc(0);
      scheduler.schedule(() => done(failure, answer), script.answerAfter?.(proxy, key) ?? 1);
    },
    send: (proxy, _request, done) => {
      purges.push(proxy);
      scheduler.schedule(() => done(null, Buffer.from('{"status":"OK","data":{"purged":1}}')), 1);
    },
    probe: (proxy) =>
      of<ProbeResult>(script.probeOk?.(proxy) ?? true ? { proxy, ok: true, metrics: { total_requests: 0 } } : { proxy, ok: false, reason: 'probe refused' }),
    open: () => {
      throw new Error('no proxy is added in this spec');
    },
  };
  const graph = balancerGraph({ ...OPTIONS, clock: scheduler, ...options }, ports);
  scheduler.schedule(() => graph.close(), 1000);
  const replies = new Subject<Record<string, unknown>>();
  // Replies per request, in the order they were asked.
  const answered: number[] = [];
  const ask = (request: Request): void => {
    const n = answered.push(0) - 1;
    graph.accept({
      request,
      reply: (r) => {
        answered[n]!++;
        replies.next(JSON.parse(r.toString()) as Record<string, unknown>);
      },
    });
  };
  const get = (key: string): void => ask({ op: 'GET', key });
  /** METRICS data, asked now; its reply stays out of `replies`. */
  const metrics = (): Record<string, unknown> => {
    let data: Record<string, unknown> = {};
    graph.accept({ request: { op: 'METRICS' }, reply: (r) => (data = (JSON.parse(r.toString()) as { data: Record<string, unknown> }).data) });
    return data;
  };
  return { forwards, purges, replies, answered, ask, get, metrics };
}

/** A reply as a marble character: the index of the proxy that answered, or x for an error of the balancer's own. */
const answeredBy = map((r: Record<string, unknown>) => (typeof r.node === 'number' ? String(r.node - 8001) : 'x'));

const scheduler = (): TestScheduler =>
  new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });

describe('balancer graph', () => {
  it('routes each GET to a proxy by the strategy and relays the proxy\'s answer', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable }) => {
      const { get, replies } = start(s, {});
      hot('-a-b-c-d').subscribe(get);
      expectObservable(replies.pipe(answeredBy)).toBe('--0-1-2-0');
    });
  });

  it("hands a hot key's spilled requests to the forward port with the owner they were spilled off", () => {
    const s = scheduler();
    s.run(({ flush }) => {
      // The first forward is answered at once, the others after 50 ms, so "hot" (owned by proxy 0,
      // strategy spec) keeps one request in flight; hot from 2 in flight.
      let forwarded = 0;
      const { get, forwards } = start(s, { answerAfter: () => (forwarded++ === 0 ? 1 : 50) }, { strategy: 'consistent_hash', hashHotThreshold: 2 });
      s.schedule(() => ['hot', 'hot'].forEach(get), 5);
      s.schedule(() => ['hot', 'hot', 'hot', 'hot', 'hot'].forEach(get), 10);
      flush();
      expect(forwards.map((f) => (f.fill === undefined ? `${f.proxy}` : `${f.proxy}<${f.fill}`))).to.deep.equal(['0', '0', '0', '1<0', '1<0', '0', '1<0']);
    });
  });

  it('retries a failed forward on a proxy not yet tried, and the client gets that proxy\'s answer', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable, flush }) => {
      const { get, replies, forwards, metrics } = start(s, { forward: (proxy) => (proxy === 1 ? 'reset' : null) });
      hot('-a---b---c').subscribe(get);
      // The retry of b leaves the turn with first attempts (issue 15): c takes the turn after b's, 2.
      expectObservable(replies.pipe(answeredBy)).toBe('--0----2--2');
      let data: Record<string, unknown> = {};
      s.schedule(() => (data = metrics()), 20);
      flush();
      expect(forwards.map((f) => `${f.key}->${f.proxy}`)).to.deep.equal(['a->0', 'b->1', 'b->2', 'c->2']);
      expect(data).to.deep.include({ requests: 3, retries: 1, forward_failures: 1 });
      expect((data.proxies as Record<string, object>)['127.0.0.1:8002']).to.deep.include({ requests: 1, failures: 1, healthy: true });
    });
  });

  it('keeps round robin\'s rotation to first attempts: 300 GETs with one of 3 proxies always failing go 100 / 100 / 100 first', () => {
    const s = scheduler();
    s.run(({ flush }) => {
      // Health and the budget left wide open, so every failure is retried and proxy 1 stays in turn.
      const { get, forwards, replies, metrics } = start(s, { forward: (proxy) => (proxy === 1 ? 'garbage' : null) }, { fall: 1000, retryBudget: 100 });
      const answers = [0, 0, 0];
      replies.pipe(answeredBy).subscribe((by) => answers[Number(by)]!++);
      // One at a time: each GET is answered (1 ms, or 2 with its retry) before the next.
      for (let i = 0; i < 300; i++) s.schedule(() => get(`k/${i}`), 1 + 3 * i);
      let data: Record<string, unknown> = {};
      s.schedule(() => (data = metrics()), 950);
      flush();
      const first = [0, 0, 0];
      const retried = [0, 0, 0];
      const seen = new Set<string>();
      for (const f of forwards) {
        if (seen.has(f.key)) retried[f.proxy]!++;
        else first[f.proxy]!++;
        seen.add(f.key);
      }
      expect(first).to.deep.equal([100, 100, 100]);
      expect(retried).to.deep.equal([0, 0, 100]);
      expect(answers).to.deep.equal([100, 0, 200]);
      // current_index is the rotation's: past the last first attempt (on 2), not moved by retries.
      expect(data).to.deep.include({ current_index: 0, requests: 300, retries: 100 });
      const proxies = data.proxies as Record<string, Record<string, unknown>>;
      expect(PROXIES.map((a) => proxies[a]!.requests)).to.deep.equal([100, 100, 200]);
    });
  });

  it('marks a proxy down after `fall` failed probes and sends its traffic to the others', () => {
    const s = scheduler();
    s.run(({ hot, flush }) => {
      const { get, forwards, metrics } = start(s, { probeOk: (proxy) => proxy !== 1 });
      // Probes at 100 and 200: after the first failure proxy 1 still takes its turn, after the second it is down.
      hot('10ms a 9ms b 9ms c 79ms d 9ms e 9ms f 79ms g 9ms h 9ms i').subscribe(get);
      let atTheEnd: Record<string, unknown> = {};
      s.schedule(() => (atTheEnd = metrics()), 300);
      flush();
      expect(forwards.map((f) => `${f.at} ${f.key}->${f.proxy}`)).to.deep.equal([
        '10 a->0',
        '20 b->1',
        '30 c->2',
        '110 d->0',
        '120 e->1',
        '130 f->2',
        '210 g->0',
        '220 h->2',
        '230 i->0',
      ]);
      expect((atTheEnd.proxies as Record<string, object>)['127.0.0.1:8002']).to.deep.include({ healthy: false, reason: 'probe refused' });
    });
  });

  it('answers METRICS with the original fields first, the requests it routed, and each proxy by address as its probes report it', () => {
    const s = scheduler();
    s.run(({ hot, flush }) => {
      const { get, metrics } = start(s, {});
      hot('-a-b').subscribe(get);
      let data: Record<string, unknown> = {};
      // After the probes at 100 have brought each proxy's METRICS.
      s.schedule(() => (data = metrics()), 150);
      flush();
      // The report's field order is the metrics actor's spec; here, that the graph feeds it.
      expect(Object.keys(data).slice(0, 3)).to.deep.equal(['strategy', 'current_index', 'proxies']);
      expect(data).to.deep.include({ strategy: 'round_robin', current_index: 2, requests: 2, start_time: '1970-01-01T00:00:00.000Z' });
      const proxies = data.proxies as Record<string, Record<string, unknown>>;
      expect(Object.keys(proxies)).to.deep.equal(PROXIES);
      expect(proxies['127.0.0.1:8001']).to.deep.equal({
        healthy: true,
        metrics: { total_requests: 0 },
        reason: null,
        in_flight: 0,
        requests: 1,
        failures: 0,
        timeouts: 0,
        ejected: false,
        ejections: 0,
        weight: 1,
        state: 'active',
        // Its one answer came 1 ms of virtual time after the request.
        latency_last_minute_ms: { p50: 1, p90: 1, p99: 1 },
      });
    });
  });

  it('answers every request exactly once, whether a proxy answers, one fails, or all do', () => {
    const s = scheduler();
    s.run(({ hot, flush }) => {
      // Keys ending in x fail on every proxy; proxy 2 fails every forward.
      const script: Script = { forward: (proxy, key) => (key.endsWith('x') ? 'garbage' : proxy === 2 ? 'reset' : null) };
      const { get, ask, replies, answered } = start(s, script, { strategy: 'consistent_hash', adminToken: 'T' });
      const statuses: string[] = [];
      replies.subscribe((r) => statuses.push(String(r.status)));
      hot('-a-b-x-c-dx-e-f-g-hx-i', { a: 'k1', b: 'k2', c: 'k3', d: 'k4', e: 'k5', f: 'k6', g: 'k7', h: 'k8', i: 'k9', x: 'kx' }).subscribe(get);
      s.schedule(() => ask({ op: 'PURGE', prefix: '', token: 'T' }), 30);
      flush();
      expect(answered).to.deep.equal(Array(13).fill(1));
      expect(statuses.filter((status) => status === 'OK')).to.have.length(10);
      expect(statuses.filter((status) => status === 'PROXY_UNREACHABLE')).to.have.length(3);
    });
  });

  it('answers PROXY_TIMEOUT for a forward that timed out, after one attempt, and keeps the proxy up and in turn', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable, flush }) => {
      // Proxy 0 takes every request and answers none in time. Health and ejection as strict as
      // they go: a single failure held against proxy 0 would take it out of the rotation.
      const { get, replies, forwards, metrics } = start(s, { forward: (proxy) => (proxy === 0 ? 'timeout' : null) }, { fall: 1, ejectAfter: 1, ejectTime: 500 });
      hot('-a-b-c-d-e-f-g').subscribe(get);
      expectObservable(replies.pipe(answeredBy)).toBe('--x-1-2-x-1-2-x');
      let data: Record<string, unknown> = {};
      s.schedule(() => (data = metrics()), 20);
      flush();
      expect(forwards.map((f) => `${f.key}->${f.proxy}`)).to.deep.equal(['a->0', 'b->1', 'c->2', 'd->0', 'e->1', 'f->2', 'g->0']);
      expect(data).to.deep.include({ requests: 7, retries: 0, forward_failures: 0, forward_timeouts: 3, errors: 3 });
      expect((data.proxies as Record<string, object>)['127.0.0.1:8001']).to.deep.include({ healthy: true, ejected: false, failures: 0, timeouts: 3 });
    });
  });

  it('retries a timed-out forward elsewhere when its proxy is down by its probes by then: it hangs', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable, flush }) => {
      // Proxy 0 fails its probes (down at the second, at 200) and answers nothing, failing after 50 ms.
      const script: Script = { forward: (proxy) => (proxy === 0 ? 'timeout' : null), answerAfter: (proxy) => (proxy === 0 ? 50 : 1), probeOk: (proxy) => proxy !== 0 };
      const { get, replies, forwards } = start(s, script);
      // a times out at 60 while proxy 0 is still up: PROXY_TIMEOUT. d times out at 220, after
      // the probes took proxy 0 down: retried on the next proxy.
      hot('10ms a 9ms b 9ms c 139ms d').subscribe(get);
      expectObservable(replies.pipe(answeredBy)).toBe('21ms 1 9ms 2 28ms x 160ms 1');
      flush();
      expect(forwards.map((f) => `${f.at} ${f.key}->${f.proxy}`)).to.deep.equal(['10 a->0', '20 b->1', '30 c->2', '170 d->0', '220 d->1']);
    });
  });

  it('sends a PURGE to every proxy, and only with the admin token', () => {
    const s = scheduler();
    s.run(({ flush }) => {
      const { ask, replies, purges } = start(s, {}, { adminToken: 's3cret' });
      const seen: Record<string, unknown>[] = [];
      replies.subscribe((r) => seen.push(r));
      ask({ op: 'PURGE', key: 'a' });
      ask({ op: 'PURGE', key: 'a', token: 's3cret' });
      flush();
      expect(purges).to.deep.equal([0, 1, 2]);
      expect(seen.map((r) => r.status)).to.deep.equal(['UNAUTHORIZED', 'OK']);
      expect(seen[1]!.data).to.deep.include({ purged: 3 });
    });
  });

  it('refuses PURGE and the membership ops when started without an admin token, and reaches no proxy', () => {
    const s = scheduler();
    s.run(({ flush }) => {
      const { ask, replies, purges } = start(s, {});
      const seen: Record<string, unknown>[] = [];
      replies.subscribe((r) => seen.push(r));
      ask({ op: 'PURGE', key: 'a', token: 'guess' });
      for (const op of ['ADD_PROXY', 'DRAIN_PROXY', 'REMOVE_PROXY'] as const) ask({ op, address: '127.0.0.1:8009' });
      flush();
      expect(purges).to.deep.equal([]);
      expect(seen.map((r) => r.status)).to.deep.equal(Array(4).fill('UNAUTHORIZED'));
      expect(seen[0]!.error).to.match(/^admin ops are disabled: start the node with --admin-token/);
    });
  });
});
