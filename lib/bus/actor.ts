// An actor's one subscribe wrapping: its state set up per subscription, its inbox read message by message.
import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';

/**
 * What an actor does with its inbox, as `init` returns it: a handler per message, or that with
 * what to do when the inbox completes (after which the output completes) and what to tear down.
 */
export type ActorBody<I> =
  | ((message: I) => void)
  | {
      next(message: I): void;
      /** Runs when the inbox completes, before the output completes. */
      complete?(): void;
      /** Runs when the actor stops for any reason: inner subscriptions and timers to release. */
      finalize?: TeardownLogic;
    };

/**
 * Builds an actor's output from its inbox. `init` runs once per subscription with the output
 * subscriber, so each run has state of its own, and returns what to do with each message; the
 * inbox's error and completion pass through to the output. The shape of RxJS's own
 * `operate` / `createOperatorSubscriber`, which every RxJS operator is written with.
 */
export function operate<I, O>(inbox: Observable<I>, init: (out: Subscriber<O>) => ActorBody<I>): Observable<O> {
  return new Observable<O>((out) => {
    const body = init(out);
    const handlers = typeof body === 'function' ? { next: body } : body;
    const reading = inbox.subscribe({
      next: handlers.next,
      error: (err: unknown) => out.error(err),
      complete: () => {
        handlers.complete?.();
        out.complete();
      },
    });
    if (typeof body !== 'function' && body.finalize !== undefined) reading.add(body.finalize);
    return reading;
  });
}
