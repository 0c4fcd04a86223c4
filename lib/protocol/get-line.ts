// The GET lines that make up nearly all traffic, read straight from their bytes.
import { BACKSLASH, CLOSE_BRACE, NINE, QUOTE, SLASH, ZERO } from './chars.js';
import { MAX_KEY_BYTES } from './limits.js';
import { ID_FIELD } from './response.js';
import type { GetRequest } from './types.js';

const TEXT_GET = Buffer.from('GET ');
const JSON_GET = Buffer.from('{"op":"GET","key":"');
// More digits than this may not be a safe integer; such ids take the general parser.
const MAX_ID_DIGITS = 15;

/**
 * `GET <key>`, and `{"op":"GET","key":"<key>"}` with or without `,"id":<id>` as our balancer
 * writes it, read without decoding the line or building anything but the request. Only the
 * plainest lines qualify: a key of printable ASCII without quote or backslash, an id that is a
 * short non-negative integer or a string of printable ASCII without escapes, nothing else on the
 * line. Any other line, good or bad, gives `undefined` and goes to the general parser, which
 * reads the lines that qualify the same way (a property spec holds the two to that).
 *
 * The line is `raw[start, end)`, a trailing carriage return already left out.
 */
export function readGetLine(raw: Buffer, start: number, end: number): GetRequest | undefined {
  if (startsWith(raw, TEXT_GET, end, start)) {
    const close = keyEnd(raw, start + TEXT_GET.length, end, false);
    return close === end ? keyed(raw, start + TEXT_GET.length, end) : undefined;
  }
  if (!startsWith(raw, JSON_GET, end, start)) return undefined;
  const close = keyEnd(raw, start + JSON_GET.length, end, true);
  if (close >= end || raw[close] !== QUOTE) return undefined;
  const at = close + 1;
  if (at === end - 1 && raw[at] === CLOSE_BRACE) return keyed(raw, start + JSON_GET.length, close);
  if (raw[end - 1] !== CLOSE_BRACE || !startsWith(raw, ID_FIELD, end, at)) return undefined;
  const id = readId(raw, at + ID_FIELD.length, end - 1);
  if (id === undefined) return undefined;
  const request = keyed(raw, start + JSON_GET.length, close);
  return request === undefined ? undefined : { op: 'GET', key: request.key, id };
}

function startsWith(raw: Buffer, prefix: Buffer, end: number, at: number): boolean {
  if (end - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (raw[at + i] !== prefix[i]) return false;
  return true;
}

/** Where the run of printable ASCII (no space; in JSON also no quote or backslash) from `from` stops. */
function keyEnd(raw: Buffer, from: number, end: number, json: boolean): number {
  let i = from;
  for (; i < end; i++) {
    const b = raw[i]!;
    if (b < 0x21 || b > 0x7e || (json && (b === QUOTE || b === BACKSLASH))) break;
  }
  return i;
}

/** The GET of the key in `raw[from, to)`, a leading slash dropped, or undefined if it breaks the length rules. */
function keyed(raw: Buffer, from: number, to: number): GetRequest | undefined {
  const start = raw[from] === SLASH ? from + 1 : from;
  if (start >= to || to - start > MAX_KEY_BYTES) return undefined;
  return { op: 'GET', key: raw.toString('latin1', start, to) };
}

/** The id in `raw[from, to)`: a short integer without a leading zero, or a plain ASCII string. */
function readId(raw: Buffer, from: number, to: number): number | string | undefined {
  if (from >= to) return undefined;
  if (raw[from] === QUOTE) {
    if (to - from < 2 || raw[to - 1] !== QUOTE) return undefined;
    for (let i = from + 1; i < to - 1; i++) {
      const b = raw[i]!;
      if (b < 0x20 || b > 0x7e || b === QUOTE || b === BACKSLASH) return undefined;
    }
    return raw.toString('latin1', from + 1, to - 1);
  }
  if (to - from > MAX_ID_DIGITS || (raw[from] === ZERO && to - from > 1)) return undefined;
  let id = 0;
  for (let i = from; i < to; i++) {
    const b = raw[i]!;
    if (b < ZERO || b > NINE) return undefined;
    id = id * 10 + (b - ZERO);
  }
  return id;
}
