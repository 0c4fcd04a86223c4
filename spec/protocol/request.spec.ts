import { expect } from 'chai';
import { MAX_KEY_BYTES } from '../../lib/protocol/limits.js';
import { checkKey, isRejection, parseRequest, type Parsed, type Rejection } from '../../lib/protocol/request.js';

const parse = (line: string | Buffer): Parsed => parseRequest(typeof line === 'string' ? Buffer.from(line) : line);

/** The rejection of a line, with its encoded answer read back as JSON. */
function rejected(line: string | Buffer): { answer: unknown; id?: unknown } {
  const parsed = parse(line);
  expect(isRejection(parsed), `expected a rejection, got ${JSON.stringify(parsed)}`).to.equal(true);
  const { error, ...rest } = parsed as Rejection;
  return { answer: JSON.parse(error), ...rest };
}

const badRequest = (error: string) => ({ answer: { status: 'BAD_REQUEST', error } });
const wrongMethod = (method: string) => ({ answer: { status: 'WRONG_METHOD', data: `unknown method ${method}` } });

describe('parseRequest, text form', () => {
  it('reads GET with a key', () => {
    expect(parse('GET article/1')).to.deep.equal({ op: 'GET', key: 'article/1' });
  });

  it('drops a leading slash from the key', () => {
    expect(parse('GET /article/1')).to.deep.equal({ op: 'GET', key: 'article/1' });
  });

  it('ignores a trailing carriage return', () => {
    expect(parse('GET article/1\r')).to.deep.equal({ op: 'GET', key: 'article/1' });
    expect(parse('METRICS\r')).to.deep.equal({ op: 'METRICS' });
  });

  it('reads METRICS', () => {
    expect(parse('METRICS')).to.deep.equal({ op: 'METRICS' });
  });

  it('accepts a key with non-ASCII characters', () => {
    expect(parse('GET café/1')).to.deep.equal({ op: 'GET', key: 'café/1' });
  });

  it('rejects an empty line', () => {
    expect(rejected('')).to.deep.equal(badRequest('empty request'));
    expect(rejected('\r')).to.deep.equal(badRequest('empty request'));
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(rejected(Buffer.from([0x47, 0x45, 0x54, 0x20, 0xff, 0xfe]))).to.deep.equal(badRequest('request is not valid UTF-8'));
  });

  it('rejects GET without a key', () => {
    expect(rejected('GET')).to.deep.equal(badRequest('GET needs a key'));
  });

  it('rejects an empty key, also when it is only a slash', () => {
    expect(rejected('GET ')).to.deep.equal(badRequest('key is empty'));
    expect(rejected('GET /')).to.deep.equal(badRequest('key is empty'));
  });

  it('rejects a key with a space, tab or other whitespace', () => {
    const error = badRequest('key contains whitespace or control characters');
    expect(rejected('GET a b')).to.deep.equal(error);
    expect(rejected('GET a\tb')).to.deep.equal(error);
    expect(rejected('GET a\u00a0b')).to.deep.equal(error);
  });

  it('rejects a key with control characters (C0, DEL, C1)', () => {
    const error = badRequest('key contains whitespace or control characters');
    expect(rejected('GET a\u0001b')).to.deep.equal(error);
    expect(rejected('GET a\u0000')).to.deep.equal(error);
    expect(rejected('GET a\u007fb')).to.deep.equal(error);
    expect(rejected('GET a\u0085b')).to.deep.equal(error);
  });

  it('accepts a key of exactly 1024 bytes and rejects one of 1025', () => {
    expect(MAX_KEY_BYTES).to.equal(1024);
    expect(parse(`GET ${'k'.repeat(1024)}`)).to.deep.equal({ op: 'GET', key: 'k'.repeat(1024) });
    expect(rejected(`GET ${'k'.repeat(1025)}`)).to.deep.equal(badRequest('key is longer than 1024 bytes'));
  });

  it('counts the key length in bytes, not characters', () => {
    // 'é' is two bytes: 512 of them fill the limit, 513 pass it.
    expect(parse(`GET ${'é'.repeat(512)}`)).to.deep.equal({ op: 'GET', key: 'é'.repeat(512) });
    expect(rejected(`GET ${'é'.repeat(513)}`)).to.deep.equal(badRequest('key is longer than 1024 bytes'));
  });

  it('does not count the dropped leading slash against the key limit', () => {
    expect(parse(`GET /${'k'.repeat(1024)}`)).to.deep.equal({ op: 'GET', key: 'k'.repeat(1024) });
  });

  it('rejects METRICS with an argument', () => {
    expect(rejected('METRICS now')).to.deep.equal(badRequest('METRICS takes no argument'));
  });

  it('answers an unknown method WRONG_METHOD, naming it', () => {
    expect(rejected('DELETE article/1')).to.deep.equal(wrongMethod('DELETE'));
  });

  it('answers lower-case get WRONG_METHOD', () => {
    expect(rejected('get article/1')).to.deep.equal(wrongMethod('get'));
  });

  it('cuts a long unknown method name to 64 characters in the answer', () => {
    expect(rejected('X'.repeat(100))).to.deep.equal(wrongMethod(`${'X'.repeat(64)}...`));
  });

  it('reads a line that starts with [ as a text-form method, not as JSON', () => {
    expect(rejected('["GET","a"]')).to.deep.equal(wrongMethod('["GET","a"]'));
  });
});

describe('parseRequest, JSON form', () => {
  it('reads GET with a numeric id', () => {
    expect(parse('{"op":"GET","key":"article/1","id":17}')).to.deep.equal({ op: 'GET', key: 'article/1', id: 17 });
  });

  it('reads METRICS with a string id', () => {
    expect(parse('{"op":"METRICS","id":"m-1"}')).to.deep.equal({ op: 'METRICS', id: 'm-1' });
  });

  it('leaves id out when the request has none', () => {
    expect(parse('{"op":"GET","key":"a"}')).to.deep.equal({ op: 'GET', key: 'a' });
  });

  it('drops a leading slash from the key', () => {
    expect(parse('{"op":"GET","key":"/article/1"}')).to.deep.equal({ op: 'GET', key: 'article/1' });
  });

  it('ignores a trailing carriage return', () => {
    expect(parse('{"op":"GET","key":"a","id":1}\r')).to.deep.equal({ op: 'GET', key: 'a', id: 1 });
  });

  it('rejects a line that is not JSON', () => {
    expect(rejected('{"op":"GET"')).to.deep.equal(badRequest('request is not valid JSON'));
  });

  it('rejects an object without op, echoing its id', () => {
    expect(rejected('{"key":"a","id":4}')).to.deep.equal({ ...badRequest('op must be a string'), id: 4 });
  });

  it('rejects an op that is not a string', () => {
    expect(rejected('{"op":["GET"]}')).to.deep.equal(badRequest('op must be a string'));
  });

  it('rejects a key that is not a string, or missing, echoing the id', () => {
    expect(rejected('{"op":"GET","key":5,"id":3}')).to.deep.equal({ ...badRequest('key must be a string'), id: 3 });
    expect(rejected('{"op":"GET","id":"x"}')).to.deep.equal({ ...badRequest('key must be a string'), id: 'x' });
  });

  it('rejects an id that is neither a string nor a finite number, without echoing it', () => {
    const error = badRequest('id must be a string or a number');
    expect(rejected('{"op":"GET","key":"a","id":true}')).to.deep.equal(error);
    expect(rejected('{"op":"GET","key":"a","id":null}')).to.deep.equal(error);
    expect(rejected('{"op":"GET","key":"a","id":{"n":1}}')).to.deep.equal(error);
    expect(rejected('{"op":"GET","key":"a","id":1e999}')).to.deep.equal(error);
  });

  it('rejects a key with spaces or control characters, echoing the id', () => {
    const error = badRequest('key contains whitespace or control characters');
    expect(rejected('{"op":"GET","key":"a b","id":5}')).to.deep.equal({ ...error, id: 5 });
    expect(rejected('{"op":"GET","key":"a\\u0007b","id":6}')).to.deep.equal({ ...error, id: 6 });
  });

  it('rejects a key over 1024 bytes, echoing the id', () => {
    const line = JSON.stringify({ op: 'GET', key: 'k'.repeat(1025), id: 7 });
    expect(rejected(line)).to.deep.equal({ ...badRequest('key is longer than 1024 bytes'), id: 7 });
  });

  it('answers an unknown op WRONG_METHOD with the id echoed', () => {
    expect(rejected('{"op":"DELETE","key":"a","id":9}')).to.deep.equal({ ...wrongMethod('DELETE'), id: 9 });
  });

  it('answers lower-case get WRONG_METHOD', () => {
    expect(rejected('{"op":"get","key":"a","id":"q"}')).to.deep.equal({ ...wrongMethod('get'), id: 'q' });
  });
});

describe('parseRequest, peer fill fields of GET', () => {
  it('reads fill, the owner a spilled GET names, with the id', () => {
    expect(parse('{"op":"GET","key":"/a","fill":"127.0.0.1:8001","id":4}')).to.deep.equal({ op: 'GET', key: 'a', fill: '127.0.0.1:8001', id: 4 });
  });

  it("reads peer, a filling proxy's GET to the owner", () => {
    expect(parse('{"op":"GET","key":"a","peer":true}')).to.deep.equal({ op: 'GET', key: 'a', peer: true });
  });

  it('rejects a fill that is not a string and a peer that is not true, echoing the id', () => {
    expect(rejected('{"op":"GET","key":"a","fill":8001,"id":1}')).to.deep.equal({ ...badRequest('fill must be a string'), id: 1 });
    expect(rejected('{"op":"GET","key":"a","peer":false,"id":2}')).to.deep.equal({ ...badRequest('peer must be true'), id: 2 });
  });
});

describe('parseRequest, ADD_PEER', () => {
  it('reads the JSON form with its address, token and id, and the text form without a token', () => {
    expect(parse('{"op":"ADD_PEER","address":"127.0.0.1:8002","token":"T","id":3}')).to.deep.equal({ op: 'ADD_PEER', address: '127.0.0.1:8002', token: 'T', id: 3 });
    expect(parse('ADD_PEER 127.0.0.1:8002')).to.deep.equal({ op: 'ADD_PEER', address: '127.0.0.1:8002' });
  });

  it('rejects an address that is not host:port', () => {
    expect(rejected('{"op":"ADD_PEER","address":"8002"}')).to.deep.equal(badRequest('address must be host:port'));
  });
});

describe('parseRequest, PURGE', () => {
  const needsOne = badRequest('PURGE needs exactly one of key or prefix');

  it('reads the text form PURGE <key>, without a token', () => {
    expect(parse('PURGE article/1')).to.deep.equal({ op: 'PURGE', key: 'article/1' });
  });

  it('drops a leading slash from the key of the text form', () => {
    expect(parse('PURGE /article/1')).to.deep.equal({ op: 'PURGE', key: 'article/1' });
  });

  it('rejects the text form without a key, or with a bad one', () => {
    expect(rejected('PURGE')).to.deep.equal(badRequest('PURGE needs a key'));
    expect(rejected('PURGE ')).to.deep.equal(badRequest('key is empty'));
    expect(rejected('PURGE a b')).to.deep.equal(badRequest('key contains whitespace or control characters'));
  });

  it('reads the JSON form with a key, its token and its id', () => {
    expect(parse('{"op":"PURGE","key":"/article/1","token":"T","id":3}')).to.deep.equal({
      op: 'PURGE',
      key: 'article/1',
      token: 'T',
      id: 3,
    });
  });

  it('leaves token out when the request has none', () => {
    expect(parse('{"op":"PURGE","key":"a"}')).to.deep.equal({ op: 'PURGE', key: 'a' });
  });

  it('reads the JSON form with a prefix', () => {
    expect(parse('{"op":"PURGE","prefix":"article/","token":"T"}')).to.deep.equal({ op: 'PURGE', prefix: 'article/', token: 'T' });
  });

  it('drops a leading slash from a prefix', () => {
    expect(parse('{"op":"PURGE","prefix":"/article/"}')).to.deep.equal({ op: 'PURGE', prefix: 'article/' });
  });

  it('accepts the empty prefix, which names every key', () => {
    expect(parse('{"op":"PURGE","prefix":""}')).to.deep.equal({ op: 'PURGE', prefix: '' });
  });

  it('rejects a request with both key and prefix, echoing the id', () => {
    expect(rejected('{"op":"PURGE","key":"a","prefix":"a","id":4}')).to.deep.equal({ ...needsOne, id: 4 });
  });

  it('rejects a request with neither key nor prefix', () => {
    expect(rejected('{"op":"PURGE","token":"T"}')).to.deep.equal(needsOne);
  });

  it('rejects a token that is not a string, echoing the id', () => {
    const error = badRequest('token must be a string');
    expect(rejected('{"op":"PURGE","key":"a","token":42,"id":5}')).to.deep.equal({ ...error, id: 5 });
    expect(rejected('{"op":"PURGE","key":"a","token":null}')).to.deep.equal(error);
    expect(rejected('{"op":"PURGE","prefix":"","token":["T"]}')).to.deep.equal(error);
  });

  it('rejects a key or prefix that is not a string', () => {
    expect(rejected('{"op":"PURGE","key":7}')).to.deep.equal(badRequest('key must be a string'));
    expect(rejected('{"op":"PURGE","prefix":7}')).to.deep.equal(badRequest('prefix must be a string'));
  });

  it('holds a key and a non-empty prefix to the key rules', () => {
    expect(rejected('{"op":"PURGE","key":""}')).to.deep.equal(badRequest('key is empty'));
    expect(rejected('{"op":"PURGE","prefix":"a b"}')).to.deep.equal(badRequest('key contains whitespace or control characters'));
    const long = JSON.stringify({ op: 'PURGE', prefix: 'k'.repeat(1025) });
    expect(rejected(long)).to.deep.equal(badRequest('key is longer than 1024 bytes'));
  });
});

describe('checkKey', () => {
  it('returns the key without its leading slash', () => {
    expect(checkKey('/article/1')).to.equal('article/1');
    expect(checkKey('article/1')).to.equal('article/1');
  });

  it('drops only one leading slash', () => {
    expect(checkKey('//a')).to.equal('/a');
  });

  it('returns a rejection for a bad key', () => {
    const result = checkKey('a b');
    expect(typeof result).to.equal('object');
    expect(JSON.parse((result as Rejection).error)).to.deep.equal({
      status: 'BAD_REQUEST',
      error: 'key contains whitespace or control characters',
    });
  });
});
