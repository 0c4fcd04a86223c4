import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { loadDocuments, startLineServer } from '../../lib/floor/line-server.js';
import type { RunningNode } from '../../../lib/net/lifecycle.js';
import { open, removeDir, tempDir } from '../../../spec/integration/helpers.js';

describe('floor line server', () => {
  let dir: string;
  let server: RunningNode;

  before(async () => {
    dir = await tempDir();
    await mkdir(path.join(dir, 'article'));
    await writeFile(path.join(dir, 'article', '1.json'), '{\n  "id": 1,\n  "title": "one"\n}\n');
    await writeFile(path.join(dir, 'article', '1.meta.json'), '{"ttl": 5}');
    await writeFile(path.join(dir, 'top.json'), '[1, 2]');
    server = await startLineServer({ host: '127.0.0.1', port: 0, documents: await loadDocuments(dir) });
  });

  after(async () => {
    await server.drain();
    await removeDir(dir);
  });

  it('loads every document under the folder by key, compacted, leaving .meta.json files out', async () => {
    const documents = await loadDocuments(dir);
    expect([...documents.entries()].sort()).to.deep.equal([
      ['article/1', '{"id":1,"title":"one"}'],
      ['top', '[1,2]'],
    ]);
  });

  it('answers GET as a proxy hit would, with its port as node', async () => {
    const conn = await open(server.address.port);
    conn.send('GET article/1\nGET /top\n');
    expect(await conn.reader.read(2)).to.deep.equal([
      `{"status":"OK","data":{"id":1,"title":"one"},"cache_hit":true,"node":${server.address.port}}`,
      `{"status":"OK","data":[1,2],"cache_hit":true,"node":${server.address.port}}`,
    ]);
    conn.close();
  });

  it('answers NOT_FOUND for a key it does not have and WRONG_METHOD for anything but GET', async () => {
    const conn = await open(server.address.port);
    conn.send('GET article/2\nMETRICS\r\n');
    const [missing, other] = await conn.reader.readAnswers(2);
    expect(missing!.status).to.equal('NOT_FOUND');
    expect(other!.status).to.equal('WRONG_METHOD');
    conn.close();
  });

  it('answers pipelined lines in order, however the bytes are split', async () => {
    const conn = await open(server.address.port);
    conn.send('GET to');
    conn.send('p\nGET arti');
    conn.send('cle/1\r\nGET nothing\nGET top\n');
    const answers = await conn.reader.readAnswers(4);
    expect(answers.map((a) => a.status)).to.deep.equal(['OK', 'OK', 'NOT_FOUND', 'OK']);
    expect(answers.map((a) => JSON.stringify(a.data))).to.deep.equal(['[1,2]', '{"id":1,"title":"one"}', '"no such key"', '[1,2]']);
    conn.close();
  });
});
