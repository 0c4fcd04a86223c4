// Path traversal attempts for the HTTP origin's key-to-path rule: generated keys, and a check that a path stays under its base.
import { posix } from 'node:path';
import fc from 'fast-check';

// Pieces of known tricks: dot segments, encoded and double-encoded dots and slashes, backslashes,
// look-alikes that NFKC folds into dots and slashes, authority and query characters, and plain text.
const PIECES = [
  '..', '.', '/', '//', '%2e', '%2E', '%2f', '%2F', '%5c', '%5C', '%00', '%252e', '%252f', '%25', '%',
  '\\', '?', '#', '@', ':', ';', '..;', '//evil.test', 'evil.test', 'http:', 'a', 'b', 'x.json', '~',
  '\uff0e', '\uff0f', '\u2215', '\ufe68', '\u2025', '\uff3c', 'é', '%c0%ae', '%u002e',
];

// What the protocol allows in a key: no whitespace or control characters, at most 1024 bytes.
const VALID_KEY = /^[^\s\u0000-\u001f\u007f-\u009f]+$/u;

/** Keys made of traversal pieces and arbitrary text, each one a valid protocol key. */
export function traversalKey(): fc.Arbitrary<string> {
  const piece = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PIECES) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 4 }) });
  return fc
    .array(piece, { minLength: 1, maxLength: 8 })
    .map((pieces) => pieces.join(''))
    .filter((key) => VALID_KEY.test(key) && Buffer.byteLength(key) <= 1024 && !key.startsWith('/'));
}

/**
 * True when `path` stays under `basePath` however an origin reads it: as sent, as a URL parser
 * resolves it (dot segments, `%2e` included), and decoded once or twice more, NFKC-folded,
 * backslashes taken as slashes, dot segments removed.
 */
export function underBase(basePath: string, path: string): boolean {
  if (!path.startsWith(basePath)) return false;
  const parsed = new URL(path, 'http://origin.test');
  if (parsed.host !== 'origin.test' || !parsed.pathname.startsWith(basePath)) return false;
  let text = path;
  for (let decodings = 0; decodings < 3; decodings++) {
    const folded = text.normalize('NFKC').replaceAll('\\', '/');
    if (folded.includes('\u0000') || !posix.normalize(folded).startsWith(basePath)) return false;
    text = decodeOnce(text);
  }
  return true;
}

/** One more round of percent-decoding, escape by escape, leaving malformed escapes as they are. */
function decodeOnce(text: string): string {
  return text.replace(/(%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
