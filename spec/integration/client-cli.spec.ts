// The client CLI as a user runs it: one request, pretty JSON with latency_ms, and an exit status.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
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
  return new Promise((resolve) => {
    execFile(process.execPath, [binScript('client'), ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('client CLI (integration)', function () {
  const nodes = new Nodes();
  let lb: NodeProcess;

  before(async function () {
    const origin = await nodes.start('origin', ['--port', '0']);
    const proxy = await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]);
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
    expect(run.stderr).to.include('--get');
  });
});
