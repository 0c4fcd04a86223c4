// The wire forms of an upstream request: as JSON.stringify would write them, and read back as the same GET by both readers.
import { expect } from 'chai';
import fc from 'fast-check';
import { readGetLine } from '../../lib/protocol/get-line.js';
import { checkKey, parseLine } from '../../lib/protocol/request.js';
import { fillRequest, getRequest, jsonWithId, peerRequest, type LinkRequest } from '../../lib/protocol/upstream-request.js';

describe('getRequest', () => {
  it('gives GET <key> in its text form, its JSON form and its JSON form with an id', () => {
    const request = getRequest('article/1');
    expect(request.text).to.equal('GET article/1');
    expect(request.json).to.equal('{"op":"GET","key":"article/1"}');
    expect(request.jsonWithId?.(42)).to.equal('{"op":"GET","key":"article/1","id":42}');
  });

  it('encodes any key in the JSON forms exactly as JSON.stringify would', () => {
    for (const key of ['a"b', 'a\\b', 'caf\u00e9/1', '\ud83d\ude00/1', 'lone\ud800', 'ctl\u0001']) {
      expect(getRequest(key).json, key).to.equal(JSON.stringify({ op: 'GET', key }));
      expect(getRequest(key).jsonWithId?.(7), key).to.equal(JSON.stringify({ op: 'GET', key, id: 7 }));
    }
  });

  it('encodes every key and id as JSON.stringify would (property)', () => {
    const key = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constantFrom('"', '\\', '\ud800', '\u001f'));
    fc.assert(
      fc.property(key, fc.maxSafeNat(), (k, id) => {
        expect(getRequest(k).json).to.equal(JSON.stringify({ op: 'GET', key: k }));
        expect(getRequest(k).jsonWithId?.(id)).to.equal(JSON.stringify({ op: 'GET', key: k, id }));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('jsonWithId', () => {
  it("adds the id as the JSON form's last field, through the request's own maker when it has one", () => {
    const purge: LinkRequest = { json: '{"op":"PURGE","prefix":"a/"}' };
    expect(jsonWithId(purge, 3)).to.equal('{"op":"PURGE","prefix":"a/","id":3}');
    expect(jsonWithId(getRequest('a"b'), 9)).to.equal(getRequest('a"b').jsonWithId?.(9));
  });
});

describe('the forms getRequest writes, read back', () => {
  /** The line as a node reads it: the fast GET-line reader where it takes the line, and the general parser. */
  function readBack(line: string): { fast: ReturnType<typeof readGetLine>; general: ReturnType<typeof parseLine> } {
    const raw = Buffer.from(line);
    const fast = readGetLine(raw, 0, raw.length);
    return { fast, general: parseLine(raw) };
  }

  /** Every form of `GET <key>` that survives UTF-8: the text form cannot carry a lone surrogate, JSON escapes it. */
  function forms(key: string, id: number): { line: string; id?: number }[] {
    const request = getRequest(key);
    const all: { line: string; id?: number }[] = [{ line: request.json }, { line: jsonWithId(request, id), id }];
    return Buffer.from(key).toString() === key ? [{ line: request.text! }, ...all] : all;
  }

  const anyKey = fc
    .oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constantFrom('/a', 'a"b', 'a\\b', 'lone\ud800', 'caf\u00e9'))
    .filter((k) => typeof checkKey(k) === 'string');

  it('gives the general parser the key, less a leading slash, and the id (property)', () => {
    fc.assert(
      fc.property(anyKey, fc.maxSafeNat(), (k, id) => {
        const key = checkKey(k) as string;
        for (const form of forms(k, id)) {
          expect(readBack(form.line).general, form.line).to.deep.equal(form.id === undefined ? { op: 'GET', key } : { op: 'GET', key, id });
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('is read by the GET-line reader as by the general parser, wherever that reader takes it (property)', () => {
    fc.assert(
      fc.property(anyKey, fc.maxSafeNat(), (k, id) => {
        for (const form of forms(k, id)) {
          const { fast, general } = readBack(form.line);
          if (fast !== undefined) expect(fast, form.line).to.deep.equal(general);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('is taken in every form by the GET-line reader for a key of printable ASCII and an id of up to 15 digits (property)', () => {
    const printable = fc.integer({ min: 0x21, max: 0x7e }).filter((c) => c !== 0x22 && c !== 0x5c).map((c) => String.fromCharCode(c));
    const plainKey = fc.string({ unit: printable, minLength: 1, maxLength: 200 }).filter((k) => k !== '/');
    fc.assert(
      fc.property(plainKey, fc.integer({ min: 0, max: 10 ** 15 - 1 }), (k, id) => {
        const key = k.startsWith('/') ? k.slice(1) : k;
        for (const form of forms(k, id)) {
          expect(readBack(form.line).fast, form.line).to.deep.equal(form.id === undefined ? { op: 'GET', key } : { op: 'GET', key, id });
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fillRequest and peerRequest', () => {
  it("names the key's owner as fill in the JSON forms only: the text form is the plain GET", () => {
    const request = fillRequest('a"b', '127.0.0.1:8001');
    expect(request.text).to.equal('GET a"b');
    expect(request.json).to.equal(JSON.stringify({ op: 'GET', key: 'a"b', fill: '127.0.0.1:8001' }));
    expect(jsonWithId(request, 5)).to.equal(JSON.stringify({ op: 'GET', key: 'a"b', fill: '127.0.0.1:8001', id: 5 }));
    expect(parseLine(Buffer.from(jsonWithId(request, 5)))).to.deep.equal({ op: 'GET', key: 'a"b', fill: '127.0.0.1:8001', id: 5 });
  });

  it('asks a peer as JSON only, with "peer":true, which reads back as a peer GET', () => {
    const request = peerRequest('article/1');
    expect(request.text).to.equal(undefined);
    expect(request.json).to.equal('{"op":"GET","key":"article/1","peer":true}');
    expect(parseLine(Buffer.from(jsonWithId(request, 8)))).to.deep.equal({ op: 'GET', key: 'article/1', peer: true, id: 8 });
    expect(readGetLine(Buffer.from(request.json), 0, request.json.length)).to.equal(undefined);
  });
});
