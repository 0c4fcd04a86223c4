import { expect } from 'chai';
import fc from 'fast-check';
import { readGetLine } from '../../lib/protocol/get-line.js';
import { parseLine, parseRequest } from '../../lib/protocol/request.js';

const read = (line: string) => {
  const raw = Buffer.from(line);
  return readGetLine(raw, 0, raw.length);
};

describe('readGetLine', () => {
  it('reads GET <key>, dropping a leading slash', () => {
    expect(read('GET article/1')).to.deep.equal({ op: 'GET', key: 'article/1' });
    expect(read('GET /article/1')).to.deep.equal({ op: 'GET', key: 'article/1' });
  });

  it('reads the JSON GET our balancer writes, without an id, with a numeric id and with a string id', () => {
    expect(read('{"op":"GET","key":"a/1"}')).to.deep.equal({ op: 'GET', key: 'a/1' });
    expect(read('{"op":"GET","key":"a/1","id":0}')).to.deep.equal({ op: 'GET', key: 'a/1', id: 0 });
    expect(read('{"op":"GET","key":"a/1","id":123456789012345}')).to.deep.equal({ op: 'GET', key: 'a/1', id: 123456789012345 });
    expect(read('{"op":"GET","key":"/a/1","id":"req 7"}')).to.deep.equal({ op: 'GET', key: 'a/1', id: 'req 7' });
  });

  it('stops at the given end, so a carriage return left out is not part of the key', () => {
    const raw = Buffer.from('GET a/1\r');
    expect(readGetLine(raw, 0, raw.length - 1)).to.deep.equal({ op: 'GET', key: 'a/1' });
  });

  it('reads a line where it lies in a larger buffer, nothing outside it', () => {
    const raw = Buffer.from('GET x\nGET a/1\n{"op":"GET","key":"b","id":7}\n');
    expect(readGetLine(raw, 6, 13)).to.deep.equal({ op: 'GET', key: 'a/1' });
    expect(readGetLine(raw, 14, raw.length - 1)).to.deep.equal({ op: 'GET', key: 'b', id: 7 });
    expect(readGetLine(raw, 14, raw.length - 2), 'cut short of its brace').to.equal(undefined);
  });

  it('leaves every other line to the general parser', () => {
    const others = [
      'GET',
      'GET ',
      'GET /',
      'GET a b',
      'GET a\tb',
      'GET caf\u00e9',
      `GET ${'k'.repeat(1025)}`,
      'METRICS',
      'get a/1',
      '{"op":"GET","key":"a\\"b"}',
      '{"op":"GET","key":"caf\u00e9"}',
      '{"op":"GET","key":"a b"}',
      '{"op":"GET","key":""}',
      '{"op":"GET","key":"a/1" }',
      '{"key":"a/1","op":"GET"}',
      '{"op":"GET","key":"a/1","id":01}',
      '{"op":"GET","key":"a/1","id":-1}',
      '{"op":"GET","key":"a/1","id":1.5}',
      '{"op":"GET","key":"a/1","id":1e3}',
      '{"op":"GET","key":"a/1","id":1234567890123456}',
      '{"op":"GET","key":"a/1","id":"a\\"b"}',
      '{"op":"GET","key":"a/1","id":1,"id":2}',
      '{"op":"GET","key":"a/1","id":}',
      '{"op":"GET","key":"a/1",}',
    ];
    for (const line of others) expect(read(line), line).to.equal(undefined);
  });

  it('reads every line it reads exactly as the general parser does (property)', () => {
    // Lines built from the pieces of the GET forms, near misses and arbitrary text, so that
    // many qualify, many almost do, and some are anything at all.
    const piece = fc.oneof(
      fc.constantFrom('GET ', '{"op":"GET","key":"', '"', '}', ',"id":', '/', '\\', ' ', '\t', '\r', 'a/1', '\u00e9', '0', '7', '-', '.', 'e5', ',', '"x":1'),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.constantFrom('k'.repeat(1023), 'k'.repeat(1024), 'k'.repeat(1025)),
      fc.oneof(fc.nat(), fc.maxSafeNat(), fc.integer(), fc.double()).map(String),
    );
    const line = fc.tuple(fc.constantFrom('GET ', '{"op":"GET","key":"', ''), fc.array(piece, { maxLength: 7 })).map(([head, rest]) => head + rest.join(''));
    let fast = 0;
    fc.assert(
      fc.property(line, fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), (text, before, after) => {
        const raw = Buffer.from(text);
        if (readGetLine(raw, 0, raw.length) !== undefined) fast++;
        const expected = parseLine(raw);
        expect(parseRequest(raw), text).to.deep.equal(expected);
        // The same line read in place, with other bytes on either side of it.
        const around = Buffer.concat([Buffer.from(before), raw, Buffer.from(after)]);
        const start = Buffer.byteLength(before);
        expect(parseRequest(around, start, start + raw.length), `${text} in place`).to.deep.equal(expected);
      }),
      { numRuns: 20_000 },
    );
    // The property says something only if many lines took the fast path.
    expect(fast).to.be.greaterThan(1000);
  });
});
