// The purger actor: sends a PURGE to every proxy and answers once all have answered or failed.
import type { Observable } from 'rxjs';
import { operate } from '../bus/actor.js';
import type { Inbound } from '../bus/inbound.js';
import type { PurgeRequest } from '../protocol/request.js';
import { statusOf, type Encoded } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import type { LinkFailure } from '../net/upstream.js';
import type { LinkRequest } from '../protocol/upstream-request.js';
import type { Clock } from '../time/clock.js';
import type { ClusterView } from './view.js';

/** Sends one request to one proxy; the TCP links implement it. */
export type SendPort = (proxy: number, request: LinkRequest, done: (failure: LinkFailure | null, answer: Buffer) => void) => void;

export type PurgeMessage = Inbound<PurgeRequest>;

interface ProxyResult {
  status: string;
  purged?: number;
  error?: string;
}

/**
 * A purge must reach every proxy, healthy or not, or the caller must hear which it missed:
 * the answer is OK only when every proxy purged; otherwise it carries the first failing status
 * and each proxy's result in `data.proxies`.
 */
export function purger(view$: Observable<ClusterView>, send: SendPort) {
  return (inbox: Observable<PurgeMessage>, _clock: Clock): Observable<never> =>
    operate<PurgeMessage, never>(inbox, () => {
      // Every current member, draining ones too: they may still hold the purged keys.
      let members: { id: number; address: string }[] = [];
      const viewing = view$.subscribe((view) => (members = view.proxies.filter((p) => p.membership !== 'removed')));
      return {
        next: (message) => {
          const addresses = members.map((p) => p.address);
          const { id: _id, op, ...target } = message.request;
          // JSON only: a prefix or a token has no text form.
          const request: LinkRequest = { json: JSON.stringify({ op, ...target }) };
          const results: ProxyResult[] = [];
          let waiting = addresses.length;
          if (waiting === 0) message.reply(summarize(addresses, results));
          members.forEach((member, i) =>
            send(member.id, request, (failure, answer) => {
              results[i] = failure === null ? readResult(answer.toString('utf8')) : { status: Status.PROXY_UNREACHABLE, error: `proxy ${failure}` };
              if (--waiting === 0) message.reply(summarize(addresses, results));
            }),
          );
        },
        finalize: viewing,
      };
    });
}

// The status of a proxy's answer may become the balancer's, so garbage must not lend it one.
const GARBAGE: ProxyResult = { status: Status.PROXY_UNREACHABLE, error: 'proxy answered garbage' };

function readResult(answer: string): ProxyResult {
  const status = statusOf(answer);
  if (status === undefined) return GARBAGE;
  try {
    const value = JSON.parse(answer) as { data?: { purged?: unknown }; error?: unknown };
    const purged = value.data?.purged;
    return typeof purged === 'number' ? { status, purged } : { status, error: typeof value.error === 'string' ? value.error : status };
  } catch {
    return GARBAGE;
  }
}

function summarize(addresses: readonly string[], results: readonly ProxyResult[]): Encoded {
  const proxies: Record<string, ProxyResult> = {};
  addresses.forEach((address, i) => (proxies[address] = results[i]!));
  const purged = results.reduce((sum, r) => sum + (r.purged ?? 0), 0);
  const failed = results.filter((r) => r.status !== Status.OK);
  if (failed.length === 0) return JSON.stringify({ status: Status.OK, data: { purged, proxies } });
  return JSON.stringify({
    status: failed[0]!.status,
    error: `purge failed on ${failed.length} of ${results.length} proxies`,
    data: { purged, proxies },
  });
}
