// A production install, as on a fresh clone: `npm ci --omit=dev` builds the product, and its commands work.
import { execFile, spawn } from 'node:child_process';
import { access, cp, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ask, removeDir, tempDir, waitFor } from '../integration/helpers.js';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('npm ci --omit=dev (a production install)', function () {
  let dir: string;

  before(async function () {
    this.timeout(180_000);
    dir = await tempDir();
    // What a clone holds that the product needs; the specs and the bench are not built by it.
    for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.product.json', 'lib', 'bin', 'data']) {
      await cp(path.join(repo, entry), path.join(dir, entry), { recursive: true, verbatimSymlinks: true });
    }
    // From npm's cache, which the install of this checkout filled: no network.
    await run('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: dir, timeout: 170_000 });
  });

  after(() => removeDir(dir));

  it('installs no dev dependency and builds the commands', async function () {
    expect(await access(path.join(dir, 'node_modules', 'mocha')).then(() => 'present', () => 'absent')).to.equal('absent');
    for (const tool of ['origin', 'proxy', 'load-balancer', 'client', 'cluster']) {
      expect((await stat(path.join(dir, 'dist', 'bin', `${tool}.js`))).isFile(), tool).to.equal(true);
    }
  });

  it('gives a bin/origin that serves the sample data', async function () {
    const origin = spawn(path.join(dir, 'bin', 'origin'), ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      origin.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const port = await waitFor('the origin to listen', async () => /listening on [\d.]+:(\d+)/.exec(out)?.[1]);
      expect((await ask(Number(port), 'GET article/1')).status).to.equal('OK');
    } finally {
      origin.kill('SIGTERM');
    }
  });

  it('has npm start build only what changed: nothing, right after the install', async function () {
    const start = (JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const build = start.slice(0, start.indexOf(' && '));
    expect(build).to.equal('tsc -b tsconfig.product.json');
    const { stdout } = await run(path.join(dir, 'node_modules', '.bin', 'tsc'), ['-b', 'tsconfig.product.json', '--verbose'], { cwd: dir });
    expect(stdout).to.include("Project 'tsconfig.product.json' is up to date");
  });
});
