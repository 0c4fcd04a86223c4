// Encodes responses. A response travels as the text of one JSON object, without the newline.
import { Status } from './status.js';
import type { Encoded, RequestId } from './types.js';

export type { Answer, Encoded } from './types.js';

export function errorResponse(status: Status, message: string): Encoded {
  return `{"status":${JSON.stringify(status)},"error":${JSON.stringify(message)}}`;
}

export function wrongMethod(method: string): Encoded {
  return `{"status":"WRONG_METHOD","data":${JSON.stringify(`unknown method ${method}`)}}`;
}

export function notFound(reason: string | null = null): Encoded {
  return `{"status":"NOT_FOUND","data":${JSON.stringify(reason)}}`;
}

/** An OK response around data that is already encoded, so cached values are never re-serialized. */
export function okEncoded(dataJson: string, extra = ''): Encoded {
  return `{"status":"OK","data":${dataJson}${extra}}`;
}

/** okEncoded as bytes, for a cache to hold. */
export function okBytes(dataJson: string, extra = ''): Buffer {
  return bytesOf('{"status":"OK","data":', dataJson, extra, '}');
}

/**
 * The UTF-8 bytes of the parts, joined in a buffer of their own: never a slice of Node's shared
 * pool, which an entry held for hours would keep alive whole, and never via a joined string, which
 * would be one more copy of a large value to collect.
 */
export function bytesOf(...parts: string[]): Buffer {
  let size = 0;
  for (const part of parts) size += Buffer.byteLength(part);
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const part of parts) at += bytes.write(part, at);
  return bytes;
}

export function ok(data: unknown): Encoded {
  return okEncoded(JSON.stringify(data));
}

/** Adds `"id":...` as the last field of an encoded object. */
export function withId(encoded: Encoded, id: RequestId | undefined): Encoded {
  if (id === undefined) return encoded;
  return `${encoded.slice(0, -1)}${idSuffix(id)}`;
}

/** What replaces an encoded object's closing `}` to add `"id"` as its last field. */
export function idSuffix(id: RequestId): string {
  if (typeof id === 'number') return `,"id":${id}}`;
  return typeof id === 'string' ? `,"id":${JSON.stringify(id)}}` : `,"id":${id.json}}`;
}

/** The bytes before an id appended as the last field of an answer or request. */
export const ID_FIELD = Buffer.from(',"id":');

/**
 * Splits the numeric `"id"` that `withId` appended off an encoded object, the line `line[start,
 * end)`: the object as it was before, and the id. It works on the bytes, and when the id is the
 * last field (our own servers put it there) the answer is the same memory with the id's comma
 * overwritten by the closing brace: a relayed answer is neither decoded nor copied, and the line
 * must not be read again. Any other placement costs a parse. Undefined when the line is not an
 * object with a numeric id.
 */
export function splitId(line: Buffer, start = 0, end = line.length): { answer: Buffer; id: number } | undefined {
  const last = end - 1;
  if (last > start && line[last] === 0x7d) {
    // Back from the closing brace over the digits, then `,"id":` before them: no search needed.
    let id = 0;
    let scale = 1;
    let i = last - 1;
    for (; i >= start && last - i <= 15; i--) {
      const digit = line[i]! - 0x30;
      if (digit < 0 || digit > 9) break;
      id += digit * scale;
      scale *= 10;
    }
    const at = i - (ID_FIELD.length - 1);
    if (i < last - 1 && at >= start && endsWithIdField(line, i)) {
      line[at] = 0x7d;
      return { answer: line.subarray(start, at + 1), id };
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8', start, end));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { id, ...rest } = value as { id?: unknown };
  return typeof id === 'number' && Number.isFinite(id) ? { answer: Buffer.from(JSON.stringify(rest)), id } : undefined;
}

function endsWithIdField(line: Buffer, end: number): boolean {
  for (let j = 0; j < ID_FIELD.length; j++) if (line[end - j] !== ID_FIELD[ID_FIELD.length - 1 - j]) return false;
  return true;
}

/** Reads the status of an encoded response, cheaply when it has our own field order. */
export function statusOf(encoded: string): string | undefined {
  const prefix = '{"status":"';
  if (encoded.startsWith(prefix)) {
    const end = encoded.indexOf('"', prefix.length);
    if (end !== -1) return encoded.slice(prefix.length, end);
  }
  try {
    const value = JSON.parse(encoded) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { status?: unknown }).status === 'string') {
      return (value as { status: string }).status;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export { Status };
