// Shared command-line conventions: kebab-case flags that also accept the original snake_case spelling, and one line per mistake.
import { Command, InvalidArgumentError } from 'commander';
import { readAddress } from '../protocol/address.js';

/**
 * A command whose every mistake in its flags is one line naming it, `proxy: option '--port <port>'
 * argument 'x' is invalid. ...`, and exit status 1: the operator sees which command refused what,
 * even among the lines of several (bin/cluster, scripts/start_cluster.sh).
 */
export function command(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .configureOutput({ outputError: (text, write) => write(`${name}: ${text.replace(/^error: /, '')}`) });
}

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

/**
 * The parser of a repeatable `<host:port...>` flag: each value must be `host:port` (port 1 to
 * 65535), and the first one given replaces `defaults` rather than adding to them.
 */
export function addresses(defaults: readonly string[] = []) {
  return (text: string, previous: readonly string[] | undefined): string[] => {
    if (readAddress(text) === undefined) throw new InvalidArgumentError('expected host:port, such as 127.0.0.1:8001');
    return previous === undefined || previous === defaults ? [text] : [...previous, text];
  };
}

/** The word `--ttl` takes for "never expires", as nginx's `expires max` names the far end. */
export const FOREVER = 'forever';

/**
 * A time to live in seconds: a number >= 0 (0 = expires at once: not cached, as the original
 * system and a per-key `"ttl":0` mean it), or `forever`, read as Infinity (never expires).
 */
export function ttlSeconds(text: string): number {
  if (text === FOREVER) return Infinity;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`expected seconds >= 0, or "${FOREVER}" for no expiry, got "${text}"`);
  }
  return value;
}
