// What every running node shares: its address, a drain, what stops it, and how it says it cannot start.
import type { AddressInfo } from 'node:net';

export interface RunningNode {
  readonly address: AddressInfo;
  /** Stops accepting, answers everything accepted, releases upstream links. */
  drain(): Promise<void>;
}

/**
 * An operator's mistake found while a node starts (a data folder that is not there, a proxy whose
 * origin is itself): its message is the whole story, printed as one line without a stack.
 */
export class StartupError extends Error {}

/**
 * The one line that says why a node could not start, for an operator's mistake: a StartupError,
 * or a failed listen (a port in use, a port below 1024 without the privilege, a host that is not
 * this machine's or does not resolve). Undefined for anything else: that is a bug, and keeps its stack.
 */
export function startupProblem(err: unknown): string | undefined {
  if (err instanceof StartupError) return err.message;
  const { code, port, address, hostname } = err as { code?: string; port?: number; address?: string; hostname?: string };
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} is in use`;
    case 'EACCES':
      return `no permission to listen on port ${port} (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${address}: not an address of this machine (--host)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${hostname}: the host name does not resolve (--host)`;
    default:
      return undefined;
  }
}

/** What a node's command line asks of its run besides serving. */
export interface RunFlags {
  /** Start, then stop at once without serving: the flags, the data folder and the port are checked. */
  check?: boolean;
}

/**
 * Waits for the node to start, then prints the ready line and drains on SIGTERM or SIGINT, and
 * when the parent that started it with an IPC channel (bin/cluster) goes, however it went: a
 * SIGKILLed supervisor leaves no node behind. Exits 0 once drained. A node that cannot start
 * prints `<name>: <problem>` and exits 1 (startupProblem); with `check`, one that can exits 0.
 */
export async function runUntilSignalled(name: string, starting: RunningNode | Promise<RunningNode>, flags: RunFlags = {}): Promise<void> {
  let node: RunningNode;
  try {
    node = await starting;
  } catch (err) {
    const problem = startupProblem(err);
    if (problem === undefined) throw err;
    process.stderr.write(`${name}: ${problem}\n`);
    process.exit(1);
  }
  if (flags.check === true) {
    await node.drain();
    process.exit(0);
  }
  const { address, port } = node.address;
  process.stdout.write(`${name} listening on ${address}:${port}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    node.drain().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The channel closes when the parent exits, by any signal, SIGKILL included: the kernel closes
  // its end. Linux's PR_SET_PDEATHSIG would do the same, but Node offers no way to set it.
  if (process.channel !== undefined) process.on('disconnect', stop);
}
