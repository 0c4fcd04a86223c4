// What a connection writes at its next flush: every answer of one event-loop turn, in one write.
import type { RequestId } from '../protocol/request.js';
import { ID_FIELD, idSuffix, type Answer } from '../protocol/response.js';

// Marks in the pieces, after bytes, instead of a subarray or a string per answer:
// the bytes go out without their last byte, the closing brace a text id replaces;
const DROP_LAST_BYTE = -1;
// the bytes end their line;
const NEWLINE = -2;
// and a non-negative number is an id (such as our balancer sends) that replaces their closing
// brace, its digits written straight into the joined bytes, and ends the line.

// Text this short is written byte by byte when it is ASCII: cheaper than a call into C++.
const SHORT = 64;

/**
 * Answer lines, queued as they come, taken as one string (all text) or one buffer (when any is
 * bytes, as a cache's stored answers and a relayed proxy answer are).
 */
export class Outgoing {
  private readonly pieces: (string | Buffer | number)[] = [];
  private hasBytes = false;

  get empty(): boolean {
    return this.pieces.length === 0;
  }

  /** One answer line: the answer as it is, or with `id` as its last field. */
  add(answer: Answer, id?: RequestId): void {
    if (typeof answer === 'string') {
      if (id === undefined) this.pieces.push(answer, '\n');
      else this.pieces.push(answer.slice(0, -1), idSuffix(id), '\n');
      return;
    }
    this.hasBytes = true;
    if (id === undefined) this.pieces.push(answer, NEWLINE);
    else if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) this.pieces.push(answer, id);
    else this.pieces.push(answer, DROP_LAST_BYTE, idSuffix(id), '\n');
  }

  /** Every line added since the last take, joined; leaves the queue empty. */
  take(): string | Buffer {
    const joined = this.hasBytes ? joinBytes(this.pieces) : this.pieces.join('');
    this.pieces.length = 0;
    this.hasBytes = false;
    return joined;
  }
}

function joinBytes(pieces: readonly (string | Buffer | number)[]): Buffer {
  let size = 0;
  for (const p of pieces) {
    if (p === NEWLINE) size++;
    else if (p === DROP_LAST_BYTE) size--;
    else if (typeof p === 'number') size += ID_FIELD.length + digits(p) + 1;
    else if (typeof p !== 'string') size += p.length;
    else size += asciiLength(p) ?? Buffer.byteLength(p);
  }
  const joined = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of pieces) {
    if (p === NEWLINE) joined[at++] = 0x0a;
    else if (p === DROP_LAST_BYTE) at--;
    else if (typeof p === 'number') at = writeId(joined, at - 1, p);
    else if (typeof p !== 'string') {
      // TypedArray set, not Buffer copy: the same memcpy without Buffer.copy's argument checks.
      joined.set(p, at);
      at += p.length;
    } else if (asciiLength(p) !== undefined) {
      for (let i = 0; i < p.length; i++) joined[at++] = p.charCodeAt(i);
    } else {
      at += joined.write(p, at);
    }
  }
  return joined;
}

/** `,"id":<id>}` and a newline written at `at`, over the closing brace it replaces; returns where they end. */
function writeId(out: Buffer, at: number, id: number): number {
  // Six bytes one by one: cheaper than a call into C++ to copy them.
  for (let i = 0; i < ID_FIELD.length; i++) out[at + i] = ID_FIELD[i]!;
  const end = at + ID_FIELD.length + digits(id);
  for (let n = id, i = end - 1; i >= at + ID_FIELD.length; i--) {
    const rest = Math.floor(n / 10);
    out[i] = 0x30 + (n - rest * 10);
    n = rest;
  }
  out[end] = 0x7d;
  out[end + 1] = 0x0a;
  return end + 2;
}

function digits(n: number): number {
  let count = 1;
  for (let power = 10; n >= power; power *= 10) count++;
  return count;
}

/** The length of short ASCII text, which is its byte length; undefined for anything else. */
function asciiLength(text: string): number | undefined {
  if (text.length > SHORT) return undefined;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return undefined;
  return text.length;
}
