// What every running node shares: its address, a drain, and the signals that trigger it.
import type { AddressInfo } from 'node:net';

export interface RunningNode {
  readonly address: AddressInfo;
  /** Stops accepting, answers everything accepted, releases upstream links. */
  drain(): Promise<void>;
}

/** Prints the ready line and drains on SIGTERM or SIGINT, then exits 0. */
export function runUntilSignalled(name: string, node: RunningNode): void {
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
}
