// Strategies by name: `--strategy X` is a lookup here, and a new strategy is one file plus one line.
import type { Strategy } from './strategy.js';
import { roundRobin } from './round-robin.js';
import { leastLoaded } from './least-loaded.js';

export const strategies: Readonly<Record<string, Strategy>> = {
  round_robin: roundRobin,
  least_loaded: leastLoaded,
};

export function strategyNamed(name: string): Strategy {
  // Own names only: `constructor` or `toString` must not pass for a strategy.
  const strategy = Object.hasOwn(strategies, name) ? strategies[name] : undefined;
  if (strategy === undefined) {
    throw new Error(`unknown strategy "${name}"; known: ${Object.keys(strategies).join(', ')}`);
  }
  return strategy;
}
