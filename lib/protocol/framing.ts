// Splits a byte stream into newline-terminated lines, with a bound on line length.
import { Observable, type OperatorFunction } from 'rxjs';

export const DEFAULT_MAX_LINE = 64 * 1024;
const NL = 0x0a;

/** What a framer yields: a complete line (without `\n`), or the news that a line grew past the limit. */
export type Frame = { line: Buffer } | { tooLong: true };

/** A complete line, `bytes[start, end)` without its `\n`: a span, so that no view is made unless wanted. */
export type OnLine = (bytes: Buffer, start: number, end: number) => void;

/** Where the line `bytes[start, end)` ends once a trailing carriage return, never part of it, is left out. */
export function contentEnd(bytes: Buffer, start: number, end: number): number {
  return end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
}

/**
 * Incremental line splitter. Holds the unfinished tail of the stream between chunks;
 * once a line exceeds `maxLine` it reports `tooLong` once and ignores everything after,
 * since the connection is about to be closed.
 */
export class LineFramer {
  private parts: Buffer[] = [];
  private held = 0;
  private broken = false;

  constructor(private readonly maxLine = DEFAULT_MAX_LINE) {}

  /** Each complete line of `chunk` (with what was held before it) as a frame. */
  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    this.pushLines(
      chunk,
      (bytes, start, end) => onFrame({ line: bytes.subarray(start, end) }),
      () => onFrame({ tooLong: true }),
    );
  }

  /**
   * Each complete line of `chunk` as a span of the chunk itself, or of a new buffer for a line
   * that began in an earlier chunk: the hot paths read a line in place, with no view made per line.
   */
  pushLines(chunk: Buffer, onLine: OnLine, onTooLong: () => void): void {
    if (this.broken) return;
    let start = 0;
    for (let nl = chunk.indexOf(NL, start); nl !== -1; nl = chunk.indexOf(NL, start)) {
      const length = this.held + nl - start;
      if (length > this.maxLine) return this.fail(onTooLong);
      const from = start;
      start = nl + 1;
      if (this.held === 0) {
        onLine(chunk, from, nl);
      } else {
        const line = Buffer.concat([...this.parts, chunk.subarray(from, nl)], length);
        this.parts = [];
        this.held = 0;
        onLine(line, 0, length);
      }
      if (this.broken) return;
    }
    if (start < chunk.length) {
      this.held += chunk.length - start;
      if (this.held > this.maxLine) return this.fail(onTooLong);
      this.parts.push(start === 0 ? chunk : tailOf(chunk, start));
    }
  }

  /** Drops an unfinished line, for a stream that will never end it (its connection closed). */
  discard(): void {
    this.parts = [];
    this.held = 0;
  }

  /**
   * The stream ended: an unterminated tail is the last line. Some peers (early versions of the
   * original origin_server.py) close after their answer instead of ending it with a newline.
   */
  end(onFrame: (frame: Frame) => void): void {
    this.endLines((bytes, start, end) => onFrame({ line: bytes.subarray(start, end) }));
  }

  /** `end`, the last line as a span. */
  endLines(onLine: OnLine): void {
    if (this.broken || this.held === 0) return;
    const line = Buffer.concat(this.parts, this.held);
    this.parts = [];
    this.held = 0;
    onLine(line, 0, line.length);
  }

  private fail(onTooLong: () => void): void {
    this.broken = true;
    this.parts = [];
    this.held = 0;
    onTooLong();
  }
}

/**
 * A copy of `chunk[start..]`. A view would keep the whole chunk alive (a socket reads up to 64 KiB
 * at once) for the few bytes of an unfinished line, for as long as its sender takes to finish it.
 * `Buffer.from` copies a short tail into Node's shared pool, as cheap as an allocation gets: under
 * pipelined load nearly every read ends inside a line, so this runs once per read, and an
 * unpooled allocation there cost several times as much (docs/performance.md). Many connections'
 * tails share a pool slab, so what stays held is about the bytes of the tails themselves.
 */
function tailOf(chunk: Buffer, start: number): Buffer {
  return Buffer.from(chunk.subarray(start));
}

/** The framer as an operator: chunks in, frames out. */
export function frames(maxLine = DEFAULT_MAX_LINE): OperatorFunction<Buffer, Frame> {
  return (chunks) =>
    new Observable<Frame>((subscriber) => {
      const framer = new LineFramer(maxLine);
      return chunks.subscribe({
        next: (chunk) => framer.push(chunk, (frame) => subscriber.next(frame)),
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
