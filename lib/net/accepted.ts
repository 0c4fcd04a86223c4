// The message a server edge puts on the bus for each request it reads, and the slot its answer waits in.
import type { Inbound } from '../bus/inbound.js';
import type { Request } from '../protocol/request.js';
import type { Answer } from '../protocol/response.js';

/** A place in a connection's answer order: filled once the answer is known. */
export interface Slot {
  answer?: Answer;
}

/** The connection an accepted request came in on, as its reply sees it. */
export interface AnswerSink {
  /** The one answer to `accepted`. */
  answer(accepted: Accepted, answer: Answer): void;
}

/**
 * One accepted request as the bus carries it: the request and the way back. One object per
 * request, its `reply` a method, not a closure: the hot path allocates as little as it can.
 * A second reply is ignored.
 */
export class Accepted implements Inbound, Slot {
  answer?: Answer;
  private answered = false;

  constructor(
    private readonly connection: AnswerSink,
    readonly request: Request,
  ) {}

  reply(answer: Answer): void {
    if (this.answered) return;
    this.answered = true;
    this.connection.answer(this, answer);
  }
}
