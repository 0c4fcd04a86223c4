// Which failed origin fetches the proxy retries: the default set, and --origin-retry-on's list read into it.
import { FAILURE_CAUSES, type FailureCause } from './messages.js';

/**
 * The failures retried by default: those of a fetch that got no answer to its GET, and found out
 * fast (no connection, a connection lost, an answer that is not one). A GET is idempotent and
 * these fail fast, so one more try is cheap. HAProxy retries only `conn-failure` by default, and
 * calls retrying `junk-response` usually a bad idea because of a wrong port or a request that
 * harms the server; a GET of one key is neither. Not `response-timeout`: a retry waits a whole
 * timeout again, and a burst of misses timing out together at a slow origin would be sent to it a
 * second time; HAProxy's manual warns that retrying on a response timeout can amplify the load on
 * a struggling server, and retries one only under `retry-on response-timeout`. Not
 * `error-status`: the origin answered and said it failed, which asking again at once rarely
 * changes (HAProxy retries a status only when `retry-on` lists it; Envoy's `retry_on: 5xx` is
 * opt-in too).
 */
export const DEFAULT_RETRY_ON: readonly FailureCause[] = ['conn-failure', 'empty-response', 'junk-response'];

/** The words --origin-retry-on takes besides the causes: no retry at all, or a retry of every cause. */
export const RETRY_ON_NONE = 'none';
export const RETRY_ON_ALL = 'all';

/**
 * Reads --origin-retry-on: causes (messages.ts, `FAILURE_CAUSES`) separated by commas, or `none`
 * (an empty set) or `all` (every cause), each alone, as HAProxy's `retry-on none` stands alone.
 * Returns the causes without repeats, in the order of `FAILURE_CAUSES`. Throws an Error naming
 * the word it does not know, or the misplaced `none`/`all`, and the words it takes.
 */
export function parseRetryOn(text: string): FailureCause[] {
  const words = text.split(',').map((word) => word.trim());
  const allowed = `${FAILURE_CAUSES.join(', ')}; or ${RETRY_ON_NONE} or ${RETRY_ON_ALL} alone`;
  if (words.length === 1 && words[0] === RETRY_ON_NONE) return [];
  if (words.length === 1 && words[0] === RETRY_ON_ALL) return [...FAILURE_CAUSES];
  for (const word of words) {
    if (word === RETRY_ON_NONE || word === RETRY_ON_ALL) throw new Error(`"${word}" stands alone, not in a list; expected causes among ${allowed}`);
    if (!(FAILURE_CAUSES as readonly string[]).includes(word)) throw new Error(`unknown cause "${word}"; expected causes separated by commas among ${allowed}`);
  }
  return FAILURE_CAUSES.filter((cause) => words.includes(cause));
}

