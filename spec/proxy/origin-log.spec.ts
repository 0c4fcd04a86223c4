import { expect } from 'chai';
import { originLog, ORIGIN_FAILURE_LOG_INTERVAL_MS } from '../../lib/proxy/origin-log.js';
import { ManualClock } from '../net/manual-clock.js';
import { memoryLog } from '../log/memory-log.js';

describe('origin log', () => {
  it('logs the first failed fetch at once, the rest of a burst as one line, and the origin answering again', () => {
    const clock = new ManualClock();
    const { log, entries } = memoryLog(clock, 'info', 'proxy');
    const origin = originLog(log, clock);
    origin.note({ key: 'a', outcome: { kind: 'failure', reason: 'origin unreachable', cause: 'conn-failure' } });
    for (let i = 0; i < 5; i++) origin.note({ key: `b${i}`, outcome: { kind: 'failure', reason: 'origin timed out', cause: 'response-timeout' } });
    expect(entries()).to.have.length(1);
    clock.advance(ORIGIN_FAILURE_LOG_INTERVAL_MS);
    origin.note({ key: 'c', outcome: { kind: 'ok', data: '{}' } });
    origin.note({ key: 'd', outcome: { kind: 'ok', data: '{}' } });
    origin.close();
    expect(entries().map(({ level, msg, key, reason, cause, suppressed, failures }) => ({ level, msg, key, reason, cause, suppressed, failures }))).to.deep.equal([
      { level: 'warn', msg: 'origin fetch failed', key: 'a', reason: 'origin unreachable', cause: 'conn-failure', suppressed: undefined, failures: undefined },
      { level: 'warn', msg: '5 more origin fetches failed', key: 'b4', reason: 'origin timed out', cause: 'response-timeout', suppressed: 5, failures: undefined },
      { level: 'info', msg: 'origin answering again', key: undefined, reason: undefined, cause: undefined, suppressed: undefined, failures: 6 },
    ]);
  });

  it('logs nothing while the origin answers, NOT_FOUND included', () => {
    const clock = new ManualClock();
    const { log, entries } = memoryLog(clock);
    const origin = originLog(log, clock);
    origin.note({ key: 'a', outcome: { kind: 'ok', data: '{}' } });
    origin.note({ key: 'b', outcome: { kind: 'answer', answer: '{"status":"NOT_FOUND"}', notFound: true } });
    expect(entries()).to.deep.equal([]);
  });
});
