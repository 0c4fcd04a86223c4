// The proxy's origin events in its log: failed fetches, rate-limited, and the origin answering again.
import type { Log } from '../log/log.js';
import { RateLimited } from '../log/rate-limit.js';
import type { Clock } from '../time/clock.js';
import type { FailureCause, Fetched } from './messages.js';

/** At most one line per this many ms about failed fetches, however many fail. */
export const ORIGIN_FAILURE_LOG_INTERVAL_MS = 10_000;

/**
 * Reads what the fetcher brings back. A fetch that failed (after its retry, if its cause was
 * retried) is logged at `warn` with its key, reason (`origin unreachable`, `origin timed out`,
 * ...) and cause (`conn-failure`, `response-timeout`, ...: messages.ts), the first at once and the
 * rest as one line per ORIGIN_FAILURE_LOG_INTERVAL_MS with how many were `suppressed`; the first
 * good answer after failures is logged at `info` with how many `failures` there were. A success
 * while the origin is healthy costs one comparison: this sits on the miss path.
 */
export function originLog(log: Log, clock: Clock): { note(fetched: Fetched): void; close(): void } {
  let failures = 0;
  const limited = new RateLimited<{ key: string; reason: string; cause: FailureCause }>(clock, ORIGIN_FAILURE_LOG_INTERVAL_MS, (fields, suppressed) =>
    log.warn(suppressed === 0 ? { ...fields } : { ...fields, suppressed }, suppressed === 0 ? 'origin fetch failed' : `${suppressed} more origin fetches failed`),
  );
  return {
    note: ({ key, outcome }) => {
      if (outcome.kind === 'failure') {
        failures++;
        limited.note({ key, reason: outcome.reason, cause: outcome.cause });
      } else if (failures > 0) {
        log.info({ failures }, 'origin answering again');
        failures = 0;
      }
    },
    close: () => limited.close(),
  };
}
