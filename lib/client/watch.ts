// `bin/client --watch`: the balancer's METRICS read once a second and drawn as a table, like top.
import { after, type Clock } from '../time/clock.js';
import type { Response } from './client.js';
import { renderTierTable } from './tier-table.js';
import { tierView, type Reading } from './tier-view.js';

/** What the watch reads from and writes to: the process's own streams in bin/client. */
export interface WatchOptions {
  /** Asks the balancer for METRICS (Client.metrics). */
  metrics: () => Promise<Response>;
  /** The balancer's address, shown in the title. */
  title: string;
  clock: Clock;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Keys come from here when it is a terminal: `q` or Ctrl-C quits. */
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** Milliseconds between readings (1000). */
  intervalMs?: number;
}

// The alternate screen, as top and less use it, so the terminal is left as it was found.
const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME_CLEAR = '\x1b[H\x1b[2J';

/**
 * Reads METRICS every `intervalMs` (the next read starts once the last is answered) and draws the
 * tier (tier-view.ts, tier-table.ts). On a terminal it redraws in place, with colours, until `q`,
 * Ctrl-C or SIGINT; elsewhere (a pipe, a file) it prints each table as plain lines under a time
 * stamp and stops on SIGINT or SIGTERM. An answer that is not OK (the balancer unreachable) is
 * shown in place of the table and the watch goes on. Resolves once stopped, the terminal restored.
 */
export function watch(options: WatchOptions): Promise<void> {
  const { out, input, clock } = options;
  const tty = out.isTTY === true;
  const keys = tty && input.isTTY === true && input.setRawMode !== undefined;
  return new Promise((resolve) => {
    let previous: Reading | undefined;
    let stopped = false;
    let timer: { unsubscribe(): void } | undefined;
    const onKey = (chunk: Buffer | string): void => {
      const text = chunk.toString();
      if (text.includes('q') || text.includes('\x03')) stop();
    };
    const onSignal = (): void => stop();
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      timer?.unsubscribe();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (keys) {
        input.setRawMode!(false);
        input.off('data', onKey);
        input.pause();
      }
      if (tty) out.write(LEAVE);
      resolve();
    };
    const draw = (body: string): void => {
      if (tty) out.write(`${HOME_CLEAR}${body}\nq or Ctrl-C quits\n`);
      else out.write(`--- ${new Date(clock.now()).toISOString()}\n${body}\n`);
    };
    const tick = async (): Promise<void> => {
      const answer = await options.metrics();
      if (stopped) return;
      if (answer.status === 'OK' && typeof answer.data === 'object' && answer.data !== null) {
        const latest: Reading = { at: clock.now(), metrics: answer.data as Record<string, unknown> };
        draw(renderTierTable(tierView(previous, latest), options.title, tty));
        previous = latest;
      } else {
        draw(`dproxy ${options.title}: ${answer.status}${typeof answer.error === 'string' ? `: ${answer.error}` : ''}\n`);
      }
      timer = after(clock, options.intervalMs ?? 1000, () => void tick());
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (tty) out.write(ENTER);
    if (keys) {
      input.setRawMode!(true);
      input.resume();
      input.on('data', onKey);
    }
    void tick();
  });
}
