// Every command a user can run says what it is for under --help, through the links a user runs.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The commands in a folder of bin links: every file but the launcher and the TypeScript sources. */
async function commands(folder: string): Promise<string[]> {
  return (await readdir(path.join(repo, folder))).filter((name) => name !== 'run' && !name.includes('.')).map((name) => path.join(folder, name));
}

describe('--help of every command', function () {
  it('describes each bin/ and bench/bin/ command in a sentence of its own', async function () {
    const all = [...(await commands('bin')), ...(await commands('bench/bin'))];
    expect(all).to.include.members(['bin/origin', 'bin/proxy', 'bin/load-balancer', 'bin/client', 'bin/cluster', 'bench/bin/bench']);
    for (const command of all) {
      const { stdout } = await run(path.join(repo, command), ['--help']);
      const [usage, blank, description] = stdout.split('\n');
      expect(usage, command).to.equal(`Usage: ${path.basename(command)} [options]`);
      expect(blank, command).to.equal('');
      expect(description, `${command}'s description`).to.match(/^[a-z]+ \w/);
    }
  });

  it('has bin/run and bench/bin/run say which commands they start, rather than "not built yet"', async function () {
    expect((await run(path.join(repo, 'bin', 'run'), ['--help'])).stdout).to.include('bin/origin, bin/proxy,\nbin/load-balancer, bin/client, bin/cluster');
    expect((await run(path.join(repo, 'bench', 'bin', 'run'), ['--help'])).stdout).to.include('bench/bin/bench,');
  });
});
