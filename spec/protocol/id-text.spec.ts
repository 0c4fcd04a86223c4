import { expect } from 'chai';
import fc from 'fast-check';
import { exactId, idText } from '../../lib/protocol/id-text.js';
import { isRejection, parseRequest, type RequestId } from '../../lib/protocol/request.js';
import { withId } from '../../lib/protocol/response.js';
import { Outgoing } from '../../lib/net/outgoing.js';

/** The id a request line's answer carries, as the edge writes it: its text after `"id":`. */
function echoed(line: string): string | undefined {
  const parsed = parseRequest(Buffer.from(line));
  const id: RequestId | undefined = isRejection(parsed) ? parsed.id : parsed.id;
  if (id === undefined) return undefined;
  return /,"id":(.*)}\n$/s.exec(writeBack('{"status":"OK"}', id))![1];
}

/** `answer` with `id` as written by a connection's queue, as text; the same as bytes must agree. */
function writeBack(answer: string, id: RequestId): string {
  const text = new Outgoing();
  text.add(answer, id);
  const bytes = new Outgoing();
  bytes.add(Buffer.from(answer), id);
  const asText = text.take().toString();
  expect(bytes.take().toString(), 'bytes and text agree').to.equal(asText);
  return asText;
}

describe('request ids, echoed as sent', () => {
  it('echoes an integer past 2^53 with its own digits', () => {
    expect(echoed('{"op":"GET","key":"a","id":9007199254740993}')).to.equal('9007199254740993');
    expect(echoed('{"op":"GET","key":"a","id":123456789012345678901234567890}')).to.equal('123456789012345678901234567890');
  });

  it('echoes negative, fractional and exponent ids as written', () => {
    for (const text of ['-1', '-0', '0.5', '1.0', '1.50', '1e3', '1E+3', '-2.5e-7', '1e21', '0.1']) {
      expect(echoed(`{"op":"METRICS","id":${text}}`), text).to.equal(text);
    }
  });

  it('echoes a string id with its escapes as written', () => {
    for (const text of ['"\\u0041"', '"\\/"', '"a\\nb"', '"\\ud83d\\ude00"', '"\\uD800"', '"caf\u00e9"', '"\\"q\\""']) {
      expect(echoed(`{"op":"METRICS","id":${text}}`), text).to.equal(text);
    }
  });

  it('keeps the parsed value of ids that write back as sent: the hot path allocates nothing more', () => {
    expect(parseRequest(Buffer.from('{"op":"GET","key":"a","id":17}'))).to.deep.equal({ op: 'GET', key: 'a', id: 17 });
    expect(parseRequest(Buffer.from('{"op":"METRICS","id":-4}'))).to.deep.equal({ op: 'METRICS', id: -4 });
    expect(parseRequest(Buffer.from('{"op":"METRICS","id":"m-1"}'))).to.deep.equal({ op: 'METRICS', id: 'm-1' });
    expect(parseRequest(Buffer.from('{"op":"METRICS","id":9007199254740993}'))).to.deep.equal({ op: 'METRICS', id: { json: '9007199254740993' } });
  });

  it('echoes the id of a rejected request as sent', () => {
    const parsed = parseRequest(Buffer.from('{"op":"GET","id":18446744073709551615}'));
    expect(isRejection(parsed) && withId(parsed.error, parsed.id)).to.equal('{"status":"BAD_REQUEST","error":"key must be a string","id":18446744073709551615}');
  });

  it('echoes the last "id" when the name repeats, as JSON.parse keeps the last', () => {
    expect(echoed('{"id":9007199254740993,"op":"METRICS","id":9007199254740995}')).to.equal('9007199254740995');
    expect(echoed('{"id":1,"op":"METRICS","id":2}')).to.equal('2');
  });

  it('reads the id among spaces, nested "id" members and an escaped spelling of its name', () => {
    expect(echoed('{ "op" : "METRICS" ,\t"id" :  1.0  }')).to.equal('1.0');
    expect(echoed('{"op":"METRICS","x":{"id":[1,"}"]},"id":2.0}')).to.equal('2.0');
    expect(echoed('{"op":"METRICS","x\\"id":9007199254740992,"id":9007199254740993}')).to.equal('9007199254740993');
    expect(echoed('{"op":"METRICS","\\u0069d":1e2}')).to.equal('1e2');
  });

  it('is not fooled by a line that only seems to end with its id', () => {
    // The last member's name is `x","id`, and the id is the first member, sent as 1.0.
    expect(echoed('{"id":1.0,"op":"METRICS","x\\",\\"id":1}')).to.equal('1.0');
    expect(echoed('{"id":2.0,"op":"METRICS","x":{"a":0,"id":2}}')).to.equal('2.0');
  });

  it('idText finds nothing in an object without an id', () => {
    expect(idText('{"op":"GET","key":"id"}')).to.equal(undefined);
    expect(idText('{}')).to.equal(undefined);
    expect(exactId(5, '{"op":"GET","key":"id"}')).to.equal(5);
  });

  it('still refuses a number too large to be finite', () => {
    const parsed = parseRequest(Buffer.from('{"op":"GET","key":"a","id":1e999}'));
    expect(isRejection(parsed) && JSON.parse(parsed.error)).to.deep.equal({ status: 'BAD_REQUEST', error: 'id must be a string or a number' });
  });

  describe('any id the protocol accepts comes back byte-identical (property)', () => {
    const digits = (min: number, max: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));
    const integerPart = fc.oneof(fc.constant('0'), fc.tuple(fc.integer({ min: 1, max: 9 }), digits(0, 30)).map(([d, rest]) => `${d}${rest}`));
    const numberText = fc
      .tuple(
        fc.constantFrom('', '-'),
        integerPart,
        fc.option(digits(1, 20), { nil: undefined }),
        fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3)), { nil: undefined }),
      )
      .map(([sign, int, fraction, exp]) => `${sign}${int}${fraction === undefined ? '' : `.${fraction}`}${exp === undefined ? '' : exp.join('')}`)
      .filter((text) => Number.isFinite(Number(text)));
    // A string's text: characters as they are, short escapes, and \u escapes in either case.
    const piece = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }).filter((s) => !/["\\\u0000-\u001f]/u.test(s) && Buffer.from(s).toString() === s),
      fc.constantFrom('\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t'),
      fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.boolean()).map(([c, upper]) => {
        const hex = c.toString(16).padStart(4, '0');
        return `\\u${upper ? hex.toUpperCase() : hex}`;
      }),
    );
    const stringText = fc.array(piece, { maxLength: 8 }).map((pieces) => `"${pieces.join('')}"`);
    const idTexts = fc.oneof(fc.nat().map(String), fc.maxSafeNat().map(String), numberText, stringText);

    const space = fc.constantFrom('', ' ', '\t', '  ');
    // The rest of a request: one that parses, and ones that are rejected with the id echoed.
    const rest = fc.constantFrom(
      ['"op":"GET"', '"key":"article/1"'],
      ['"op":"METRICS"'],
      ['"op":"PURGE"', '"prefix":"a/"', '"token":"t"'],
      ['"op":"GET"'],
      ['"op":"NOPE"'],
    );
    // Members that must not be taken for the id: an id that a later one overrides, an "id" inside.
    const decoy = fc.constantFrom([], ['"id":9007199254740992'], ['"x":{"id":1}'], ['"x\\"id":2'], ['"k":"\\",\\"id\\":3"']);

    it('through the parser and the queue that writes answers', () => {
      fc.assert(
        fc.property(idTexts, rest, decoy, fc.nat(), space, fc.constantFrom('"id"', '"\\u0069d"'), (text, others, decoys, at, ws, name) => {
          const members: string[] = [...others];
          members.splice(at % (members.length + 1), 0, `${name}${ws}:${ws}${text}`);
          const line = `{${ws}${[...decoys, ...members].join(`,${ws}`)}${ws}}`;
          expect(echoed(line), line).to.equal(text);
        }),
        { numRuns: 3000 },
      );
    });

    it('on the GET lines the hot path reads', () => {
      fc.assert(
        fc.property(idTexts, (text) => {
          expect(echoed(`{"op":"GET","key":"article/1","id":${text}}`)).to.equal(text);
        }),
        { numRuns: 2000 },
      );
    });
  });
});
