// The log port every node writes its events to: pino JSON lines on stderr in a process, anything in a spec.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Clock } from '../time/clock.js';

/**
 * What the nodes need of a logger: a line of fields and a message per event, at a level. pino's
 * `Logger` is one; specs pass `SILENT` or a pino logger writing to memory.
 */
export interface Log {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** Logs nothing: the default where a node or graph is built without a log. */
export const SILENT: Log = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/** `--log-level` values, pino's levels from most to least severe. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface NodeLogOptions {
  /** `origin`, `proxy` or `load-balancer`, on every line as `role`. */
  role: string;
  level: LogLevel;
  clock: Clock;
  /** Where lines go; stderr, written synchronously, by default. */
  destination?: DestinationStream;
}

/**
 * A node's logger: one JSON object per line with `level` (its name), `time` (ms since the epoch,
 * read from the node's clock, so a spec under virtual time logs virtual times), `role`, `pid` and
 * `msg`. On stderr, written as each event happens: stdout keeps the `listening on` line that
 * scripts and specs wait for, and a crash loses no line (pino's sync destination).
 */
export function nodeLog(options: NodeLogOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { role: options.role, pid: process.pid },
      timestamp: () => `,"time":${options.clock.now()}`,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}
