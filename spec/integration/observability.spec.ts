// What an operator watches, on real processes: Prometheus /metrics after known requests, pino log lines, --watch.
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { binScript, type NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, ask, waitFor } from './helpers.js';

/** The `http://host:port` of the metrics port a node printed before its listening line. */
function metricsBase(node: NodeProcess): string {
  const url = /metrics on (http:\/\/\S+)\/metrics/.exec(node.output())?.[1];
  if (url === undefined) throw new Error(`no metrics line in: ${node.output()}`);
  return url;
}

/** A scrape of `/metrics`, as `series{labels}` -> value, the node's own role and node labels left out. */
async function scrape(node: NodeProcess): Promise<Map<string, number>> {
  const answer = await fetch(`${metricsBase(node)}/metrics`);
  expect(answer.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  const values = new Map<string, number>();
  for (const line of (await answer.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    const name = line.slice(0, at).replace(/,?role="[^"]*",node="[^"]*"/, '').replace('{}', '');
    values.set(name, Number(line.slice(at + 1)));
  }
  return values;
}

/** The JSON log lines a node wrote so far (its stderr, within its output). */
function logLines(node: NodeProcess): Record<string, unknown>[] {
  return node
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('observability (integration)', function () {
  this.timeout(30_000);

  describe('Prometheus metrics after a known sequence of requests', () => {
    const nodes = new Nodes();
    let origin: NodeProcess;
    let proxy: NodeProcess;
    let balancer: NodeProcess;

    before(async () => {
      origin = await nodes.start('origin', ['--port', '0', '--metrics-port', '0']);
      proxy = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port), '--metrics-port', '0']);
      balancer = await nodes.start('load-balancer', ['--port', '0', '--metrics-port', '0', '--proxies', `127.0.0.1:${proxy.port}`]);
      for (const key of ['article/1', 'article/1', 'article/2', 'nope/1']) await ask(balancer.port, `GET ${key}`);
    });

    after(() => nodes.stopAll());

    it('the proxy counts requests by status, hits, misses, origin fetches, its cache size and request durations', async () => {
      const m = await scrape(proxy);
      expect(m.get('dproxy_requests_total{status="OK"}')).to.equal(3);
      expect(m.get('dproxy_requests_total{status="NOT_FOUND"}')).to.equal(1);
      expect(m.get('dproxy_cache_hits_total')).to.equal(1);
      expect(m.get('dproxy_cache_misses_total')).to.equal(3);
      expect(m.get('dproxy_origin_fetches_total')).to.equal(3);
      expect(m.get('dproxy_cache_entries')).to.equal(2);
      expect(m.get('dproxy_cache_bytes')).to.be.greaterThan(0);
      expect(m.get('dproxy_request_duration_seconds_count')).to.equal(4);
      expect(m.get('dproxy_request_duration_seconds_bucket{le="0.001"}')).to.be.at.least(1);
      expect(m.get('dproxy_request_duration_seconds_bucket{le="+Inf"}')).to.equal(4);
      expect(m.get('process_resident_memory_bytes')).to.be.greaterThan(0);
    });

    it('the balancer counts requests by status, its retries and each proxy\'s health, load and ejections', async () => {
      const m = await scrape(balancer);
      const proxyLabel = `proxy="127.0.0.1:${proxy.port}"`;
      expect(m.get('dproxy_requests_total{status="OK"}')).to.equal(3);
      expect(m.get('dproxy_requests_total{status="NOT_FOUND"}')).to.equal(1);
      expect(m.get('dproxy_retries_total')).to.equal(0);
      expect(m.get(`dproxy_upstream_healthy{${proxyLabel}}`)).to.equal(1);
      expect(m.get(`dproxy_upstream_requests_total{${proxyLabel}}`)).to.equal(4);
      expect(m.get(`dproxy_upstream_in_flight{${proxyLabel}}`)).to.equal(0);
      expect(m.get(`dproxy_ejections_total{${proxyLabel}}`)).to.equal(0);
      expect(m.get('dproxy_request_duration_seconds_count')).to.equal(4);
    });

    it('the origin counts what reached it by status, each key once', async () => {
      const m = await scrape(origin);
      expect(m.get('dproxy_requests_total{status="OK"}')).to.equal(2);
      expect(m.get('dproxy_requests_total{status="NOT_FOUND"}')).to.equal(1);
      expect(m.has('dproxy_request_duration_seconds_count')).to.equal(false);
    });

    it('METRICS gains p50, p90 and p99 over the last minute, the original fields unchanged', async () => {
      const answer = await ask(balancer.port, 'METRICS');
      const data = answer.data as Record<string, unknown>;
      expect(Object.keys(data).slice(0, 3)).to.deep.equal(['strategy', 'current_index', 'proxies']);
      expect(data.latency_last_minute_ms).to.have.all.keys('p50', 'p90', 'p99');
      const own = (await ask(proxy.port, 'METRICS')).data as Record<string, unknown>;
      expect(Object.keys(own).slice(0, 6)).to.deep.equal(['start_time', 'total_requests', 'hit_rate', 'hits', 'misses', 'origin_fetches']);
      expect(own.latency_last_minute_ms).to.have.all.keys('p50', 'p90', 'p99');
    });

    it('logs nothing per request at the default level', () => {
      for (const node of [origin, proxy, balancer]) expect(logLines(node).filter((l) => l.msg === 'request')).to.deep.equal([]);
    });
  });

  describe('log lines', () => {
    const nodes = new Nodes();
    after(() => nodes.stopAll());

    it('logs the start-up configuration without secrets, a proxy going down with its reason, the drain and the stop', async () => {
      const origin = await nodes.start('origin', ['--port', '0']);
      const proxy = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
      const balancer = await nodes.start('load-balancer', ['--port', '0', '--health-interval', '100', '--admin-token', 'secret', '--proxies', `127.0.0.1:${proxy.port}`]);
      const started = await waitFor('the start-up line', async () => logLines(balancer).find((l) => l.msg === 'started'));
      expect(started).to.deep.include({ level: 'info', role: 'load-balancer', address: `127.0.0.1:${balancer.port}` });
      expect((started.config as Record<string, unknown>).adminToken).to.equal('<set>');
      expect(balancer.output()).to.not.include('secret');

      await proxy.stop();
      const down = await waitFor('the proxy down line', async () => logLines(balancer).find((l) => l.msg === 'proxy down'));
      expect(down).to.deep.include({ level: 'warn', proxy: `127.0.0.1:${proxy.port}` });
      expect(down.reason).to.match(/refused/);
      expect(logLines(proxy).map((l) => l.msg)).to.include.members(['draining: no new connections; answering what was accepted', 'stopped']);

      expect(await balancer.stop()).to.equal(0);
      const last = logLines(balancer).slice(-2);
      expect(last.map((l) => l.msg)).to.deep.equal(['draining: no new connections; answering what was accepted', 'stopped']);
      expect(last[0]).to.deep.include({ signal: 'SIGTERM' });
    });

    it('with --access-log, logs one line per request with key, status, cache_hit, node and latency', async () => {
      const origin = await nodes.start('origin', ['--port', '0']);
      const proxy = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port), '--access-log']);
      await ask(proxy.port, 'GET article/3');
      await ask(proxy.port, 'GET article/3');
      const lines = await waitFor('two access lines', async () => {
        const found = logLines(proxy).filter((l) => l.msg === 'request');
        return found.length === 2 ? found : undefined;
      });
      expect(lines.map(({ key, status, cache_hit, node }) => ({ key, status, cache_hit, node }))).to.deep.equal([
        { key: 'article/3', status: 'OK', cache_hit: false, node: proxy.port },
        { key: 'article/3', status: 'OK', cache_hit: true, node: proxy.port },
      ]);
      expect(lines[0]!.latency_ms).to.be.a('number');
    });
  });

  describe('bin/client --watch', () => {
    const nodes = new Nodes();
    after(() => nodes.stopAll());

    it('prints plain tables when its stdout is not a terminal, and exits 0 on SIGINT', async () => {
      const origin = await nodes.start('origin', ['--port', '0']);
      const proxy = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
      const balancer = await nodes.start('load-balancer', ['--port', '0', '--proxies', `127.0.0.1:${proxy.port}`]);
      const child = spawn(process.execPath, [binScript('client'), '--port', String(balancer.port), '--watch'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        await waitFor('two readings', async () => ((out.match(/^--- /gm) ?? []).length >= 2 ? true : undefined));
        child.kill('SIGINT');
        expect(await exited).to.equal(0);
      } finally {
        child.kill('SIGKILL');
      }
      expect(out).to.not.include('\x1b');
      expect(out).to.include(`dproxy 127.0.0.1:${balancer.port}  consistent_hash  requests 0`);
      expect(out).to.match(new RegExp(`127\\.0\\.0\\.1:${proxy.port} +up +0\\.0 `));
    });
  });
});
