// The two ways to run a whole cluster: bin/cluster (npm start) and the start/kill scripts.
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Client } from '../../lib/client/client.js';
import { binScript } from '../../lib/cluster/process.js';
import { alive, metricsOf, waitFor } from '../integration/helpers.js';

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

/** A bin/cluster process on free ports, with what it printed on each stream. */
interface RunningCluster {
  child: ChildProcessByStdio<null, Readable, Readable>;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
  /** Resolves once its output holds `text`; rejects if it exits first or after `timeoutMs`. */
  printed(text: string, timeoutMs?: number): Promise<void>;
}

function cluster(...args: string[]): RunningCluster {
  const child = spawn(process.execPath, [binScript('cluster'), '--origin-port', '0', '--proxy-port', '0', '--port', '0', '--metrics-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    printed: async (text, timeoutMs = 20_000) => {
      await waitFor(`bin/cluster to print "${text}"`, async () => {
        if (out.includes(text)) return true;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`bin/cluster exited: ${out}${err}`);
        return undefined;
      }, timeoutMs);
    },
  };
}

/** The nodes bin/cluster said it started, by role, in order. */
function startedNodes(out: string): { role: string; address: string; port: number; pid: number }[] {
  return [...out.matchAll(/^(origin|proxy|load balancer)\s+(127\.0\.0\.1:(\d+))\s+pid (\d+)/gm)].map((m) => ({
    role: m[1]!,
    address: m[2]!,
    port: Number(m[3]),
    pid: Number(m[4]),
  }));
}

/** Waits until none of `pids` runs; fails naming those left after `timeoutMs`. */
async function allGone(pids: readonly number[], timeoutMs = 10_000): Promise<void> {
  await waitFor(`pids ${pids.join(' ')} to be gone`, async () => ((await Promise.all(pids.map(alive))).some((a) => a) ? undefined : true), timeoutMs);
}

/** Stops a cluster a test left running, and anything it started. */
async function cleanUp(running: RunningCluster | undefined, pids: readonly number[]): Promise<void> {
  if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  for (const pid of pids) if (await alive(pid)) process.kill(pid, 'SIGKILL');
}

describe('bin/cluster (npm start)', () => {
  let running: RunningCluster | undefined;
  let pids: number[] = [];
  afterEach(async () => {
    await cleanUp(running, pids);
    running = undefined;
    pids = [];
  });

  /** Starts a cluster and waits for its ready line; `pids` holds its nodes' for the clean-up. */
  async function ready(...args: string[]): Promise<ReturnType<typeof startedNodes>> {
    running = cluster(...args);
    await running.printed('ready:');
    const nodes = startedNodes(running.out());
    pids = nodes.map((n) => n.pid);
    return nodes;
  }

  it('starts origin, three proxies and a balancer that serves a miss then hits, and Ctrl-C stops them all', async () => {
    const nodes = await ready();
    expect(nodes.map((n) => n.role)).to.deep.equal(['origin', 'proxy', 'proxy', 'proxy', 'load balancer']);
    const lbPort = nodes[4]!.port;
    // consistent_hash sends a key to one proxy: one miss, then hits.
    expect(await getUntilHit(lbPort, 'article/7', 4)).to.deep.equal([false, true, true, true]);
    // Admin ops are enabled with a token it made up and printed, given to the balancer and every proxy.
    const token = /admin token\s+([0-9a-f]{32})\s/.exec(running!.out())![1]!;
    expect(running!.out()).to.include(`bin/client --port ${lbPort} --purge article/1 --token ${token}`);
    expect(await purgeStatuses(lbPort, token)).to.deep.equal(['OK', 'UNAUTHORIZED']);
    // Each proxy was told the others as peers: adding one again lists all it knows.
    const proxies = nodes.filter((n) => n.role === 'proxy').map((n) => n.address);
    expect(await peersOf(proxies[0]!, proxies[1]!, token)).to.have.members([proxies[1], proxies[2]]);
    // Each node's log lines are shown under its name, and the balancer's stats page is where it says.
    expect(running!.out()).to.match(/ INFO\s+proxy-2\s+started /);
    const statsPage = /^stats page\s+(http:\/\/\S+)/m.exec(running!.out())![1]!;
    const page = await fetch(statsPage);
    expect([page.status, page.headers.get('content-type')]).to.deep.equal([200, 'text/html; charset=utf-8']);
    running!.child.kill('SIGINT');
    expect(await running!.exited).to.equal(0);
    for (const pid of pids) expect(await alive(pid), `pid ${pid}`).to.equal(false);
  });

  it('restarts a proxy killed under load on the same port: the balancer fails over with no client error, and the proxy serves again', async () => {
    const nodes = await ready('--admin-token', 'T');
    const lb = nodes[4]!;
    const victim = nodes[1]!;
    const load = steadyLoad(lb.port, 4);
    try {
      await waitFor('answers before the kill', async () => (load.answered() >= 200 ? true : undefined));
      process.kill(victim.pid, 'SIGKILL');
      await running!.printed(`proxy ${victim.address} (pid ${victim.pid}) was killed by SIGKILL; restarting it in 1 s`);
      await running!.printed(`proxy ${victim.address} is back, pid `);
      const pid = Number(new RegExp(`proxy ${victim.address} is back, pid (\\d+)`).exec(running!.out())![1]);
      pids.push(pid);
      // Back in the balancer's rotation: the restarted proxy answers GETs the balancer sends it.
      await waitFor('the restarted proxy to serve through the balancer', async () => {
        const metrics = await metricsOf(victim.port);
        return (metrics.total_requests as number) > 0 ? true : undefined;
      }, 30_000, 200);
      const answeredThen = load.answered();
      await waitFor('more answers after the return', async () => (load.answered() >= answeredThen + 200 ? true : undefined));
      // It knows its peers again, from its arguments.
      const others = nodes.filter((n) => n.role === 'proxy' && n !== victim).map((n) => n.address);
      expect(await peersOf(victim.address, others[0]!, 'T')).to.have.members(others);
    } finally {
      await load.stop();
    }
    expect(load.errors(), 'answers other than OK').to.deep.equal([]);
    for (const n of nodes.filter((n) => n !== victim)) expect(await alive(n.pid), `${n.role} ${n.pid} kept running`).to.equal(true);
  });

  it('with --no-restart, leaves a killed proxy down and keeps serving through the others', async () => {
    const nodes = await ready('--no-restart');
    process.kill(nodes[2]!.pid, 'SIGKILL');
    await running!.printed(`proxy ${nodes[2]!.address} (pid ${nodes[2]!.pid}) was killed by SIGKILL; not restarted (--no-restart)`);
    const client = new Client({ port: nodes[4]!.port });
    const statuses = new Set<string>();
    for (let i = 1; i <= 30; i++) statuses.add((await client.get(`article/${i}`)).status);
    client.close();
    expect([...statuses]).to.deep.equal(['OK']);
    expect(running!.out()).not.to.include('is back');
  });

  it('leaves no node running when it is killed with SIGKILL', async () => {
    await ready();
    running!.child.kill('SIGKILL');
    await allGone(pids);
  });

  it('with --exit-with-parent, stops every node when its parent is SIGKILLed (npm start killed)', async () => {
    // A shell that waits for bin/cluster, as npm does: `; :` keeps it from exec'ing it.
    const script = `"${process.execPath}" "${binScript('cluster')}" --exit-with-parent --origin-port 0 --proxy-port 0 --port 0 --metrics-port 0; :`;
    const parent = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    parent.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await waitFor('the cluster to be ready', async () => (out.includes('ready:') ? true : undefined), 20_000);
      pids = startedNodes(out).map((n) => n.pid);
      const stat = await readFile(`/proc/${pids[0]}/stat`, 'utf8');
      const supervisor = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      pids.push(supervisor);
      parent.kill('SIGKILL');
      await allGone(pids);
    } finally {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    }
  });

  it('stops every node and exits when the reader of its output has gone (npm start | head)', async () => {
    const nodes = await ready();
    running!.child.stdout.destroy();
    // The next line it writes, about this proxy, finds no reader.
    process.kill(nodes[1]!.pid, 'SIGKILL');
    expect(await running!.exited).to.equal(1);
    await allGone(pids);
  });

  it('refuses, in one line and before starting anything, a port in use, a missing data folder, an unknown strategy', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const taken = (server.address() as net.AddressInfo).port;
    try {
      for (const [args, line] of [
        [['--proxy-port', String(taken)], `cluster: port ${taken} (proxy 1) is in use`],
        [['--data-dir', '/nonexistent/dproxy'], 'cluster: data folder /nonexistent/dproxy does not exist (--data-dir)'],
        [['--strategy', 'random'], "cluster: option '--strategy <name>' argument 'random' is invalid. Allowed choices are consistent_hash, p2c, round_robin, least_loaded."],
      ] as const) {
        running = cluster(...args);
        expect(await running.exited, args.join(' ')).to.equal(1);
        expect(running.err()).to.equal(`${line}\n`);
        expect(running.out(), 'nothing started').to.equal('');
      }
    } finally {
      server.close();
    }
  });
});

/** GETs through the balancer on `conns` connections, one at a time each, until stopped; keeps every status but OK. */
function steadyLoad(port: number, conns: number): { answered(): number; errors(): string[]; stop(): Promise<void> } {
  let answered = 0;
  let stopped = false;
  const errors: string[] = [];
  const loops = Array.from({ length: conns }, async (_, c) => {
    const client = new Client({ port });
    for (let i = 0; !stopped; i++) {
      const answer = await client.get(`article/${((c * 75 + i) % 300) + 1}`);
      answered++;
      if (answer.status !== 'OK') errors.push(`${answer.status} ${answer.error ?? ''}`);
    }
    client.close();
  });
  return {
    answered: () => answered,
    errors: () => errors,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

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

  it('checks every node before it starts any: each problem is one line, and nothing is started', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const taken = (server.address() as net.AddressInfo).port;
    const [origin, p1, lb] = await freePorts(3);
    const env = { ...process.env, CLUSTER_DIR: dir, ORIGIN_PORT: String(origin), PROXY_PORTS: `${p1} ${taken}`, LB_PORT: String(lb), STRATEGY: 'random' };
    try {
      const failed = await run(path.join(repo, 'scripts', 'start_cluster.sh'), ['--ttl', 'soon'], { env }).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed?.code).to.equal(1);
      expect(failed?.stderr.trim().split('\n')).to.deep.equal([
        `proxy: option '--ttl <seconds>' argument 'soon' is invalid. expected seconds >= 0, or "forever" for no expiry, got "soon"`,
        "load-balancer: option '--strategy <name>' argument 'random' is invalid. Allowed choices are consistent_hash, p2c, round_robin, least_loaded.",
      ]);
      const portOnly = await run(path.join(repo, 'scripts', 'start_cluster.sh'), [], { env: { ...env, STRATEGY: 'p2c' } }).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(portOnly?.stderr).to.equal(`proxy: port ${taken} is in use\n`);
      expect(await readFile(path.join(dir, 'pids'), 'utf8').catch(() => 'none'), 'no PID recorded').to.equal('none');
    } finally {
      server.close();
    }
  });
});
