// Runs a cluster's nodes as child processes: started in order, each restarted after a backoff when it exits.
import type { Subscription } from 'rxjs';
import { after, type Clock } from '../time/clock.js';
import { StartupError } from '../net/lifecycle.js';
import { RestartBackoff, type BackoffPolicy } from './backoff.js';
import { NodeStartError, type Exit, type NodeProcess } from './process.js';

/** One node of the cluster, as the supervisor starts it, and again after every exit. */
export interface NodeSpec {
  /** Its kind, as the log names it: `origin`, `proxy`, `load balancer`. */
  readonly role: string;
  /** Its name in the cluster, in front of its log lines: `origin`, `proxy-2`, `load-balancer`. */
  readonly name: string;
  /** The bin tool: `origin`, `proxy`, `load-balancer`. */
  readonly tool: string;
  /** `host:port`: a fixed port, so a restarted node is found where the others look for it. */
  readonly address: string;
  /** `host:port` of its metrics port (`--metrics-port`), fixed like `address`. */
  readonly metrics?: string;
  readonly args: readonly string[];
  /** Said after its address in its start line: the balancer's strategy. */
  readonly note?: string;
}

/** What the supervisor needs of a running node: a NodeProcess, or a spec's stand-in. */
export type Supervised = Pick<NodeProcess, 'pid' | 'port' | 'output' | 'stop' | 'ended'>;

export interface SupervisorOptions {
  clock: Clock;
  /** Restart a node that exits (`--no-restart`: false, it stays down). */
  restart: boolean;
  /** Starts a node; resolves once it is ready, rejects (with what it printed) when it cannot start. */
  launch(spec: NodeSpec): Promise<Supervised>;
  /** One line of the cluster's log: a node started, exited, is restarting, is back. */
  log(line: string): void;
  backoff?: BackoffPolicy;
}

interface Slot {
  readonly spec: NodeSpec;
  readonly backoff: RestartBackoff;
  running?: Supervised;
  startedAt: number;
  restarting?: Subscription;
}

/**
 * Starts a cluster's nodes one after the other and keeps them running: when one exits, however
 * (a crash, `kill -9`), the others keep serving, and it is started again with the same arguments
 * after a backoff (backoff.ts), as supervisord's `autorestart` and systemd's `Restart=on-failure`
 * do. Every exit and restart is one log line naming the node, its address and pid, and how it ended.
 */
export class Supervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {}

  /**
   * Starts each node in order, each once the one before is ready. Rejects with a StartupError
   * naming the first that could not start and why, in one line when it said why in one line;
   * the nodes already started keep running until `stop`.
   */
  async start(specs: readonly NodeSpec[]): Promise<void> {
    for (const spec of specs) {
      let node: Supervised;
      try {
        node = await this.options.launch(spec);
      } catch (err) {
        throw new StartupError(report(`${name(spec)} did not start`, printed(err), spec.tool));
      }
      // Stopped while this one started (Ctrl-C during start): it is stopped too, and no more start.
      if (this.stopping) {
        await node.stop();
        return;
      }
      const slot: Slot = { spec, backoff: new RestartBackoff(this.options.backoff), startedAt: 0 };
      this.slots.push(slot);
      this.run(slot, node);
      this.options.log(`${spec.role.padEnd(14)} ${spec.address}  pid ${slot.running!.pid}${spec.note === undefined ? '' : `  (${spec.note})`}`);
    }
  }

  /** The pids of the nodes running now, in start order. */
  get pids(): number[] {
    return this.slots.flatMap((slot) => (slot.running === undefined ? [] : [slot.running.pid]));
  }

  /** Cancels pending restarts and stops every node, the last started first (the balancer before the proxies). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const slot of [...this.slots].reverse()) {
      slot.restarting?.unsubscribe();
      await slot.running?.stop();
    }
  }

  private run(slot: Slot, node: Supervised): void {
    slot.running = node;
    slot.startedAt = this.options.clock.now();
    void node.ended.then((exit) => {
      if (this.stopping || slot.running !== node) return;
      slot.running = undefined;
      this.exited(slot, node, exit);
    });
  }

  private exited(slot: Slot, node: Supervised, exit: Exit): void {
    const head = `${name(slot.spec)} (pid ${node.pid}) ${ended(exit)}`;
    const said = exit.code === null ? '' : printedSinceReady(node.output());
    if (!this.options.restart) {
      this.options.log(report(head, said, slot.spec.tool, 'not restarted (--no-restart)'));
      return;
    }
    this.restartLater(slot, head, said, this.options.clock.now() - slot.startedAt);
  }

  private restartLater(slot: Slot, head: string, said: string, upMs: number): void {
    const delay = slot.backoff.next(upMs);
    this.options.log(report(head, said, slot.spec.tool, `restarting it in ${delay / 1000} s`));
    slot.restarting = after(this.options.clock, delay, () => void this.restart(slot));
  }

  private async restart(slot: Slot): Promise<void> {
    slot.restarting = undefined;
    let node: Supervised;
    try {
      node = await this.options.launch(slot.spec);
    } catch (err) {
      if (!this.stopping) this.restartLater(slot, `${name(slot.spec)} did not start`, printed(err), 0);
      return;
    }
    if (this.stopping) {
      await node.stop();
      return;
    }
    this.run(slot, node);
    this.options.log(`${name(slot.spec)} is back, pid ${node.pid}`);
  }
}

function name(spec: NodeSpec): string {
  return `${spec.role} ${spec.address}`;
}

function ended(exit: Exit): string {
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/** What a launch that failed printed (NodeStartError), or its message. */
function printed(err: unknown): string {
  return err instanceof NodeStartError ? err.output : (err as Error).message;
}

/** What a node printed after its ready line: why it exited, if it said. */
function printedSinceReady(output: string): string {
  const ready = output.indexOf(' listening on ');
  return ready === -1 ? output : output.slice(output.indexOf('\n', ready) + 1);
}

/** What a node printed but its log lines (JSON objects, lib/log/log.ts), which bin/cluster shows as they come. */
function withoutLogLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => !isLogLine(line))
    .join('\n');
}

function isLogLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
}

/**
 * One log line of `head`, what the node `said` and what the supervisor does about it. A node
 * that stops on an operator's mistake says why in one line, `proxy: port 8002 is in use`, given
 * without its name, which the line already has; anything longer (a bug's stack trace) follows whole.
 */
function report(head: string, said: string, tool: string, decision?: string): string {
  const text = withoutLogLines(said).trim();
  const then = decision === undefined ? '' : `; ${decision}`;
  if (text === '') return `${head}${then}`;
  if (text.includes('\n')) return `${head}${then}. It printed:\n${text}`;
  return `${head}: ${text.startsWith(`${tool}: `) ? text.slice(tool.length + 2) : text}${then}`;
}
