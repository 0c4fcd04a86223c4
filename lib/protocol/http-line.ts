// Telling an HTTP client it reached a line port: the request line to recognise and the one answer it gets.
import { contentEnd } from './framing.js';

// RFC 9112, section 3: method SP request-target SP HTTP-version. No request of ours has a second
// space (a key never holds one), so no line of the protocol matches, `GET article/1` included.
const REQUEST_LINE = /^[A-Z]+ \S+ HTTP\/\d(\.\d)?$/;

// Longer than any request line a browser or curl sends for a path it would try on a node.
const LONGEST = 8192;

const BODY =
  'This port speaks newline-delimited JSON over TCP, not HTTP: send one request a line, such as\n' +
  '{"op":"GET","key":"article/1"} or GET article/1, and read one JSON answer a line (PROTOCOL.md).\n';

/**
 * What a node writes to a connection whose first line is an HTTP request line, before it closes:
 * a complete HTTP/1.1 400, so curl or a browser shows why instead of "Received HTTP/0.9". Redis
 * answers a cross-protocol request in the same spirit (it closes on a `Host:` or `POST` line).
 */
export const HTTP_REFUSAL =
  'HTTP/1.1 400 Bad Request\r\n' +
  'Content-Type: text/plain; charset=utf-8\r\n' +
  `Content-Length: ${Buffer.byteLength(BODY)}\r\n` +
  'Connection: close\r\n' +
  '\r\n' +
  BODY;

/** Whether `bytes[start, end)`, one line without its newline, is an HTTP request line (`GET / HTTP/1.1`). */
export function isHttpRequestLine(bytes: Buffer, start: number, end: number): boolean {
  const stop = contentEnd(bytes, start, end);
  return stop - start <= LONGEST && REQUEST_LINE.test(bytes.toString('latin1', start, stop));
}
