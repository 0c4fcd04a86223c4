import { expect } from 'chai';
import fc from 'fast-check';
import { Status, errorResponse, notFound, ok, okEncoded, splitId, statusOf, withId, wrongMethod } from '../../lib/protocol/response.js';

describe('response encoding', () => {
  it('encodes an error with status first, then error', () => {
    expect(errorResponse(Status.BAD_REQUEST, 'key is empty')).to.equal('{"status":"BAD_REQUEST","error":"key is empty"}');
  });

  it('escapes quotes and control characters in an error message', () => {
    const encoded = errorResponse(Status.ORIGIN_FAILURE, 'said "no"\n');
    expect(JSON.parse(encoded)).to.deep.equal({ status: 'ORIGIN_FAILURE', error: 'said "no"\n' });
    expect(encoded).not.to.include('\n');
  });

  it('encodes WRONG_METHOD with the method named in data', () => {
    expect(wrongMethod('PURGE')).to.equal('{"status":"WRONG_METHOD","data":"unknown method PURGE"}');
  });

  it('encodes NOT_FOUND with null data by default, or a reason', () => {
    expect(notFound()).to.equal('{"status":"NOT_FOUND","data":null}');
    expect(notFound('no such key')).to.equal('{"status":"NOT_FOUND","data":"no such key"}');
  });

  it('wraps already-encoded data as it is, followed by extra fields', () => {
    const stored = '{"title":"x",  "n":1}';
    expect(okEncoded(stored, ',"cache_hit":true,"node":8001')).to.equal(
      '{"status":"OK","data":{"title":"x",  "n":1},"cache_hit":true,"node":8001}',
    );
  });

  it('encodes OK around a value', () => {
    expect(ok({ a: [1, 2] })).to.equal('{"status":"OK","data":{"a":[1,2]}}');
  });
});

describe('withId', () => {
  it('returns the response unchanged when there is no id', () => {
    const encoded = ok(1);
    expect(withId(encoded, undefined)).to.equal(encoded);
  });

  it('appends a numeric id as the last field', () => {
    expect(withId('{"status":"OK","data":1}', 17)).to.equal('{"status":"OK","data":1,"id":17}');
  });

  it('appends a string id encoded as JSON', () => {
    const encoded = withId(notFound(), 'a"b');
    expect(encoded).to.equal('{"status":"NOT_FOUND","data":null,"id":"a\\"b"}');
    expect(JSON.parse(encoded)).to.deep.equal({ status: 'NOT_FOUND', data: null, id: 'a"b' });
  });

  it('adds the id to a relayed answer without touching the rest', () => {
    const relayed = '{"status":"OK","data":{"x":1},"cache_hit":false,"node":8001}';
    expect(withId(relayed, 3)).to.equal('{"status":"OK","data":{"x":1},"cache_hit":false,"node":8001,"id":3}');
  });
});

describe('splitId', () => {
  /** splitId of a line's bytes, its answer read back as text. */
  const split = (line: string) => {
    const found = splitId(Buffer.from(line));
    return found && { answer: found.answer.toString(), id: found.id };
  };

  it('takes back the id withId appended, leaving the answer exactly as it was', () => {
    const relayed = '{"status":"OK","data":{"id":1,"x":[1,2]},"cache_hit":false,"node":8001}';
    expect(split(withId(relayed, 1234))).to.deep.equal({ answer: relayed, id: 1234 });
  });

  it('answers with the very memory of the line, not a copy, when the id is the last field', () => {
    const line = Buffer.from(withId('{"status":"OK","data":1}', 7));
    const found = splitId(line)!;
    expect(found.answer.buffer).to.equal(line.buffer);
    expect(found.answer.byteOffset).to.equal(line.byteOffset);
    expect(found.answer.toString()).to.equal('{"status":"OK","data":1}');
  });

  it('reads a line where it lies in a larger buffer, nothing outside it', () => {
    const first = withId('{"status":"OK","data":1}', 3);
    const second = withId('{"status":"OK","data":2}', 45);
    const bytes = Buffer.from(`${first}\n${second}\n`);
    const start = Buffer.byteLength(first) + 1;
    const found = splitId(bytes, start, bytes.length - 1)!;
    expect({ answer: found.answer.toString(), id: found.id }).to.deep.equal({ answer: '{"status":"OK","data":2}', id: 45 });
    expect(bytes.toString('utf8', 0, start), 'the line before is untouched').to.equal(`${first}\n`);
    expect(splitId(Buffer.from(`x${first.slice(0, 8)}`), 1), 'a line that is not one is parsed as it lies').to.equal(undefined);
    const elsewhere = Buffer.from('[{"id":5,"data":1}]');
    expect(splitId(elsewhere, 1, elsewhere.length - 1)).to.deep.equal({ answer: Buffer.from('{"data":1}'), id: 5 });
  });

  it('reads an id placed elsewhere by parsing', () => {
    expect(split('{"id":5,"status":"OK","data":1}')).to.deep.equal({ answer: '{"status":"OK","data":1}', id: 5 });
    expect(split('{"status":"OK","data":1, "id" : 6 }')).to.deep.equal({ answer: '{"status":"OK","data":1}', id: 6 });
  });

  it('does not take an id that belongs to the data', () => {
    expect(split('{"status":"OK","data":{"x":1,"id":5}}')).to.equal(undefined);
    expect(split('{"status":"OK","data":{"id":5}}')).to.equal(undefined);
  });

  it('finds no id in an answer without one, one with a string id, or text that is not an object', () => {
    expect(split('{"status":"OK","data":1}')).to.equal(undefined);
    expect(split('{"status":"OK","data":1,"id":"7"}')).to.equal(undefined);
    expect(split('{"status":"OK","data":1,"id":}')).to.equal(undefined);
    expect(split('[1,"id":2]')).to.equal(undefined);
    expect(split('garbage')).to.equal(undefined);
  });

  it('reads a multi-byte answer by bytes, not characters', () => {
    const relayed = '{"status":"OK","data":"é€😀","node":1}';
    expect(split(withId(relayed, 42))).to.deep.equal({ answer: relayed, id: 42 });
  });

  it('takes back any safe integer id from any answer withId appended it to (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.oneof(fc.nat(), fc.maxSafeNat()), (data, id) => {
        const relayed = okEncoded(JSON.stringify(data));
        expect(split(withId(relayed, id))).to.deep.equal({ answer: relayed, id });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('statusOf', () => {
  it('reads the status of a response in our own field order', () => {
    expect(statusOf(errorResponse(Status.PROXY_ERROR, 'no proxy available'))).to.equal('PROXY_ERROR');
    expect(statusOf(ok({}))).to.equal('OK');
  });

  it('reads the status of a response in another field order', () => {
    expect(statusOf('{"data":{"a":1},"status":"NOT_FOUND"}')).to.equal('NOT_FOUND');
    expect(statusOf('{ "status" : "OK", "data": 1 }')).to.equal('OK');
  });

  it('returns undefined for text that is not JSON', () => {
    expect(statusOf('garbage')).to.equal(undefined);
    expect(statusOf('')).to.equal(undefined);
  });

  it('returns undefined for JSON without a string status', () => {
    expect(statusOf('{"data":1}')).to.equal(undefined);
    expect(statusOf('{"status":5}')).to.equal(undefined);
    expect(statusOf('null')).to.equal(undefined);
    expect(statusOf('[1]')).to.equal(undefined);
  });
});
