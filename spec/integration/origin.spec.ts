// The origin node over real TCP: documents from its data folder, and no key can read outside it.
import path from 'node:path';
import { readFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { expect } from 'chai';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, ask, exchange, metricsOf, removeDir, sampleData, tempDir } from './helpers.js';

describe('origin node (integration)', function () {
  const nodes = new Nodes();
  let origin: NodeProcess;

  before(async function () {
    origin = await nodes.start('origin', ['--port', '0']);
  });

  after(() => nodes.stopAll());

  it('answers GET article/1 with the JSON of article/1.json', async function () {
    const file = JSON.parse(await readFile(path.join(sampleData, 'article', '1.json'), 'utf8')) as unknown;
    const answer = await ask(origin.port, 'GET article/1');
    expect(answer).to.deep.equal({ status: 'OK', data: file });
  });

  it('answers a key with a leading slash the same as without', async function () {
    const answer = await ask(origin.port, 'GET /user/3');
    expect(answer.status).to.equal('OK');
    expect((answer.data as { id: number }).id).to.equal(3);
  });

  it('answers the JSON form and echoes its id', async function () {
    const answer = await ask(origin.port, '{"op":"GET","key":"product/7","id":"p7"}');
    expect(answer.status).to.equal('OK');
    expect(answer.id).to.equal('p7');
    expect((answer.data as { id: number }).id).to.equal(7);
  });

  it('answers NOT_FOUND for a key it has no document for', async function () {
    const answer = await ask(origin.port, 'GET article/99999');
    expect(answer.status).to.equal('NOT_FOUND');
    expect(answer).to.not.have.property('error');
  });

  it('answers WRONG_METHOD for an unknown op, in text and JSON form, and for a lower-case method', async function () {
    const answers = await exchange(origin.port, 'FROBNICATE article/1\n{"op":"TELEPORT","key":"article/1"}\nget article/1\n', 3);
    expect(answers.map((a) => a.status)).to.deep.equal(['WRONG_METHOD', 'WRONG_METHOD', 'WRONG_METHOD']);
    expect(answers[0]!.data).to.be.a('string').that.includes('FROBNICATE');
    expect(answers[1]!.data).to.be.a('string').that.includes('TELEPORT');
  });

  it('counts the GETs that reached it in METRICS total_requests', async function () {
    const before = (await metricsOf(origin.port)).total_requests as number;
    await exchange(origin.port, 'GET article/2\nGET article/3\nGET nothing/1\n', 3);
    const data = await metricsOf(origin.port);
    expect(data.total_requests).to.equal(before + 3);
    expect(data.start_time).to.be.a('string');
    expect(Number.isNaN(Date.parse(data.start_time as string))).to.equal(false);
  });

  describe('keys that try to leave the data folder', function () {
    const secret = '{"secret":"outside the data folder"}';
    let root: string;
    let data: string;
    let jail: NodeProcess;

    before(async function () {
      // root/secret.json sits beside the data folder; root/data holds a document and two symlinks out.
      root = await tempDir();
      data = path.join(root, 'data');
      await mkdir(path.join(data, 'article'), { recursive: true });
      await writeFile(path.join(root, 'secret.json'), secret);
      await writeFile(path.join(data, 'article', '1.json'), '{"id":1,"inside":true}');
      await symlink(path.join(root, 'secret.json'), path.join(data, 'article', 'leak.json'));
      await symlink(root, path.join(data, 'up'));
      jail = await nodes.start('origin', ['--port', '0', '--data-dir', data]);
    });

    after(() => removeDir(root));

    const refused = ['BAD_REQUEST', 'NOT_FOUND'];
    const escapes: Array<[string, () => string]> = [
      ['a ".." key', () => 'GET ../secret'],
      ['a key that climbs out through ".."', () => 'GET article/../../secret'],
      ['a key with a leading slash and ".."', () => 'GET /../secret'],
      ['an absolute path', () => `GET /${path.join(root, 'secret')}`],
      ['a percent-encoded ".."', () => 'GET %2e%2e/secret'],
      ['a percent-encoded "../" as a whole', () => 'GET %2e%2e%2fsecret'],
      ['a backslash path', () => 'GET ..\\secret'],
      ['a JSON key with ".."', () => '{"op":"GET","key":"article/../../secret"}'],
      ['a symlinked file pointing outside', () => 'GET article/leak'],
      ['a symlinked folder pointing outside', () => 'GET up/secret'],
    ];
    for (const [name, line] of escapes) {
      it(`refuses ${name} without revealing the outside file`, async function () {
        const raw = await exchange(jail.port, `${line()}\n`, 1);
        expect(refused).to.include(raw[0]!.status);
        expect(JSON.stringify(raw[0])).to.not.include('outside the data folder');
      });
    }

    it('answers ".." keys with BAD_REQUEST, not a file lookup', async function () {
      const [dots, climb] = await exchange(jail.port, 'GET ../secret\nGET article/../../secret\n', 2);
      expect(dots!.status).to.equal('BAD_REQUEST');
      expect(climb!.status).to.equal('BAD_REQUEST');
      expect(dots!.error).to.be.a('string');
    });

    it('still serves documents inside the folder', async function () {
      const answer = await ask(jail.port, 'GET article/1');
      expect(answer).to.deep.equal({ status: 'OK', data: { id: 1, inside: true } });
    });
  });

  describe('--latency', function () {
    let slow: NodeProcess;

    before(async function () {
      slow = await nodes.start('origin', ['--port', '0', '--latency', '150']);
    });

    it('still answers every request, pipelined or not, when a latency is configured', async function () {
      const answers = await exchange(slow.port, 'GET article/1\nGET article/2\nGET article/404404\n', 3);
      expect(answers.map((a) => a.status)).to.deep.equal(['OK', 'OK', 'NOT_FOUND']);
      expect(answers.slice(0, 2).map((a) => (a.data as { id: number }).id)).to.deep.equal([1, 2]);
    });
  });
});
