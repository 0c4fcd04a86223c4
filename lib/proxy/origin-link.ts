// The origin port over TCP: `GET <key>` lines on an upstream link, answers read into fetch outcomes.
import { Observable } from 'rxjs';
import type { LinkFailure, UpstreamLink } from '../net/upstream.js';
import { getRequest } from '../protocol/upstream-request.js';
import type { FailureCause, FetchOutcome } from './messages.js';
import type { OriginPort } from './fetcher.js';

/**
 * Sends `GET <key>` on a link without ids, so the origin only ever gets that text form, the one
 * line every origin understands (the original origin crashes on anything else), and parses the
 * answer once: its data is re-encoded compactly here, so every later hit writes stored text.
 */
export function originOverLink(link: UpstreamLink): OriginPort {
  return (key) =>
    new Observable<FetchOutcome>((subscriber) => {
      link.request(getRequest(key), (failure, answer) => {
        subscriber.next(failure === null ? readAnswer(answer.toString('utf8')) : { kind: 'failure', reason: describe(failure), cause: causeOf(failure) });
        subscriber.complete();
      });
    });
}

/**
 * One answer line (an origin's or a peer's) as a fetch outcome: OK (its data re-encoded, its `ttl`
 * in seconds read into ms), NOT_FOUND or BAD_REQUEST passed on as they are; any other status is a
 * failure `error-status`, and a line that is not JSON, not an object, or without a status or
 * an OK's data is a failure `junk-response`.
 */
export function readAnswer(answer: string): FetchOutcome {
  let value: unknown;
  try {
    value = JSON.parse(answer);
  } catch {
    return GARBAGE;
  }
  if (typeof value !== 'object' || value === null) return GARBAGE;
  const { status, data, ttl } = value as { status?: unknown; data?: unknown; ttl?: unknown };
  if (status === 'OK' && data !== undefined) {
    const encoded = JSON.stringify(data);
    return typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0
      ? { kind: 'ok', data: encoded, ttl: ttl * 1000 }
      : { kind: 'ok', data: encoded };
  }
  if (status === 'NOT_FOUND' || status === 'BAD_REQUEST') {
    return { kind: 'answer', answer: JSON.stringify(value), notFound: status === 'NOT_FOUND' };
  }
  if (typeof status !== 'string') return { kind: 'failure', reason: 'origin answered without a status', cause: 'junk-response' };
  // An OK without data is not an answer; any other status is the origin saying it failed.
  return { kind: 'failure', reason: `origin answered ${status}`, cause: status === 'OK' ? 'junk-response' : 'error-status' };
}

const GARBAGE: FetchOutcome = { kind: 'failure', reason: 'origin answered garbage', cause: 'junk-response' };

/** The cause of a link's failure (`LinkFailure`), the origin's or a peer's; `garbage` includes a line over the length bound. */
export function causeOf(failure: LinkFailure): FailureCause {
  switch (failure) {
    case 'refused':
    case 'connect_timeout':
      return 'conn-failure';
    case 'timeout':
      return 'response-timeout';
    case 'garbage':
      return 'junk-response';
    default:
      return 'empty-response';
  }
}

function describe(failure: LinkFailure): string {
  switch (failure) {
    case 'refused':
      return 'origin unreachable';
    case 'timeout':
      return 'origin timed out';
    case 'connect_timeout':
      return 'origin connect timed out';
    case 'garbage':
      return 'origin answered garbage';
    default:
      return 'origin connection lost';
  }
}
