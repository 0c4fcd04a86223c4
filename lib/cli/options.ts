// Shared command-line conventions: kebab-case flags that also accept the original snake_case spelling.
import { InvalidArgumentError } from 'commander';

/** `--origin_port 8000` -> `--origin-port 8000`; values are left alone. */
export function kebabFlags(argv: readonly string[]): string[] {
  return argv.map((arg) => {
    if (!arg.startsWith('--')) return arg;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    return name.replaceAll('_', '-') + (eq === -1 ? '' : arg.slice(eq));
  });
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${text}"`);
    }
    return value;
  };
}

export function nonNegative(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`expected a number >= 0, got "${text}"`);
  return value;
}

export const port = integer(0, 65535);
