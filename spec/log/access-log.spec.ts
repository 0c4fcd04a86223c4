import { expect } from 'chai';
import { withAccessLog } from '../../lib/log/access-log.js';
import type { Inbound } from '../../lib/bus/inbound.js';
import { ManualClock } from '../net/manual-clock.js';
import { memoryLog } from './memory-log.js';

describe('access log', () => {
  it('logs each request as it is answered: op, key, status, cache_hit and node from the answer, latency on the clock', () => {
    const clock = new ManualClock();
    const { log, entries } = memoryLog(clock);
    const held: Inbound[] = [];
    const replies: string[] = [];
    const accept = withAccessLog((message) => held.push(message), log, clock);
    accept({ request: { op: 'GET', key: 'article/1' }, reply: (answer) => replies.push(answer.toString()) });
    clock.advance(7);
    const answer = `{"status":"OK","data":{"body":"${'x'.repeat(500)}"},"cache_hit":false,"node":8002}`;
    held[0]!.reply(Buffer.from(answer));
    expect(replies).to.deep.equal([answer]);
    expect(entries()[0]).to.deep.include({ op: 'GET', key: 'article/1', status: 'OK', cache_hit: false, node: 8002, latency_ms: 7, msg: 'request' });
  });

  it('logs what an answer does not carry as absent, and ops without a key', () => {
    const clock = new ManualClock();
    const { log, entries } = memoryLog(clock);
    const accept = withAccessLog((message) => message.reply('{"status":"NOT_FOUND","data":"no such key"}'), log, clock);
    accept({ request: { op: 'GET', key: 'nope/1' }, reply: () => undefined });
    accept({ request: { op: 'METRICS' }, reply: () => undefined });
    const [get, metrics] = entries();
    expect(get).to.deep.include({ key: 'nope/1', status: 'NOT_FOUND', latency_ms: 0 });
    expect(get).to.not.have.any.keys('cache_hit', 'node');
    expect(metrics).to.deep.include({ op: 'METRICS', status: 'NOT_FOUND' });
    expect(metrics).to.not.have.property('key');
  });
});
