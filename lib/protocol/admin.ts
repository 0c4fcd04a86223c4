// Admin authorization: ops that change state carry `token`, checked against the node's --admin-token.
import { timingSafeEqual } from 'node:crypto';
import { errorResponse, type Encoded } from './response.js';
import { Status } from './status.js';

/**
 * Undefined when the request may proceed: no token configured, or the right one given.
 * Otherwise the UNAUTHORIZED answer. The comparison takes the same time wherever the tokens differ.
 */
export function refuseUnauthorized(request: { token?: string }, adminToken: string | undefined): Encoded | undefined {
  if (adminToken === undefined) return undefined;
  const given = Buffer.from(request.token ?? '');
  const wanted = Buffer.from(adminToken);
  if (given.length === wanted.length && timingSafeEqual(given, wanted)) return undefined;
  return errorResponse(Status.UNAUTHORIZED, request.token === undefined ? 'admin token required' : 'wrong admin token');
}
