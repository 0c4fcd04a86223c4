import { expect } from 'chai';
import type { LoadResult } from '../lib/load.js';
import { evaluateTargets, medianCell, ratioText, renderMarkdown, type CellResult, type Comparison } from '../lib/report.js';
import { SUBJECTS, type ModeName, type Subject } from '../lib/subjects.js';

function result(rps: number, p99 = 1, errors: Record<string, number> = {}): LoadResult {
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    mode: 'persistent',
    conns: 16,
    depth: 1,
    durationMs: 1000,
    answered: rps,
    requests: rps,
    rps,
    ok: rps - failed,
    errors,
    hitRatio: 1,
    latency: { p50: p99 / 2, p90: p99, p99, p999: p99, max: p99 },
  };
}

const cell = (subject: Subject, mode: ModeName, rps: number, errors: Record<string, number> = {}): CellResult => ({ subject, mode, result: result(rps, 1, errors) });

function comparison(cells: CellResult[], extra: Partial<Comparison> = {}): Comparison {
  const c: Comparison = {
    startedAt: '2026-01-01T00:00:00.000Z',
    machine: { nproc: 2, cpu: 'Test CPU', memoryMiB: 4096, node: 'v20.0.0', kernel: 'Linux' },
    loadAverage: { start: 0.5, end: 0.7 },
    command: 'npm run bench',
    settings: { durationS: 5, warmupS: 1, keyspace: 1000, seed: 1, rounds: 1, subjects: ['balancer', 'haproxy', 'relay', 'proxy', 'line-server'], modes: ['persistent'] },
    cells,
    targets: [],
    ...extra,
  };
  c.targets = evaluateTargets(c);
  return c;
}

const byName = (c: Comparison, start: string) => c.targets.find((t) => t.target.startsWith(start))!;

describe('evaluateTargets', () => {
  it('judges each ratio against its bar: 1.0x HAProxy, 0.8x the floor', () => {
    const c = comparison([
      cell('balancer', 'persistent', 1000),
      cell('haproxy', 'persistent', 900),
      cell('relay', 'persistent', 1300),
      cell('proxy', 'persistent', 790),
      cell('line-server', 'persistent', 1000),
    ]);
    expect(byName(c, 'balancer >= 1.0x HAProxy')).to.include({ figure: '1.11x', met: true });
    expect(byName(c, 'balancer + proxies >= 0.8x relay')).to.include({ figure: '0.77x', met: false });
    expect(byName(c, 'proxy alone >= 0.8x')).to.include({ figure: '0.79x', met: false });
  });

  it('says not measured, and why, when a reference has no figure', () => {
    const c = comparison([cell('balancer', 'persistent', 1000), { subject: 'haproxy', mode: 'persistent', unavailable: 'not available: no apt-get' }]);
    const t = byName(c, 'balancer >= 1.0x HAProxy');
    expect(t.met).to.equal(null);
    expect(t.figure).to.equal('not measured: haproxy not available: no apt-get');
  });

  it('never counts a ratio with failed requests as met', () => {
    const c = comparison([cell('balancer', 'persistent', 1000, { PROXY_UNREACHABLE: 3 }), cell('haproxy', 'persistent', 500)]);
    expect(byName(c, 'balancer >= 1.0x HAProxy').met).to.equal(false);
  });

  it('leaves out the targets of subjects this run did not ask for', () => {
    const c = comparison([cell('proxy', 'persistent', 900), cell('line-server', 'persistent', 1000)], {
      settings: { durationS: 5, warmupS: 1, keyspace: 1000, seed: 1, rounds: 1, subjects: ['proxy', 'line-server'], modes: ['persistent'] },
    });
    expect(c.targets.map((t) => t.target)).to.deep.equal(['proxy alone >= 0.8x line server (persistent 16)']);
  });

  it('judges the half-load tail at 2 ms and the memory bar at 64 + 100 MiB', () => {
    const c = comparison([], {
      halfLoad: { peak: 20_000, rate: 10_000, result: result(10_000, 1.8) },
      memory: { valuesMiB: 64, bytesHeld: 67_200_000, entries: 4096, evictions: 0, rssMiB: 170.2, peakMiB: 180 },
    });
    expect(byName(c, 'p99 through the balancer').met).to.equal(true);
    expect(byName(c, 'proxy RSS').met).to.equal(false);
    expect(byName(c, 'proxy RSS').figure).to.contain('170.2 MiB');
  });
});

describe('ratioText', () => {
  it('quotes a subject against each of its references, and references as such', () => {
    const cells = [cell('balancer', 'pipeline', 500), cell('haproxy', 'pipeline', 1000), cell('relay', 'pipeline', 250)];
    expect(ratioText(cells, cells[0]!)).to.equal('0.50x haproxy, 2.00x relay');
    expect(ratioText(cells, cells[1]!)).to.equal('reference');
  });
});

describe('renderMarkdown', () => {
  it('prints a row per measured cell, the reason for one that could not run, and the targets', () => {
    const text = renderMarkdown(comparison([cell('balancer', 'persistent', 12_345), { subject: 'haproxy', mode: 'persistent', unavailable: 'not available: no apt-get' }]));
    expect(text).to.contain('| balancer | persistent 16 | 12,345 | n/a vs haproxy, n/a vs relay | 0.50 | 1.00 | 0 |');
    expect(text).to.contain('| haproxy | persistent 16 | not available: no apt-get |');
    expect(text).to.contain('| balancer >= 1.0x HAProxy (persistent 16) | not measured: haproxy not available: no apt-get | not measured |');
  });
});

describe('renderMarkdown, per-request figures', () => {
  it('prints the front process\'s CPU and system calls per request, for the subjects that have them', () => {
    const balancer: CellResult = { ...cell('balancer', 'persistent', 100), cpuPerRequest: { userUs: 30.25, systemUs: 8 }, syscallsPerRequest: { reads: 1.5, writes: 1.75 } };
    const haproxy: CellResult = { ...cell('haproxy', 'persistent', 100), cpuPerRequest: { userUs: 2, systemUs: 6.5 } };
    const text = renderMarkdown(comparison([balancer, haproxy]));
    expect(text).to.contain('| CPU per request at the front process, µs (user + system) | persistent 16 |');
    expect(text).to.contain('| balancer | 30.3 + 8.0 |');
    expect(text).to.contain('| haproxy | 2.0 + 6.5 |');
    expect(text).to.contain('| balancer | 1.50 / 1.75 |');
    expect(text).not.to.contain('| haproxy | 0');
    expect(text, 'no table behind the front without figures for it').not.to.contain('behind the front');
  });

  it('prints the CPU per request of the processes behind the front, for the subjects that have it', () => {
    const balancer: CellResult = { ...cell('balancer', 'pipeline', 100), cpuPerRequest: { userUs: 11.7, systemUs: 2.7, behindUs: 8.04 } };
    const relay: CellResult = { ...cell('relay', 'pipeline', 100), cpuPerRequest: { userUs: 3.6, systemUs: 2.7, behindUs: 3.26 } };
    const proxy: CellResult = { ...cell('proxy', 'pipeline', 100), cpuPerRequest: { userUs: 3.1, systemUs: 1.1 } };
    const settings = { durationS: 5, warmupS: 1, keyspace: 1000, seed: 1, rounds: 1, subjects: [...SUBJECTS], modes: ['pipeline' as const] };
    const text = renderMarkdown(comparison([balancer, relay, proxy], { settings }));
    const lines = text.split('\n');
    const title = lines.findIndex((line) => line.startsWith('| CPU per request behind the front'));
    expect(title, 'the table behind the front').to.be.greaterThan(-1);
    expect(lines.slice(title + 2, title + 4)).to.deep.equal(['| balancer | 8.0 |', '| relay | 3.3 |']);
    expect(lines[title + 4], 'a subject with nothing behind it has no row').not.to.match(/^\| proxy/);
  });
});

describe('medianCell', () => {
  it('stands for the cell with the median round by req/s, keeping every round and every failure', () => {
    const rounds = [
      { result: result(300), cpu: 0.3, cpuPerRequest: { userUs: 3, systemUs: 1 } },
      { result: result(100, 1, { NO_ANSWER: 2 }), cpu: 0.1, cpuPerRequest: { userUs: 1, systemUs: 1 } },
      { result: result(200), cpu: 0.2, cpuPerRequest: { userUs: 2, systemUs: 1 } },
    ];
    const c = medianCell('proxy', 'pipeline', rounds);
    expect(c.result!.rps).to.equal(200);
    expect(c.cpuPerRequest).to.deep.equal({ userUs: 2, systemUs: 1 });
    expect(c.generatorCpu).to.equal(0.2);
    expect(c.rounds).to.deep.equal([300, 100, 200]);
    expect(c.roundErrors).to.deep.equal({ NO_ANSWER: 2 });
  });

  it('takes the lower middle of an even number of rounds', () => {
    expect(medianCell('proxy', 'pipeline', [{ result: result(10), cpu: 0 }, { result: result(20), cpu: 0 }]).result!.rps).to.equal(10);
  });
});

describe('evaluateTargets over rounds', () => {
  it('does not count a ratio as met when any round of either side failed requests', () => {
    const failing = { ...medianCell('balancer', 'persistent', [{ result: result(2000), cpu: 0 }, { result: result(10, 1, { PROXY_ERROR: 1 }), cpu: 0 }, { result: result(2100), cpu: 0 }]) };
    const c = comparison([failing, cell('haproxy', 'persistent', 1000)]);
    expect(byName(c, 'balancer >= 1.0x HAProxy').met).to.equal(false);
  });
});
