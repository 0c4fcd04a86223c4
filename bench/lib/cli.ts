// What the bench's commands share on their command lines: the repository's root, and a flag that takes a list from a fixed set.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';

/** The repository's root: this file is compiled to dist/bench/lib/, three levels below it. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The parser of a `--flag a,b` whose items must each be one of `allowed`: the items in the order
 * given; an empty list or any other item is an InvalidArgumentError naming the choices.
 */
export function listOf<T extends string>(allowed: readonly T[]) {
  return (text: string): T[] => {
    const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const wrong = items.filter((s) => !(allowed as readonly string[]).includes(s));
    if (items.length === 0 || wrong.length > 0) throw new InvalidArgumentError(`expected a comma-separated list of ${allowed.join(', ')}`);
    return items as T[];
  };
}
