// The in-process message bus: named topics, each one Broadcast created once, and the actor contract.
import { Observable, type Subscription } from 'rxjs';
import type { Clock } from '../time/clock.js';
import { Broadcast } from './broadcast.js';

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
  private readonly topics = new Map<string, Broadcast<unknown>>();
  private readonly running: Subscription[] = [];

  constructor(readonly clock: Clock) {}

  /** The one multicast of a topic; publishing is `bus.topic(t).next(message)`. */
  topic<T>(t: Topic<T>): Broadcast<T> {
    let broadcast = this.topics.get(t.name);
    if (broadcast === undefined) {
      broadcast = new Broadcast<unknown>();
      this.topics.set(t.name, broadcast);
    }
    return broadcast as Broadcast<T>;
  }

  publish<T>(t: Topic<T>, message: T): void {
    this.topic(t).next(message);
  }

  /**
   * Starts an actor reading `from` and sending its output to a topic, to a state holder such as
   * a BehaviorSubject, or nowhere (an actor that only replies).
   */
  spawn<I, O>(actor: Actor<I, O>, from: Topic<I>, to?: Topic<O> | { next(message: O): void }): void {
    // An actor only reads its inbox: it gets an Observable of the topic, without `next`.
    const topic = this.topic(from);
    const out = actor(new Observable<I>((subscriber) => topic.subscribe(subscriber)), this.clock);
    const sink = to === undefined ? undefined : 'name' in to ? this.topic(to) : to;
    this.running.push(out.subscribe((message) => sink?.next(message)));
  }

  /** Completes every topic, letting actors finish, then stops them. */
  close(): void {
    for (const broadcast of this.topics.values()) broadcast.complete();
    for (const sub of this.running) sub.unsubscribe();
  }
}
