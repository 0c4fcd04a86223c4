// HAProxy as a benchmark subject: find or install it, write a TCP round-robin config, run it in
// the foreground as a child process of the run.
import { execFile } from 'node:child_process';
import { access, constants, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Fleet, Started } from './fleet.js';
import { freePort } from './fleet.js';

const run = promisify(execFile);

export type Availability = { available: true; path: string; version: string } | { available: false; reason: string };

export interface HaproxyConfigOptions {
  port: number;
  servers: ReadonlyArray<{ host: string; port: number }>;
}

/** A minimal config: TCP mode, one frontend on loopback, round-robin over `servers`, no checks. */
export function haproxyConfig(options: HaproxyConfigOptions): string {
  return [
    '# written by npm run bench; HAProxy balances whole connections, in TCP mode',
    'global',
    '    maxconn 4096',
    '',
    'defaults',
    '    mode tcp',
    '    timeout connect 2s',
    '    timeout client 60s',
    '    timeout server 60s',
    '',
    'frontend bench',
    `    bind 127.0.0.1:${options.port}`,
    '    default_backend proxies',
    '',
    'backend proxies',
    '    balance roundrobin',
    ...options.servers.map((server, i) => `    server proxy${i + 1} ${server.host}:${server.port}`),
    '',
  ].join('\n');
}

/** Reads "2.6.12-1+deb12u3" out of `haproxy -v`'s first line. */
export function parseVersion(text: string): string | undefined {
  return /HA-?Proxy version (\S+)/i.exec(text)?.[1];
}

/** The sbin and bin folders a Debian package (or a local build) puts a program in, beside PATH. */
const PLACES = ['/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

/** The first executable `name` on PATH or in the usual sbin and bin folders; undefined when there is none. */
export async function locateProgram(name: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  for (const candidate of [...dirs, ...PLACES].map((d) => path.join(d, name))) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * Finds HAProxy 2.x or newer; when it is missing and `installScript` is given, runs it (at most
 * five minutes) and looks again. Never throws: what cannot be had comes back as a reason.
 */
export async function ensureHaproxy(installScript: string | undefined, log: (line: string) => void): Promise<Availability> {
  let found = await locateProgram('haproxy');
  if (found === undefined && installScript !== undefined) {
    log('haproxy: not installed; running bench/scripts/install-haproxy.sh');
    const failed = await runInstallScript(installScript);
    if (failed !== undefined) return { available: false, reason: `install failed: ${failed}` };
    found = await locateProgram('haproxy');
  }
  if (found === undefined) return { available: false, reason: installScript === undefined ? 'haproxy not installed (--no-install)' : 'haproxy not found after install' };
  try {
    const { stdout, stderr } = await run(found, ['-v'], { timeout: 10_000 });
    const version = parseVersion(stdout + stderr);
    if (version === undefined) return { available: false, reason: `${found} -v printed no version` };
    if (Number(version.split('.')[0]) < 2) return { available: false, reason: `HAProxy ${version} is older than 2.x` };
    return { available: true, path: found, version };
  } catch (err) {
    return { available: false, reason: `${found} -v failed: ${(err as Error).message}` };
  }
}

/** Runs an install script (at most five minutes); resolves with the last line it printed to stderr when it failed, else undefined. */
export async function runInstallScript(script: string): Promise<string | undefined> {
  try {
    await run('sh', [script], { timeout: 300_000, killSignal: 'SIGKILL' });
    return undefined;
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    return stderr.split('\n').pop() || (err as Error).message;
  }
}

/**
 * Writes the config into `dir` and runs `haproxy -db -f <cfg>` (foreground, no daemon) under the
 * fleet, on a port the OS just reported free; retried on another port if that one was taken meanwhile.
 */
export async function startHaproxy(fleet: Fleet, binary: string, dir: string, servers: HaproxyConfigOptions['servers']): Promise<Started> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = path.join(dir, 'haproxy.cfg');
    await writeFile(config, haproxyConfig({ port, servers }));
    try {
      return await fleet.command('haproxy', binary, ['-db', '-f', config], port);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
