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

// RFC 9110 5.1: a field name is a token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 5.5: no control character but a tab in a field value (so no CR or LF to split a request).
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
/**
 * Headers the proxy owns on its requests to the origin: connection management and framing
 * (RFC 9110 7.6.1, 6.4), and the conditional and range headers, since the cache decides what it
 * asks for and stores whole answers only.
 */
const OWN_HEADERS = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'content-length', 'te', 'trailer', 'upgrade', 'expect',
  'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range',
]);

/**
 * Reads one `--origin-header "Name: value"`: a header every request to the HTTP origin carries,
 * an API key or a virtual host's `Host`, as nginx's `proxy_set_header` sets one. Returns the name
 * in lower case and the value trimmed. Throws an Error saying what is wrong: not `Name: value`,
 * a name that is not an RFC 9110 token, a value with a control character, or one of the headers
 * the proxy owns (OWN_HEADERS).
 */
export function parseOriginHeader(text: string): [name: string, value: string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new Error(`expected "Name: value", got "${text}"`);
  const name = text.slice(0, colon).trim().toLowerCase();
  const value = text.slice(colon + 1).trim();
  if (!TOKEN.test(name)) throw new Error(`"${text.slice(0, colon)}" is not a header name`);
  if (CONTROL.test(value)) throw new Error(`the value of ${name} has a control character`);
  if (OWN_HEADERS.has(name)) throw new Error(`${name} is the proxy's own to set`);
  return [name, value];
}
