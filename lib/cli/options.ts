// Shared command-line conventions: kebab-case flags that also accept the original snake_case spelling.
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_IDLE_TIMEOUT } from '../net/idle.js';
import { DEFAULT_MAX_CONNECTIONS } from '../net/admission.js';

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

/** An --admin-token: any text but the empty one, which would be a secret anyone can guess. */
export function adminToken(text: string): string {
  if (text === '') throw new InvalidArgumentError('the admin token must not be empty');
  return text;
}

/** The flags of every node's server edge, as `ServerOptions` names them. */
export interface EdgeFlags {
  idleTimeout: number;
  maxConnections: number;
}

/** `--idle-timeout <ms>`, which every node takes (lib/net/idle.ts). */
export function idleTimeoutOption(): Option {
  return new Option('--idle-timeout <ms>', 'close a connection that has sent no complete line for this long, with nothing pending')
    .argParser(integer(1))
    .default(DEFAULT_IDLE_TIMEOUT);
}

/** `--max-connections <n>`, which every node takes (lib/net/admission.ts). */
export function maxConnectionsOption(): Option {
  return new Option('--max-connections <n>', 'client connections open at once; more are refused with TOO_MANY_CONNECTIONS')
    .argParser(integer(1))
    .default(DEFAULT_MAX_CONNECTIONS);
}
