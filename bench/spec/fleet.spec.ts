import { access } from 'node:fs/promises';
import { expect } from 'chai';
import { accepts, Fleet, freePort } from '../lib/fleet.js';
import { alive, sampleData } from '../../spec/integration/helpers.js';

describe('Fleet', () => {
  const fleet = new Fleet();
  after(() => fleet.stopAll());

  it('starts a bin tool on a port the OS chose and learns it from the listening line', async () => {
    const server = await fleet.node('line-server', 'bench-line-server', ['--port', '0', '--data-dir', sampleData]);
    expect(server.port).to.be.above(0);
    expect(await accepts(server.port)).to.equal(true);
    await fleet.stop(server);
    expect(await alive(server.pid)).to.equal(false);
  });

  it('stops every process it started by PID, and removes its temp folders', async () => {
    const a = await fleet.node('a', 'bench-line-server', ['--port', '0', '--data-dir', sampleData]);
    const b = await fleet.node('b', 'bench-line-server', ['--port', '0', '--data-dir', sampleData]);
    const dir = await fleet.tempDir('spec');
    await fleet.stopAll();
    expect(await alive(a.pid)).to.equal(false);
    expect(await alive(b.pid)).to.equal(false);
    let removed = false;
    await access(dir).catch(() => (removed = true));
    expect(removed).to.equal(true);
  });

  it('reports the last line a program printed when it exits instead of listening', async () => {
    const port = await freePort();
    let message = '';
    await fleet.command('failing', '/bin/sh', ['-c', 'echo starting; echo "cannot bind"; exit 3'], port).catch((err: Error) => (message = err.message));
    expect(message).to.equal('failing exited: cannot bind');
  });

  it('reports a bin tool that exits before it is ready', async () => {
    let message = '';
    await fleet.node('broken', 'bench-line-server', ['--port', '0']).catch((err: Error) => (message = err.message));
    expect(message).to.match(/^broken exited with 1 before it was ready/);
  });
});
