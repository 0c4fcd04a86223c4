// A topic's multicast: what an RxJS Subject does for the bus, without allocating per message.
import { Observable, type Observer, type Subscriber } from 'rxjs';

/**
 * Hands each message to every current subscriber, in the order they subscribed, as an RxJS
 * Subject does; subscribers are ordinary RxJS subscribers, so every operator works on it.
 *
 * Why not Subject: `Subject.next` wraps each delivery in a fresh closure (its error context) and
 * walks its observers with an iterator, two allocations per message on every topic a message
 * crosses. Sampled in the balancer under `npm run bench` load (pipeline), those were the largest
 * share of what a request allocated. Here a delivery is a loop over an array that subscribing and
 * unsubscribing replace rather than change: as with Subject, a message goes to the subscribers
 * there were when it was sent, less any that unsubscribed before their turn.
 */
export class Broadcast<T> extends Observable<T> implements Observer<T> {
  private subscribers: readonly Subscriber<T>[] = [];
  private ended: { error: unknown } | 'complete' | undefined;

  constructor() {
    super((subscriber) => {
      if (this.ended !== undefined) {
        if (this.ended === 'complete') subscriber.complete();
        else subscriber.error(this.ended.error);
        return;
      }
      this.subscribers = [...this.subscribers, subscriber];
      return () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
      };
    });
  }

  next(message: T): void {
    const current = this.subscribers;
    for (let i = 0; i < current.length; i++) current[i]!.next(message);
  }

  error(error: unknown): void {
    this.end({ error }, (s) => s.error(error));
  }

  complete(): void {
    this.end('complete', (s) => s.complete());
  }

  private end(how: { error: unknown } | 'complete', tell: (s: Subscriber<T>) => void): void {
    if (this.ended !== undefined) return;
    this.ended = how;
    const current = this.subscribers;
    this.subscribers = [];
    for (const s of current) tell(s);
  }
}
