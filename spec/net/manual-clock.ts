// A clock for specs over real sockets: virtual time that moves only when the spec says so.
import { VirtualTimeScheduler } from 'rxjs';

/** A clock that moves only when told: `advance(ms)` runs every timer due by then. */
export class ManualClock extends VirtualTimeScheduler {
  advance(ms: number): void {
    const target = this.frame + ms;
    this.maxFrames = target;
    this.flush();
    this.frame = target;
  }
}
