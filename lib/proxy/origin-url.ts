// Where an HTTP origin is (--origin-url), and the path a key becomes under its base, refusing any key that could leave it.

/** An HTTP origin as the proxy's pool sees it. */
export interface OriginUrl {
  /** `http://host:port` or `https://host:port`: what the connection pool is bound to; a key never changes it. */
  readonly origin: string;
  /** The base path every key is appended to, always ending in `/` (`/` for none). */
  readonly basePath: string;
}

/**
 * Reads `--origin-url`: an `http:` or `https:` URL without user info, query or fragment. A base
 * path not ending in `/` gets one (`http://api/v1` serves keys under `/v1/`). Throws an Error
 * saying what is wrong.
 */
export function parseOriginUrl(text: string): OriginUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`not a URL: "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`the origin URL must be http: or https:, got "${url.protocol}"`);
  if (url.username !== '' || url.password !== '') throw new Error('the origin URL must not carry a user name or password');
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    throw new Error('the origin URL must not have a query or fragment: keys are appended to its path');
  }
  const basePath = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return { origin: url.origin, basePath };
}

/** The BAD_REQUEST error for a key that could leave the origin's base path. */
export const KEY_LEAVES_BASE = "key could leave the origin's base path";

// Percent-escapes an origin might decode into a dot, a slash, a backslash or a NUL.
const ENCODED_SEPARATOR = /%(2e|2f|5c|00)/i;
const ASCII = /^[\x00-\x7f]*$/;

/**
 * The request path for `key`: the base path, then each `/`-separated segment of the key
 * percent-encoded (so `?`, `#`, `%` and the like stay inside their segment). A key is refused
 * (undefined) when it could leave the base under any decoding or normalization an origin may
 * apply (RFC 3986 5.2.4 dot-segment removal, decoding `%2e`/`%2f` once more, Windows
 * backslashes, NFKC folding of look-alike dots and slashes): one with an empty, `.` or `..`
 * segment (so no `//host` either), a backslash, or an encoded dot, slash, backslash or NUL,
 * checked on the key and on its NFKC form; and one that is not well-formed Unicode.
 */
export function originPath(base: OriginUrl, key: string): string | undefined {
  if (!safeKey(key)) return undefined;
  // NFKC leaves ASCII as it is (Unicode UAX #15), so only a key beyond it needs folding.
  if (!ASCII.test(key)) {
    const folded = key.normalize('NFKC');
    if (folded !== key && !safeKey(folded)) return undefined;
  }
  try {
    return base.basePath + key.split('/').map(encodeURIComponent).join('/');
  } catch {
    // encodeURIComponent throws on a lone surrogate.
    return undefined;
  }
}

function safeKey(key: string): boolean {
  if (key.includes('\\') || ENCODED_SEPARATOR.test(key)) return false;
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return false;
  }
  return true;
}
