// A request's id as it was sent: the text of its JSON value, for ids that JSON.parse cannot give back.
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './chars.js';
import type { RequestId } from './types.js';

const ID_FIELD = ',"id":';

/**
 * The id to echo for `id`, the value JSON.parse gave for the `"id"` member of `text` (a JSON
 * object that parsed). The value itself when writing it back gives the very text that was sent,
 * as it does for plain integers below 2^53 and plain strings; otherwise `{ json }`, the text as
 * sent: `9007199254740993` (which parses to ...992), `-0`, `1.0`, `1e3`, `"\u0041"`. An answer
 * echoes the id byte for byte, so a client matching ids by their text, or reading them as 64-bit
 * integers, finds its own (PROTOCOL.md, "Framing").
 */
export function exactId(id: string | number, text: string): RequestId {
  const written = typeof id === 'number' ? String(id) : JSON.stringify(id);
  if (endsWithId(text, written)) return id;
  const sent = idText(text);
  return sent === undefined || sent === written ? id : { json: sent };
}

/**
 * True when `text` ends with `,"id":<written>}`, the place our client library and most others put
 * an id: then that member is the last, the one JSON.parse kept, and it was sent as `written`, with
 * no scan. (Its quotes are unescaped, so none of them can be inside a string; an id written with a
 * backslash is left to the scan.)
 */
function endsWithId(text: string, written: string): boolean {
  const at = text.length - 1 - written.length - ID_FIELD.length;
  return (
    at > 0 &&
    text.charCodeAt(text.length - 1) === CLOSE_BRACE &&
    text.startsWith(ID_FIELD, at) &&
    text.startsWith(written, at + ID_FIELD.length) &&
    !written.includes('\\')
  );
}

/**
 * The text of the value of the top-level `"id"` member of `text`, a JSON object that parsed (so
 * no syntax is checked here): the last one when the name repeats, as JSON.parse keeps the last.
 * A name spelled with escapes (`"\u0069d"`) is the name it decodes to.
 */
export function idText(text: string): string | undefined {
  let found: string | undefined;
  let i = skipSpace(text, text.indexOf('{') + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const nameEnd = stringEnd(text, i);
    const isId = isIdName(text, i, nameEnd);
    // Past the colon to the value.
    const start = skipSpace(text, skipSpace(text, nameEnd) + 1);
    const end = valueEnd(text, start);
    if (isId) found = text.slice(start, end);
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipSpace(text, i + 1);
  }
  return found;
}

/** True when the member name `text[start, end)`, quotes included, is `id`, however spelled. */
function isIdName(text: string, start: number, end: number): boolean {
  if (end - start === 4) return text.startsWith('"id"', start);
  // Only an escaped spelling is longer, and none is longer than "\u0069\u0064".
  if (end - start > 14) return false;
  const name = text.slice(start, end);
  return name.includes('\\') && JSON.parse(name) === 'id';
}

function skipSpace(text: string, i: number): number {
  for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++i));
  return i;
}

/** Where the string starting with the quote at `i` ends: just past its closing quote. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return text.length;
}

/** Where the value starting at `i` ends: past a string, an object or array as a whole, or a literal. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) j = stringEnd(text, j) - 1;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return j + 1;
    }
    return text.length;
  }
  // A number, true, false or null runs to the next comma, brace or space.
  let j = i;
  for (let c = text.charCodeAt(j); j < text.length && c !== COMMA && c !== CLOSE_BRACE && c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d; c = text.charCodeAt(++j));
  return j;
}
