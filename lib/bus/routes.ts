// A node's table of ops: which actor serves each op a request may name, and the graph it fronts.
import type { Op, Request } from '../protocol/request.js';
import { wrongMethod } from '../protocol/response.js';
import { refuseUnauthorized } from '../protocol/admin.js';
import type { Inbound } from './inbound.js';

/** An accepted request of one op. */
export type InboundOf<O extends Op> = Inbound<Request & { op: O }>;

/** For each op a node serves, where its requests go: most often the topic of the actor that serves it. */
export type Routes = { readonly [O in Op]?: (message: InboundOf<O>) => void };

/**
 * A node's actors on one bus, without its TCP edges, so the same graph runs behind a server
 * edge or in a spec: requests in through `accept`, each answered through its own `reply`.
 */
export interface NodeGraph {
  accept(message: Inbound): void;
  /** Completes every topic and stops the actors. */
  close(): void;
}

/**
 * The function a node's edge hands each accepted request to: the route of its op, or a
 * WRONG_METHOD answer for an op the node does not serve (PROTOCOL.md's status table: an op
 * unknown to the node, with `data` naming it).
 */
export function router(routes: Routes): (message: Inbound) => void {
  // No prototype: an op can only find a route the table names.
  const table: Routes = Object.assign(Object.create(null) as Routes, routes);
  return (message) => {
    const route = table[message.request.op] as ((message: Inbound) => void) | undefined;
    if (route === undefined) message.reply(wrongMethod(message.request.op));
    else route(message);
  };
}

/**
 * A route for an op that changes state: its request goes on only with the node's admin token
 * (never, when `adminToken` is undefined: admin ops are closed unless the operator opened them);
 * otherwise it is answered UNAUTHORIZED here (`refuseUnauthorized`).
 */
export function withAdminToken<M extends Inbound<Request & { token?: string }>>(adminToken: string | undefined, route: (message: M) => void): (message: M) => void {
  return (message) => {
    const refusal = refuseUnauthorized(message.request, adminToken);
    if (refusal !== undefined) message.reply(refusal);
    else route(message);
  };
}
