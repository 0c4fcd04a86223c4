// An operator's mistakes on each node's command line: one line naming the node and the problem, exit 1, no stack trace.
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { binScript } from '../../lib/cluster/process.js';
import { closedPort, removeDir, sampleData, tempDir } from './helpers.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a node tool with `args` until it exits (each case here exits at once) and collects what it printed. */
function runTool(tool: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [binScript(tool), ...args], { timeout: 15_000 }, (_err, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('operator errors on the command line (integration)', function () {
  let server: net.Server;
  let taken: number;
  let dir: string;

  before(async () => {
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    taken = (server.address() as net.AddressInfo).port;
    dir = await tempDir();
  });

  after(async () => {
    server.close();
    await removeDir(dir);
  });

  /** Expects the run to have exited 1 having printed exactly `line` on stderr and nothing else. */
  function refused(run: Run, line: string): void {
    expect(run.stderr).to.equal(`${line}\n`);
    expect(run.stdout).to.equal('');
    expect(run.code).to.equal(1);
  }

  it('names the node and the port when its port is in use', async () => {
    refused(await runTool('origin', '--port', String(taken)), `origin: port ${taken} is in use`);
    refused(await runTool('proxy', '--port', String(taken)), `proxy: port ${taken} is in use`);
    refused(await runTool('load-balancer', '--port', String(taken)), `load-balancer: port ${taken} is in use`);
  });

  it('refuses a data folder that does not exist or is not a folder', async () => {
    const missing = path.join(dir, 'nope');
    refused(await runTool('origin', '--port', '0', '--data-dir', missing), `origin: data folder ${missing} does not exist (--data-dir)`);
    const file = path.join(sampleData, 'article', '1.json');
    refused(await runTool('origin', '--port', '0', '--data-dir', file), `origin: data folder ${file} is not a folder (--data-dir)`);
  });

  it('refuses a proxy whose origin is its own address', async () => {
    const port = String(await closedPort());
    refused(
      await runTool('proxy', '--port', port, '--origin-port', port),
      `proxy: its origin 127.0.0.1:${port} is its own address: it would ask itself for every miss (--origin-port)`,
    );
    refused(
      await runTool('proxy', '--port', port, '--origin-host', 'localhost', '--origin-port', port),
      `proxy: its origin localhost:${port} is its own address: it would ask itself for every miss (--origin-port)`,
    );
    refused(
      await runTool('proxy', '--port', port, '--origin-url', `http://127.0.0.1:${port}/api/`),
      `proxy: its origin 127.0.0.1:${port} is its own address: it would ask itself for every miss (--origin-url)`,
    );
  });

  it('refuses an --origin-header that is not "Name: value", one the proxy owns, and one without --origin-url', async () => {
    refused(
      await runTool('proxy', '--port', '0', '--origin-url', 'http://127.0.0.1:1/api/', '--origin-header', 'Authorization'),
      `proxy: option '--origin-header <header>' argument 'Authorization' is invalid. expected "Name: value", got "Authorization"`,
    );
    refused(
      await runTool('cluster', '--origin-url', 'http://127.0.0.1:1/api/', '--origin-header', 'Connection: close'),
      "cluster: option '--origin-header <header>' argument 'Connection: close' is invalid. connection is the proxy's own to set",
    );
    for (const tool of ['proxy', 'cluster']) {
      refused(await runTool(tool, '--origin-header', 'X-Api-Key: k'), `${tool}: option '--origin-header' needs --origin-url: only an HTTP origin takes headers`);
    }
  });

  it('refuses an --origin-retry-on naming a cause it does not know, or none or all in a list, on bin/proxy and bin/cluster', async () => {
    const allowed = 'conn-failure, empty-response, junk-response, response-timeout, error-status; or none or all alone';
    for (const tool of ['proxy', 'cluster']) {
      refused(
        await runTool(tool, '--origin-retry-on', 'conn-failure,timeout'),
        `${tool}: option '--origin-retry-on <causes>' argument 'conn-failure,timeout' is invalid. unknown cause "timeout"; expected causes separated by commas among ${allowed}`,
      );
      refused(
        await runTool(tool, '--origin-retry-on', 'all,error-status'),
        `${tool}: option '--origin-retry-on <causes>' argument 'all,error-status' is invalid. "all" stands alone, not in a list; expected causes among ${allowed}`,
      );
    }
  });

  it('refuses a --proxies or --peers entry that is not host:port, and a balancer listed among its proxies', async () => {
    refused(
      await runTool('load-balancer', '--port', '0', '--proxies', '8001', '8002'),
      "load-balancer: option '--proxies <host:port...>' argument '8001' is invalid. expected host:port, such as 127.0.0.1:8001",
    );
    refused(
      await runTool('proxy', '--port', '0', '--peers', '127.0.0.1:8002', 'localhost'),
      "proxy: option '--peers <host:port...>' argument 'localhost' is invalid. expected host:port, such as 127.0.0.1:8001",
    );
    const port = String(await closedPort());
    refused(await runTool('load-balancer', '--port', port, '--proxies', `127.0.0.1:${port}`), `load-balancer: proxy 127.0.0.1:${port} is the balancer's own address (--proxies)`);
  });

  it('refuses an unknown strategy, a bad flag value and an unknown flag', async () => {
    refused(
      await runTool('load-balancer', '--strategy', 'random'),
      "load-balancer: option '--strategy <name>' argument 'random' is invalid. Allowed choices are consistent_hash, p2c, round_robin, least_loaded.",
    );
    refused(await runTool('proxy', '--port', 'abc'), `proxy: option '--port <port>' argument 'abc' is invalid. expected an integer from 0 to 65535, got "abc"`);
    refused(await runTool('origin', '--latency', '-1'), `origin: option '--latency <ms>' argument '-1' is invalid. expected a number >= 0, got "-1"`);
    refused(await runTool('origin', '--colour'), "origin: unknown option '--colour'");
  });

  it('with --check, exits 0 without serving when the node could start, and says why when it could not', async () => {
    for (const tool of ['origin', 'proxy', 'load-balancer']) {
      const ok = await runTool(tool, '--port', '0', '--check');
      expect(ok, tool).to.deep.equal({ code: 0, stdout: '', stderr: '' });
    }
    refused(await runTool('origin', '--port', String(taken), '--check'), `origin: port ${taken} is in use`);
  });
});
