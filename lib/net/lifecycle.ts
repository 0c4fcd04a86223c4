// What every running node shares: its address, a drain, what stops it, and how it says it cannot start.
import type { AddressInfo } from 'node:net';
import { SILENT, type Log } from '../log/log.js';

export interface RunningNode {
  readonly address: AddressInfo;
  /** Where its metrics port listens (`--metrics-port`), if it has one. */
  readonly metrics?: AddressInfo;
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

/** What a node's command line asks of its run besides serving, read from the flags `runUntilSignalled` is given. */
export interface RunFlags {
  /** Start, then stop at once without serving: the flags, the data folder and the port are checked. */
  check?: boolean;
}

/**
 * How a node's flags are logged at start: secrets are not. A flag named like a token is `<set>`;
 * one of headers (`originHeaders`, which may carry credentials) keeps its names, each `<set>`.
 */
export function loggableConfig(config: object): Record<string, unknown> {
  const hidden = (name: string, value: unknown): unknown => {
    if (value === undefined) return value;
    if (/token/i.test(name)) return '<set>';
    if (/headers/i.test(name) && typeof value === 'object' && value !== null) return Object.fromEntries(Object.keys(value).map((header) => [header, '<set>']));
    return value;
  };
  return Object.fromEntries(Object.entries(config).map(([name, value]) => [name, hidden(name, value)]));
}

/**
 * Waits for the node to start, then prints the ready lines on stdout (the metrics line first, so
 * whoever waits for `listening on` has both: lib/cluster/process.ts reads them), logs the start-up
 * configuration, and drains on SIGTERM or SIGINT, and when the parent that started it with an IPC
 * channel (bin/cluster) goes, however it went: a SIGKILLed supervisor leaves no node behind. Exits 0
 * once drained (1 if the drain failed), logging both. A node that cannot start prints
 * `<name>: <problem>` and exits 1 (startupProblem); with `config.check`, one that can exits 0.
 */
export async function runUntilSignalled(name: string, starting: RunningNode | Promise<RunningNode>, log: Log = SILENT, config: object = {}): Promise<void> {
  let node: RunningNode;
  try {
    node = await starting;
  } catch (err) {
    const problem = startupProblem(err);
    if (problem === undefined) throw err;
    process.stderr.write(`${name}: ${problem}\n`);
    process.exit(1);
  }
  if ((config as RunFlags).check === true) {
    await node.drain();
    process.exit(0);
  }
  const { address, port } = node.address;
  if (node.metrics !== undefined) process.stdout.write(`${name} metrics on http://${node.metrics.address}:${node.metrics.port}/metrics\n`);
  process.stdout.write(`${name} listening on ${address}:${port}\n`);
  log.info({ address: `${address}:${port}`, ...(node.metrics === undefined ? {} : { metrics: `${node.metrics.address}:${node.metrics.port}` }), config: loggableConfig(config) }, 'started');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining: no new connections; answering what was accepted');
    node.drain().then(
      () => {
        log.info({}, 'stopped');
        process.exit(0);
      },
      (err: Error) => {
        log.error({ err: err.message }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // The channel closes when the parent exits, by any signal, SIGKILL included: the kernel closes
  // its end. Linux's PR_SET_PDEATHSIG would do the same, but Node offers no way to set it.
  if (process.channel !== undefined) process.on('disconnect', () => stop('disconnect'));
}
