import { expect } from 'chai';
import { PrometheusExporter, commonSeries, type Series } from '../../lib/metrics/prometheus.js';
import { DurationBuckets } from '../../lib/metrics/buckets.js';
import type { Sample } from '../../lib/metrics/sample.js';

interface Report {
  hits: number;
  byProxy: Record<string, number>;
  connections?: number;
}

const SERIES: Series<Report>[] = [
  ...commonSeries<Report>(),
  { name: 'spec_hits_total', help: 'hits', type: 'counter', read: (s) => s.report.hits },
  { name: 'spec_load', help: 'load', type: 'gauge', labelNames: ['proxy'], read: (s) => Object.entries(s.report.byProxy).map(([proxy, n]) => [{ proxy }, n] as const) },
];

/** `name{labels} value` lines of a text exposition, by series and labels. */
function parse(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

describe('PrometheusExporter', () => {
  const labels = 'role="proxy",node="127.0.0.1:8001"';

  function exporter(samples: Sample<Report>[], timed = true) {
    let i = 0;
    return new PrometheusExporter<Report>({ role: 'proxy', node: '127.0.0.1:8001' }, SERIES, async () => samples[Math.min(i++, samples.length - 1)]!, timed);
  }

  it('exposes each series from a fresh sample, with the node\'s labels on every line', async () => {
    const duration = new DurationBuckets();
    duration.record(0, 3);
    duration.record(30);
    const values = parse(await exporter([{ report: { hits: 7, byProxy: { a: 2, b: 0 }, connections: 3 }, statuses: { OK: 5, NOT_FOUND: 1 }, duration: duration.snapshot() }]).render());
    expect(values.get(`spec_hits_total{${labels}}`)).to.equal(7);
    expect(values.get(`spec_load{proxy="a",${labels}}`)).to.equal(2);
    expect(values.get(`dproxy_requests_total{status="OK",${labels}}`)).to.equal(5);
    expect(values.get(`dproxy_requests_total{status="NOT_FOUND",${labels}}`)).to.equal(1);
    expect(values.get(`dproxy_connections{${labels}}`)).to.equal(3);
    expect(values.get(`dproxy_request_duration_seconds_bucket{le="0.001",${labels}}`)).to.equal(3);
    expect(values.get(`dproxy_request_duration_seconds_bucket{le="0.025",${labels}}`)).to.equal(3);
    expect(values.get(`dproxy_request_duration_seconds_bucket{le="0.05",${labels}}`)).to.equal(4);
    expect(values.get(`dproxy_request_duration_seconds_bucket{le="+Inf",${labels}}`)).to.equal(4);
    expect(values.get(`dproxy_request_duration_seconds_sum{${labels}}`)).to.equal(0.03);
    expect(values.get(`dproxy_request_duration_seconds_count{${labels}}`)).to.equal(4);
  });

  it('includes prom-client\'s process metrics and declares each family\'s type', async () => {
    const text = await exporter([{ report: { hits: 0, byProxy: {} }, statuses: {} }]).render();
    expect(text).to.match(/^process_cpu_user_seconds_total\{role="proxy",node="127\.0\.0\.1:8001"\} /m);
    expect(text).to.include('# TYPE spec_hits_total counter');
    expect(text).to.include('# TYPE spec_load gauge');
    expect(text).to.include('# TYPE dproxy_request_duration_seconds histogram');
  });

  it('reads every scrape afresh: values follow the sample and labels it no longer has are gone', async () => {
    const e = exporter([
      { report: { hits: 1, byProxy: { a: 1, b: 1 } }, statuses: {} },
      { report: { hits: 9, byProxy: { b: 4 } }, statuses: {} },
    ]);
    await e.render();
    const values = parse(await e.render());
    expect(values.get(`spec_hits_total{${labels}}`)).to.equal(9);
    expect(values.get(`spec_load{proxy="b",${labels}}`)).to.equal(4);
    expect(values.has(`spec_load{proxy="a",${labels}}`)).to.equal(false);
  });

  it('has no duration histogram for a node that does not time its answers', async () => {
    const text = await exporter([{ report: { hits: 0, byProxy: {} }, statuses: {} }], false).render();
    expect(text).to.not.include('dproxy_request_duration_seconds');
  });

  it('serves the Prometheus text format\'s content type', () => {
    expect(exporter([]).contentType).to.equal('text/plain; version=0.0.4; charset=utf-8');
  });
});
