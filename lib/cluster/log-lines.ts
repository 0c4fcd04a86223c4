// A node's log lines as bin/cluster shows them: prefixed by the node's name, readable, or raw JSON.

export type LogFormat = 'pretty' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

/** Calls `onLine` with each complete line of a stream's chunks (without its newline); a partial line waits. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let partial = '';
  return (chunk) => {
    partial += chunk.toString();
    for (let nl = partial.indexOf('\n'); nl !== -1; nl = partial.indexOf('\n')) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (line !== '') onLine(line);
    }
  };
}

const LEVEL_COLOURS: Record<string, string> = { fatal: '35', error: '31', warn: '33', info: '32', debug: '36', trace: '90' };
// Fields every line has, shown in the line's head or not at all.
const HEAD = new Set(['level', 'time', 'role', 'pid', 'msg']);

/**
 * One line a node wrote to stderr, for a person or a program. `json`: the line as it is, with
 * `"name"` (the node's name in the cluster) added first, so lines from every node can be told
 * apart in one stream; a line that is not a JSON object passes unchanged. `pretty`, in the spirit
 * of pino-pretty: `HH:MM:SS.mmm` (UTC), the level, the name, the message, then the other fields
 * as `key=value` (text bare, anything else as JSON); the level coloured when `colour`; a line that
 * is not a JSON object is shown as it is after the name.
 */
export function formatLogLine(name: string, line: string, format: LogFormat, colour = false): string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    entry = undefined;
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return format === 'json' ? line : `${' '.repeat(19)}${name.padEnd(14)} ${line}`;
  if (format === 'json') return `{"name":${JSON.stringify(name)},${line.slice(1)}`;
  const fields = entry as Record<string, unknown>;
  const time = typeof fields.time === 'number' ? new Date(fields.time).toISOString().slice(11, 23) : ''.padEnd(12);
  const level = typeof fields.level === 'string' ? fields.level : String(fields.level ?? '');
  const shown = level.toUpperCase().padEnd(5);
  const rest = Object.entries(fields)
    .filter(([key]) => !HEAD.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) && value !== '' ? value : JSON.stringify(value)}`);
  return [
    time,
    colour && LEVEL_COLOURS[level] !== undefined ? `\x1b[${LEVEL_COLOURS[level]}m${shown}\x1b[0m` : shown,
    name.padEnd(14),
    String(fields.msg ?? ''),
    ...(rest.length === 0 ? [] : [` ${rest.join(' ')}`]),
  ].join(' ');
}
