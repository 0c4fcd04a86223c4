// Parses one request line, text form or JSON form, into a request or an error response.
import { isUtf8 } from 'node:buffer';
import { Status } from './status.js';
import { errorResponse, wrongMethod } from './response.js';
import { readAddress } from './address.js';
import { readGetLine } from './get-line.js';
import { MAX_KEY_BYTES } from './limits.js';
import { contentEnd } from './framing.js';
import { exactId } from './id-text.js';
import type { GetRequest, MembershipOp, Parsed, PurgeRequest, Rejection, RequestId } from './types.js';

export type { GetRequest, MembershipOp, MembershipRequest, Op, Parsed, PeerRequest, PurgeRequest, Rejection, Request, RequestId } from './types.js';

const MEMBERSHIP_OPS: readonly string[] = ['ADD_PROXY', 'REMOVE_PROXY', 'DRAIN_PROXY'];

// Whitespace and control characters (C0, DEL, C1) are never part of a key.
const BAD_KEY_CHAR = /[\s\u0000-\u001f\u007f-\u009f]/u;

export function isRejection(parsed: Parsed): parsed is Rejection {
  return (parsed as Rejection).error !== undefined;
}

/** One request line, `raw[start, end)` without its newline, as a request or the rejection to answer. */
export function parseRequest(raw: Buffer, start = 0, end = raw.length): Parsed {
  return readGetLine(raw, start, contentEnd(raw, start, end)) ?? parseLine(start === 0 && end === raw.length ? raw : raw.subarray(start, end));
}

/** The general parser: every form, every op, every error. `parseRequest` gives the same results. */
export function parseLine(raw: Buffer): Parsed {
  const end = contentEnd(raw, 0, raw.length);
  if (end === 0) return reject('empty request');
  if (!isUtf8(end === raw.length ? raw : raw.subarray(0, end))) return reject('request is not valid UTF-8');
  const text = raw.toString('utf8', 0, end);
  return text.charCodeAt(0) === 0x7b /* { */ ? parseJson(text) : parseText(text);
}

function parseText(text: string): Parsed {
  const space = text.indexOf(' ');
  const method = space === -1 ? text : text.slice(0, space);
  const rest = space === -1 ? undefined : text.slice(space + 1);
  switch (method) {
    case 'GET': {
      if (rest === undefined) return reject('GET needs a key');
      const key = checkKey(rest);
      return typeof key === 'string' ? { op: 'GET', key } : key;
    }
    case 'METRICS':
      return rest === undefined || rest === '' ? { op: 'METRICS' } : reject('METRICS takes no argument');
    case 'ADD_PROXY':
    case 'REMOVE_PROXY':
    case 'DRAIN_PROXY':
    case 'ADD_PEER': {
      const address = checkAddress(rest);
      return typeof address === 'string' ? { op: method, address } : address;
    }
    case 'PURGE': {
      if (rest === undefined) return reject('PURGE needs a key');
      const key = checkKey(rest);
      return typeof key === 'string' ? { op: 'PURGE', key } : key;
    }
    default:
      return { error: wrongMethod(printable(method)) };
  }
}

function parseJson(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject('request is not valid JSON');
  }
  // The line starts with `{`, so whatever parsed is an object.
  const fields = value as Record<string, unknown>;
  const parsedId = fields.id;
  if (parsedId !== undefined && typeof parsedId !== 'string' && !(typeof parsedId === 'number' && Number.isFinite(parsedId))) {
    return reject('id must be a string or a number');
  }
  // Echoed as sent, not as parsed: 9007199254740993 parses to ...992.
  const id = parsedId === undefined ? undefined : exactId(parsedId, text);
  const withId = <T extends object>(r: T): T & { id?: RequestId } => (id === undefined ? r : { ...r, id });
  const op = fields.op;
  if (typeof op !== 'string') return withId(reject('op must be a string'));
  switch (op) {
    case 'GET': {
      if (typeof fields.key !== 'string') return withId(reject('key must be a string'));
      const key = checkKey(fields.key);
      if (typeof key !== 'string') return withId(key);
      if (fields.fill !== undefined || fields.peer !== undefined) return withId(parseFill(key, fields));
      // Built in one shape, not spread: every GET the balancer forwards comes through here.
      return id === undefined ? { op: 'GET', key } : { op: 'GET', key, id };
    }
    case 'METRICS':
      return withId({ op: 'METRICS' as const });
    case 'PURGE':
      return withId(parsePurge(fields));
    case 'ADD_PEER':
      return withId(parseAddressed('ADD_PEER', fields));
    default:
      if (MEMBERSHIP_OPS.includes(op)) return withId(parseAddressed(op as MembershipOp, fields));
      return withId({ error: wrongMethod(printable(op)) });
  }
}

/** A GET's peer-fill fields (types.ts, GetRequest): `fill` a string, `peer` true. */
function parseFill(key: string, fields: Record<string, unknown>): GetRequest | Rejection {
  const { fill, peer } = fields;
  if (fill !== undefined && typeof fill !== 'string') return reject('fill must be a string');
  if (peer !== undefined && peer !== true) return reject('peer must be true');
  const get: GetRequest = { op: 'GET', key };
  if (fill !== undefined) get.fill = fill;
  if (peer === true) get.peer = true;
  return get;
}

/** The admin ops that name an address: the balancer's membership ops, the proxy's ADD_PEER. */
function parseAddressed<O extends MembershipOp | 'ADD_PEER'>(op: O, fields: Record<string, unknown>): { op: O; address: string; token?: string } | Rejection {
  const { address, token } = fields;
  if (token !== undefined && typeof token !== 'string') return reject('token must be a string');
  if (address !== undefined && typeof address !== 'string') return reject('address must be a string');
  const checked = checkAddress(address);
  if (typeof checked !== 'string') return checked;
  return token === undefined ? { op, address: checked } : { op, address: checked, token };
}

/** `host:port` with a port from 1 to 65535, or the rejection. */
function checkAddress(raw: string | undefined): string | Rejection {
  if (raw === undefined || BAD_KEY_CHAR.test(raw) || readAddress(raw) === undefined) return reject('address must be host:port');
  return raw;
}

function parsePurge(fields: Record<string, unknown>): PurgeRequest | Rejection {
  const { key, prefix, token } = fields;
  if (token !== undefined && typeof token !== 'string') return reject('token must be a string');
  const auth = token === undefined ? {} : { token };
  if ((key === undefined) === (prefix === undefined)) return reject('PURGE needs exactly one of key or prefix');
  if (key !== undefined) {
    if (typeof key !== 'string') return reject('key must be a string');
    const checked = checkKey(key);
    return typeof checked === 'string' ? { op: 'PURGE', key: checked, ...auth } : checked;
  }
  if (typeof prefix !== 'string') return reject('prefix must be a string');
  const bare = prefix.startsWith('/') ? prefix.slice(1) : prefix;
  // An empty prefix names every key: a full purge, which is allowed on purpose.
  if (bare !== '') {
    const checked = checkKey(bare);
    if (typeof checked !== 'string') return checked;
  }
  return { op: 'PURGE', prefix: bare, ...auth };
}

/** A valid key (leading `/` dropped) or the rejection saying what is wrong with it. */
export function checkKey(raw: string): string | Rejection {
  const key = raw.startsWith('/') ? raw.slice(1) : raw;
  if (key.length === 0) return reject('key is empty');
  // A UTF-16 unit is at most 3 bytes of UTF-8, so only a long key needs counting.
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key) > MAX_KEY_BYTES) return reject(`key is longer than ${MAX_KEY_BYTES} bytes`);
  if (BAD_KEY_CHAR.test(key)) return reject('key contains whitespace or control characters');
  return key;
}

function reject(message: string): Rejection {
  return { error: errorResponse(Status.BAD_REQUEST, message) };
}

// Echoed names are cut short so an error never carries a megabyte of someone's garbage.
function printable(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}...` : name;
}
