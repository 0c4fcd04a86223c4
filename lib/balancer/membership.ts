// The membership actor: the admin ops that add, drain and remove proxies at runtime.
import type { Observable } from 'rxjs';
import { operate } from '../bus/actor.js';
import type { Inbound } from '../bus/inbound.js';
import type { MembershipRequest } from '../protocol/request.js';
import { errorResponse, ok } from '../protocol/response.js';
import { Status } from '../protocol/status.js';
import type { Clock } from '../time/clock.js';
import type { MembershipChange, Outcome } from './messages.js';
import type { ClusterView } from './view.js';
import { InFlight } from './in-flight.js';

export type MembershipMessage = Inbound<MembershipRequest>;

/** Opens links to a new proxy and returns its id; the TCP links implement it. */
export type OpenPort = (address: string) => number;

/**
 * Answers each op at once and tells the cluster actor; a drained proxy leaves the view when its
 * last request is answered, which METRICS shows as its `state`.
 */
export function membershipActor(view$: Observable<ClusterView>, outcomes: Observable<Outcome>, open: OpenPort) {
  return (inbox: Observable<MembershipMessage>, _clock: Clock): Observable<MembershipChange> =>
    operate<MembershipMessage, MembershipChange>(inbox, (out) => {
      let view: ClusterView = { proxies: [] };
      const inFlight = new InFlight();
      const viewing = view$.subscribe((v) => (view = v));
      viewing.add(outcomes.subscribe((o) => inFlight.count(o)));
      return {
        next: (message) => {
          const { op, address } = message.request;
          const member = view.proxies.find((p) => p.address === address && p.membership !== 'removed');
          if (op === 'ADD_PROXY') {
            if (member !== undefined) return message.reply(errorResponse(Status.BAD_REQUEST, `${address} is already a proxy`));
            out.next({ kind: 'add', proxy: open(address), address });
            return message.reply(ok({ address, state: 'active' }));
          }
          if (member === undefined) return message.reply(errorResponse(Status.BAD_REQUEST, `${address} is not a proxy`));
          if (op === 'DRAIN_PROXY') {
            out.next({ kind: 'drain', proxy: member.id });
            return message.reply(ok({ address, state: 'draining', in_flight: inFlight.of(member.id) }));
          }
          out.next({ kind: 'remove', proxy: member.id });
          return message.reply(ok({ address, state: 'removed' }));
        },
        finalize: viewing,
      };
    });
}
