// The HTTP origin's status mapping (PROTOCOL.md, "HTTP origin"): an HTTP answer in, one fetch outcome out.
import { notFound } from '../protocol/response.js';
import type { FetchOutcome } from './messages.js';
import type { HttpCaching, HttpValidator, ResponseHeaders } from './http-freshness.js';

/** An answer as the HTTP origin read it: status, headers (names in lower case), the whole body. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly body: Buffer;
}

/**
 * Maps an answer to `GET path` (conditional when `validator` is given):
 *
 * | origin answer | outcome |
 * |---|---|
 * | 2xx, body is JSON | `ok`: the data re-encoded compactly, fresh as the headers say (0 when not storable) |
 * | 2xx, body is not JSON (or empty) | failure `origin answered a body that is not JSON`, `junk-response` |
 * | 304 to a conditional GET | `not_modified`, fresh as the 304's headers, merged into the kept ones, say |
 * | 304 to any other GET | failure, `junk-response` |
 * | 404, 410 | NOT_FOUND answer, `"data":"origin answered 404"`; cacheable under --negative-ttl unless no-store/private |
 * | other 3xx | failure `origin answered 301 (a redirect to ..., not followed)`, `junk-response` |
 * | other 4xx, 5xx, anything else | failure `origin answered 503`, `error-status` |
 *
 * Every failure becomes ORIGIN_FAILURE, after the fetcher's one retry when its --origin-retry-on
 * names the cause, and lets stale-if-error serve a kept value. A redirect is not followed: the base URL is the operator's
 * choice, and a key must never take the proxy to another host.
 */
export function readHttpAnswer(caching: HttpCaching, path: string, answer: HttpAnswer, validator?: HttpValidator): FetchOutcome {
  const { status, headers } = answer;
  if (status >= 200 && status < 300) {
    const data = jsonOf(answer.body);
    if (data === undefined) return { kind: 'failure', reason: 'origin answered a body that is not JSON', cause: 'junk-response' };
    const rules = caching.answer(path, status, headers);
    if (!rules.storable) return { kind: 'ok', data, ttl: 0 };
    return rules.validator === undefined
      ? { kind: 'ok', data, ttl: rules.ttl, stale: rules.stale }
      : { kind: 'ok', data, ttl: rules.ttl, stale: rules.stale, validator: rules.validator };
  }
  if (status === 304) {
    if (validator === undefined) return { kind: 'failure', reason: 'origin answered 304 to a GET that was not conditional', cause: 'junk-response' };
    const rules = caching.notModified(validator, path, headers);
    return rules.validator === undefined
      ? { kind: 'not_modified', ttl: rules.ttl, stale: rules.stale }
      : { kind: 'not_modified', ttl: rules.ttl, stale: rules.stale, validator: rules.validator };
  }
  if (status === 404 || status === 410) {
    return { kind: 'answer', answer: notFound(`origin answered ${status}`), notFound: caching.answer(path, status, headers).storable };
  }
  if (status >= 300 && status < 400) {
    const location = typeof headers.location === 'string' ? ` to ${headers.location.slice(0, 256)}` : '';
    return { kind: 'failure', reason: `origin answered ${status} (a redirect${location}, not followed)`, cause: 'junk-response' };
  }
  return { kind: 'failure', reason: `origin answered ${status}`, cause: 'error-status' };
}

/** The body's JSON value re-encoded compactly, so every hit writes stored text; undefined when it is not JSON. */
function jsonOf(body: Buffer): string | undefined {
  let text = body.toString('utf8');
  // RFC 8259 8.1: a parser may ignore a byte order mark.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return undefined;
  }
}
