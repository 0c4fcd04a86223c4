// nginx as a benchmark subject: find or install Debian's, write a caching reverse-proxy config for
// an HTTP origin, run it in the foreground under a temp prefix as a child process of the run.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Fleet, Started } from './fleet.js';
import { freePort } from './fleet.js';
import { locateProgram, runInstallScript, type Availability } from './haproxy.js';

const run = promisify(execFile);

export interface NginxConfigOptions {
  /** Where nginx listens, on loopback. */
  port: number;
  origin: { host: string; port: number };
  /** The origin's path the keys live under, with leading and trailing `/`; nginx serves the same path. */
  base: string;
  /** The run's own folder: pid file, cache and every temp path go under it, nothing under /var. */
  dir: string;
  /** Seconds a 200 stays fresh when the origin says nothing; the origin's own Cache-Control wins (nginx docs, proxy_cache_valid). */
  validS: number;
  /** Worker processes. */
  workers: number;
  /** Idle keep-alive connections to the origin each worker keeps (nginx docs, upstream `keepalive`). */
  keepalive: number;
  /** Connections a worker may hold, its clients' and the origin's together. */
  workerConnections: number;
  /**
   * The `user` workers run as; given only when the master runs as root (it is ignored, with a
   * warning, otherwise), so that they can write the run's folder.
   */
  user?: string;
}

/**
 * A minimal caching reverse proxy: `proxy_cache` in a zone under `dir`, `proxy_cache_lock on` (one
 * request per cold key goes to the origin, the others wait for it to land), HTTP/1.1 with a
 * keep-alive upstream, and `X-Cache-Status` on every answer so the bench can tell hits from misses.
 * In the foreground (`daemon off`), errors to stderr, no access log.
 */
export function nginxConfig(o: NginxConfigOptions): string {
  const under = (name: string): string => path.join(o.dir, name);
  return [
    '# written by npm run bench: nginx caching an HTTP origin, everything under the run\'s own folder',
    'daemon off;',
    ...(o.user === undefined ? [] : [`user ${o.user};`]),
    `worker_processes ${o.workers};`,
    // A connection is a descriptor, and a cache file being written another: room for both.
    `worker_rlimit_nofile ${2 * o.workerConnections};`,
    `pid ${under('nginx.pid')};`,
    'error_log stderr warn;',
    '',
    'events {',
    `    worker_connections ${o.workerConnections};`,
    '}',
    '',
    'http {',
    '    access_log off;',
    `    client_body_temp_path ${under('client_body')};`,
    `    proxy_temp_path ${under('proxy_temp')};`,
    `    fastcgi_temp_path ${under('fastcgi_temp')};`,
    `    uwsgi_temp_path ${under('uwsgi_temp')};`,
    `    scgi_temp_path ${under('scgi_temp')};`,
    `    proxy_cache_path ${under('cache')} levels=1:2 keys_zone=bench:10m inactive=10m use_temp_path=off;`,
    '',
    '    upstream origin {',
    `        server ${o.origin.host}:${o.origin.port};`,
    `        keepalive ${o.keepalive};`,
    '    }',
    '',
    '    server {',
    `        listen 127.0.0.1:${o.port};`,
    `        location ${o.base} {`,
    '            proxy_pass http://origin;',
    '            proxy_http_version 1.1;',
    '            proxy_set_header Connection "";',
    '            proxy_cache bench;',
    '            proxy_cache_lock on;',
    `            proxy_cache_valid 200 ${o.validS}s;`,
    '            add_header X-Cache-Status $upstream_cache_status always;',
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
}

/** Reads "1.22.1" out of `nginx -v`'s line ("nginx version: nginx/1.22.1"). */
export function parseNginxVersion(text: string): string | undefined {
  return /nginx version: nginx\/(\S+)/i.exec(text)?.[1];
}

/**
 * Finds nginx; when it is missing and `installScript` is given, runs it and looks again. Never
 * throws: what cannot be had comes back as a reason.
 */
export async function ensureNginx(installScript: string | undefined, log: (line: string) => void): Promise<Availability> {
  let found = await locateProgram('nginx');
  if (found === undefined && installScript !== undefined) {
    log('nginx: not installed; running bench/scripts/install-nginx.sh');
    const failed = await runInstallScript(installScript);
    if (failed !== undefined) return { available: false, reason: `install failed: ${failed}` };
    found = await locateProgram('nginx');
  }
  if (found === undefined) return { available: false, reason: installScript === undefined ? 'nginx not installed (--no-install)' : 'nginx not found after install' };
  try {
    const { stdout, stderr } = await run(found, ['-v'], { timeout: 10_000 });
    const version = parseNginxVersion(stdout + stderr);
    if (version === undefined) return { available: false, reason: `${found} -v printed no version` };
    return { available: true, path: found, version };
  } catch (err) {
    return { available: false, reason: `${found} -v failed: ${(err as Error).message}` };
  }
}

/**
 * Writes the config into `dir` and runs `nginx -p <dir> -c <cfg> -e stderr` under the fleet, on a
 * port the OS just reported free; retried on another port if that one was taken meanwhile. Stopped
 * by the fleet with SIGTERM to the master's PID (nginx's fast shutdown), which takes its workers.
 */
export async function startNginx(fleet: Fleet, binary: string, options: Omit<NginxConfigOptions, 'port'>): Promise<Started> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const config = path.join(options.dir, 'nginx.conf');
    await writeFile(config, nginxConfig({ ...options, port }));
    try {
      return await fleet.command('nginx', binary, ['-p', options.dir + path.sep, '-c', config, '-e', 'stderr'], port);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
