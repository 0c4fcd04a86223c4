// The in-process message bus: named topics, each one Subject created once, and the actor contract.
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { Clock } from '../time/clock.js';

/** A topic name that carries the type of its messages. */
export interface Topic<T> {
  readonly name: string;
  readonly _message?: T;
}

export function topic<T>(name: string): Topic<T> {
  return { name };
}

/**
 * An actor owns its state and sees the world only through its inbox and the clock.
 * It never touches a socket or a real timer, so the same actor runs behind TCP,
 * in a marble test, or in a simulated cluster.
 */
export type Actor<I, O> = (inbox: Observable<I>, clock: Clock) => Observable<O>;

export class Bus {
  private readonly topics = new Map<string, Subject<unknown>>();
  private readonly running: Subscription[] = [];

  constructor(readonly clock: Clock) {}

  /** The one Subject of a topic; publishing is `bus.topic(t).next(message)`. */
  topic<T>(t: Topic<T>): Subject<T> {
    let subject = this.topics.get(t.name);
    if (subject === undefined) {
      subject = new Subject<unknown>();
      this.topics.set(t.name, subject);
    }
    return subject as Subject<T>;
  }

  publish<T>(t: Topic<T>, message: T): void {
    this.topic(t).next(message);
  }

  /**
   * Starts an actor reading `from` and sending its output to a topic, to a state holder such as
   * a BehaviorSubject, or nowhere (an actor that only replies).
   */
  spawn<I, O>(actor: Actor<I, O>, from: Topic<I>, to?: Topic<O> | { next(message: O): void }): void {
    const out = actor(this.topic(from).asObservable(), this.clock);
    const sink = to === undefined ? undefined : 'name' in to ? this.topic(to) : to;
    this.running.push(out.subscribe((message) => sink?.next(message)));
  }

  /** Completes every topic, letting actors finish, then stops them. */
  close(): void {
    for (const subject of this.topics.values()) subject.complete();
    for (const sub of this.running) sub.unsubscribe();
  }
}
