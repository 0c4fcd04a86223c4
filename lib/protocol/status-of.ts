// Reads the status of an encoded answer without parsing it whole, for counting answers by status.
import type { Answer } from './types.js';

/** `{"status":"OK"`, the first 14 bytes of every OK answer our nodes write. */
const OK_PREFIX = Buffer.from('{"status":"OK"');
/** Where another node (the original Python ones) puts spaces or a field before the status. */
const STATUS_FIELD = /"status"\s*:\s*"([A-Z_]{1,64})"/;

/**
 * The `status` of an answer line: `OK` from the first bytes alone (our nodes write the status first:
 * the hot path), else the first `"status":"X"` in the line's first 256 characters, else the parsed
 * line's status; `UNKNOWN` for a line without one.
 */
export function statusOf(answer: Answer): string {
  if (startsOk(answer)) return 'OK';
  const text = typeof answer === 'string' ? answer : answer.toString('utf8', 0, Math.min(answer.length, 256));
  const found = STATUS_FIELD.exec(text.slice(0, 256));
  if (found !== null) return found[1]!;
  try {
    const status = (JSON.parse(answer.toString()) as { status?: unknown }).status;
    return typeof status === 'string' ? status : 'UNKNOWN';
  } catch {
    return 'UNKNOWN';
  }
}

function startsOk(answer: Answer): boolean {
  if (answer.length < OK_PREFIX.length) return false;
  if (typeof answer === 'string') return answer.startsWith('{"status":"OK"');
  for (let i = 0; i < OK_PREFIX.length; i++) if (answer[i] !== OK_PREFIX[i]) return false;
  return true;
}
