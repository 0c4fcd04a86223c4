// The origin port over TCP: `GET <key>` lines on an upstream link, answers read into fetch outcomes.
import { Observable } from 'rxjs';
import type { UpstreamLink } from '../net/upstream.js';
import { getRequest } from '../protocol/upstream-request.js';
import type { FetchOutcome } from './messages.js';
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
        subscriber.next(failure === null ? readAnswer(answer.toString('utf8')) : { kind: 'failure', reason: describe(failure) });
        subscriber.complete();
      });
    });
}

export function readAnswer(answer: string): FetchOutcome {
  let value: unknown;
  try {
    value = JSON.parse(answer);
  } catch {
    return { kind: 'failure', reason: 'origin answered garbage' };
  }
  if (typeof value !== 'object' || value === null) return { kind: 'failure', reason: 'origin answered garbage' };
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
  return { kind: 'failure', reason: `origin answered ${typeof status === 'string' ? status : 'without a status'}` };
}

function describe(failure: string): string {
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
