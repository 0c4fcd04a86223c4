import { expect } from 'chai';
import { metricsTable } from '../../lib/client/metrics-table.js';

describe('metricsTable', () => {
  it('gives each field a line, name then value, numbers of a nested field on one line', () => {
    expect(metricsTable({ total_requests: 12, hit_rate: 0.75, start_time: 'T', latency_ms: { p50: 1, p99: 4 }, note: null })).to.equal(
      ['total_requests  12', 'hit_rate        0.750', 'start_time      T', 'latency_ms      p50 1  p99 4', 'note            -', ''].join('\n'),
    );
  });

  it("tables a balancer's proxies, a row each, with what its probe read from each", () => {
    const text = metricsTable({
      strategy: 'p2c',
      proxies: {
        '127.0.0.1:8001': { state: 'active', healthy: true, weight: 1, in_flight: 2, requests: 40, failures: 0, timeouts: 0, ejected: false, metrics: { hit_rate: 0.5, entries: 9 }, reason: null },
        '127.0.0.1:8002': { state: 'draining', healthy: false, weight: 0.1, in_flight: 0, requests: 3, failures: 3, timeouts: 1, ejected: true, reason: 'probe refused' },
      },
    });
    expect(text.split('\n')).to.deep.equal([
      'strategy  p2c',
      '',
      'proxy           state     healthy  weight  in_flight  requests  failures  timeouts  ejected  hit_rate  entries  reason',
      '127.0.0.1:8001  active    yes      1       2          40        0         0         no       0.500     9        -',
      '127.0.0.1:8002  draining  no       0.100   0          3         3         1         yes      -         -        probe refused',
      '',
    ]);
  });
});
