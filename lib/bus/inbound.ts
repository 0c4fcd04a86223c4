// The message a server edge puts on the bus for each request it accepts.
import type { Request } from '../protocol/request.js';
import type { Answer } from '../protocol/response.js';

/**
 * An accepted request and the way back to its sender. `reply` must be called exactly once;
 * the edge adds the request's id and keeps answers to id-less requests in order.
 */
export interface Inbound<R extends Request = Request> {
  readonly request: R;
  reply(response: Answer): void;
}
