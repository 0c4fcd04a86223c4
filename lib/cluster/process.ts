// Starting and stopping node processes by PID: used by `npm start`, the integration specs and the bench's fleet (bench/lib/fleet.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, realClock } from '../time/clock.js';

/** The compiled entry point of a bin tool, e.g. `proxy` -> dist/bin/proxy.js. */
export function binScript(tool: string): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', `${tool}.js`);
}

/**
 * Flags for node itself, the same for every node however it is started (bin/run says them too).
 * `--max-semi-space-size` caps V8's young generation (in MiB per semi-space). Left to itself, V8
 * grows it under a high allocation rate and keeps it: a proxy filling its cache churns through
 * large strings, and what stays resident for garbage adds to its RSS without adding throughput.
 * The cap also keeps the balancer out of back-to-back full collections, which V8 otherwise
 * starts early and often under load, at a cost in the tail latency through it. The measurements
 * with and without the cap are in docs/performance.md ("Young generation capped").
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/** How a process ended: its exit code, or the signal that killed it. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
  /** Resolves when the process exits, with its code. */
  readonly exited: Promise<number | null>;
  /** Resolves when the process exits, with its code or signal. */
  readonly ended: Promise<Exit>;
}

const READY = /listening on (\S+):(\d+)/;

/** A node that exited, or was not ready in time, before it printed its ready line; `output` is all it printed. */
export class NodeStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}: ${output}`);
  }
}

/**
 * Starts a node tool and resolves once it prints its listening line; rejects when it exits first
 * or is not ready within `readyTimeoutMs`, with everything it printed. `onStderr` is given every
 * chunk the node writes to stderr (its log lines, lib/log/log.ts), from the first. The node gets
 * an IPC channel it never uses for messages: when this process goes, by any signal, the channel
 * closes and the node drains and exits (lib/net/lifecycle.ts), so no node outlives its starter.
 */
export function startNode(tool: string, args: readonly string[], readyTimeoutMs = 10_000, onStderr?: (chunk: Buffer) => void): Promise<NodeProcess> {
  const child = spawn(process.execPath, [...NODE_FLAGS, binScript(tool), ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let text = '';
  // On 'close', not 'exit': by then all it printed has been read, the reason it exited among it.
  const ended = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const exited = ended.then((exit) => exit.code);
  const stop = async (graceMs = 5000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const killer = after(realClock, graceMs, () => child.kill('SIGKILL'));
    const code = await exited;
    killer.unsubscribe();
    return code;
  };
  return new Promise((resolve, reject) => {
    const giveUp = after(realClock, readyTimeoutMs, () => {
      child.kill('SIGKILL');
      reject(new NodeStartError(`${tool} was not ready within ${readyTimeoutMs} ms`, text));
    });
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const ready = READY.exec(text);
      if (ready !== null) {
        giveUp.unsubscribe();
        resolve({ child, pid: child.pid!, port: Number(ready[2]), output: () => text, stop, exited, ended });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      onStderr?.(chunk);
    });
    child.once('close', (code) => {
      giveUp.unsubscribe();
      reject(new NodeStartError(`${tool} exited with ${code} before it was ready`, text));
    });
  });
}
