// How long a supervisor waits before it restarts a node that exited: exponential backoff, reset by a good run.

/** The shape of the backoff, in ms. */
export interface BackoffPolicy {
  /** The wait before the first restart. */
  readonly initialMs: number;
  /** The longest wait: each quick failure doubles the last one up to this. */
  readonly maxMs: number;
  /** A node that ran this long before it exited starts over at `initialMs`. */
  readonly resetAfterMs: number;
}

/**
 * 1 s, 2 s, 4 s ... up to 30 s, back to 1 s once a node has run for 10 s. The shape of Kubernetes'
 * CrashLoopBackOff (10 s doubling to 5 min, reset after 10 min of running) and of systemd's
 * `RestartSec` with `RestartSteps`/`RestartMaxDelaySec`, scaled to a cluster started by hand: a
 * killed proxy is back within seconds, and a node that cannot start is tried twice a minute.
 */
export const RESTART_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 10_000 };

/** The restart delays of one node, one call per exit. */
export class RestartBackoff {
  private quickFailures = 0;

  constructor(private readonly policy: BackoffPolicy = RESTART_BACKOFF) {}

  /** The wait (ms) before restarting a node that ran `upMs` before it exited (0: it never became ready). */
  next(upMs: number): number {
    if (upMs >= this.policy.resetAfterMs) this.quickFailures = 0;
    const delay = Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** this.quickFailures);
    if (delay < this.policy.maxMs) this.quickFailures++;
    return delay;
  }
}
