import { expect } from 'chai';
import { ManualClock } from '../net/manual-clock.js';
import { memoryLog } from './memory-log.js';

describe('node log', () => {
  it('writes one JSON object per line: level by name, time from the node\'s clock, role, pid, fields, message', () => {
    const clock = new ManualClock();
    clock.frame = 1_700_000_000_000;
    const { log, lines, entries } = memoryLog(clock, 'info', 'proxy');
    log.warn({ proxy: '127.0.0.1:8001', reason: 'probe refused' }, 'proxy down');
    expect(lines).to.have.length(1);
    expect(lines[0]!.endsWith('\n')).to.equal(true);
    expect(entries()[0]).to.deep.equal({ level: 'warn', time: 1_700_000_000_000, role: 'proxy', pid: process.pid, proxy: '127.0.0.1:8001', reason: 'probe refused', msg: 'proxy down' });
  });

  it('drops lines below its level', () => {
    const { log, entries } = memoryLog(new ManualClock(), 'warn');
    log.info({}, 'started');
    log.debug({}, 'detail');
    log.error({}, 'drain failed');
    expect(entries().map((e) => e.msg)).to.deep.equal(['drain failed']);
  });
});
