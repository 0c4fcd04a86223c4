import { expect } from 'chai';
import { RateLimited } from '../../lib/log/rate-limit.js';
import { ManualClock } from '../net/manual-clock.js';

describe('RateLimited', () => {
  function start() {
    const clock = new ManualClock();
    const emitted: [string, number, number][] = [];
    const limited = new RateLimited<{ key: string }>(clock, 10_000, (fields, suppressed) => emitted.push([fields.key, suppressed, clock.now()]));
    return { clock, emitted, limited };
  }

  it('passes the first event at once, then one summary of the rest when the interval ends', () => {
    const { clock, emitted, limited } = start();
    limited.note({ key: 'a' });
    clock.advance(1000);
    limited.note({ key: 'b' });
    limited.note({ key: 'c' });
    expect(emitted).to.deep.equal([['a', 0, 0]]);
    clock.advance(8999);
    expect(emitted).to.have.length(1);
    clock.advance(1);
    expect(emitted).to.deep.equal([
      ['a', 0, 0],
      ['c', 2, 10_000],
    ]);
  });

  it('passes an event at once after a quiet interval', () => {
    const { clock, emitted, limited } = start();
    limited.note({ key: 'a' });
    clock.advance(10_000);
    limited.note({ key: 'b' });
    expect(emitted).to.deep.equal([
      ['a', 0, 0],
      ['b', 0, 10_000],
    ]);
  });

  it('holds events after a summary for another interval', () => {
    const { clock, emitted, limited } = start();
    limited.note({ key: 'a' });
    limited.note({ key: 'b' });
    clock.advance(10_000);
    limited.note({ key: 'c' });
    clock.advance(10_000);
    expect(emitted.map(([key, n]) => `${key}:${n}`)).to.deep.equal(['a:0', 'b:1', 'c:1']);
  });

  it('drops what it holds on close, with its timer', () => {
    const { clock, emitted, limited } = start();
    limited.note({ key: 'a' });
    limited.note({ key: 'b' });
    limited.close();
    clock.advance(20_000);
    expect(emitted).to.have.length(1);
  });
});
