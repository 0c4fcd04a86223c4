import { expect } from 'chai';
import { BehaviorSubject, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { membershipActor, type MembershipMessage } from '../../lib/balancer/membership.js';
import type { MembershipChange, Outcome } from '../../lib/balancer/messages.js';
import type { MembershipOp } from '../../lib/protocol/request.js';
import { initialView, type ClusterView, type Membership } from '../../lib/balancer/view.js';

const TWO = ['127.0.0.1:8001', '127.0.0.1:8002'];
const NEW = '127.0.0.1:8003';

interface Reply {
  status: string;
  data?: Record<string, unknown>;
  error?: string;
}

/**
 * Starts the actor over a view of `addresses`. `open` records the address and hands out the next
 * id, as the TCP links do; `ask` sends one op and returns its one reply, parsed.
 */
function start(addresses: readonly string[] = TWO) {
  const views = new BehaviorSubject<ClusterView>(initialView(addresses));
  const outcomes = new Subject<Outcome>();
  const inbox = new Subject<MembershipMessage>();
  const opened: string[] = [];
  const changes: MembershipChange[] = [];
  let nextId = addresses.length;
  const open = (address: string): number => {
    opened.push(address);
    return nextId++;
  };
  membershipActor(views, outcomes, open)(inbox, new TestScheduler(() => undefined)).subscribe((c) => changes.push(c));
  const ask = (op: MembershipOp, address: string): Reply => {
    const replies: string[] = [];
    inbox.next({ request: { op, address }, reply: (r) => replies.push(r.toString()) });
    // Every op is answered at once and exactly once.
    expect(replies).to.have.length(1);
    return JSON.parse(replies[0]!) as Reply;
  };
  /** Shows the actor a view where the proxies have these memberships, as the cluster actor would. */
  const showMemberships = (...memberships: Membership[]) =>
    views.next({ proxies: initialView(addresses).proxies.map((p, id) => ({ ...p, membership: memberships[id] ?? p.membership })) });
  return { ask, opened, changes, outcomes, views, showMemberships };
}

describe('membership actor', () => {
  describe('ADD_PROXY', () => {
    it('opens links to a new address, tells the cluster actor with an add change under the id open gave, and replies OK active', () => {
      const actor = start();
      expect(actor.ask('ADD_PROXY', NEW)).to.deep.equal({ status: 'OK', data: { address: NEW, state: 'active' } });
      expect(actor.opened).to.deep.equal([NEW]);
      expect(actor.changes).to.deep.equal([{ kind: 'add', proxy: 2, address: NEW }]);
    });

    it('refuses an address that is already a proxy with BAD_REQUEST, opening nothing and changing nothing', () => {
      const actor = start();
      expect(actor.ask('ADD_PROXY', TWO[1]!)).to.deep.equal({ status: 'BAD_REQUEST', error: `${TWO[1]} is already a proxy` });
      expect(actor.opened).to.deep.equal([]);
      expect(actor.changes).to.deep.equal([]);
    });

    it('refuses an address that is draining, since it is still a proxy until removed', () => {
      const actor = start();
      actor.showMemberships('active', 'draining');
      expect(actor.ask('ADD_PROXY', TWO[1]!).status).to.equal('BAD_REQUEST');
      expect(actor.opened).to.deep.equal([]);
    });

    it('refuses an added address once the cluster view shows it', () => {
      const actor = start();
      actor.ask('ADD_PROXY', NEW);
      // The actor knows the proxies only through the view; the cluster actor's next view has the new one.
      actor.views.next(initialView([...TWO, NEW]));
      expect(actor.ask('ADD_PROXY', NEW).status).to.equal('BAD_REQUEST');
      expect(actor.opened).to.deep.equal([NEW]);
    });

    it('adds a removed address again as a new proxy, since a removed proxy is gone', () => {
      const actor = start();
      actor.showMemberships('removed', 'active');
      expect(actor.ask('ADD_PROXY', TWO[0]!)).to.deep.equal({ status: 'OK', data: { address: TWO[0], state: 'active' } });
      expect(actor.changes).to.deep.equal([{ kind: 'add', proxy: 2, address: TWO[0] }]);
    });
  });

  describe('DRAIN_PROXY', () => {
    it('replies with the requests in flight to that proxy, sent minus answered and failed, and emits a drain change', () => {
      const actor = start();
      const { outcomes } = actor;
      outcomes.next({ kind: 'sent', proxy: 1 });
      outcomes.next({ kind: 'sent', proxy: 1 });
      outcomes.next({ kind: 'sent', proxy: 1 });
      outcomes.next({ kind: 'answered', proxy: 1 });
      outcomes.next({ kind: 'sent', proxy: 1 });
      outcomes.next({ kind: 'failed', proxy: 1, failure: 'reset' });
      // Load on another proxy must not count toward this one.
      outcomes.next({ kind: 'sent', proxy: 0 });
      expect(actor.ask('DRAIN_PROXY', TWO[1]!)).to.deep.equal({ status: 'OK', data: { address: TWO[1], state: 'draining', in_flight: 2 } });
      expect(actor.changes).to.deep.equal([{ kind: 'drain', proxy: 1 }]);
    });

    it('replies in_flight 0 for a proxy with nothing in flight', () => {
      const actor = start();
      actor.outcomes.next({ kind: 'sent', proxy: 0 });
      actor.outcomes.next({ kind: 'answered', proxy: 0 });
      expect(actor.ask('DRAIN_PROXY', TWO[0]!)).to.deep.equal({ status: 'OK', data: { address: TWO[0], state: 'draining', in_flight: 0 } });
      expect(actor.changes).to.deep.equal([{ kind: 'drain', proxy: 0 }]);
    });

    it('keeps its count across new views, since the view carries no load', () => {
      const actor = start();
      actor.outcomes.next({ kind: 'sent', proxy: 0 });
      actor.views.next(initialView(TWO));
      expect(actor.ask('DRAIN_PROXY', TWO[0]!).data).to.deep.include({ in_flight: 1 });
    });
  });

  describe('REMOVE_PROXY', () => {
    it('emits a remove change for the proxy at that address and replies OK removed', () => {
      const actor = start();
      expect(actor.ask('REMOVE_PROXY', TWO[1]!)).to.deep.equal({ status: 'OK', data: { address: TWO[1], state: 'removed' } });
      expect(actor.changes).to.deep.equal([{ kind: 'remove', proxy: 1 }]);
    });

    it('removes a draining proxy at once', () => {
      const actor = start();
      actor.showMemberships('draining', 'active');
      expect(actor.ask('REMOVE_PROXY', TWO[0]!).status).to.equal('OK');
      expect(actor.changes).to.deep.equal([{ kind: 'remove', proxy: 0 }]);
    });
  });

  describe('an address that is not a proxy', () => {
    for (const op of ['DRAIN_PROXY', 'REMOVE_PROXY'] as const) {
      it(`answers ${op} of an unknown address with BAD_REQUEST and changes nothing`, () => {
        const actor = start();
        expect(actor.ask(op, NEW)).to.deep.equal({ status: 'BAD_REQUEST', error: `${NEW} is not a proxy` });
        expect(actor.changes).to.deep.equal([]);
      });

      it(`answers ${op} of a removed address with BAD_REQUEST and changes nothing`, () => {
        const actor = start();
        actor.showMemberships('active', 'removed');
        expect(actor.ask(op, TWO[1]!).status).to.equal('BAD_REQUEST');
        expect(actor.changes).to.deep.equal([]);
      });
    }
  });
});
