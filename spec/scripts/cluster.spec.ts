// The two ways to run a whole cluster: bin/cluster (npm start) and the start/kill scripts.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Client } from '../../lib/client/client.js';
import { binScript } from '../../lib/cluster/process.js';
import { alive } from '../integration/helpers.js';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve) => {
      const server = net.createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** PURGE of one key through the balancer, with the token and without: the statuses. */
async function purgeStatuses(port: number, token: string): Promise<string[]> {
  const client = new Client({ port });
  const statuses = [(await client.send({ op: 'PURGE', key: 'article/7', token })).status, (await client.send({ op: 'PURGE', key: 'article/7' })).status];
  client.close();
  return statuses;
}

/** The peers a proxy knows, as its answer to ADD_PEER of `peer` (one it may know already) says. */
async function peersOf(proxy: string, peer: string, token: string): Promise<unknown> {
  const client = new Client({ port: Number(proxy.split(':')[1]) });
  const answer = await client.send({ op: 'ADD_PEER', address: peer, token });
  client.close();
  return (answer.data as { peers?: unknown } | undefined)?.peers;
}

async function getUntilHit(port: number, key: string, attempts: number): Promise<unknown[]> {
  const client = new Client({ port });
  const seen: unknown[] = [];
  for (let i = 0; i < attempts; i++) seen.push((await client.get(key)).cache_hit);
  client.close();
  return seen;
}

describe('bin/cluster (npm start)', () => {
  it('starts origin, three proxies and a balancer that serves a miss then hits, and Ctrl-C stops them all', async () => {
    const child = spawn(process.execPath, [binScript('cluster'), '--origin-port', '0', '--proxy-port', '0', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => out.includes('ready:') && resolve());
        child.once('exit', () => reject(new Error(`cluster exited: ${out}`)));
      });
      const pids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
      expect(pids).to.have.length(5);
      const lbPort = Number(/load balancer\s+127\.0\.0\.1:(\d+)/.exec(out)![1]);
      // consistent_hash sends a key to one proxy: one miss, then hits.
      expect(await getUntilHit(lbPort, 'article/7', 4)).to.deep.equal([false, true, true, true]);
      // Admin ops are enabled with a token it made up and printed, given to the balancer and every proxy.
      const token = /admin token\s+([0-9a-f]{32})\s/.exec(out)![1]!;
      expect(out).to.include(`bin/client --port ${lbPort} --purge article/1 --token ${token}`);
      expect(await purgeStatuses(lbPort, token)).to.deep.equal(['OK', 'UNAUTHORIZED']);
      // Each proxy was told the others as peers: adding one again lists all it knows.
      const proxies = [...out.matchAll(/proxy\s+(127\.0\.0\.1:\d+)/g)].map((m) => m[1]!);
      expect(proxies).to.have.length(3);
      expect(await peersOf(proxies[0]!, proxies[1]!, token)).to.have.members([proxies[1], proxies[2]]);
      child.kill('SIGINT');
      expect(await exited).to.equal(0);
      for (const pid of pids) expect(await alive(pid), `pid ${pid}`).to.equal(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('scripts/start_cluster.sh and scripts/kill_cluster.sh', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'dproxy-cluster-'))));
  afterEach(async () => {
    await run(path.join(repo, 'scripts', 'kill_cluster.sh'), [], { env: { ...process.env, CLUSTER_DIR: dir } }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('starts a cluster in the background and stops exactly the PIDs it recorded', async () => {
    const [origin, p1, p2, lb] = await freePorts(4);
    const env = { ...process.env, CLUSTER_DIR: dir, ORIGIN_PORT: String(origin), PROXY_PORTS: `${p1} ${p2}`, LB_PORT: String(lb) };
    await run(path.join(repo, 'scripts', 'start_cluster.sh'), [], { env });
    const pids = (await readFile(path.join(dir, 'pids'), 'utf8')).trim().split('\n').map((line) => Number(line.split(' ')[0]));
    expect(pids).to.have.length(4);
    for (const pid of pids) expect(await alive(pid)).to.equal(true);
    expect(await getUntilHit(lb!, 'user/3', 3)).to.deep.equal([false, true, true]);
    // The admin token it made up is in a file only its owner may read, and enables PURGE.
    const tokenFile = path.join(dir, 'admin-token');
    expect((await stat(tokenFile)).mode & 0o777).to.equal(0o600);
    expect(await purgeStatuses(lb!, (await readFile(tokenFile, 'utf8')).trim())).to.deep.equal(['OK', 'UNAUTHORIZED']);

    const { stdout } = await run(path.join(repo, 'scripts', 'kill_cluster.sh'), [], { env });
    expect(stdout).to.include('cluster stopped');
    expect(stdout).not.to.include('SIGKILL');
    for (const pid of pids) expect(await alive(pid), `pid ${pid}`).to.equal(false);
  });
});
