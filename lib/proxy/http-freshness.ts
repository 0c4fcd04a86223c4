// An HTTP origin's caching rules, read by http-cache-semantics on the proxy's clock: freshness, stale directives, validators.
import CachePolicy from 'http-cache-semantics';
import type { Clock } from '../time/clock.js';
import type { StaleDirectives, Validator } from './messages.js';

/** Response headers as undici gives them (names in lower case). */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** RFC 9111 1.2.2: the largest max-age a cache need represent; `--ttl forever` becomes it. */
const MAX_AGE_FOREVER = 2147483648;

// The response headers the policy reads. An entry keeps these and no others.
const CACHE_HEADERS = ['cache-control', 'expires', 'date', 'age', 'etag', 'last-modified', 'pragma', 'vary'] as const;

// Roughly what a policy object costs beyond the header text it holds, for the byte bound.
const POLICY_OVERHEAD_BYTES = 256;

const NO_STALE: StaleDirectives = { whileRevalidate: 0, ifError: 0, strict: false };

/** The validator an HTTP answer leaves with its entry: its cache policy, which holds the ETag and Last-Modified. */
export class HttpValidator implements Validator {
  constructor(
    readonly policy: CachePolicy,
    readonly bytes: number,
  ) {}
}

/** What the policy says of one answer, in ms. */
export interface HttpFreshness {
  /** It may be stored: not `no-store`, not `private`, a status a shared cache understands. */
  readonly storable: boolean;
  /** Fresh for this long from now; 0 when stale already or to be revalidated before each use (`no-cache`). */
  readonly ttl: number;
  readonly stale: StaleDirectives;
  /** Present when the answer has an ETag or a Last-Modified, and may be stored. */
  readonly validator?: HttpValidator;
}

/** An HTTP origin's caching rules for one proxy (its clock, its --ttl). */
export interface HttpCaching {
  /** The rules for an answer of `status` (with a body) to `GET path`. */
  answer(path: string, status: number, headers: ResponseHeaders): HttpFreshness;
  /** The headers a conditional `GET path` sends: If-None-Match and If-Modified-Since from the validator. */
  conditional(validator: HttpValidator, path: string): Record<string, string>;
  /** The rules for an entry a 304 with `headers` has just confirmed (its headers update the kept ones, RFC 9111 4.3.4). */
  notModified(validator: HttpValidator, path: string, headers: ResponseHeaders): HttpFreshness;
}

/**
 * The rules of RFC 9111 as http-cache-semantics computes them for a shared cache: `storable()`
 * (no-store, private), freshness from `s-maxage`, `max-age`, `Expires`, `Date` and `Age`,
 * `no-cache` as stale at once, `revalidationHeaders()` and `revalidatedPolicy()` for a 304. Its
 * clock is the proxy's. Only `stale-while-revalidate`, `stale-if-error` and whether the proxy may
 * serve stale on its own say are read from the policy's parsed Cache-Control.
 *
 * `defaultTtl` (ms; the proxy's --ttl) is the `max-age` of an answer that says nothing of its
 * freshness (no `max-age`, `s-maxage`, `Expires` or `no-cache`), rounded up to whole seconds, as nginx's
 * `proxy_cache_valid` applies only then. It replaces the library's heuristic (a tenth of the time
 * since Last-Modified), so how long such an answer is cached is the operator's choice, not an
 * accident of its Last-Modified. It is added to the answer's own Cache-Control, so the library's
 * other rules (no-cache, Set-Cookie without `public`, `Vary: *`) still hold.
 */
export function httpCaching(clock: Clock, defaultTtl: number): HttpCaching {
  // The library reads the time through its `now()` method alone (its typings leave it out), so
  // overriding it puts every age and freshness on the proxy's clock, virtual time in specs included.
  class ClockedPolicy extends CachePolicy {
    now(): number {
      return clock.now();
    }
  }
  const maxAge = `max-age=${defaultTtl === Infinity ? MAX_AGE_FOREVER : Math.ceil(defaultTtl / 1000)}`;
  const request = (path: string): CachePolicy.Request => ({ url: path, method: 'GET', headers: {} });

  /** The policy for an answer; one silent about freshness is read again with --ttl as its max-age. */
  const policyOf = (path: string, status: number, headers: Record<string, string>): CachePolicy => {
    const policy = new ClockedPolicy(request(path), { status, headers });
    if (!silent(policy, headers)) return policy;
    const own = headers['cache-control'];
    return new ClockedPolicy(request(path), { status, headers: { ...headers, 'cache-control': own === undefined ? maxAge : `${own}, ${maxAge}` } });
  };

  return {
    answer: (path, status, headers) => freshnessOf(policyOf(path, status, cacheHeaders(headers))),
    conditional: (validator, path) => {
      const conditional: Record<string, string> = {};
      for (const [name, value] of Object.entries(validator.policy.revalidationHeaders(request(path)))) {
        if (typeof value === 'string') conditional[name] = value;
      }
      return conditional;
    },
    notModified: (validator, path, headers) => {
      const { policy } = validator.policy.revalidatedPolicy(request(path), { status: 304, headers: cacheHeaders(headers) });
      const kept = policy.toObject();
      return freshnessOf(policyOf(path, kept.st, kept.resh as Record<string, string>));
    },
  };
}

/** Says nothing of freshness: no max-age, s-maxage or Expires, nor no-cache (Pragma's included, which a Cache-Control would hide). */
function silent(policy: CachePolicy, headers: Record<string, string>): boolean {
  const directives = policy.toObject().rescc;
  return !('max-age' in directives) && !('s-maxage' in directives) && !('no-cache' in directives) && headers.expires === undefined;
}

function freshnessOf(policy: CachePolicy): HttpFreshness {
  if (!policy.storable()) return { storable: false, ttl: 0, stale: NO_STALE };
  const { rescc: directives, resh: headers } = policy.toObject();
  const stale: StaleDirectives = {
    whileRevalidate: seconds(directives['stale-while-revalidate']) * 1000,
    ifError: seconds(directives['stale-if-error']) * 1000,
    strict: 'no-cache' in directives || 'must-revalidate' in directives || 'proxy-revalidate' in directives || 's-maxage' in directives,
  };
  const ttl = Math.max(0, policy.maxAge() - policy.age()) * 1000;
  if (headers.etag === undefined && headers['last-modified'] === undefined) return { storable: true, ttl, stale };
  let bytes = POLICY_OVERHEAD_BYTES;
  for (const [name, value] of Object.entries(headers)) bytes += name.length + String(value).length;
  return { storable: true, ttl, stale, validator: new HttpValidator(policy, bytes) };
}

/**
 * The headers the policy reads, each as one string (repeated ones joined by `, `, as HTTP lists
 * are). Set-Cookie is kept as a mark only: the library reads whether there is one, never its value,
 * and a cookie has no business in a shared cache's memory.
 */
function cacheHeaders(headers: ResponseHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of CACHE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (headers['set-cookie'] !== undefined) kept['set-cookie'] = 'present';
  return kept;
}

/** A delta-seconds directive's value (RFC 9111 1.2.2), or 0 when absent or not a number. */
function seconds(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : 0;
}
