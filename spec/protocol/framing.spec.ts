import { expect } from 'chai';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { LineFramer, frames, type Frame } from '../../lib/protocol/framing.js';

const text = (frame: Frame): string => ('line' in frame ? frame.line.toString('utf8') : 'TOO LONG');

/** Pushes each chunk through one framer and returns what it yielded, as text. */
function frame(chunks: string[], maxLine?: number): string[] {
  const framer = new LineFramer(maxLine);
  const out: string[] = [];
  for (const chunk of chunks) framer.push(Buffer.from(chunk), (f) => out.push(text(f)));
  return out;
}

describe('LineFramer', () => {
  it('joins a line split across three chunks', () => {
    expect(frame(['GE', 'T arti', 'cle/1\n'])).to.deep.equal(['GET article/1']);
  });

  it('splits several lines coalesced in one chunk', () => {
    expect(frame(['GET a\nGET b\nMETRICS\n'])).to.deep.equal(['GET a', 'GET b', 'METRICS']);
  });

  it('holds a trailing partial line until its newline arrives', () => {
    const framer = new LineFramer();
    const out: string[] = [];
    framer.push(Buffer.from('GET a\nGET b'), (f) => out.push(text(f)));
    expect(out).to.deep.equal(['GET a']);
    framer.push(Buffer.from('/c\n'), (f) => out.push(text(f)));
    expect(out).to.deep.equal(['GET a', 'GET b/c']);
  });

  it('holds the unfinished tail of a chunk in memory of its own, not as a view that keeps the chunk', () => {
    const framer = new LineFramer();
    const out: string[] = [];
    const chunk = Buffer.from('GET a\nGET b');
    framer.push(chunk, (f) => out.push(text(f)));
    // A socket reuses nothing, but a view would still pin the whole chunk: overwriting it shows
    // whether the framer kept a view (the line would change) or a copy.
    chunk.fill('x');
    framer.push(Buffer.from('/c\n'), (f) => out.push(text(f)));
    expect(out).to.deep.equal(['GET a', 'GET b/c']);
  });

  it('forgets an unfinished line when told to discard it', () => {
    const framer = new LineFramer();
    const out: string[] = [];
    framer.push(Buffer.from('GET a\nGET b'), (f) => out.push(text(f)));
    framer.discard();
    framer.push(Buffer.from('GET c\n'), (f) => out.push(text(f)));
    framer.end((f) => out.push(text(f)));
    expect(out).to.deep.equal(['GET a', 'GET c']);
  });

  it('yields an empty line for two newlines in a row', () => {
    expect(frame(['\n\nX\n'])).to.deep.equal(['', '', 'X']);
  });

  it('keeps a trailing carriage return for the parser to drop', () => {
    expect(frame(['METRICS\r\n'])).to.deep.equal(['METRICS\r']);
  });

  it('accepts a line exactly at the limit', () => {
    expect(frame(['12345678\n'], 8)).to.deep.equal(['12345678']);
  });

  it('accepts a line at the limit that arrives in pieces', () => {
    expect(frame(['1234', '5678', '\n'], 8)).to.deep.equal(['12345678']);
  });

  it('reports a line one byte over the limit once and nothing after it', () => {
    expect(frame(['123456789\nGET a\n', 'GET b\n'], 8)).to.deep.equal(['TOO LONG']);
  });

  it('reports a held partial line as too long before its newline arrives', () => {
    const framer = new LineFramer(8);
    const out: string[] = [];
    framer.push(Buffer.from('12345'), (f) => out.push(text(f)));
    expect(out).to.deep.equal([]);
    framer.push(Buffer.from('6789'), (f) => out.push(text(f)));
    expect(out).to.deep.equal(['TOO LONG']);
    framer.push(Buffer.from('\nGET a\n'), (f) => out.push(text(f)));
    expect(out).to.deep.equal(['TOO LONG']);
  });

  it('delivers the lines before a too-long one', () => {
    expect(frame(['ok\n123456789\nlater\n'], 8)).to.deep.equal(['ok', 'TOO LONG']);
  });

  it('counts bytes, not characters, against the limit', () => {
    // 'é' is two bytes in UTF-8: four of them are 8 bytes, five are 10.
    expect(frame(['éééé\n'], 8)).to.deep.equal(['éééé']);
    expect(frame(['ééééé\n'], 8)).to.deep.equal(['TOO LONG']);
  });
});

describe('frames()', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const chunks = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v)]));

  it('emits a line split across three chunks when its last piece arrives', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', chunks({ a: 'GE', b: 'T arti', c: 'cle/1\n' }));
      const expected = '   -----x-|';
      expectObservable(source.pipe(frames(), map(text))).toBe(expected, { x: 'GET article/1' });
    });
  });

  it('emits every line of a coalesced chunk in the same frame', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a----|', chunks({ a: 'GET a\nGET b\nMETRICS\n' }));
      const expected = '   -(xyz)|';
      expectObservable(source.pipe(frames(), map(text))).toBe(expected, { x: 'GET a', y: 'GET b', z: 'METRICS' });
    });
  });

  it('holds a partial line across chunks and emits only complete ones', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a--b--c|', chunks({ a: 'GET a\nGET', b: ' b', c: '\nGET c' }));
      const expected = '   -x-----y|';
      expectObservable(source.pipe(frames(), map(text))).toBe(expected, { x: 'GET a', y: 'GET b' });
    });
  });

  it('emits a line exactly at the limit', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b|', chunks({ a: '1234', b: '5678\n' }));
      expectObservable(source.pipe(frames(8), map(text))).toBe('---x|', { x: '12345678' });
    });
  });

  it('emits tooLong once for a line one byte over the limit, then nothing', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', chunks({ a: 'ok\n', b: '123456789\n', c: 'GET a\n' }));
      const expected = '   -x-t---|';
      expectObservable(source.pipe(frames(8), map(text))).toBe(expected, { x: 'ok', t: 'TOO LONG' });
    });
  });

  it('gives each subscription its own framer', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b|', chunks({ a: 'GET', b: ' a\n' }));
      const framed = source.pipe(frames(), map(text));
      expectObservable(framed).toBe('---x|', { x: 'GET a' });
      expectObservable(framed).toBe('---x|', { x: 'GET a' });
    });
  });

  it('passes an error of the byte stream through', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-#', chunks({ a: 'GET a\n' }), new Error('reset'));
      expectObservable(source.pipe(frames(), map(text))).toBe('-x-#', { x: 'GET a' }, new Error('reset'));
    });
  });
});
