// The client CLI as a user runs it: one request, pretty JSON with latency_ms, and an exit status.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { expect } from 'chai';
import { binScript, type NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, closedPort, sampleData } from './helpers.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/client with `args` and collects what it printed and how it exited. */
function client(...args: string[]): Promise<Run> {
  return clientWith({}, ...args);
}

/** As `client`, with `env` added to the environment. */
function clientWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [binScript('client'), ...args], { timeout: 15_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('client CLI (integration)', function () {
  const nodes = new Nodes();
  let lb: NodeProcess;

  let proxyPort: number;

  before(async function () {
    const origin = await nodes.start('origin', ['--port', '0']);
    const proxy = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
    proxyPort = proxy.port;
    lb = await nodes.start('load-balancer', ['--port', '0', '--health-interval', '100', '--proxies', `127.0.0.1:${proxy.port}`]);
  });

  after(() => nodes.stopAll());

  it('prints the answer to --get as pretty JSON with latency_ms and exits 0', async function () {
    const run = await client('--port', String(lb.port), '--get', 'article/1');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^\{\n {2}"status": "OK",\n/);
    const printed = JSON.parse(run.stdout) as Record<string, unknown>;
    const file = JSON.parse(await readFile(path.join(sampleData, 'article', '1.json'), 'utf8')) as unknown;
    expect(printed.status).to.equal('OK');
    expect(printed.data).to.deep.equal(file);
    expect(printed.latency_ms).to.be.a('number').and.at.least(0);
    expect(printed).to.not.have.property('id');
  });

  it('prints --metrics from the balancer and exits 0', async function () {
    const run = await client('--port', String(lb.port), '--metrics');
    expect(run.code, run.stderr).to.equal(0);
    const printed = JSON.parse(run.stdout) as { status: string; data: Record<string, unknown>; latency_ms: unknown };
    expect(printed.status).to.equal('OK');
    expect(printed.data).to.include.keys('strategy', 'current_index', 'proxies');
    expect(printed.latency_ms).to.be.a('number');
  });

  it('accepts the key with a leading slash, as the original client sends it', async function () {
    const run = await client('--port', String(lb.port), '--get', '/user/4');
    expect(run.code, run.stderr).to.equal(0);
    expect((JSON.parse(run.stdout) as { data: { id: number } }).data.id).to.equal(4);
  });

  it('exits non-zero when the answer is not OK', async function () {
    const run = await client('--port', String(lb.port), '--get', 'article/777777');
    expect(run.code).to.not.equal(0);
    expect((JSON.parse(run.stdout) as { status: string }).status).to.equal('NOT_FOUND');
  });

  it('prints CLIENT_CONNECTION_ERROR and exits non-zero when nothing listens on the port', async function () {
    const run = await client('--port', String(await closedPort()), '--get', 'article/1');
    expect(run.code).to.not.equal(0);
    const printed = JSON.parse(run.stdout) as { status: string; error: unknown; latency_ms: unknown };
    expect(printed.status).to.equal('CLIENT_CONNECTION_ERROR');
    expect(printed.error).to.be.a('string');
    expect(printed.latency_ms).to.be.a('number');
  });

  it('refuses to run without --get or --metrics, with a message and a non-zero exit', async function () {
    const run = await client('--port', String(lb.port));
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.equal('client: give exactly one of --get, --metrics, --watch, --purge, --purge-prefix, --add-proxy, --drain-proxy, --remove-proxy\n');
  });

  it('prints --metrics as a table on a terminal, a row per proxy, and JSON there with --json', async function () {
    // util-linux's script gives the client a terminal.
    const onTerminal = (...args: string[]): Promise<string> =>
      promisify(execFile)('script', ['-qec', [process.execPath, binScript('client'), ...args].join(' '), '/dev/null']).then((r) => r.stdout.replaceAll('\r', ''));
    const table = await onTerminal('--port', String(lb.port), '--metrics');
    const lines = table.split('\n');
    expect(lines[0]).to.match(/^strategy +consistent_hash$/);
    expect(lines.filter((line) => /^latency_ms +p50 \d+ {2}p99 \d+ {2}max \d+$/.test(line))).to.have.length(1);
    const header = lines.findIndex((line) => line.startsWith('proxy '));
    expect(lines[header]).to.match(/^proxy +state +healthy +weight +in_flight +requests +failures +timeouts +ejected +hit_rate +entries +reason$/);
    expect(lines[header + 1]).to.match(new RegExp(`^127\\.0\\.0\\.1:${proxyPort} +active +yes +`));
    expect(lines.at(-2)).to.match(/^\(answered in [\d.]+ ms\)$/);
    const json = JSON.parse(await onTerminal('--port', String(lb.port), '--metrics', '--json')) as { status: string };
    expect(json.status).to.equal('OK');
  });
});

describe('client CLI: the membership ops (integration)', function () {
  const nodes = new Nodes();
  let lb: NodeProcess;
  let spare: string;

  before(async function () {
    const origin = await nodes.start('origin', ['--port', '0']);
    const proxy = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
    spare = `127.0.0.1:${(await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)])).port}`;
    lb = await nodes.start('load-balancer', ['--port', '0', '--admin-token', 'T', '--proxies', `127.0.0.1:${proxy.port}`]);
  });

  after(() => nodes.stopAll());

  const answer = (run: Run): { status: string; data?: Record<string, unknown>; error?: string } => JSON.parse(run.stdout) as never;

  it('adds, drains and removes a proxy with --token, or the token in DPROXY_TOKEN', async function () {
    const added = await client('--port', String(lb.port), '--add-proxy', spare, '--token', 'T');
    expect(added.code, added.stdout).to.equal(0);
    expect(answer(added).data).to.deep.equal({ address: spare, state: 'active' });
    const drained = await clientWith({ DPROXY_TOKEN: 'T' }, '--port', String(lb.port), '--drain-proxy', spare);
    expect(answer(drained).data).to.include({ address: spare, state: 'draining' });
    await clientWith({ DPROXY_TOKEN: 'T' }, '--port', String(lb.port), '--add-proxy', spare);
    const removed = await clientWith({ DPROXY_TOKEN: 'T' }, '--port', String(lb.port), '--remove-proxy', spare);
    expect(answer(removed).data).to.deep.equal({ address: spare, state: 'removed' });
  });

  it('exits non-zero with the answer UNAUTHORIZED without the token', async function () {
    const run = await clientWith({ DPROXY_TOKEN: '' }, '--port', String(lb.port), '--add-proxy', spare);
    expect(run.code).to.equal(1);
    expect(answer(run).status).to.equal('UNAUTHORIZED');
  });

  it('refuses an address that is not host:port in one line', async function () {
    const run = await client('--port', String(lb.port), '--drain-proxy', '8001');
    expect(run).to.deep.equal({
      code: 1,
      stdout: '',
      stderr: "client: option '--drain-proxy <host:port>' argument '8001' is invalid. expected host:port, such as 127.0.0.1:8004\n",
    });
  });
});
