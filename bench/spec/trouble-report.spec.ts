import { expect } from 'chai';
import type { AnswerSummary } from '../lib/trouble-figures.js';
import { answeredAtText, renderTrouble, statusesText, troubleTargets, type OriginTrouble } from '../lib/trouble-report.js';

const answers = (ok: number, errors: Record<string, number> = {}, p99 = 1, extra: Partial<AnswerSummary> = {}): AnswerSummary => ({
  requests: ok + Object.values(errors).reduce((a, b) => a + b, 0),
  ok,
  cacheMisses: 0,
  errors,
  latency: { p50: p99 / 2, p99, max: p99 * 2 },
  answeredAt: {},
  ...extra,
});

const origin = { gets: 10, maxInFlight: 4, maxBusyConnections: 4, maxConnections: 4 };

function trouble(overrides: Partial<OriginTrouble> = {}): Omit<OriginTrouble, 'targets'> {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    command: 'npm run bench',
    graceMs: 10_000,
    isolation: {
      settings: { proxies: 3, cachedKeys: 200, misses: 2000, missConns: 16, slowMs: 2000, probeRate: 200, probeMs: 5000, missDeadlineMs: 15000 },
      without: answers(1000, {}, 1.2),
      with: answers(1000, {}, 3.1),
      misses: answers(0, { ORIGIN_FAILURE: 2000 }, 4000, { answeredAt: { ORIGIN_FAILURE: { count: 2000, first: 2001, p50: 2500, last: 4100 } } }),
      origin,
    },
    fanIn: { settings: { requests: 100, delayMs: 50 }, allAnsweredMs: 120, multiple: 2.4, answers: answers(100), origin },
    fetches: {
      settings: { keys: 3000, rounds: 3, delayMs: 50, connsPerBalancer: 4, depth: 16, balancers: 2, proxies: 3 },
      answers: answers(9000),
      fetches: { keys: 3000, max: 1, mean: 1, overOnce: 0, never: 0 },
      afterKill: answers(3000),
    },
    hotKey: {
      settings: { conns: 16, depth: 16, durationMs: 3000, delayMs: 50 },
      requests: 300_000,
      rps: 100_000,
      errors: {},
      latency: { p50: 1, p99: 4, max: 9 },
      shares: [
        { proxy: 'proxy-1', share: 0.5, owner: true },
        { proxy: 'proxy-2', share: 0.25, owner: false },
        { proxy: 'proxy-3', share: 0.25, owner: false },
      ],
      originFetches: 1,
    },
    timeout: { settings: { misses: 100, slowMs: 3000, originTimeoutMs: 1000, fastDelayMs: 0 }, slow: answers(0, { ORIGIN_FAILURE: 100 }, 1100), fast: answers(100, {}, 2) },
    ...overrides,
  };
}

describe('origin-trouble report', () => {
  it('judges every target met when the figures are within the issue\'s bounds', () => {
    const targets = troubleTargets(trouble());
    expect(targets).to.have.length(6);
    expect(targets.map((t) => t.met)).to.deep.equal([true, true, true, true, true, true]);
  });

  it('fails isolation on a p99 more than 5 ms over the run without misses, or on any error', () => {
    const base = trouble();
    const isolation = base.isolation as Extract<OriginTrouble['isolation'], { without: unknown }>;
    const slower = troubleTargets({ ...base, isolation: { ...isolation, with: answers(1000, {}, 6.3) } });
    expect(slower[0]!.met).to.equal(false);
    const failing = troubleTargets({ ...base, isolation: { ...isolation, with: answers(999, { NO_ANSWER: 1 }, 1.2) } });
    expect(failing[0]!.met).to.equal(false);
    expect(failing[0]!.figure).to.contain('NO_ANSWER=1');
  });

  it('fails the fan-in past 6x, fetches past one per key, and errors once the origin is dead', () => {
    const base = trouble();
    const fanIn = { ...(base.fanIn as Extract<OriginTrouble['fanIn'], { multiple: number }>), multiple: 51, allAnsweredMs: 2550 };
    const fetches = base.fetches as Extract<OriginTrouble['fetches'], { fetches: unknown }>;
    const targets = troubleTargets({
      ...base,
      fanIn,
      fetches: { ...fetches, fetches: { keys: 3000, max: 3, mean: 1.2, overOnce: 500, never: 0 }, afterKill: answers(2800, { ORIGIN_FAILURE: 200 }) },
    });
    expect(targets.map((t) => t.met)).to.deep.equal([true, false, false, false, true, true]);
    expect(targets[1]!.figure).to.equal('51.0x (2550 ms at 50 ms)');
  });

  it('fails the timeout targets when a miss was never answered or the fast origin\'s misses were slow', () => {
    const base = trouble();
    const timeout = base.timeout as Extract<OriginTrouble['timeout'], { slow: unknown }>;
    const targets = troubleTargets({ ...base, timeout: { ...timeout, slow: answers(0, { NO_ANSWER: 100 }, Infinity), fast: answers(100, {}, 800) } });
    expect(targets.slice(4).map((t) => t.met)).to.deep.equal([false, false]);
    expect(targets[4]!.figure).to.contain('max never;');
  });

  it('measures no target of a scenario skipped or not run', () => {
    const targets = troubleTargets({ startedAt: 'x', command: 'y', graceMs: 1, isolation: { skipped: 'failed: no origin' } });
    expect(targets).to.deep.equal([]);
  });

  it('renders a table per scenario, a skipped one with its reason, then the targets', () => {
    const base = trouble({ fetches: { skipped: 'failed: balancer-2 did not start' } });
    const text = renderTrouble({ ...base, targets: troubleTargets(base) });
    expect(text).to.contain('### 1. Isolation');
    expect(text).to.contain('| cached, no misses waiting | 1,000 | 0.60 | 1.20 | 2.40 | 0 | 0 |');
    expect(text).to.contain('| cached, 2,000 misses waiting | 1,000 | 1.55 | 3.10 | 6.20 | 0 | 0 |');
    expect(text).to.contain('ORIGIN_FAILURE 2,000 at 2,001..4,100 ms (median 2,500)');
    expect(text).to.contain('| all answered after | 120 ms = 2.4x the origin\'s latency |');
    expect(text).to.contain('| GETs the origin received | 10 for 100 keys |');
    expect(text).to.contain('### 3. Origin fetches per key\n\nnot measured: failed: balancer-2 did not start');
    expect(text).to.contain('| share answered by proxy-1 (owner) | 50.0% |');
    expect(text).to.contain('| at 3,000 ms | 100 | 550 | 2200 | ORIGIN_FAILURE 100 |');
    expect(text).to.contain('| target | figure | met |');
  });

  it('writes every status with its count, and NO_ANSWER apart from the answer times', () => {
    const s = answers(3, { ORIGIN_FAILURE: 2, NO_ANSWER: 1 }, 1, { answeredAt: { OK: { count: 3, first: 1.4, p50: 2, last: 1234.6 } } });
    expect(statusesText(s)).to.equal('OK 3, ORIGIN_FAILURE 2, NO_ANSWER 1');
    expect(answeredAtText(s)).to.equal('OK 3 at 1..1,235 ms (median 2); NO_ANSWER 1');
  });
});
