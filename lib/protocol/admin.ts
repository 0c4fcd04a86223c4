// Admin authorization: ops that change state (PURGE, ADD_PROXY, DRAIN_PROXY, REMOVE_PROXY) carry
// `token`, checked against the node's --admin-token. Without one, they are refused.
import { createHash, timingSafeEqual } from 'node:crypto';
import { errorResponse, type Encoded } from './response.js';
import { Status } from './status.js';

/** The answer to an admin op on a node started without --admin-token: it says how to enable them. */
export const ADMIN_DISABLED = 'admin ops are disabled: start the node with --admin-token <token> and send "token":"<token>"';

/**
 * Undefined when the request may proceed: it carries the node's admin token. Otherwise the
 * UNAUTHORIZED answer, whose `error` says why: `admin ops are disabled: ...` (no token configured,
 * so anyone who can reach the node could otherwise purge its cache or, at a balancer, add a proxy
 * of their own), `admin token required`, or `wrong admin token`. The tokens are compared as
 * SHA-256 digests of their UTF-8 bytes, in constant time (crypto.timingSafeEqual): the time taken
 * tells nothing of where they differ, nor of the configured token's length.
 */
export function refuseUnauthorized(request: { token?: string }, adminToken: string | undefined): Encoded | undefined {
  if (adminToken === undefined) return errorResponse(Status.UNAUTHORIZED, ADMIN_DISABLED);
  if (request.token === undefined) return errorResponse(Status.UNAUTHORIZED, 'admin token required');
  if (timingSafeEqual(digest(request.token), digest(adminToken))) return undefined;
  return errorResponse(Status.UNAUTHORIZED, 'wrong admin token');
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
