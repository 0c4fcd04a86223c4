// The processes and temp folders a benchmark run owns: each process is stopped by its PID and each
// folder removed, whether the run ends, fails or is interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS, binScript } from '../../lib/cluster/process.js';
import { after, realClock } from '../../lib/time/clock.js';

export interface Started {
  /** What the run calls it, e.g. `proxy-2`. */
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

export interface NodeToolOptions {
  /** Flags for node itself, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
  readyTimeoutMs?: number;
}

const READY = /listening on (\S+):(\d+)/;
const STOP_GRACE_MS = 5000;

/**
 * The compiled entry point of a tool: the bench's own commands, all named `bench*`, are in bench/bin
 * (`bench-relay` -> dist/bench/bin/bench-relay.js); the product's in bin/ (`proxy` -> dist/bin/proxy.js).
 */
export function toolScript(tool: string): string {
  if (!tool.startsWith('bench')) return binScript(tool);
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', `${tool}.js`);
}

export class Fleet {
  private readonly running = new Map<number, Started>();
  private readonly dirs = new Set<string>();

  /** Starts one of this repo's tools (see `toolScript`) with node and resolves once it prints its listening line. */
  async node(name: string, tool: string, args: readonly string[], options: NodeToolOptions = {}): Promise<Started> {
    const child = spawn(process.execPath, [...NODE_FLAGS, ...(options.nodeArgs ?? []), toolScript(tool), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = this.track(name, child);
    const port = await new Promise<number>((resolve, reject) => {
      const giveUp = after(realClock, options.readyTimeoutMs ?? 15_000, () => reject(new Error(`${name} did not start in time: ${started.output()}`)));
      const look = (): void => {
        const ready = READY.exec(started.output());
        if (ready === null) return;
        giveUp.unsubscribe();
        resolve(Number(ready[2]));
      };
      child.stdout!.on('data', look);
      void started.exited.then((code) => {
        giveUp.unsubscribe();
        reject(new Error(`${name} exited with ${code} before it was ready: ${started.output()}`));
      });
    }).catch(async (err: unknown) => {
      await this.stop(started);
      throw err;
    });
    return this.ready(started, port);
  }

  /** Starts any program that will listen on `port`, and resolves once that port accepts connections. */
  async command(name: string, file: string, args: readonly string[], port: number, readyTimeoutMs = 10_000): Promise<Started> {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = this.track(name, child);
    let exited = false;
    void started.exited.then(() => (exited = true));
    for (let waited = 0; ; waited += 50) {
      if (await accepts(port)) {
        // One that exits right after the port answered (it could not bind) was not what answered.
        await pause(100);
        if (!exited) break;
      }
      if (exited || waited >= readyTimeoutMs) {
        await this.stop(started);
        const last = started.output().trim().split('\n').pop() || '(no output)';
        throw new Error(`${name} ${exited ? 'exited' : 'did not listen in time'}: ${last}`);
      }
      await pause(50);
    }
    return this.ready(started, port);
  }

  /** A fresh folder under `parent` (the system's temp folder by default), removed by `stopAll`. */
  async tempDir(label: string, parent = os.tmpdir()): Promise<string> {
    const dir = await mkdtemp(path.join(parent, `dproxy-bench-${label}-`));
    this.dirs.add(dir);
    return dir;
  }

  /** SIGTERM to its PID, SIGKILL after the grace period; resolves once it has exited. */
  async stop(started: Started, graceMs = STOP_GRACE_MS): Promise<void> {
    const { child } = started;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = after(realClock, graceMs, () => child.kill('SIGKILL'));
      await started.exited;
      killer.unsubscribe();
    }
    this.running.delete(started.pid);
  }

  /** Stops every process still running, most recently started first, then removes the temp folders. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].reverse().map((started) => this.stop(started)));
    await Promise.all([...this.dirs].map((dir) => rm(dir, { recursive: true, force: true })));
    this.dirs.clear();
  }

  /** Last resort when this process is exiting anyway: SIGKILL to every PID still running. */
  /**
   * Stops every process this fleet started when the run is interrupted (SIGINT, SIGTERM: then exit
   * 130) or exits any other way (SIGKILL of each at once), so that no node outlives its command.
   */
  stopOnSignals(): void {
    let interrupted = false;
    const interrupt = (signal: NodeJS.Signals): void => {
      if (interrupted) return;
      interrupted = true;
      process.stderr.write(`\n${signal}: stopping every process this run started\n`);
      void this.stopAll().finally(() => process.exit(130));
    };
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    process.on('exit', () => this.killNow());
  }

  killNow(): void {
    for (const { child } of this.running.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private track(name: string, child: ChildProcess): Started & { port: number } {
    if (child.pid === undefined) throw new Error(`${name} could not be started`);
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started = { name, pid: child.pid, port: 0, child, output: () => text, exited };
    this.running.set(child.pid, started);
    return started;
  }

  private ready(started: Started, port: number): Started {
    const named = { ...started, port };
    this.running.set(started.pid, named);
    return named;
  }
}

/** True when something accepts a connection on 127.0.0.1:port right now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port the OS just handed out as free (bound once to learn the number, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => after(realClock, ms, resolve));
}
