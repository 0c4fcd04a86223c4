// The origin's data folder holding things that are not documents: FIFOs, and sidecars that
// point out of the folder. The origin answers at once and keeps serving.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, ask, exchange, removeDir, tempDir } from './helpers.js';

describe('origin data folder (integration)', function () {
  const nodes = new Nodes();
  let root: string;
  let origin: NodeProcess;

  before(async function () {
    // root/outside.meta.json sits beside the data folder; root/data holds the documents.
    root = await tempDir();
    const data = path.join(root, 'data');
    await mkdir(data);
    const mkfifo = (name: string): Promise<unknown> => promisify(execFile)('mkfifo', [path.join(data, name)]);
    await writeFile(path.join(data, 'good.json'), '{"good":true}');
    await mkfifo('pipe.json');
    await writeFile(path.join(data, 'side.json'), '{"side":true}');
    await mkfifo('side.meta.json');
    await writeFile(path.join(root, 'outside.meta.json'), '{"ttl":5}');
    await writeFile(path.join(data, 'leak.json'), '{"leak":true}');
    await symlink(path.join(root, 'outside.meta.json'), path.join(data, 'leak.meta.json'));
    origin = await nodes.start('origin', ['--port', '0', '--data-dir', data]);
  });

  after(async () => {
    await nodes.stopAll();
    await removeDir(root);
  });

  it('answers NOT_FOUND to GETs of a FIFO named <key>.json, and then serves a good GET', async function () {
    // Five such GETs were enough to stall the origin: each blocked a threadpool thread in open().
    const answers = await exchange(origin.port, 'GET pipe\n'.repeat(6), 6);
    expect(answers).to.deep.equal(Array.from({ length: 6 }, () => ({ status: 'NOT_FOUND', data: 'no such key' })));
    expect(await ask(origin.port, 'GET good')).to.deep.equal({ status: 'OK', data: { good: true } });
  });

  it('serves a document whose sidecar is a FIFO, without a ttl, and then a good GET', async function () {
    const answers = await exchange(origin.port, 'GET side\n'.repeat(6), 6);
    expect(answers).to.deep.equal(Array.from({ length: 6 }, () => ({ status: 'OK', data: { side: true } })));
    expect(await ask(origin.port, 'GET good')).to.deep.equal({ status: 'OK', data: { good: true } });
  });

  it('ignores a sidecar that is a symlink out of the data folder', async function () {
    expect(await ask(origin.port, 'GET leak')).to.deep.equal({ status: 'OK', data: { leak: true } });
  });
});
