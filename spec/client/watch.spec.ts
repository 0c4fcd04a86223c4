import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { watch } from '../../lib/client/watch.js';
import type { Response } from '../../lib/client/client.js';
import { ManualClock } from '../net/manual-clock.js';
import { until } from '../integration/helpers.js';

/** A METRICS answer whose request count grows by 500 per reading. */
function balancer(): () => Promise<Response> {
  let requests = 0;
  return async () => {
    requests += 500;
    return { status: 'OK', data: { strategy: 'round_robin', requests, proxies: { '127.0.0.1:8001': { healthy: true, requests, in_flight: 0, weight: 1, state: 'active' } } } };
  };
}

function output(tty: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: Object.assign(new EventEmitter(), { isTTY: tty, write: (chunk: string) => chunks.push(chunk) > 0 }) as unknown as NodeJS.WritableStream & { isTTY: boolean } };
}

function keyboard() {
  const modes: boolean[] = [];
  const input = Object.assign(new EventEmitter(), { isTTY: true, setRawMode: (raw: boolean) => modes.push(raw), resume: () => undefined, pause: () => undefined });
  return { modes, input: input as unknown as NodeJS.ReadableStream & { isTTY: boolean; setRawMode: (raw: boolean) => unknown } };
}

describe('watch', () => {
  it('off a terminal, prints each reading as plain lines under a time stamp, one a second of its clock, until SIGTERM', async () => {
    const clock = new ManualClock();
    clock.frame = Date.UTC(2026, 0, 2, 3, 4, 5);
    const out = output(false);
    const done = watch({ metrics: balancer(), title: '127.0.0.1:9000', clock, out: out.stream, input: keyboard().input });
    await until('the first table', () => out.chunks.length === 1);
    clock.advance(999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.chunks).to.have.length(1);
    clock.advance(1);
    await until('the second table', () => out.chunks.length === 2);
    process.emit('SIGTERM');
    await done;
    expect(out.chunks[0]).to.match(/^--- 2026-01-02T03:04:05\.000Z\ndproxy 127\.0\.0\.1:9000  round_robin  requests 500  - req\/s/);
    expect(out.chunks[1]).to.include('requests 1,000  500.0 req/s');
    expect(out.chunks.join('')).to.not.include('\x1b');
  });

  it('on a terminal, redraws in place on the alternate screen and leaves it, raw mode off, on q', async () => {
    const clock = new ManualClock();
    const out = output(true);
    const keys = keyboard();
    const done = watch({ metrics: balancer(), title: 'lb', clock, out: out.stream, input: keys.input });
    await until('the first table', () => out.chunks.length === 2);
    (keys.input as unknown as EventEmitter).emit('data', Buffer.from('q'));
    await done;
    expect(out.chunks[0]).to.equal('\x1b[?1049h\x1b[?25l');
    expect(out.chunks[1]).to.match(/^\x1b\[H\x1b\[2Jdproxy lb/);
    expect(out.chunks[1]).to.include('q or Ctrl-C quits');
    expect(out.chunks.at(-1)).to.equal('\x1b[?25h\x1b[?1049l');
    expect(keys.modes).to.deep.equal([true, false]);
  });

  it('quits on Ctrl-C read as a key in raw mode', async () => {
    const keys = keyboard();
    const done = watch({ metrics: balancer(), title: 'lb', clock: new ManualClock(), out: output(true).stream, input: keys.input });
    (keys.input as unknown as EventEmitter).emit('data', '\x03');
    await done;
    expect(keys.modes).to.deep.equal([true, false]);
  });

  it('shows an answer that is not OK in place of the table and keeps reading', async () => {
    const clock = new ManualClock();
    const out = output(false);
    let calls = 0;
    const metrics = async (): Promise<Response> => (++calls === 1 ? { status: 'CLIENT_CONNECTION_ERROR', error: 'cannot reach 127.0.0.1:9000' } : balancer()());
    const done = watch({ metrics, title: '127.0.0.1:9000', clock, out: out.stream, input: keyboard().input });
    await until('the error', () => out.chunks.length === 1);
    clock.advance(1000);
    await until('a table', () => out.chunks.length === 2);
    process.emit('SIGTERM');
    await done;
    expect(out.chunks[0]).to.include('dproxy 127.0.0.1:9000: CLIENT_CONNECTION_ERROR: cannot reach 127.0.0.1:9000');
    expect(out.chunks[1]).to.include('PROXY');
  });
});
