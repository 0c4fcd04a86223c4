// The peer port over TCP: a filling proxy's GETs to the owner of a key, on one upstream link per peer.
import { Observable } from 'rxjs';
import type { UpstreamLink } from '../net/upstream.js';
import { peerRequest } from '../protocol/upstream-request.js';
import type { PeerPort } from './fetcher.js';
import type { FetchOutcome } from './messages.js';
import { causeOf, readAnswer } from './origin-link.js';

/** The peer port, and the links to close when the proxy stops. */
export interface PeerLinks {
  readonly port: PeerPort;
  close(): void;
}

/**
 * Opens a link to a peer the first time a key is filled from it (`open` makes it; the cache
 * actor only names peers it trusts). Each GET is sent with `"peer":true`, and the answer read as
 * an origin answer is: an OK with the owner's `"ttl"`, a NOT_FOUND passed on, anything else a
 * failure with the cause an origin's would have (a timeout `response-timeout`, ...), after which
 * the fetcher goes to the origin whatever the cause.
 */
export function peerLinks(open: (address: string) => UpstreamLink): PeerLinks {
  const links = new Map<string, UpstreamLink>();
  return {
    port: (peer, key) =>
      new Observable<FetchOutcome>((subscriber) => {
        let link = links.get(peer);
        if (link === undefined) links.set(peer, (link = open(peer)));
        link.request(peerRequest(key), (failure, answer) => {
          subscriber.next(failure === null ? readAnswer(answer.toString('utf8')) : { kind: 'failure', reason: `peer ${failure}`, cause: causeOf(failure) });
          subscriber.complete();
        });
      }),
    close: () => {
      for (const link of links.values()) link.close();
    },
  };
}
