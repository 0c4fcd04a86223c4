// Noticing that the process which started this one is gone when no signal says so (it was SIGKILLed).
import type { Subscription } from 'rxjs';
import { every, type Clock } from '../time/clock.js';

/**
 * Calls `onGone` once this process's parent has exited, read as its parent pid changing (the
 * orphan is re-parented to init or a subreaper), checked every `everyMs` ms. npm does not pass
 * SIGKILL on, and nothing else tells a child that its parent was killed.
 */
export function watchParent(clock: Clock, onGone: () => void, everyMs = 1000): Subscription {
  const parent = process.ppid;
  const watch: Subscription = every(clock, everyMs, () => {
    if (process.ppid === parent) return;
    watch.unsubscribe();
    onGone();
  });
  return watch;
}
