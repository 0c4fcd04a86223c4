// What every running node shares: its address, a drain, and the signals that trigger it.
import type { AddressInfo } from 'node:net';
import { SILENT, type Log } from '../log/log.js';

export interface RunningNode {
  readonly address: AddressInfo;
  /** Where its metrics port listens (`--metrics-port`), if it has one. */
  readonly metrics?: AddressInfo;
  /** Stops accepting, answers everything accepted, releases upstream links. */
  drain(): Promise<void>;
}

/** How a node's flags are logged at start: secrets (any flag named like a token) are not. */
export function loggableConfig(config: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([name, value]) => [name, /token/i.test(name) && value !== undefined ? '<set>' : value]));
}

/**
 * Prints the ready lines on stdout, logs the start-up configuration, and drains on SIGTERM or
 * SIGINT, then exits 0 (1 if the drain failed), logging both. The metrics line comes first, so
 * whoever waits for `listening on` has both (lib/cluster/process.ts reads them); neither says
 * `listening on` twice.
 */
export function runUntilSignalled(name: string, node: RunningNode, log: Log = SILENT, config: object = {}): void {
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
}
