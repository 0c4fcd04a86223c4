// A pino logger writing to memory, for specs that read a node's log lines back as JSON.
import { nodeLog, type LogLevel } from '../../lib/log/log.js';
import type { Clock } from '../../lib/time/clock.js';

/** A logger as a node makes it (lib/log/log.ts) and the lines it wrote, parsed. */
export function memoryLog(clock: Clock, level: LogLevel = 'info', role = 'load-balancer') {
  const lines: string[] = [];
  const log = nodeLog({ role, level, clock, destination: { write: (line: string) => void lines.push(line) } });
  return { log, lines, entries: (): Record<string, unknown>[] => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
