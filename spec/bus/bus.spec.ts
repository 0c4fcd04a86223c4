import { expect } from 'chai';
import { BehaviorSubject, map, tap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Bus, topic, type Actor } from '../../lib/bus/bus.js';
import type { Clock } from '../../lib/time/clock.js';

const numbers = topic<number>('numbers');
const doubled = topic<number>('doubled');

const double: Actor<number, number> = (inbox) => inbox.pipe(map((n) => n * 2));

function received<T>(source: Observable<T>): T[] {
  const values: T[] = [];
  source.subscribe((v) => values.push(v));
  return values;
}

describe('Bus', () => {
  let bus: Bus;
  beforeEach(() => {
    bus = new Bus(new TestScheduler(() => undefined));
  });

  it('returns the same Subject for a topic every time', () => {
    expect(bus.topic(numbers)).to.equal(bus.topic(numbers));
  });

  it('identifies a topic by its name', () => {
    expect(bus.topic(topic<number>('numbers'))).to.equal(bus.topic(numbers));
  });

  it('keeps topics apart', () => {
    expect(bus.topic(numbers)).not.to.equal(bus.topic(doubled));
    const seen = received(bus.topic(doubled));
    bus.publish(numbers, 1);
    expect(seen).to.deep.equal([]);
  });

  it('delivers a published message to every subscriber of its topic', () => {
    const first = received(bus.topic(numbers));
    const second = received(bus.topic(numbers));
    bus.publish(numbers, 7);
    expect(first).to.deep.equal([7]);
    expect(second).to.deep.equal([7]);
  });

  it("routes an actor's output to a topic", () => {
    bus.spawn(double, numbers, doubled);
    const seen = received(bus.topic(doubled));
    bus.publish(numbers, 1);
    bus.publish(numbers, 2);
    expect(seen).to.deep.equal([2, 4]);
  });

  it("routes an actor's output to an observer such as a BehaviorSubject", () => {
    const latest = new BehaviorSubject(0);
    bus.spawn(double, numbers, latest);
    bus.publish(numbers, 21);
    expect(latest.value).to.equal(42);
  });

  it('runs an actor with no output topic for its effects', () => {
    const seen: number[] = [];
    bus.spawn((inbox: Observable<number>) => inbox.pipe(tap((n) => seen.push(n))), numbers);
    bus.publish(numbers, 3);
    expect(seen).to.deep.equal([3]);
  });

  it("gives an actor the bus's clock", () => {
    let clock: Clock | undefined;
    bus.spawn((inbox: Observable<number>, c) => {
      clock = c;
      return inbox;
    }, numbers);
    expect(clock).to.equal(bus.clock);
  });

  it('completes every topic on close and stops its actors', () => {
    let completed = false;
    bus.topic(doubled).subscribe({ complete: () => (completed = true) });
    const seen: number[] = [];
    bus.spawn((inbox: Observable<number>) => inbox.pipe(tap((n) => seen.push(n))), numbers);
    bus.close();
    bus.publish(numbers, 1);
    expect(completed).to.equal(true);
    expect(seen).to.deep.equal([]);
  });
});
